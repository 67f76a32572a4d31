import {
  canClaim,
  caseTimerId,
  claimed,
  dueBucketOf,
  holdsClaim,
  unclaimedOutcome,
  type CaseTimer,
} from '../domain/timer';
import type { CaseTimerStore, ClaimResult, DueTimer, ScheduleOutcome } from './case-timer-ports';
import { sweepDueTimers, type SweepDueTimersOptions } from './sweep-due-timers';

/** The store's rules in memory (the MongoDB store expresses the same ones as conditional updates). */
class MemoryTimerStore implements CaseTimerStore {
  readonly timers = new Map<string, CaseTimer>();
  readonly dueLists = new Map<string, string[]>();
  cursor: string | undefined;

  async schedule(caseId: string, step: string, dueAt: Date): Promise<ScheduleOutcome> {
    const timerId = caseTimerId(caseId, step);
    const dueBucket = dueBucketOf(dueAt);
    this.dueLists.set(dueBucket, [...(this.dueLists.get(dueBucket) ?? []), timerId]);
    this.timers.set(timerId, {
      timerId,
      caseId,
      step,
      dueAt,
      dueBucket,
      payload: {},
      state: 'pending',
      fence: 0,
      claimUntil: new Date(0),
      attempts: 0,
    });
    return 'scheduled';
  }

  async cancelForCase(): Promise<number> {
    throw new Error('not used here');
  }

  async lastSweptBucket() {
    return this.cursor;
  }

  async recordSwept(bucket: string) {
    if (this.cursor === undefined || this.cursor < bucket) this.cursor = bucket;
  }

  async closeBucket(bucket: string) {
    return this.dueLists.get(bucket) ?? [];
  }

  async claim(timerId: string, bucket: string, now: Date, leaseMs: number): Promise<ClaimResult> {
    const timer = this.timers.get(timerId);
    if (timer && canClaim(timer, bucket, now)) {
      const next = claimed(timer, now, leaseMs);
      this.timers.set(timerId, next);
      return { claimed: true, timer: next };
    }
    const outcome = unclaimedOutcome(timer, bucket, now);
    return { claimed: false, outcome: outcome === 'claimable' ? 'busy' : outcome };
  }

  async complete(timerId: string, fence: number) {
    const timer = this.timers.get(timerId);
    if (!timer || !holdsClaim(timer, fence)) return false;
    this.timers.set(timerId, { ...timer, state: 'fired', claimUntil: new Date(0) });
    return true;
  }

  async retryLater(timerId: string, fence: number, retryAt: Date) {
    const timer = this.timers.get(timerId);
    if (!timer || !holdsClaim(timer, fence)) return false;
    const dueBucket = dueBucketOf(retryAt);
    this.dueLists.set(dueBucket, [...(this.dueLists.get(dueBucket) ?? []), timerId]);
    this.timers.set(timerId, {
      ...timer,
      dueAt: retryAt,
      dueBucket,
      claimUntil: new Date(0),
      attempts: timer.attempts + 1,
    });
    return true;
  }
}

const options: SweepDueTimersOptions = { leaseMs: 60_000, maxBuckets: 60, firstSweepLookback: 60, concurrency: 4 };

function movableClock(at: string) {
  let now = new Date(at);
  return { now: () => now, set: (next: string) => (now = new Date(next)) };
}

describe('sweepDueTimers', () => {
  it('When timers are due, then each fires once in its bucket, only once the bucket has ended, and the cursor moves over the swept buckets', async () => {
    const store = new MemoryTimerStore();
    const clock = movableClock('2026-11-30T10:00:10Z');
    store.cursor = '2026-11-30T09:59';
    await store.schedule('case-1', 'reminder', new Date('2026-11-30T10:00:30Z'));
    await store.schedule('case-2', 'reminder', new Date('2026-11-30T10:02:00Z'));
    const fired: string[] = [];
    const deps = { store, clock, fire: async (timer: DueTimer) => void fired.push(timer.timerId) };

    clock.set('2026-11-30T10:00:59Z');
    expect((await sweepDueTimers(deps, options)).buckets).toEqual([]);
    clock.set('2026-11-30T10:03:00Z');
    const report = await sweepDueTimers(deps, options);
    expect(fired).toEqual(['case-1:reminder', 'case-2:reminder']);
    expect(report).toMatchObject({ fired: 2, busy: 0, lastSwept: '2026-11-30T10:02' });
    expect((await sweepDueTimers(deps, options)).fired).toBe(0);
    expect(fired).toHaveLength(2);
  });

  it('When a timer is held by another live claim, then the cursor stops before its bucket, later buckets still fire, and the bucket is taken up once the claim expires', async () => {
    const store = new MemoryTimerStore();
    const clock = movableClock('2026-11-30T10:05:00Z');
    store.cursor = '2026-11-30T09:59';
    await store.schedule('case-1', 'reminder', new Date('2026-11-30T10:00:30Z'));
    await store.schedule('case-2', 'reminder', new Date('2026-11-30T10:02:00Z'));
    // A sweeper that died after claiming: its claim is left behind.
    await store.claim('case-1:reminder', '2026-11-30T10:00', clock.now(), 60_000);
    const fired: DueTimer[] = [];
    const deps = { store, clock, fire: async (timer: DueTimer) => void fired.push(timer) };

    const report = await sweepDueTimers(deps, options);
    expect(report).toMatchObject({ fired: 1, busy: 1, lastSwept: '2026-11-30T09:59' });
    expect(fired.map((timer) => timer.timerId)).toEqual(['case-2:reminder']);

    clock.set('2026-11-30T10:06:00Z');
    expect(await sweepDueTimers(deps, options)).toMatchObject({ fired: 1, busy: 0, lastSwept: '2026-11-30T10:05' });
    expect(fired.map((timer) => [timer.timerId, timer.fence])).toEqual([
      ['case-2:reminder', 1],
      ['case-1:reminder', 2],
    ]);
  });

  it('When a claim expires while its fire still runs and another sweep takes the timer over, then only the newer claim completes it', async () => {
    const store = new MemoryTimerStore();
    const clock = movableClock('2026-11-30T10:01:00Z');
    store.cursor = '2026-11-30T09:59';
    await store.schedule('case-1', 'reminder', new Date('2026-11-30T10:00:30Z'));
    let release: () => void = () => undefined;
    const fences: number[] = [];
    const slow = sweepDueTimers(
      {
        store,
        clock,
        fire: async (timer) => {
          fences.push(timer.fence);
          // Stalls past its lease; meanwhile a second sweep takes the timer over.
          await new Promise<void>((resolve) => (release = resolve));
        },
      },
      options,
    );
    await new Promise((resolve) => setImmediate(resolve));
    clock.set('2026-11-30T10:02:00Z');
    const takeover = await sweepDueTimers(
      { store, clock, fire: async (timer) => void fences.push(timer.fence) },
      options,
    );
    expect(takeover).toMatchObject({ fired: 1, lostClaims: 0 });
    release();
    expect(await slow).toMatchObject({ fired: 0, lostClaims: 1, lastSwept: '2026-11-30T09:59' });
    expect(fences).toEqual([1, 2]);
    expect(store.timers.get('case-1:reminder')).toMatchObject({ state: 'fired', fence: 2 });
  });

  it('When a fire throws, then the timer moves to a later bucket with one more attempt, its bucket counts as swept, and it fires there', async () => {
    const store = new MemoryTimerStore();
    const clock = movableClock('2026-11-30T10:01:00Z');
    store.cursor = '2026-11-30T09:59';
    await store.schedule('case-1', 'reminder', new Date('2026-11-30T10:00:30Z'));
    const failures: string[] = [];
    const report = await sweepDueTimers(
      {
        store,
        clock,
        fire: async () => {
          throw new Error('SES away');
        },
        onFireFailed: (timer) => failures.push(timer.timerId),
      },
      options,
    );
    expect(report).toMatchObject({ fired: 0, failed: 1, lastSwept: '2026-11-30T10:00' });
    expect(failures).toEqual(['case-1:reminder']);
    expect(store.timers.get('case-1:reminder')).toMatchObject({ attempts: 1, dueBucket: '2026-11-30T10:02' });

    clock.set('2026-11-30T10:03:00Z');
    const fired: DueTimer[] = [];
    expect(
      await sweepDueTimers({ store, clock, fire: async (timer) => void fired.push(timer) }, options),
    ).toMatchObject({
      fired: 1,
      lastSwept: '2026-11-30T10:02',
    });
    expect(fired[0]).toMatchObject({ timerId: 'case-1:reminder', attempts: 1 });
  });

  it('When the relay was down for longer than one sweep takes, then the catch-up is spread over sweeps and skips no bucket', async () => {
    const store = new MemoryTimerStore();
    const clock = movableClock('2026-11-30T13:00:00Z');
    store.cursor = '2026-11-30T09:59';
    for (let minute = 0; minute < 180; minute += 1) {
      await store.schedule(
        `case-${minute}`,
        'reminder',
        new Date(Date.parse('2026-11-30T10:00:15Z') + minute * 60_000),
      );
    }
    const fired = new Set<string>();
    const deps = { store, clock, fire: async (timer: DueTimer) => void fired.add(timer.timerId) };
    const reports = [];
    for (let sweep = 0; sweep < 4; sweep += 1) reports.push(await sweepDueTimers(deps, options));
    expect(reports.map((report) => [report.buckets.length, report.fired, report.lastSwept])).toEqual([
      [60, 60, '2026-11-30T10:59'],
      [60, 60, '2026-11-30T11:59'],
      [60, 60, '2026-11-30T12:59'],
      [0, 0, '2026-11-30T12:59'],
    ]);
    expect(fired.size).toBe(180);
  });
});
