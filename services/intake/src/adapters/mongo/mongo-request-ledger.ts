import { createHmac } from 'node:crypto';
import { BatchedInserts, type BatchedInsertsOptions } from '@privacy-relay/shared/mongo';
import {
  DEFAULT_RETENTION_POLICY,
  MongoRetentionDayLists,
  retentionDaysAfter,
  type RetentionPolicy,
  type RetentionTarget,
} from '@privacy-relay/shared/retention';
import { Schema, type Connection, type Model } from 'mongoose';
import type { LedgerEntry, RequestLedger } from '../../application/ports';

interface LedgerDocument {
  _id: string;
  requestId: string;
  reference: string;
  eventId: string;
  receivedAt: Date;
  contentDigest?: string;
  createdAt: Date;
  /** Deleted on this day (YYYY-MM-DD); a ledger entry holds no personal data to minimise (keyed hashes only). */
  retention?: { deleteOn: string };
}

// The idempotency key (keyed hash of it) is the primary key: two concurrent claims of one key
// cannot both insert, and every read is by `_id`.
const ledgerSchema = new Schema<LedgerDocument>(
  {
    _id: { type: String, required: true },
    requestId: { type: String, required: true },
    reference: { type: String, required: true },
    eventId: { type: String, required: true },
    receivedAt: { type: Date, required: true },
    contentDigest: String,
    createdAt: { type: Date, required: true },
    retention: { deleteOn: String },
  },
  { collection: 'request_ledger', versionKey: false },
);
// No index on the day of deletion: the sweep finds a day's entries in its list (`retention_days`,
// by `_id`) and deletes each by `_id` (docs/retention.md).

/**
 * The ledger: one insert per key before publishing, group-committed; never updated (an update is a
 * read-modify-write, and FerretDB v1 serializes those per collection in our build). Whether the
 * key's event is on Kafka is told by the request's state (see `acceptRequest`), not here.
 */
export class MongoRequestLedger implements RequestLedger, RetentionTarget {
  readonly name = 'request_ledger';
  readonly phases = ['delete'] as const;
  private readonly claims: Model<LedgerDocument>;
  private readonly claimInserts: BatchedInserts<LedgerDocument>;
  /** Each entry's day of deletion is listed here before the entry is inserted. */
  private readonly dayLists: MongoRetentionDayLists;

  constructor(
    connection: Connection,
    /** Keys the stored form of idempotency keys (an email's Message-ID names hosts and people). */
    private readonly secret: string,
    groupCommit: BatchedInsertsOptions = {},
    /** Entries are deleted `deleteAfterDays` after the request was received (they are never updated). */
    private readonly retention: RetentionPolicy = DEFAULT_RETENTION_POLICY,
  ) {
    this.claims = connection.model<LedgerDocument>('RequestLedgerEntry', ledgerSchema);
    // The driver's collection directly: mongoose's document layer is not needed on this path.
    this.claimInserts = new BatchedInserts(this.claims.collection, groupCommit);
    this.dayLists = new MongoRetentionDayLists(connection);
  }

  async claim(entry: LedgerEntry): Promise<{ entry: LedgerEntry; created: boolean }> {
    const storedKey = this.storedKey(entry.idempotencyKey);
    const { deleteOn } = retentionDaysAfter(entry.receivedAt, this.retention);
    // Listed first (adds to one day's list go together): a crash before the insert leaves an
    // entry the sweep skips. A key claimed before keeps its own day, listed then.
    await this.dayLists.add(this.name, 'delete', deleteOn, storedKey);
    const outcome = await this.claimInserts.insert({
      _id: storedKey,
      requestId: entry.requestId,
      reference: entry.reference,
      eventId: entry.eventId,
      receivedAt: entry.receivedAt,
      contentDigest: entry.contentDigest,
      createdAt: new Date(),
      retention: { deleteOn },
    });
    if (outcome === 'inserted') return { entry, created: true };

    const existing = await this.claims.findById(storedKey).lean<LedgerDocument>();
    if (!existing) throw new Error('idempotency key vanished between insert and read');
    return {
      entry: {
        idempotencyKey: entry.idempotencyKey,
        requestId: existing.requestId,
        reference: existing.reference,
        eventId: existing.eventId,
        receivedAt: existing.receivedAt,
        contentDigest: existing.contentDigest,
      },
      created: false,
    };
  }

  async has(idempotencyKey: string): Promise<boolean> {
    return (await this.claims.exists({ _id: this.storedKey(idempotencyKey) })) !== null;
  }

  async isDue(_phase: 'minimise' | 'delete', day: string, id: string): Promise<boolean> {
    return (await this.claims.exists({ _id: id, 'retention.deleteOn': day })) !== null;
  }

  /** Deletes the entry if still due on `day` (a request sent again with the same key after that is a new request). */
  async apply(_phase: 'minimise' | 'delete', day: string, id: string): Promise<'done' | 'skipped'> {
    const result = await this.claims.deleteOne({ _id: id, 'retention.deleteOn': day });
    return result.deletedCount === 1 ? 'done' : 'skipped';
  }

  private storedKey(idempotencyKey: string): string {
    return createHmac('sha256', this.secret).update(`idempotency-key\n${idempotencyKey}`).digest('base64url');
  }
}
