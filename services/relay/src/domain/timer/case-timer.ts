/**
 * A durable timer of a case: one step of the case's escalation ladder, due at a time. The rules
 * here are the ones the store's conditional updates express (adapters/mongo/case-timer-store.ts);
 * they are kept as plain functions so that they can be read and tested without a database.
 */

/** `pending` until fired or cancelled; both ends are final. */
export type CaseTimerState = 'pending' | 'fired' | 'cancelled';

/** What the ladder stores with a timer; plain JSON, no personal data (ids and step facts only). */
export type TimerPayload = Readonly<Record<string, string | number | boolean | null>>;

export interface CaseTimer {
  /** `${caseId}:${step}`: one timer per step of a case, so scheduling is idempotent. */
  timerId: string;
  caseId: string;
  step: string;
  dueAt: Date;
  /** The bucket whose list names this timer now; a sweep of any other bucket leaves it alone. */
  dueBucket: string;
  payload: TimerPayload;
  state: CaseTimerState;
  /**
   * The fencing token: how many claims were ever made on this timer. A claim increments it;
   * completing or retrying names the value the claim got, so a claim that expired and was taken
   * over can no longer change the timer.
   */
  fence: number;
  /** Until when the current claim holds; the epoch when unclaimed. */
  claimUntil: Date;
  /** Fires that failed (the handler threw); each moves the timer to a later bucket. */
  attempts: number;
}

const STEP_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The id of a case's timer for one step (`step`: lower-case letters, digits and dashes). */
export function caseTimerId(caseId: string, step: string): string {
  if (!STEP_PATTERN.test(step)) throw new RangeError(`not a timer step name: ${step}`);
  if (caseId.length === 0 || caseId.includes(':'))
    throw new RangeError('a case id for a timer must be non-empty, without ":"');
  return `${caseId}:${step}`;
}

/** Whether a sweep of `bucket` may claim the timer at `now`: due in that bucket, pending, not held by a live claim. */
export function canClaim(timer: CaseTimer, bucket: string, now: Date): boolean {
  return timer.state === 'pending' && timer.dueBucket === bucket && timer.claimUntil.getTime() <= now.getTime();
}

/** The timer once claimed: held until `now + leaseMs`, with the next fencing token. */
export function claimed(timer: CaseTimer, now: Date, leaseMs: number): CaseTimer {
  return { ...timer, fence: timer.fence + 1, claimUntil: new Date(now.getTime() + leaseMs) };
}

/** Whether the holder of the claim with `fence` may still complete (or retry) the timer. */
export function holdsClaim(timer: CaseTimer, fence: number): boolean {
  return timer.state === 'pending' && timer.fence === fence;
}

/**
 * Why a sweep of `bucket` has nothing (more) to do with a timer it could not claim, or that it
 * must come back: `done` — fired, cancelled, moved to another bucket, or never written (a
 * schedule that stopped between listing it and writing it); `busy` — someone else's claim holds it.
 */
export function unclaimedOutcome(
  timer: CaseTimer | undefined,
  bucket: string,
  now: Date,
): 'done' | 'busy' | 'claimable' {
  if (!timer || timer.state !== 'pending' || timer.dueBucket !== bucket) return 'done';
  return canClaim(timer, bucket, now) ? 'claimable' : 'busy';
}

/** When a failed fire is tried again: 1, 2, 4, … minutes after the failure, at most an hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}
