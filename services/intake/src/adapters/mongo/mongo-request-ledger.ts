import { createHmac } from 'node:crypto';
import { BatchedInserts, type BatchedInsertsOptions } from '@privacy-relay/shared/mongo';
import {
  DEFAULT_RETENTION_POLICY,
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
// Retention's sweep deletes by `{ 'retention.deleteOn': day }` (an equality; docs/retention.md).
ledgerSchema.index({ 'retention.deleteOn': 1 });

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
  }

  async claim(entry: LedgerEntry): Promise<{ entry: LedgerEntry; created: boolean }> {
    const storedKey = this.storedKey(entry.idempotencyKey);
    const outcome = await this.claimInserts.insert({
      _id: storedKey,
      requestId: entry.requestId,
      reference: entry.reference,
      eventId: entry.eventId,
      receivedAt: entry.receivedAt,
      contentDigest: entry.contentDigest,
      createdAt: new Date(),
      retention: { deleteOn: retentionDaysAfter(entry.receivedAt, this.retention).deleteOn },
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

  async due(_phase: 'minimise' | 'delete', day: string, limit: number): Promise<string[]> {
    const documents = await this.claims.collection
      .find({ 'retention.deleteOn': day }, { projection: { _id: 1 }, limit })
      .toArray();
    return documents.map((d) => String(d._id));
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
