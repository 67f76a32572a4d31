import { createLogger } from '../logger';
import {
  RetentionSweep,
  type RetentionCursorStore,
  type RetentionPhase,
  type RetentionTarget,
} from './retention-sweep';
import { listDueDays, type RetentionDayListPart, type RetentionDayLists } from './retention-day-lists';

const logger = createLogger({ name: 'retention-test', level: 'silent' });

/** The day lists as the store keeps them: ids per (collection, phase, day), in parts of `partSize`. */
class InMemoryDayLists implements RetentionDayLists {
  readonly parts = new Map<string, RetentionDayListPart>();
  readonly read_: string[] = [];
  constructor(private readonly partSize = 2) {}
  async add(collection: string, phase: RetentionPhase, day: string, id: string) {
    for (let part = 0; ; part += 1) {
      const listId = `${collection}:${phase}:${day}:${part}`;
      const list = this.parts.get(listId) ?? { listId, ids: [], added: 0 };
      if (list.added >= this.partSize) continue;
      if (!list.ids.includes(id)) list.ids.push(id);
      list.added += 1;
      this.parts.set(listId, list);
      return;
    }
  }
  async read(collection: string, phase: RetentionPhase, day: string) {
    this.read_.push(`${phase} ${day}`);
    const found: RetentionDayListPart[] = [];
    for (let part = 0; this.parts.has(`${collection}:${phase}:${day}:${part}`); part += 1) {
      const list = this.parts.get(`${collection}:${phase}:${day}:${part}`)!;
      found.push({ ...list, ids: [...list.ids] });
    }
    return found;
  }
  async drop(part: RetentionDayListPart) {
    if (this.parts.get(part.listId)?.added !== part.added) return false;
    this.parts.delete(part.listId);
    return true;
  }
}

/** Documents with their due days; every day set is listed first, as the stores do. */
class InMemoryTarget implements RetentionTarget {
  readonly name = 'things';
  readonly phases: readonly RetentionPhase[] = ['minimise', 'delete'];
  readonly docs = new Map<string, { minimiseOn?: string; deleteOn: string }>();
  /** Ids whose writes always lose (someone changes them under the sweep). */
  readonly contended = new Set<string>();
  constructor(readonly lists: InMemoryDayLists) {}
  async put(id: string, days: { minimiseOn: string; deleteOn: string }) {
    await listDueDays(this.lists, this.name, id, days, this.docs.get(id));
    this.docs.set(id, { ...days });
  }
  async isDue(phase: RetentionPhase, day: string, id: string) {
    const doc = this.docs.get(id);
    return (phase === 'minimise' ? doc?.minimiseOn : doc?.deleteOn) === day;
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
    lists: target.lists,
    clock: { now: () => new Date(iso) },
    logger,
    maxDaysPerSweep,
  }).sweepOnce();
}

describe('The retention sweep', () => {
  it('When the sweep was down for days, then the next one covers each missed day and moves the cursor to today', async () => {
    const target = new InMemoryTarget(new InMemoryDayLists());
    const cursors = new InMemoryCursors();
    await sweepAt(target, cursors, '2026-06-01T08:00:00Z');
    expect(cursors.days.get('things.minimise')).toBe('2026-06-01');
    await target.put('a', { minimiseOn: '2026-06-03', deleteOn: '2031-06-03' });
    await target.put('b', { minimiseOn: '2026-06-05', deleteOn: '2031-06-05' });
    await target.put('later', { minimiseOn: '2026-06-20', deleteOn: '2031-06-20' });
    target.lists.read_.length = 0;

    const [minimise] = await sweepAt(target, cursors, '2026-06-10T08:00:00Z');
    expect(minimise).toMatchObject({ phase: 'minimise', daysSwept: 9, examined: 2, applied: 2 });
    expect(target.docs.get('a')!.minimiseOn).toBeUndefined();
    expect(target.docs.get('b')!.minimiseOn).toBeUndefined();
    expect(target.docs.get('later')!.minimiseOn).toBe('2026-06-20');
    expect(cursors.days.get('things.minimise')).toBe('2026-06-10');
    expect(target.lists.read_.filter((q) => q.startsWith('minimise'))[0]).toBe('minimise 2026-06-02');
  });

  it('When run twice, then the second sweep finds nothing due and changes nothing', async () => {
    const target = new InMemoryTarget(new InMemoryDayLists());
    const cursors = new InMemoryCursors();
    cursors.days.set('things.minimise', '2026-06-01');
    cursors.days.set('things.delete', '2026-06-01');
    for (let i = 0; i < 5; i++) await target.put(`d${i}`, { minimiseOn: '2026-06-02', deleteOn: '2032-06-02' });
    await sweepAt(target, cursors, '2026-06-02T08:00:00Z');
    const after = JSON.stringify([...target.docs]);
    cursors.days.set('things.minimise', '2026-06-01');
    const [again] = await sweepAt(target, cursors, '2026-06-02T08:00:00Z');
    expect(again).toMatchObject({ examined: 0, applied: 0 });
    expect(JSON.stringify([...target.docs])).toBe(after);
  });

  it('When catching up more days than one sweep may cover, then it stops at the bound and the next sweep goes on', async () => {
    const target = new InMemoryTarget(new InMemoryDayLists());
    const cursors = new InMemoryCursors();
    cursors.days.set('things.minimise', '2026-01-01');
    cursors.days.set('things.delete', '2026-01-01');
    await sweepAt(target, cursors, '2026-06-10T08:00:00Z', 30);
    expect(cursors.days.get('things.minimise')).toBe('2026-01-31');
    await sweepAt(target, cursors, '2026-06-10T08:00:00Z', 30);
    expect(cursors.days.get('things.minimise')).toBe('2026-03-02');
  });

  it('When a due document cannot be done (it keeps changing), then the cursor stays before its day for the next sweep', async () => {
    const target = new InMemoryTarget(new InMemoryDayLists());
    const cursors = new InMemoryCursors();
    cursors.days.set('things.minimise', '2026-06-01');
    cursors.days.set('things.delete', '2026-06-01');
    await target.put('busy', { minimiseOn: '2026-06-03', deleteOn: '2032-06-03' });
    target.contended.add('busy');
    const [minimise] = await sweepAt(target, cursors, '2026-06-05T08:00:00Z');
    expect(minimise).toMatchObject({ stoppedAt: '2026-06-03', daysSwept: 1 });
    expect(cursors.days.get('things.minimise')).toBe('2026-06-02');
    expect(target.lists.parts.has('things:minimise:2026-06-03:0')).toBe(true);
    target.contended.clear();
    await sweepAt(target, cursors, '2026-06-05T08:00:00Z');
    expect(target.docs.get('busy')!.minimiseOn).toBeUndefined();
    expect(cursors.days.get('things.minimise')).toBe('2026-06-05');
  });

  it("When a document moved to a later day, or was listed but never written (a crash), then its old entry is skipped after the re-check and the day's list goes", async () => {
    const target = new InMemoryTarget(new InMemoryDayLists());
    const cursors = new InMemoryCursors();
    cursors.days.set('things.minimise', '2026-06-01');
    cursors.days.set('things.delete', '2026-06-01');
    await target.put('moved', { minimiseOn: '2026-06-03', deleteOn: '2032-06-03' });
    await target.put('moved', { minimiseOn: '2026-06-09', deleteOn: '2032-06-09' });
    await target.lists.add('things', 'minimise', '2026-06-03', 'never-written');

    const [minimise] = await sweepAt(target, cursors, '2026-06-05T08:00:00Z');
    expect(minimise).toMatchObject({ examined: 2, applied: 0 });
    expect(minimise!.stoppedAt).toBeUndefined();
    expect(target.docs.get('moved')!.minimiseOn).toBe('2026-06-09');
    expect([...target.lists.parts.keys()].filter((k) => k.startsWith('things:minimise'))).toEqual([
      'things:minimise:2026-06-09:0',
    ]);

    await sweepAt(target, cursors, '2026-06-09T08:00:00Z');
    expect(target.docs.get('moved')!.minimiseOn).toBeUndefined();
  });

  it('When a day lists more ids than one list part holds, then every part is read, each document done, and all parts dropped', async () => {
    const target = new InMemoryTarget(new InMemoryDayLists(2));
    const cursors = new InMemoryCursors();
    cursors.days.set('things.minimise', '2026-06-01');
    cursors.days.set('things.delete', '2026-06-01');
    for (let i = 0; i < 5; i++) await target.put(`d${i}`, { minimiseOn: '2026-06-02', deleteOn: '2032-06-02' });
    expect(target.lists.parts.has('things:minimise:2026-06-02:2')).toBe(true);

    const [minimise] = await sweepAt(target, cursors, '2026-06-02T08:00:00Z');
    expect(minimise).toMatchObject({ examined: 5, applied: 5 });
    expect([...target.docs.values()].every((d) => d.minimiseOn === undefined)).toBe(true);
    expect([...target.lists.parts.keys()].some((k) => k.startsWith('things:minimise'))).toBe(false);
  });

  it('When an id is listed on a day while that day is swept, then the list is not dropped under it and the new id is done too', async () => {
    const lists = new InMemoryDayLists(10);
    const target = new InMemoryTarget(lists);
    const cursors = new InMemoryCursors();
    cursors.days.set('things.minimise', '2026-06-01');
    cursors.days.set('things.delete', '2026-06-01');
    await target.put('first', { minimiseOn: '2026-06-02', deleteOn: '2032-06-02' });
    // A writer whose clock lags lists one more document on the day while the sweep acts on the first.
    const apply = target.apply.bind(target);
    let added = false;
    target.apply = async (phase, day, id) => {
      if (!added) {
        added = true;
        await target.put('late', { minimiseOn: '2026-06-02', deleteOn: '2032-06-02' });
      }
      return apply(phase, day, id);
    };

    const [minimise] = await sweepAt(target, cursors, '2026-06-02T08:00:00Z');
    expect(minimise).toMatchObject({ applied: 2 });
    expect(target.docs.get('late')!.minimiseOn).toBeUndefined();
    expect(lists.parts.size).toBe(1); // the delete day's list only
  });
});
