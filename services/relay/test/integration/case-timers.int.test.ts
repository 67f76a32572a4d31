import { MongoCaseTimerStore } from '@privacy-relay/relay/adapters/mongo/case-timer-store';
import type { DueTimer, FireTimer } from '@privacy-relay/relay/application/case-timer-ports';
import { sweepDueTimers, type SweepDueTimersOptions } from '@privacy-relay/relay/application/sweep-due-timers';
import { Schema, type Connection } from 'mongoose';
import { connectTestDatabase, discardTestDatabase, testLogger, testNamespace } from '../../../../test/support/test-env';

/** A clock the test moves; every store and sweep of a test reads the same one. */
function movableClock(at: string) {
  let now = new Date(at);
  return { now: () => now, set: (next: string) => (now = new Date(next)) };
}

const options: SweepDueTimersOptions = { leaseMs: 60_000, maxBuckets: 60, firstSweepLookback: 60, concurrency: 8 };
const logger = testLogger('case-timers');

async function inBatches<T>(items: readonly T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += size)
    await Promise.all(items.slice(start, start + size).map(work));
}

describe('Durable case timers on the MongoDB-compatible store', () => {
  const connections: Connection[] = [];

  /** A test's own database; a second connection to it stands for a second relay instance. */
  async function database(label: string) {
    const ns = testNamespace(label);
    const connect = async () => {
      const connection = await connectTestDatabase(ns.dbName, logger);
      connections.push(connection);
      return connection;
    };
    return { connect };
  }

  afterAll(async () => {
    await discardTestDatabase(connections[0]);
    for (const connection of connections.slice(1)) await connection.close();
  });

  it('When two sweepers on two connections race over 1,000 due timers, then each timer fires exactly once and all end fired', async () => {
    const db = await database('timersrace');
    const clock = movableClock('2026-11-30T10:00:00Z');
    const first = new MongoCaseTimerStore(await db.connect(), clock);
    const second = new MongoCaseTimerStore(await db.connect(), clock);
    await first.recordSwept('2026-11-30T09:59');
    const caseIds = Array.from({ length: 1000 }, (_, i) => `race-case-${i}`);
    // Due over three minutes, scheduled through both instances.
    await inBatches(caseIds, 25, (caseId) => {
      const i = Number(caseId.split('-').at(-1));
      const store = i % 2 === 0 ? first : second;
      return store.schedule(caseId, 'reminder', new Date(Date.parse('2026-11-30T10:00:05Z') + (i % 3) * 60_000), { i });
    });

    clock.set('2026-11-30T10:03:30Z');
    const fires: string[] = [];
    const fire: FireTimer = async (timer) => void fires.push(timer.timerId);
    const reports = await Promise.all([
      sweepDueTimers({ store: first, clock, fire }, options),
      sweepDueTimers({ store: second, clock, fire }, options),
    ]);
    // A sweep that met the other's live claims looks at the bucket again next time; nothing is left to fire then.
    const settle = await sweepDueTimers({ store: first, clock, fire }, options);

    expect(fires).toHaveLength(1000);
    expect(new Set(fires).size).toBe(1000);
    expect(reports[0]!.fired + reports[1]!.fired).toBe(1000);
    expect(settle).toMatchObject({ fired: 0, busy: 0, lastSwept: '2026-11-30T10:02' });
    expect(await first.timers.countDocuments({ state: 'fired' })).toBe(1000);
  });

  it('When a sweeper dies holding a claim, then the timer is not fired while the claim lasts and fires exactly once after it expires', async () => {
    const db = await database('timersclaim');
    const clock = movableClock('2026-11-30T10:00:00Z');
    const store = new MongoCaseTimerStore(await db.connect(), clock);
    await store.recordSwept('2026-11-30T09:59');
    await store.schedule('claim-case-1', 'reminder', new Date('2026-11-30T10:00:20Z'), {});
    await store.schedule('claim-case-2', 'reminder', new Date('2026-11-30T10:00:40Z'), {});
    clock.set('2026-11-30T10:01:05Z');
    // The dead sweeper: it closed the bucket and claimed the first timer, then was killed.
    await store.closeBucket('2026-11-30T10:00');
    expect(await store.claim('claim-case-1:reminder', '2026-11-30T10:00', clock.now(), 60_000)).toMatchObject({
      claimed: true,
    });

    // A restarted relay: a new connection, a new store.
    const restarted = new MongoCaseTimerStore(await db.connect(), clock);
    const fires: DueTimer[] = [];
    const fire: FireTimer = async (timer) => void fires.push(timer);
    clock.set('2026-11-30T10:02:04Z');
    expect(await sweepDueTimers({ store: restarted, clock, fire }, options)).toMatchObject({
      fired: 1,
      busy: 1,
      lastSwept: '2026-11-30T09:59',
    });
    expect(fires.map((timer) => timer.timerId)).toEqual(['claim-case-2:reminder']);

    clock.set('2026-11-30T10:02:05Z');
    expect(await sweepDueTimers({ store: restarted, clock, fire }, options)).toMatchObject({
      fired: 1,
      busy: 0,
      lastSwept: '2026-11-30T10:01',
    });
    expect(await sweepDueTimers({ store: restarted, clock, fire }, options)).toMatchObject({ fired: 0 });
    expect(fires.map((timer) => [timer.timerId, timer.fence])).toEqual([
      ['claim-case-2:reminder', 1],
      ['claim-case-1:reminder', 2],
    ]);
  });

  it('When a claim expires while its fire still runs and another sweep takes over, then the idempotent effect happens once and the stale claim cannot complete the timer, even when it finishes first', async () => {
    const db = await database('timerslease');
    const connection = await db.connect();
    const clock = movableClock('2026-11-30T10:00:00Z');
    const store = new MongoCaseTimerStore(connection, clock);
    await store.recordSwept('2026-11-30T09:59');
    await store.schedule('lease-case', 'reminder', new Date('2026-11-30T10:00:30Z'), {});
    // The kind of handler the ladder will have: it records the step on the case, once, by a
    // conditional single-document update, so a second call finds it done.
    const Cases = connection.model(
      'LeaseCase',
      new Schema({ _id: String, firedSteps: [String], effects: Number }, { versionKey: false }),
    );
    await Cases.create({ _id: 'lease-case', firedSteps: [], effects: 0 });
    const applyEffect = (timer: DueTimer) =>
      Cases.updateOne(
        { _id: timer.caseId, firedSteps: { $ne: timer.step } },
        { $push: { firedSteps: timer.step }, $inc: { effects: 1 } },
      );
    /** A fire that starts, then waits until the test lets it go on. */
    function heldFire() {
      let resume: () => void = () => undefined;
      let started: () => void = () => undefined;
      const running = new Promise<void>((resolve) => (started = resolve));
      const fire: FireTimer = async (timer) => {
        started();
        await new Promise<void>((resolve) => (resume = resolve));
        await applyEffect(timer);
      };
      return { fire, running, resume: () => resume() };
    }
    const stalled = heldFire();
    const takingOver = heldFire();
    clock.set('2026-11-30T10:01:00Z');
    const stalledSweep = sweepDueTimers({ store, clock, fire: stalled.fire }, options);
    await stalled.running;
    // Its lease (60 s) runs out; another sweep claims the timer and starts firing it.
    clock.set('2026-11-30T10:02:00Z');
    const takeoverSweep = sweepDueTimers({ store, clock, fire: takingOver.fire }, options);
    await takingOver.running;
    // The stalled fire finishes first: its effect lands, its completion is refused.
    stalled.resume();
    const late = await stalledSweep;
    takingOver.resume();
    const takeover = await takeoverSweep;

    expect(late).toMatchObject({ fired: 0, lostClaims: 1 });
    expect(takeover).toMatchObject({ fired: 1, lostClaims: 0 });
    expect(await Cases.findById('lease-case').lean()).toMatchObject({ firedSteps: ['reminder'], effects: 1 });
    expect(await store.timers.findById('lease-case:reminder').lean()).toMatchObject({ state: 'fired', fence: 2 });
  });

  it('When a case is cancelled before its timers are due, then they never fire, while another case due in the same minute does, and a later schedule for it is refused', async () => {
    const db = await database('timerscancel');
    const clock = movableClock('2026-11-30T10:00:00Z');
    const store = new MongoCaseTimerStore(await db.connect(), clock);
    await store.recordSwept('2026-11-30T09:59');
    await store.schedule('cancel-case', 'reminder', new Date('2026-11-30T10:00:10Z'), {});
    await store.schedule('cancel-case', 'all-admins', new Date('2026-11-30T10:01:10Z'), {});
    await store.schedule('other-case', 'reminder', new Date('2026-11-30T10:00:20Z'), {});

    expect(await store.cancelForCase('cancel-case')).toBe(2);
    expect(await store.schedule('cancel-case', 'platform-team', new Date('2026-11-30T10:00:30Z'), {})).toBe(
      'cancelled',
    );
    expect(await store.cancelForCase('cancel-case')).toBe(0);

    clock.set('2026-11-30T10:05:00Z');
    const fires: string[] = [];
    expect(
      await sweepDueTimers({ store, clock, fire: async (timer) => void fires.push(timer.timerId) }, options),
    ).toMatchObject({
      fired: 1,
      lastSwept: '2026-11-30T10:04',
    });
    expect(fires).toEqual(['other-case:reminder']);
    expect(await store.timers.find({ caseId: 'cancel-case' }, { _id: 1, state: 1 }).sort({ _id: 1 }).lean()).toEqual([
      { _id: 'cancel-case:all-admins', state: 'cancelled' },
      { _id: 'cancel-case:reminder', state: 'cancelled' },
    ]);
  });

  it('When a timer is scheduled again, then a pending one moves (and fires only at its new time), a repeat changes nothing, and a fired one stays fired', async () => {
    const db = await database('timersmove');
    const clock = movableClock('2026-11-30T10:00:00Z');
    const store = new MongoCaseTimerStore(await db.connect(), clock);
    await store.recordSwept('2026-11-30T09:59');
    expect(await store.schedule('move-case', 'reminder', new Date('2026-11-30T10:00:30Z'), { rung: 1 })).toBe(
      'scheduled',
    );
    expect(await store.schedule('move-case', 'reminder', new Date('2026-11-30T10:00:30Z'), { rung: 1 })).toBe(
      'unchanged',
    );
    expect(await store.schedule('move-case', 'reminder', new Date('2026-11-30T10:03:30Z'), { rung: 2 })).toBe('moved');
    const fires: DueTimer[] = [];
    const fire: FireTimer = async (timer) => void fires.push(timer);

    clock.set('2026-11-30T10:03:00Z');
    expect(await sweepDueTimers({ store, clock, fire }, options)).toMatchObject({
      fired: 0,
      lastSwept: '2026-11-30T10:02',
    });
    clock.set('2026-11-30T10:04:00Z');
    expect(await sweepDueTimers({ store, clock, fire }, options)).toMatchObject({
      fired: 1,
      lastSwept: '2026-11-30T10:03',
    });
    expect(fires).toMatchObject([{ timerId: 'move-case:reminder', payload: { rung: 2 } }]);
    expect(await store.schedule('move-case', 'reminder', new Date('2026-11-30T10:09:00Z'), { rung: 3 })).toBe('fired');
  });

  it('When a timer is scheduled for a minute already swept, then it goes to a minute still open and fires with the next sweep', async () => {
    const db = await database('timerslate');
    const clock = movableClock('2026-11-30T10:05:10Z');
    const store = new MongoCaseTimerStore(await db.connect(), clock);
    await store.recordSwept('2026-11-30T09:59');
    const fires: string[] = [];
    const fire: FireTimer = async (timer) => void fires.push(timer.timerId);
    expect(await sweepDueTimers({ store, clock, fire }, options)).toMatchObject({
      fired: 0,
      lastSwept: '2026-11-30T10:04',
    });

    expect(await store.schedule('late-case', 'reminder', new Date('2026-11-30T10:01:00Z'), {})).toBe('scheduled');
    expect(await store.timers.findById('late-case:reminder').lean()).toMatchObject({ dueBucket: '2026-11-30T10:05' });
    clock.set('2026-11-30T10:06:00Z');
    expect(await sweepDueTimers({ store, clock, fire }, options)).toMatchObject({
      fired: 1,
      lastSwept: '2026-11-30T10:05',
    });
    expect(fires).toEqual(['late-case:reminder']);
  });

  it('When the relay was down for three hours, then a restarted one sweeps every missed minute from its stored cursor, a bounded number per sweep, and fires each timer once', async () => {
    const db = await database('timerscatchup');
    const clock = movableClock('2026-11-30T10:00:00Z');
    const before = new MongoCaseTimerStore(await db.connect(), clock);
    await before.recordSwept('2026-11-30T09:59');
    const steps = Array.from({ length: 180 }, (_, minute) => minute);
    await inBatches(steps, 20, (minute) =>
      before.schedule(
        `catchup-case-${minute}`,
        'reminder',
        new Date(Date.parse('2026-11-30T10:00:15Z') + minute * 60_000),
        {},
      ),
    );
    const fires: string[] = [];
    const fire: FireTimer = async (timer) => void fires.push(timer.timerId);
    clock.set('2026-11-30T10:30:00Z');
    expect(await sweepDueTimers({ store: before, clock, fire }, options)).toMatchObject({
      fired: 30,
      lastSwept: '2026-11-30T10:29',
    });

    // Down from 10:30 to 13:00; a new instance with a new connection comes up.
    clock.set('2026-11-30T13:00:00Z');
    const after = new MongoCaseTimerStore(await db.connect(), clock);
    const reports = [];
    for (let sweep = 0; sweep < 4; sweep += 1)
      reports.push(await sweepDueTimers({ store: after, clock, fire }, options));
    expect(reports.map((report) => [report.buckets.length, report.fired, report.lastSwept])).toEqual([
      [60, 60, '2026-11-30T11:29'],
      [60, 60, '2026-11-30T12:29'],
      [30, 30, '2026-11-30T12:59'],
      [0, 0, '2026-11-30T12:59'],
    ]);
    expect(fires).toHaveLength(180);
    expect(new Set(fires).size).toBe(180);
  });
});
