import { BatchedInserts } from '@privacy-relay/shared/mongo';
import { Schema, type Connection, type Model } from 'mongoose';
import type { LedgerEntry, RequestLedger } from '../../application/ports';

interface LedgerDocument {
  _id: string;
  requestId: string;
  reference: string;
  eventId: string;
  receivedAt: Date;
  createdAt: Date;
}

interface PublishedDocument {
  _id: string;
  publishedAt: Date;
}

// The idempotency key is the primary key of both: two concurrent claims of one key cannot both
// insert, and every read is by `_id`.
const ledgerSchema = new Schema<LedgerDocument>(
  {
    _id: { type: String, required: true },
    requestId: { type: String, required: true },
    reference: { type: String, required: true },
    eventId: { type: String, required: true },
    receivedAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'request_ledger', versionKey: false },
);

const publishedSchema = new Schema<PublishedDocument>(
  {
    _id: { type: String, required: true },
    publishedAt: { type: Date, required: true },
  },
  { collection: 'request_ledger_published', versionKey: false },
);

/**
 * The ledger in two insert-only collections: a claim per key before publishing, a mark per key
 * once Kafka has the event. Only inserts, group-committed: no update on a request's path (an
 * update is a read-modify-write, and FerretDB v1 serializes those per collection in our build).
 */
export class MongoRequestLedger implements RequestLedger {
  private readonly claims: Model<LedgerDocument>;
  private readonly marks: Model<PublishedDocument>;
  private readonly claimInserts: BatchedInserts<LedgerDocument>;
  private readonly markInserts: BatchedInserts<PublishedDocument>;

  constructor(connection: Connection) {
    this.claims = connection.model<LedgerDocument>('RequestLedgerEntry', ledgerSchema);
    this.marks = connection.model<PublishedDocument>('RequestLedgerPublished', publishedSchema);
    // The driver's collections directly: mongoose's document layer is not needed on this path.
    this.claimInserts = new BatchedInserts(this.claims.collection);
    this.markInserts = new BatchedInserts(this.marks.collection);
  }

  async claim(entry: LedgerEntry): Promise<{ entry: LedgerEntry; created: boolean }> {
    const outcome = await this.claimInserts.insert({
      _id: entry.idempotencyKey,
      requestId: entry.requestId,
      reference: entry.reference,
      eventId: entry.eventId,
      receivedAt: entry.receivedAt,
      createdAt: new Date(),
    });
    if (outcome === 'inserted') return { entry, created: true };

    const [existing, mark] = await Promise.all([
      this.claims.findById(entry.idempotencyKey).lean<LedgerDocument>(),
      this.marks.findById(entry.idempotencyKey).lean<PublishedDocument>(),
    ]);
    if (!existing) throw new Error('idempotency key vanished between insert and read');
    return {
      entry: {
        idempotencyKey: existing._id,
        requestId: existing.requestId,
        reference: existing.reference,
        eventId: existing.eventId,
        receivedAt: existing.receivedAt,
        publishedAt: mark?.publishedAt,
      },
      created: false,
    };
  }

  async markPublished(idempotencyKey: string, at: Date): Promise<void> {
    // A duplicate means an earlier attempt marked it already: just as good.
    await this.markInserts.insert({ _id: idempotencyKey, publishedAt: at });
  }
}
