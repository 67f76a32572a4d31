import { bucketsToSweep, retryDelayMs, type CaseTimer } from '../domain/timer';
import type { CaseTimerStore, DueTimer, FireTimer } from './case-timer-ports';
import type { Clock } from './ports';

export interface SweepDueTimersDeps {
  store: CaseTimerStore;
  fire: FireTimer;
  clock: Clock;
  /** Told about a fire that failed (ids and the error only); the timer is tried again later. */
  onFireFailed?: (timer: DueTimer, error: unknown) => void;
}

export interface SweepDueTimersOptions {
  /** How long a claim holds; a fire must finish well within it (a claim that expires can be taken over). */
  leaseMs: number;
  /** Most buckets one sweep takes (bounded catch-up after a downtime). */
  maxBuckets: number;
  /** Where a store never swept before starts, in buckets before the last ended one. */
  firstSweepLookback: number;
  /** Timers of one bucket fired side by side. */
  concurrency: number;
}

export interface SweepReport {
  /** Buckets looked at, oldest first. */
  buckets: string[];
  /** Timers this sweep fired (completed under its own claim). */
  fired: number;
  /** Fires that threw: moved to a later bucket. */
  failed: number;
  /** Timers held by another live claim: their bucket is looked at again by the next sweep. */
  busy: number;
  /** A fire whose claim was taken over before it completed (its handler ran; the completion was refused). */
  lostClaims: number;
  /** The cursor after this sweep: the last bucket swept in full. */
  lastSwept: string | undefined;
}

function dueTimerOf(timer: CaseTimer): DueTimer {
  return {
    timerId: timer.timerId,
    caseId: timer.caseId,
    step: timer.step,
    dueAt: timer.dueAt,
    payload: timer.payload,
    fence: timer.fence,
    attempts: timer.attempts,
  };
}

async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}

/**
 * One sweep: every ended bucket after the cursor (at most `maxBuckets`), oldest first. Each bucket
 * is closed, its listed timers claimed, fired and completed; the cursor then moves over the buckets
 * that have nothing left (a bucket with a timer another claim holds is looked at again next time,
 * later buckets are swept meanwhile). Any number of sweeps may run at once, on any instance.
 */
export async function sweepDueTimers(deps: SweepDueTimersDeps, options: SweepDueTimersOptions): Promise<SweepReport> {
  const { store, fire, clock } = deps;
  const lastSwept = await store.lastSweptBucket();
  const buckets = bucketsToSweep(lastSwept, clock.now(), options);
  const report: SweepReport = { buckets, fired: 0, failed: 0, busy: 0, lostClaims: 0, lastSwept };
  let prefixComplete = true;
  for (const bucket of buckets) {
    const timerIds = await store.closeBucket(bucket);
    let complete = true;
    // Taken over (or cancelled) while it ran: the next sweep looks at the bucket again and finds out which.
    const lostClaim = () => {
      complete = false;
      report.lostClaims += 1;
    };
    await inParallel(timerIds, options.concurrency, async (timerId) => {
      const claim = await store.claim(timerId, bucket, clock.now(), options.leaseMs);
      if (!claim.claimed) {
        if (claim.outcome === 'busy') {
          complete = false;
          report.busy += 1;
        }
        return;
      }
      const due = dueTimerOf(claim.timer);
      try {
        await fire(due);
      } catch (error) {
        deps.onFireFailed?.(due, error);
        const now = clock.now();
        const moved = await store.retryLater(
          timerId,
          due.fence,
          new Date(now.getTime() + retryDelayMs(due.attempts + 1)),
          now,
        );
        if (moved) report.failed += 1;
        else lostClaim();
        return;
      }
      if (await store.complete(timerId, due.fence, clock.now())) report.fired += 1;
      else lostClaim();
    });
    // The cursor only moves over a run of complete buckets: a bucket left behind is swept again.
    if (complete && prefixComplete) {
      await store.recordSwept(bucket);
      report.lastSwept = bucket;
    } else {
      prefixComplete = false;
    }
  }
  return report;
}
