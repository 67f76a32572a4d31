import { hash } from 'node:crypto';

/**
 * Submissions per requester address in a fixed window, in this process's memory. Per instance on
 * purpose: it keeps one address from flooding a mailbox through one intake, costs no database
 * round trip on the hot path, and forgets on restart (the per-IP limit still holds). Several
 * instances behind a balancer multiply the allowance by their number. Keys are hashes, never
 * addresses, and the map is bounded.
 */
export class EmailThrottle {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts one submission; false when the address is over its allowance. */
  tryConsume(email: string, now: number): boolean {
    const key = hash('sha256', email.trim().toLowerCase(), 'base64url');
    const current = this.windows.get(key);
    if (!current || now - current.start >= this.windowMs) {
      if (this.windows.size >= this.maxKeys) this.evict(now);
      this.windows.set(key, { start: now, count: 1 });
      return true;
    }
    current.count += 1;
    return current.count <= this.limit;
  }

  private evict(now: number): void {
    for (const [key, window] of this.windows) {
      if (now - window.start >= this.windowMs) this.windows.delete(key);
    }
    // Still full: drop the oldest entries rather than grow without bound.
    const excess = this.windows.size - Math.floor(this.maxKeys * 0.9);
    if (excess > 0) [...this.windows.keys()].slice(0, excess).forEach((key) => this.windows.delete(key));
  }
}
