import { Schema, type Connection, type Model } from 'mongoose';
import type { AcknowledgementMail, AcknowledgementMailLog } from '../../application/ports';

interface SentDocument {
  _id: string;
  /** When SES took the receipt. */
  receiptSentAt?: Date;
  /** When SES took the verification mail. */
  verificationSentAt?: Date;
  /** Written before per-mail times were kept: both mails had gone out. */
  sentAt?: Date;
}

const SENT_AT_FIELD = {
  receipt: 'receiptSentAt',
  verification: 'verificationSentAt',
} as const satisfies Record<AcknowledgementMail, keyof SentDocument>;

// One document per request, the request id as key; each mail's time is set by a single-document
// update as soon as SES took it.
const sentSchema = new Schema<SentDocument>(
  { _id: { type: String, required: true }, receiptSentAt: Date, verificationSentAt: Date, sentAt: Date },
  { collection: 'acknowledgement_mails', versionKey: false },
);

export class MongoAcknowledgementMailLog implements AcknowledgementMailLog {
  private readonly model: Model<SentDocument>;

  constructor(connection: Connection) {
    this.model = connection.model<SentDocument>('AcknowledgementMail', sentSchema);
  }

  async sentOf(requestId: string): Promise<ReadonlySet<AcknowledgementMail>> {
    const document = await this.model.findById(requestId).lean<SentDocument>();
    if (!document) return new Set();
    if (document.sentAt) return new Set(['receipt', 'verification']);
    return new Set(
      (Object.keys(SENT_AT_FIELD) as AcknowledgementMail[]).filter((mail) => document[SENT_AT_FIELD[mail]]),
    );
  }

  async recordSent(requestId: string, mail: AcknowledgementMail, at: Date): Promise<void> {
    await this.model.updateOne({ _id: requestId }, { $set: { [SENT_AT_FIELD[mail]]: at } }, { upsert: true });
  }
}
