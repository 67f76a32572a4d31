import { BatchedInserts } from '@privacy-relay/shared/mongo';
import { Schema, type Connection, type Model } from 'mongoose';
import type { AcknowledgementMailLog } from '../../application/ports';

interface SentDocument {
  _id: string;
  sentAt: Date;
}

// One document per request whose acknowledgement mails went out; the request id is the key.
const sentSchema = new Schema<SentDocument>(
  { _id: { type: String, required: true }, sentAt: { type: Date, required: true } },
  { collection: 'acknowledgement_mails', versionKey: false },
);

export class MongoAcknowledgementMailLog implements AcknowledgementMailLog {
  private readonly model: Model<SentDocument>;
  private readonly inserts: BatchedInserts<SentDocument>;

  constructor(connection: Connection) {
    this.model = connection.model<SentDocument>('AcknowledgementMail', sentSchema);
    this.inserts = new BatchedInserts(this.model.collection);
  }

  async wasSent(requestId: string): Promise<boolean> {
    return (await this.model.exists({ _id: requestId })) !== null;
  }

  async recordSent(requestId: string, at: Date): Promise<void> {
    // A duplicate: another delivery recorded it first, which is just as good.
    await this.inserts.insert({ _id: requestId, sentAt: at });
  }
}
