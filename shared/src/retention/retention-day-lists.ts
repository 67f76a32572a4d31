import type { Connection } from 'mongoose';
import { isDuplicateKeyError } from '../mongo/connection';
import type { RetentionPhase } from './retention-sweep';

/**
 * Retention's due days found by `_id` (docs/retention.md). FerretDB v1, the development store,
 * serves only `_id` equalities from an index: `{ 'retention.minimiseOn': day }` reads the whole
 * table in PostgreSQL whatever index exists. So each (collection, phase, day) has a list of the ids
 * due that day, in documents of `retention_days` with `_id` `<collection>:<phase>:<day>:<part>`
 * (part 0, 1, …; at most `MAX_IDS_PER_LIST_PART` ids each). A writer lists an id before the write
 * that stores the day on the document (a crash in between leaves a stale entry the sweep skips
 * after re-checking the document's own day); the sweep reads a day's parts by `_id`, acts on each
 * listed id by `_id`, and drops the parts once the day is done.
 */
export interface RetentionDayLists {
  /** Lists `id` as due on `day`; resolves once stored. Call it before the write that sets the day. */
  add(collection: string, phase: RetentionPhase, day: string, id: string): Promise<void>;
  /** The parts of one day's list, in order (read by `_id`). */
  read(collection: string, phase: RetentionPhase, day: string): Promise<RetentionDayListPart[]>;
  /** Deletes a part read before, only if nothing was added to it since; false when something was. */
  drop(part: RetentionDayListPart): Promise<boolean>;
}

export interface RetentionDayListPart {
  listId: string;
  ids: string[];
  /** Ids ever added to this part (a re-add counts again): the guard of `drop`. */
  added: number;
}

/** The due days a write stores on a document (either may be absent: nothing to list for it). */
export interface DueDays {
  minimiseOn?: string | undefined;
  deleteOn?: string | undefined;
}

/** Lists `id` under each of its due days (both phases), before the write that stores them. */
export async function listDueDays(
  lists: RetentionDayLists,
  collection: string,
  id: string,
  days: DueDays,
  /** The days the document has now (from a read before the write): unchanged days are listed already. */
  current: DueDays = {},
): Promise<void> {
  const adds: Promise<void>[] = [];
  if (days.minimiseOn !== undefined && days.minimiseOn !== current.minimiseOn) {
    adds.push(lists.add(collection, 'minimise', days.minimiseOn, id));
  }
  if (days.deleteOn !== undefined && days.deleteOn !== current.deleteOn) {
    adds.push(lists.add(collection, 'delete', days.deleteOn, id));
  }
  await Promise.all(adds);
}

/**
 * Ids per list document. FerretDB v1 reads, checks and rewrites the whole document on every
 * `$addToSet`, under its per-collection write lock, so a part's size bounds each add's cost:
 * measured on the development machine, one add took 2.8 ms to an empty part, 52 ms to one of
 * 1,000 ids and 170 ms to one of 4,800. At 500 a day of 5,500 due ids (a million cases over six
 * months) is 11 parts, each read by `_id`.
 */
export const MAX_IDS_PER_LIST_PART = 500;

interface ListDocument {
  _id: string;
  ids: string[];
  added: number;
}

interface Waiting {
  resolve(): void;
  reject(error: unknown): void;
}

/** Attempts at finding a part with room while other writers fill the day's parts. */
const MAX_PART_ATTEMPTS = 64;

export const retentionListKey = (collection: string, phase: RetentionPhase, day: string): string =>
  `${collection}:${phase}:${day}`;

/**
 * The lists on the MongoDB-compatible store, every read and write by `_id`. Adds to the same list
 * that arrive while one is being written go together in the next `$addToSet` (`$each`), so a burst
 * of writes on one day costs a few list updates, not one each.
 */
export class MongoRetentionDayLists implements RetentionDayLists {
  private readonly pending = new Map<string, { ids: Set<string>; waiting: Waiting[] }>();
  private readonly writing = new Set<string>();
  /** The part last known to take ids, per list (a hint: saves trying the full parts first). */
  private readonly openPart = new Map<string, number>();

  constructor(
    private readonly connection: Connection,
    private readonly maxIdsPerPart = MAX_IDS_PER_LIST_PART,
  ) {}

  private get lists() {
    return this.connection.collection<ListDocument>('retention_days');
  }

  add(collection: string, phase: RetentionPhase, day: string, id: string): Promise<void> {
    const key = retentionListKey(collection, phase, day);
    return new Promise<void>((resolve, reject) => {
      let batch = this.pending.get(key);
      if (!batch) {
        batch = { ids: new Set(), waiting: [] };
        this.pending.set(key, batch);
      }
      batch.ids.add(id);
      batch.waiting.push({ resolve, reject });
      if (!this.writing.has(key)) void this.drain(key);
    });
  }

  async read(collection: string, phase: RetentionPhase, day: string): Promise<RetentionDayListPart[]> {
    const key = retentionListKey(collection, phase, day);
    const parts: RetentionDayListPart[] = [];
    for (let part = 0; ; part += 1) {
      const document = await this.lists.findOne({ _id: `${key}:${part}` });
      if (!document) return parts;
      parts.push({ listId: document._id, ids: document.ids, added: document.added });
    }
  }

  async drop(part: RetentionDayListPart): Promise<boolean> {
    const result = await this.lists.deleteOne({ _id: part.listId, added: part.added });
    return result.deletedCount === 1;
  }

  private async drain(key: string): Promise<void> {
    this.writing.add(key);
    try {
      for (let batch = this.pending.get(key); batch; batch = this.pending.get(key)) {
        this.pending.delete(key);
        try {
          const ids = [...batch.ids];
          for (let start = 0; start < ids.length; start += this.maxIdsPerPart) {
            await this.write(key, ids.slice(start, start + this.maxIdsPerPart));
          }
          batch.waiting.forEach((waiting) => waiting.resolve());
        } catch (error) {
          batch.waiting.forEach((waiting) => waiting.reject(error));
        }
      }
    } finally {
      this.writing.delete(key);
    }
  }

  /** Adds the ids to the first part (from the hint on) that has room for all of them. */
  private async write(key: string, ids: string[]): Promise<void> {
    let part = this.openPart.get(key) ?? 0;
    for (let attempt = 0; attempt < MAX_PART_ATTEMPTS; attempt += 1) {
      const listId = `${key}:${part}`;
      const added = await this.lists.updateOne(
        { _id: listId, added: { $lte: this.maxIdsPerPart - ids.length } },
        { $addToSet: { ids: { $each: ids } }, $inc: { added: ids.length } },
      );
      if (added.matchedCount === 0) {
        try {
          await this.lists.insertOne({ _id: listId, ids, added: ids.length });
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
          // There already: full for these ids (the next part), or just created by another writer (again).
          const existing = await this.lists.findOne({ _id: listId }, { projection: { added: 1 } });
          if (!existing || existing.added + ids.length > this.maxIdsPerPart) part += 1;
          continue;
        }
      }
      this.rememberOpenPart(key, part);
      return;
    }
    throw new Error(`retention list ${key}: no part with room after ${MAX_PART_ATTEMPTS} attempts`);
  }

  private rememberOpenPart(key: string, part: number): void {
    // Bounded: writes go to a few days at a time (today's activity plus the policy's offsets).
    if (this.openPart.size >= 1_000) this.openPart.clear();
    this.openPart.set(key, part);
  }
}
