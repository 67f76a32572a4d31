import type { CaseTimer, TimerPayload } from '../domain/timer';

/** What became of a `schedule` call. */
export type ScheduleOutcome =
  /** A new pending timer. */
  | 'scheduled'
  /** The pending timer of that step now has the new due time (and payload). */
  | 'moved'
  /** The pending timer of that step had that due time and payload already. */
  | 'unchanged'
  /** Already fired: a step fires once; nothing changed. */
  | 'fired'
  /** The case's timers were cancelled: nothing is scheduled for it any more. */
  | 'cancelled';

/**
 * The case timers the escalation ladder uses (the narrow port). Every call is idempotent and safe
 * to repeat after a crash; timers live in the database, so a restart loses none.
 */
export interface CaseTimers {
  /**
   * A timer for one step of a case, due at `dueAt` (a past time fires with the next sweep). A
   * pending timer of that step is moved to the new time; a fired or cancelled one stays as it is.
   */
  schedule(caseId: string, step: string, dueAt: Date, payload: TimerPayload): Promise<ScheduleOutcome>;
  /**
   * Cancels every timer of the case, for good (acknowledgement, closing): none of them fires after
   * this resolves, and a later `schedule` for the case answers `cancelled`. Resolves with how many
   * pending timers it cancelled. A fire already running when it is called may still finish.
   */
  cancelForCase(caseId: string): Promise<number>;
}

/** A timer handed to the fire handler, with the fencing token of the claim the sweep holds. */
export interface DueTimer {
  timerId: string;
  caseId: string;
  step: string;
  dueAt: Date;
  payload: TimerPayload;
  /** The claim's fencing token (increases with every claim ever made on the timer). */
  fence: number;
  /** Earlier fires of this timer that failed. */
  attempts: number;
}

/**
 * What a due timer does. It must be idempotent and work from stored facts: it can be called again
 * for the same timer (after a crash between its effect and the timer's completion, or when a claim
 * expired while it ran and another sweep took the timer over), and must then change nothing —
 * e.g. record the step on the case with a version-guarded update that first checks whether the step
 * is recorded already. Throwing leaves the timer pending; it is tried again later.
 */
export type FireTimer = (timer: DueTimer) => Promise<void>;

/** The result of trying to claim a timer for a sweep of one bucket. */
export type ClaimResult =
  | { claimed: true; timer: CaseTimer }
  /** Not claimable: `done` (nothing left to do in this bucket) or `busy` (another live claim holds it). */
  | { claimed: false; outcome: 'done' | 'busy' };

/** The timer store as the sweep sees it: bucket lists, claims and the durable sweep cursor. */
export interface CaseTimerStore extends CaseTimers {
  /** The last bucket swept in full, or undefined when no sweep ever finished one. */
  lastSweptBucket(): Promise<string | undefined>;
  /** Records `bucket` as swept in full; never moves the cursor back. */
  recordSwept(bucket: string): Promise<void>;
  /**
   * Closes an ended bucket (a later `schedule` cannot add to it; it goes to a bucket still open)
   * and resolves with the ids it lists. Closing first, then reading, is what makes the list complete.
   */
  closeBucket(bucket: string): Promise<string[]>;
  /** Claims the timer for a sweep of `bucket` until `now + leaseMs`, if it is due there, pending and unclaimed. */
  claim(timerId: string, bucket: string, now: Date, leaseMs: number): Promise<ClaimResult>;
  /** Marks the timer fired, if the claim with `fence` still holds it; false when it does not. */
  complete(timerId: string, fence: number, at: Date): Promise<boolean>;
  /**
   * After a failed fire: moves the timer to `retryAt`'s bucket and releases the claim, if the claim
   * with `fence` still holds it; false when it does not.
   */
  retryLater(timerId: string, fence: number, retryAt: Date, now: Date): Promise<boolean>;
}
