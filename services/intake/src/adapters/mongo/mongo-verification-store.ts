import type { Channel, Right } from '@privacy-relay/shared/events';
import { BatchedInserts, type BatchedInsertsOptions } from '@privacy-relay/shared/mongo';
import { Schema, type Connection, type Model } from 'mongoose';
import type { VerificationMethod, VerificationRecord, VerificationStore } from '../../application/ports';

interface VerificationDocument {
  _id: string;
  reference: string;
  channel: Channel;
  rights: Right[];
  receivedAt: Date;
  status: 'pending' | 'verified';
  method?: VerificationMethod;
  verifiedAt?: Date;
  codeAttempts: number;
  expiresAt: Date;
  verifiedEventPublishedAt?: Date;
  /** Until when one caller holds the right to publish the verified event; epoch when nobody does. */
  publishLeaseUntil: Date;
}

type StoredVerification = VerificationDocument & { createdAt: Date; updatedAt: Date };

const NOBODY = new Date(0);

const verificationSchema = new Schema<VerificationDocument>(
  {
    // The request id is the primary key: every lookup and every atomic update goes by it, so no
    // further index is needed.
    _id: { type: String, required: true },
    reference: { type: String, required: true },
    channel: { type: String, required: true },
    rights: { type: [String], required: true },
    receivedAt: { type: Date, required: true },
    status: { type: String, required: true },
    method: String,
    verifiedAt: Date,
    codeAttempts: { type: Number, required: true },
    expiresAt: { type: Date, required: true },
    verifiedEventPublishedAt: Date,
    publishLeaseUntil: { type: Date, required: true },
  },
  { collection: 'verifications', versionKey: false, timestamps: true },
);

export class MongoVerificationStore implements VerificationStore {
  private readonly model: Model<VerificationDocument>;
  private readonly creates: BatchedInserts<StoredVerification>;
  private readonly deferrableCreates: BatchedInserts<StoredVerification>;

  /** `deferrableGroupCommit`: how creates nobody waits for are grouped (others go at once). */
  constructor(connection: Connection, deferrableGroupCommit: BatchedInsertsOptions = {}) {
    this.model = connection.model<VerificationDocument>('Verification', verificationSchema);
    this.creates = new BatchedInserts(this.model.collection);
    this.deferrableCreates = new BatchedInserts(this.model.collection, deferrableGroupCommit);
  }

  async create(record: VerificationRecord, options: { deferrable?: boolean } = {}): Promise<{ created: boolean }> {
    // Group-committed, through the driver: one insert per request.
    const now = new Date();
    const outcome = await (options.deferrable ? this.deferrableCreates : this.creates).insert({
      createdAt: now,
      updatedAt: now,
      _id: record.requestId,
      reference: record.reference,
      channel: record.channel,
      rights: record.rights,
      receivedAt: record.receivedAt,
      status: record.status,
      method: record.method,
      verifiedAt: record.verifiedAt,
      codeAttempts: record.codeAttempts,
      expiresAt: record.expiresAt,
      verifiedEventPublishedAt: record.verifiedEventPublishedAt,
      publishLeaseUntil: NOBODY,
    });
    return { created: outcome === 'inserted' };
  }

  async find(requestId: string): Promise<VerificationRecord | undefined> {
    const document = await this.model.findById(requestId).lean<VerificationDocument>();
    return document ? toRecord(document) : undefined;
  }

  async confirm(requestId: string, at: Date, method: VerificationMethod, leaseUntil: Date): Promise<boolean> {
    const result = await this.model.updateOne(
      { _id: requestId, status: 'pending' },
      { $set: { status: 'verified', verifiedAt: at, method, publishLeaseUntil: leaseUntil } },
    );
    return result.modifiedCount === 1;
  }

  async takePublishLease(requestId: string, now: Date, leaseUntil: Date): Promise<boolean> {
    const result = await this.model.updateOne(
      {
        _id: requestId,
        status: 'verified',
        verifiedEventPublishedAt: { $exists: false },
        publishLeaseUntil: { $lt: now },
      },
      { $set: { publishLeaseUntil: leaseUntil } },
    );
    return result.modifiedCount === 1;
  }

  async releasePublishLease(requestId: string): Promise<void> {
    await this.model.updateOne({ _id: requestId }, { $set: { publishLeaseUntil: NOBODY } });
  }

  async markVerifiedPublished(requestId: string, at: Date): Promise<void> {
    await this.model.updateOne(
      { _id: requestId },
      { $set: { verifiedEventPublishedAt: at, publishLeaseUntil: NOBODY } },
    );
  }

  async takeCodeAttempt(requestId: string, max: number): Promise<{ attempts: number } | 'none-left' | 'verified'> {
    // One document, one atomic update: the range condition is checked on the document being
    // updated (FerretDB pushes down the _id and status equalities, checks $lt in memory, and
    // updates the row under the same statement; the concurrent test holds it to that).
    const document = await this.model
      .findOneAndUpdate(
        { _id: requestId, status: 'pending', codeAttempts: { $lt: max } },
        { $inc: { codeAttempts: 1 } },
        { returnDocument: 'after' },
      )
      .lean<VerificationDocument>();
    if (document) return { attempts: document.codeAttempts };
    const current = await this.model.findById(requestId, { status: 1 }).lean<VerificationDocument>();
    return current?.status === 'verified' ? 'verified' : 'none-left';
  }
}

function toRecord(document: VerificationDocument): VerificationRecord {
  return {
    requestId: document._id,
    reference: document.reference,
    channel: document.channel,
    rights: document.rights,
    receivedAt: document.receivedAt,
    status: document.status,
    method: document.method,
    verifiedAt: document.verifiedAt,
    codeAttempts: document.codeAttempts,
    expiresAt: document.expiresAt,
    verifiedEventPublishedAt: document.verifiedEventPublishedAt,
  };
}
