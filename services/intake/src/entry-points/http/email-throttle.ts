import { hash } from 'node:crypto';
import type { SubmissionCounter } from '../../application/ports';

/**
 * A requester address as this process keys it (throttle counts, idempotency key scopes): 96 bits
 * of its SHA-256, case and surrounding spaces ignored. Collisions are out of reach, keys stay small,
 * and no address is kept.
 */
export function addressKey(email: string): string {
  return hash('sha256', email.trim().toLowerCase(), 'base64url').slice(0, 16);
}

const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

/**
 * The inbox an address is delivered to, as far as the allowance is concerned: without a
 * sub-address tag (`ada+x@` is `ada@` at nearly every provider) and, at Gmail, without dots and
 * with googlemail.com as gmail.com. Otherwise every spelling of one inbox had an allowance of its
 * own and anyone could mail it without bound. Only for counting: merging spellings can only make
 * the allowance stricter for one inbox, never looser.
 */
export function mailboxOf(email: string): string {
  const address = email.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (at <= 0) return address;
  let local = address.slice(0, at);
  let domain = address.slice(at + 1);
  const tag = local.indexOf('+');
  if (tag > 0) local = local.slice(0, tag);
  if (GMAIL_DOMAINS.has(domain)) {
    local = local.replaceAll('.', '');
    domain = 'gmail.com';
  }
  return `${local}@${domain}`;
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

  /** Whether the key could be counted once more now (nothing is counted). */
  hasRoom(key: string, now: number): boolean {
    this.turnWindow(now);
    const stillInWindow = 1 - (now - this.currentStart) / this.windowMs;
    return (this.current.get(key) ?? 0) + Math.floor((this.previous.get(key) ?? 0) * stillInWindow) < this.limit;
  }

  /** Takes back one count of the key (a submission counted that turned out to be a retry). */
  refund(key: string, now: number): void {
    this.turnWindow(now);
    const counted = this.current.get(key) ?? 0;
    if (counted > 1) this.current.set(key, counted - 1);
    else if (counted === 1) this.current.delete(key);
    else {
      const earlier = this.previous.get(key) ?? 0;
      if (earlier > 0) this.previous.set(key, earlier - 1);
    }
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

/**
 * The allowances of new requests, shared by every channel of this process: per requester address
 * (form, API, SMTP, SES inbound; every spelling of one inbox counted as one, `mailboxOf`) and, where there is one, per client address (form and API).
 * `counterFor` binds one submission to its keys: counted in all of them or in none, and taken
 * back when the submission turns out to retry a key already seen (a retry is not a new request).
 */
export class SubmissionLimits {
  constructor(
    private readonly perEmail: EmailThrottle,
    private readonly perClient?: EmailThrottle,
    private readonly now: () => number = Date.now,
  ) {}

  counterFor(submission: { email?: string | undefined; client?: string | undefined }): SubmissionCounter {
    const counts: Array<[EmailThrottle, string]> = [];
    if (submission.email !== undefined) counts.push([this.perEmail, addressKey(mailboxOf(submission.email))]);
    if (this.perClient && submission.client !== undefined) counts.push([this.perClient, submission.client]);
    return {
      tryCount: () => {
        // All or none: a submission refused for one allowance uses up none of the others here.
        const now = this.now();
        if (!counts.every(([throttle, key]) => throttle.hasRoom(key, now))) return false;
        for (const [throttle, key] of counts) throttle.tryConsume(key, now);
        return true;
      },
      countRefusal: () => {
        if (this.perClient && submission.client !== undefined) this.perClient.tryConsume(submission.client, this.now());
      },
      uncount: () => {
        const now = this.now();
        for (const [throttle, key] of counts) throttle.refund(key, now);
      },
    };
  }
}
