import { createHmac } from 'node:crypto';
import { BatchedInserts, type BatchedInsertsOptions } from '@privacy-relay/shared/mongo';
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
  },
  { collection: 'request_ledger', versionKey: false },
);

/**
 * The ledger: one insert per key before publishing, group-committed; never updated (an update is a
 * read-modify-write, and FerretDB v1 serializes those per collection in our build). Whether the
 * key's event is on Kafka is told by the request's state (see `acceptRequest`), not here.
 */
export class MongoRequestLedger implements RequestLedger {
  private readonly claims: Model<LedgerDocument>;
  private readonly claimInserts: BatchedInserts<LedgerDocument>;

  constructor(
    connection: Connection,
    /** Keys the stored form of idempotency keys (an email's Message-ID names hosts and people). */
    private readonly secret: string,
    groupCommit: BatchedInsertsOptions = {},
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

  private storedKey(idempotencyKey: string): string {
    return createHmac('sha256', this.secret).update(`idempotency-key\n${idempotencyKey}`).digest('base64url');
  }
}
