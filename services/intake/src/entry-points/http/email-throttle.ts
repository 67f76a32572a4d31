import { hash } from 'node:crypto';

/**
 * A requester address as this process keys it (throttle counts, idempotency key scopes): 96 bits
 * of its SHA-256, case and surrounding spaces ignored. Collisions are out of reach, keys stay small,
 * and no address is kept.
 */
export function addressKey(email: string): string {
  return hash('sha256', email.trim().toLowerCase(), 'base64url').slice(0, 16);
}

/**
 * Submissions per requester address over a sliding window, in this process's memory. Per instance
 * on purpose: it keeps one address from flooding a mailbox through one intake, costs no database
 * round trip on the hot path, and forgets on restart (the per-IP limit still holds). Several
 * instances behind a balancer multiply the allowance by their number. Keys are `addressKey`s, never
 * addresses, and memory is bounded.
 *
 * A sliding window counter: counts of the current window, plus the previous window's weighted by
 * how much of it still lies within one window of now. Two generations of plain counts, dropped
 * whole when the window turns: no object and no eviction scan per address (an object per address,
 * kept for an hour, left the young generation and kept full GCs busy under load).
 */
export class EmailThrottle {
  private current = new Map<string, number>();
  private previous = new Map<string, number>();
  private currentStart = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    /** Most addresses counted per window; beyond, the window turns early (lenient, never stricter). */
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts one submission of the address (`addressKey`); false (and not counted) when it is over its allowance. */
  tryConsume(key: string, now: number): boolean {
    this.turnWindow(now);
    const counted = this.current.get(key) ?? 0;
    const stillInWindow = 1 - (now - this.currentStart) / this.windowMs;
    const estimate = counted + Math.floor((this.previous.get(key) ?? 0) * stillInWindow);
    if (estimate >= this.limit) return false;
    if (counted === 0 && this.current.size >= this.maxKeys) this.startWindow(now, this.current);
    this.current.set(key, counted + 1);
    return true;
  }

  private turnWindow(now: number): void {
    const elapsed = now - this.currentStart;
    // The wall clock went back: start again from now, keeping the counts (never stricter).
    if (elapsed < 0) return this.startWindow(now, this.current);
    if (elapsed < this.windowMs) return;
    // One window on, the current counts become the previous ones; more, both are forgotten.
    const start = elapsed < 2 * this.windowMs ? this.currentStart + this.windowMs : now;
    this.startWindow(start, elapsed < 2 * this.windowMs ? this.current : new Map());
  }

  private startWindow(start: number, previous: Map<string, number>): void {
    this.previous = previous;
    this.current = new Map();
    this.currentStart = start;
  }
}
