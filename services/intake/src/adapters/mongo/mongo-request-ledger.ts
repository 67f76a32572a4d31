import type { RequestReceivedV1 } from '@privacy-relay/shared/events';
import { isDuplicateKeyError } from '@privacy-relay/shared/mongo';
import { Schema, type Connection, type Model } from 'mongoose';
import type { LedgerEntry, RequestLedger } from '../../application/ports';

interface LedgerDocument {
  _id: string;
  requestId: string;
  reference: string;
  event?: RequestReceivedV1;
  publishedAt?: Date;
}

const ledgerSchema = new Schema<LedgerDocument>(
  {
    // The idempotency key is the primary key: two concurrent claims of one key cannot both insert.
    _id: { type: String, required: true },
    requestId: { type: String, required: true },
    reference: { type: String, required: true },
    event: { type: Schema.Types.Mixed },
    publishedAt: Date,
  },
  { collection: 'request_ledger', versionKey: false, timestamps: true, minimize: false },
);
// Serves findByRequestId (status page, verification): one request id, one entry.
ledgerSchema.index({ requestId: 1 }, { unique: true });

/** Most keys one batched update names (keeps the statement bounded). */
const MAX_BATCH = 500;

interface PendingMark {
  at: Date;
  waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
}

export class MongoRequestLedger implements RequestLedger {
  private readonly model: Model<LedgerDocument>;
  private readonly pendingMarks = new Map<string, PendingMark>();
  private flushing = false;

  constructor(connection: Connection) {
    this.model = connection.model<LedgerDocument>('RequestLedgerEntry', ledgerSchema);
  }

  async claim(entry: LedgerEntry): Promise<{ entry: LedgerEntry; created: boolean }> {
    try {
      // The driver directly: this insert is on every request's path, mongoose's document layer is not needed.
      const now = new Date();
      await this.model.collection.insertOne({
        _id: entry.idempotencyKey,
        requestId: entry.requestId,
        reference: entry.reference,
        event: entry.event,
        createdAt: now,
        updatedAt: now,
      } as never);
      return { entry, created: true };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const existing = await this.model.findById(entry.idempotencyKey).lean<LedgerDocument>();
    if (!existing) throw new Error('idempotency key vanished between insert and read');
    return { entry: toEntry(existing), created: false };
  }

  /**
   * Resolves once the entry is marked in the database. Marks are group-committed: while one
   * update runs, the keys arriving meanwhile wait and go together in the next single
   * `updateMany`. Under load that is one statement for many requests instead of one each (an
   * update by key costs a scan on FerretDB v1, so per-key updates capped intake's throughput);
   * alone, a mark goes at once.
   */
  markPublished(idempotencyKey: string, at: Date): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const pending = this.pendingMarks.get(idempotencyKey);
      if (pending) pending.waiters.push({ resolve, reject });
      else this.pendingMarks.set(idempotencyKey, { at, waiters: [{ resolve, reject }] });
      if (!this.flushing) void this.flushMarks();
    });
  }

  private async flushMarks(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pendingMarks.size > 0) {
        const batch = [...this.pendingMarks.entries()].slice(0, MAX_BATCH);
        for (const [key] of batch) this.pendingMarks.delete(key);
        // One publishedAt per batch: the latest acknowledgement in it (they are milliseconds apart).
        const at = new Date(Math.max(...batch.map(([, mark]) => mark.at.getTime())));
        try {
          // The payload held personal data only so that a retry could re-send it; once Kafka has it, it goes.
          await this.model.updateMany(
            { _id: { $in: batch.map(([key]) => key) } },
            { $set: { publishedAt: at }, $unset: { event: 1 } },
          );
          for (const [, mark] of batch) mark.waiters.forEach((waiter) => waiter.resolve());
        } catch (error) {
          for (const [, mark] of batch) mark.waiters.forEach((waiter) => waiter.reject(error));
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  async findByRequestId(requestId: string): Promise<LedgerEntry | undefined> {
    const document = await this.model.findOne({ requestId }).lean<LedgerDocument>();
    return document ? toEntry(document) : undefined;
  }
}

function toEntry(document: LedgerDocument): LedgerEntry {
  return {
    idempotencyKey: document._id,
    requestId: document.requestId,
    reference: document.reference,
    event: document.event,
    publishedAt: document.publishedAt,
  };
}
