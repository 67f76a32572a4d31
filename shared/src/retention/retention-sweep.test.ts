import { createLogger } from '../logger';
import {
  RetentionSweep,
  type RetentionCursorStore,
  type RetentionPhase,
  type RetentionTarget,
} from './retention-sweep';

const logger = createLogger({ name: 'retention-test', level: 'silent' });

/** Documents by due day of each phase, as a store would index them. */
class InMemoryTarget implements RetentionTarget {
  readonly name = 'things';
  readonly phases: readonly RetentionPhase[] = ['minimise', 'delete'];
  readonly docs = new Map<string, { minimiseOn?: string; deleteOn: string }>();
  readonly queried: string[] = [];
  /** Ids whose writes always lose (someone changes them under the sweep). */
  readonly contended = new Set<string>();

  async due(phase: RetentionPhase, day: string, limit: number): Promise<string[]> {
    this.queried.push(`${phase} ${day}`);
    const field = phase === 'minimise' ? 'minimiseOn' : 'deleteOn';
    return [...this.docs]
      .filter(([, d]) => d[field] === day)
      .map(([id]) => id)
      .slice(0, limit);
  }

  async apply(phase: RetentionPhase, day: string, id: string): Promise<'done' | 'skipped'> {
    const doc = this.docs.get(id);
    if (!doc || this.contended.has(id)) return 'skipped';
    if (phase === 'minimise' && doc.minimiseOn === day) delete doc.minimiseOn;
    else if (phase === 'delete' && doc.deleteOn === day) this.docs.delete(id);
    else return 'skipped';
    return 'done';
  }
}

class InMemoryCursors implements RetentionCursorStore {
  readonly days = new Map<string, string>();
  async lastSwept(key: string) {
    return this.days.get(key);
  }
  async advance(key: string, from: string | undefined, to: string) {
    if (this.days.get(key) !== from) return false;
    this.days.set(key, to);
    return true;
  }
}

function sweepAt(target: InMemoryTarget, cursors: InMemoryCursors, iso: string, maxDaysPerSweep = 400) {
  return new RetentionSweep({
    targets: [target],
    cursors,
    clock: { now: () => new Date(iso) },
    logger,
    maxDaysPerSweep,
    batchSize: 2,
  }).sweepOnce();
}

describe('The retention sweep', () => {
  it('When the sweep was down for days, then the next one covers each missed day and moves the cursor to today', async () => {
    const target = new InMemoryTarget();
    const cursors = new InMemoryCursors();
    await sweepAt(target, cursors, '2026-06-01T08:00:00Z');
    expect(cursors.days.get('things.minimise')).toBe('2026-06-01');
    target.docs.set('a', { minimiseOn: '2026-06-03', deleteOn: '2031-06-03' });
    target.docs.set('b', { minimiseOn: '2026-06-05', deleteOn: '2031-06-05' });
    target.docs.set('later', { minimiseOn: '2026-06-20', deleteOn: '2031-06-20' });
    target.queried.length = 0;

    const [minimise] = await sweepAt(target, cursors, '2026-06-10T08:00:00Z');
    expect(minimise).toMatchObject({ phase: 'minimise', daysSwept: 9, examined: 2, applied: 2 });
    expect(target.docs.get('a')!.minimiseOn).toBeUndefined();
    expect(target.docs.get('b')!.minimiseOn).toBeUndefined();
    expect(target.docs.get('later')!.minimiseOn).toBe('2026-06-20');
    expect(cursors.days.get('things.minimise')).toBe('2026-06-10');
    expect(target.queried.filter((q) => q.startsWith('minimise'))[0]).toBe('minimise 2026-06-02');
  });

  it('When run twice, then the second sweep finds nothing due and changes nothing', async () => {
    const target = new InMemoryTarget();
    const cursors = new InMemoryCursors();
    cursors.days.set('things.minimise', '2026-06-01');
    cursors.days.set('things.delete', '2026-06-01');
    for (let i = 0; i < 5; i++) target.docs.set(`d${i}`, { minimiseOn: '2026-06-02', deleteOn: '2032-06-02' });
    await sweepAt(target, cursors, '2026-06-02T08:00:00Z');
    const after = JSON.stringify([...target.docs]);
    cursors.days.set('things.minimise', '2026-06-01');
    const [again] = await sweepAt(target, cursors, '2026-06-02T08:00:00Z');
    expect(again).toMatchObject({ examined: 0, applied: 0 });
    expect(JSON.stringify([...target.docs])).toBe(after);
  });

  it('When catching up more days than one sweep may cover, then it stops at the bound and the next sweep goes on', async () => {
    const target = new InMemoryTarget();
    const cursors = new InMemoryCursors();
    cursors.days.set('things.minimise', '2026-01-01');
    cursors.days.set('things.delete', '2026-01-01');
    await sweepAt(target, cursors, '2026-06-10T08:00:00Z', 30);
    expect(cursors.days.get('things.minimise')).toBe('2026-01-31');
    await sweepAt(target, cursors, '2026-06-10T08:00:00Z', 30);
    expect(cursors.days.get('things.minimise')).toBe('2026-03-02');
  });

  it('When a due document cannot be done (it keeps changing), then the cursor stays before its day for the next sweep', async () => {
    const target = new InMemoryTarget();
    const cursors = new InMemoryCursors();
    cursors.days.set('things.minimise', '2026-06-01');
    cursors.days.set('things.delete', '2026-06-01');
    target.docs.set('busy', { minimiseOn: '2026-06-03', deleteOn: '2032-06-03' });
    target.contended.add('busy');
    const [minimise] = await sweepAt(target, cursors, '2026-06-05T08:00:00Z');
    expect(minimise).toMatchObject({ stoppedAt: '2026-06-03', daysSwept: 1 });
    expect(cursors.days.get('things.minimise')).toBe('2026-06-02');
    target.contended.clear();
    await sweepAt(target, cursors, '2026-06-05T08:00:00Z');
    expect(target.docs.get('busy')!.minimiseOn).toBeUndefined();
    expect(cursors.days.get('things.minimise')).toBe('2026-06-05');
  });
});
