import { AppError } from '@privacy-relay/shared/errors';
import { isDuplicateKeyError } from '@privacy-relay/shared/mongo';
import { isDeepStrictEqual } from 'node:util';
import { Schema, type Connection, type Model } from 'mongoose';
import type { CaseTimerStore, ClaimResult, ScheduleOutcome } from '../../application/case-timer-ports';
import type { Clock } from '../../application/ports';
import {
  bucketAfter,
  caseTimerId,
  dueBucketOf,
  unclaimedOutcome,
  type CaseTimer,
  type CaseTimerState,
  type TimerPayload,
} from '../../domain/timer';

/**
 * Durable case timers on the MongoDB-compatible store, read ONLY by `_id`.
 *
 * FerretDB v1 (the development store) pushes an equality on any field but `_id` down to
 * PostgreSQL as JSON containment, which no index serves: `{dueBucket, state}` scans the whole
 * collection even with an index on those fields (seen with explain: "Seq Scan"). So the ways in
 * are documents looked up by `_id`, which both FerretDB (with infra's id-index patch) and MongoDB
 * serve from the `_id` index, whatever the number of open timers:
 * - `case_timers`: one document per timer, `_id` = `${caseId}:${step}`;
 * - `case_timer_lists`: `due:<bucket>` lists the timers due in that minute, `case:<caseId>` the
 *   timers of a case, `sweep-cursor` holds the last bucket swept in full.
 * A list is written before the timer it names, and closed (sweep, cancel) before it is read, so
 * whatever is added after the close goes elsewhere and nothing written is ever missed.
 * No secondary index: no query of this store would use one (docs/escalation.md).
 */
interface TimerDocument {
  _id: string;
  caseId: string;
  step: string;
  dueAt: Date;
  dueBucket: string;
  payload: TimerPayload;
  state: CaseTimerState;
  fence: number;
  claimUntil: Date;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
  firedAt?: Date;
  cancelledAt?: Date;
}

interface ListDocument {
  _id: string;
  /** Closed: nothing more is added (a due bucket being swept, a case whose timers were cancelled). */
  closed?: boolean;
  timerIds?: string[];
  /** The sweep cursor document only: the last bucket swept in full. */
  lastSwept?: string;
}

const timerSchema = new Schema<TimerDocument>(
  {
    // Every read and update is by _id (the sweep finds ids through the lists): no other index.
    _id: { type: String, required: true },
    caseId: { type: String, required: true },
    step: { type: String, required: true },
    dueAt: { type: Date, required: true },
    dueBucket: { type: String, required: true },
    payload: { type: Schema.Types.Mixed, required: true },
    state: { type: String, required: true },
    fence: { type: Number, required: true },
    claimUntil: { type: Date, required: true },
    attempts: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    firedAt: Date,
    cancelledAt: Date,
  },
  { collection: 'case_timers', versionKey: false, minimize: false },
);

const listSchema = new Schema<ListDocument>(
  {
    // Read and written by _id only.
    _id: { type: String, required: true },
    closed: Boolean,
    timerIds: [String],
    lastSwept: String,
  },
  { collection: 'case_timer_lists', versionKey: false },
);

const UNCLAIMED = new Date(0);
const CURSOR_ID = 'sweep-cursor';
/** Attempts at a write that races with others (a list closed meanwhile, a document created meanwhile). */
const MAX_RACES = 8;

export const dueListId = (bucket: string): string => `due:${bucket}`;
export const caseListId = (caseId: string): string => `case:${caseId}`;

function toTimer(document: TimerDocument): CaseTimer {
  return {
    timerId: document._id,
    caseId: document.caseId,
    step: document.step,
    dueAt: document.dueAt,
    dueBucket: document.dueBucket,
    payload: document.payload,
    state: document.state,
    fence: document.fence,
    claimUntil: document.claimUntil,
    attempts: document.attempts,
  };
}

/** A new pending timer's document, as `schedule` writes it (the bench inserts open timers in this shape). */
export function pendingTimerDocument(
  caseId: string,
  step: string,
  dueAt: Date,
  dueBucket: string,
  payload: TimerPayload,
  now: Date,
): TimerDocument {
  return {
    _id: caseTimerId(caseId, step),
    caseId,
    step,
    dueAt,
    dueBucket,
    payload: JSON.parse(JSON.stringify(payload)) as TimerPayload,
    state: 'pending',
    fence: 0,
    claimUntil: UNCLAIMED,
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  };
}

function raceLost(what: string): AppError {
  return new AppError('TIMER_WRITE_CONTENDED', `${what}: too many concurrent writers, try again`, { retriable: true });
}

export class MongoCaseTimerStore implements CaseTimerStore {
  readonly timers: Model<TimerDocument>;
  readonly lists: Model<ListDocument>;

  constructor(
    connection: Connection,
    private readonly clock: Clock,
  ) {
    this.timers = connection.model<TimerDocument>('CaseTimer', timerSchema);
    this.lists = connection.model<ListDocument>('CaseTimerList', listSchema);
  }

  async schedule(caseId: string, step: string, dueAt: Date, payload: TimerPayload): Promise<ScheduleOutcome> {
    const timerId = caseTimerId(caseId, step);
    const storedPayload = JSON.parse(JSON.stringify(payload)) as TimerPayload;
    // The case's list first: cancelForCase closes it before reading it, so a timer is either
    // listed there (and cancelled) or refused here.
    if (!(await this.addToOpenList(caseListId(caseId), timerId))) return 'cancelled';
    for (let attempt = 0; attempt < MAX_RACES; attempt += 1) {
      const existing = await this.timers.findById(timerId).lean<TimerDocument>();
      if (existing && existing.state !== 'pending') return existing.state;
      if (
        existing &&
        existing.dueAt.getTime() === dueAt.getTime() &&
        existing.dueBucket >= dueBucketOf(dueAt) &&
        isDeepStrictEqual(existing.payload, storedPayload)
      ) {
        return 'unchanged';
      }
      // The due list before the timer: a timer is always in the list of the bucket it names.
      const now = this.clock.now();
      const dueBucket = await this.addToOpenDueList(dueBucketOf(dueAt), timerId, now);
      if (!existing) {
        try {
          await this.timers.create(pendingTimerDocument(caseId, step, dueAt, dueBucket, storedPayload, now));
          return 'scheduled';
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
          continue;
        }
      }
      const moved = await this.timers.updateOne(
        { _id: timerId, state: 'pending', fence: existing.fence },
        { $set: { dueAt, dueBucket, payload: storedPayload, updatedAt: now } },
      );
      if (moved.matchedCount === 1) return 'moved';
    }
    throw raceLost('scheduling a case timer');
  }

  async cancelForCase(caseId: string): Promise<number> {
    const timerIds = await this.closeList(caseListId(caseId));
    let cancelled = 0;
    for (const timerId of timerIds) {
      if (await this.cancelTimer(caseId, timerId)) cancelled += 1;
    }
    return cancelled;
  }

  async lastSweptBucket(): Promise<string | undefined> {
    return (await this.lists.findById(CURSOR_ID).lean<ListDocument>())?.lastSwept;
  }

  async recordSwept(bucket: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_RACES; attempt += 1) {
      const moved = await this.lists.updateOne(
        { _id: CURSOR_ID, lastSwept: { $lt: bucket } },
        { $set: { lastSwept: bucket } },
      );
      if (moved.matchedCount === 1) return;
      try {
        await this.lists.create({ _id: CURSOR_ID, lastSwept: bucket });
        return;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      // It exists: at or beyond `bucket` already (done), or moved back meanwhile (never: try again).
      const cursor = await this.lastSweptBucket();
      if (cursor !== undefined && cursor >= bucket) return;
    }
    throw raceLost('recording the sweep cursor');
  }

  closeBucket(bucket: string): Promise<string[]> {
    return this.closeList(dueListId(bucket));
  }

  async claim(timerId: string, bucket: string, now: Date, leaseMs: number): Promise<ClaimResult> {
    const claimed = await this.timers
      .findOneAndUpdate(
        { _id: timerId, state: 'pending', dueBucket: bucket, claimUntil: { $lte: now } },
        { $inc: { fence: 1 }, $set: { claimUntil: new Date(now.getTime() + leaseMs), updatedAt: now } },
        { returnDocument: 'after' },
      )
      .lean<TimerDocument>();
    if (claimed) return { claimed: true, timer: toTimer(claimed) };
    const current = await this.timers.findById(timerId).lean<TimerDocument>();
    const outcome = unclaimedOutcome(current ? toTimer(current) : undefined, bucket, now);
    // Claimable by now: another sweep released it in between; the next sweep takes it.
    return { claimed: false, outcome: outcome === 'claimable' ? 'busy' : outcome };
  }

  async complete(timerId: string, fence: number, at: Date): Promise<boolean> {
    const result = await this.timers.updateOne(
      { _id: timerId, state: 'pending', fence },
      { $set: { state: 'fired', firedAt: at, claimUntil: UNCLAIMED, updatedAt: at } },
    );
    return result.matchedCount === 1;
  }

  async retryLater(timerId: string, fence: number, retryAt: Date, now: Date): Promise<boolean> {
    const dueBucket = await this.addToOpenDueList(dueBucketOf(retryAt), timerId, now);
    const result = await this.timers.updateOne(
      { _id: timerId, state: 'pending', fence },
      { $set: { dueAt: retryAt, dueBucket, claimUntil: UNCLAIMED, updatedAt: now }, $inc: { attempts: 1 } },
    );
    return result.matchedCount === 1;
  }

  /** Adds to the due list of `bucket`, or of the first later bucket still open; resolves with the bucket used. */
  private async addToOpenDueList(bucket: string, timerId: string, now: Date): Promise<string> {
    let candidate = bucket;
    for (let attempt = 0; attempt < MAX_RACES; attempt += 1) {
      if (await this.addToOpenList(dueListId(candidate), timerId)) return candidate;
      // Swept already (a past due time, a retry): the current minute, or the next one when a
      // sweeper whose clock runs ahead closed that too.
      const current = dueBucketOf(now);
      const next = bucketAfter(candidate);
      candidate = next > current ? next : current;
    }
    throw raceLost('listing a case timer in a due bucket');
  }

  /** Adds the id to the list unless the list is closed; false when it is. */
  private async addToOpenList(listId: string, timerId: string): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_RACES; attempt += 1) {
      const added = await this.lists.updateOne({ _id: listId, closed: false }, { $addToSet: { timerIds: timerId } });
      if (added.matchedCount === 1) return true;
      try {
        await this.lists.create({ _id: listId, closed: false, timerIds: [timerId] });
        return true;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const list = await this.lists.findById(listId, { closed: 1 }).lean<ListDocument>();
      if (list?.closed) return false;
    }
    throw raceLost('adding to a case timer list');
  }

  /** Closes the list (creating it closed when absent) and resolves with the ids it holds. */
  private async closeList(listId: string): Promise<string[]> {
    for (let attempt = 0; attempt < MAX_RACES; attempt += 1) {
      const list = await this.lists
        .findOneAndUpdate({ _id: listId }, { $set: { closed: true } }, { returnDocument: 'after' })
        .lean<ListDocument>();
      if (list) return list.timerIds ?? [];
      try {
        await this.lists.create({ _id: listId, closed: true, timerIds: [] });
        return [];
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
    throw raceLost('closing a case timer list');
  }

  /** Cancels one listed timer; a timer not written yet gets a cancelled tombstone, so its schedule cannot revive it. */
  private async cancelTimer(caseId: string, timerId: string): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_RACES; attempt += 1) {
      const now = this.clock.now();
      const result = await this.timers.updateOne(
        { _id: timerId, state: 'pending' },
        { $set: { state: 'cancelled', cancelledAt: now, claimUntil: UNCLAIMED, updatedAt: now } },
      );
      if (result.matchedCount === 1) return true;
      const existing = await this.timers.findById(timerId, { state: 1 }).lean<Pick<TimerDocument, 'state'>>();
      if (existing) return false; // fired or cancelled already
      try {
        await this.timers.create({
          ...pendingTimerDocument(caseId, timerId.slice(caseId.length + 1), now, '', {}, now),
          state: 'cancelled',
          cancelledAt: now,
        });
        return false;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
    throw raceLost('cancelling a case timer');
  }
}
