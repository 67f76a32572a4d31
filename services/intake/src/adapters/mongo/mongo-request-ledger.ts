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

export class MongoRequestLedger implements RequestLedger {
  private readonly model: Model<LedgerDocument>;

  constructor(connection: Connection) {
    this.model = connection.model<LedgerDocument>('RequestLedgerEntry', ledgerSchema);
  }

  async claim(entry: LedgerEntry): Promise<{ entry: LedgerEntry; created: boolean }> {
    try {
      await this.model.create({
        _id: entry.idempotencyKey,
        requestId: entry.requestId,
        reference: entry.reference,
        event: entry.event,
      });
      return { entry, created: true };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const existing = await this.model.findById(entry.idempotencyKey).lean<LedgerDocument>();
    if (!existing) throw new Error('idempotency key vanished between insert and read');
    return { entry: toEntry(existing), created: false };
  }

  async markPublished(idempotencyKey: string, at: Date): Promise<void> {
    // The payload held personal data only so that a retry could re-send it; once Kafka has it, it goes.
    await this.model.updateOne({ _id: idempotencyKey }, { $set: { publishedAt: at }, $unset: { event: 1 } });
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
