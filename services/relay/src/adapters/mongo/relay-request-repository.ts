import { createIfAbsent } from '@privacy-relay/shared/mongo';
import {
  DEFAULT_RETENTION_POLICY,
  retentionDaysAfter,
  type RetentionDays,
  type RetentionPhase,
  type RetentionPolicy,
} from '@privacy-relay/shared/retention';
import { Schema, type Connection, type Model } from 'mongoose';
import type { RelayRequestRepository, RequestRetentionStore } from '../../application/ports';
import type { RelayRequest } from '../../domain/relay-request';

interface RelayRequestDocument extends Omit<RelayRequest, 'requestId'> {
  _id: string;
  /** Retention's due days, moved by the request's own writes (docs/retention.md). */
  retention?: RetentionDays;
  /** Set when retention dropped the requester's address: its keyed hash, for a later lookup. */
  requesterEmailHash?: string;
}

const RETENTION_FIELD: Record<RetentionPhase, string> = {
  minimise: 'retention.minimiseOn',
  delete: 'retention.deleteOn',
};

const relayRequestSchema = new Schema<RelayRequestDocument>(
  {
    // The request id is the primary key: inserting the same request twice is a duplicate-key no-op.
    _id: { type: String, required: true },
    reference: { type: String, required: true },
    channel: { type: String, required: true },
    receivedAt: { type: Date, required: true },
    requester: { name: { type: String, required: true }, email: { type: String, required: true } },
    rights: { type: [String], required: true },
    otherRightText: String,
    company: { name: String, email: String },
    text: { type: String, default: '' },
    regimeHint: String,
    status: { type: String, required: true },
    verifiedAt: Date,
    sourceEventId: { type: String, required: true },
    retention: { minimiseOn: String, deleteOn: String, minimisedAt: Date },
    requesterEmailHash: String,
  },
  { collection: 'requests', versionKey: false, timestamps: true },
);
// Retention's sweep: equalities on one due day (docs/retention.md).
relayRequestSchema.index({ 'retention.minimiseOn': 1 });
relayRequestSchema.index({ 'retention.deleteOn': 1 });
// The requester's export finds a minimised request by the hash of the address.
relayRequestSchema.index({ requesterEmailHash: 1 });
// Serves the requester's "everything you hold about me" export (PRODUCT.md, Retention).
relayRequestSchema.index({ 'requester.email': 1 });

interface EarlyVerificationDocument {
  _id: string;
  verifiedAt: Date;
}

// Verifications that came before their request (another topic); keyed by request id.
const earlyVerificationSchema = new Schema<EarlyVerificationDocument>(
  { _id: { type: String, required: true }, verifiedAt: { type: Date, required: true } },
  { collection: 'early_verifications', versionKey: false },
);

export class MongoRelayRequestRepository implements RelayRequestRepository, RequestRetentionStore {
  private readonly model: Model<RelayRequestDocument>;
  private readonly earlyVerifications: Model<EarlyVerificationDocument>;

  constructor(
    private readonly connection: Connection,
    /** Counted from the request's receipt and its verification (its cases have their own). */
    private readonly retention: RetentionPolicy = DEFAULT_RETENTION_POLICY,
  ) {
    this.model = connection.model<RelayRequestDocument>('RelayRequest', relayRequestSchema);
    this.earlyVerifications = connection.model<EarlyVerificationDocument>('EarlyVerification', earlyVerificationSchema);
  }

  async recordEarlyVerification(requestId: string, verifiedAt: Date): Promise<void> {
    await createIfAbsent(this.earlyVerifications, { _id: requestId, verifiedAt });
  }

  async findEarlyVerification(requestId: string): Promise<Date | undefined> {
    const document = await this.earlyVerifications.findById(requestId).lean<EarlyVerificationDocument>();
    return document?.verifiedAt;
  }

  async insertIfAbsent(request: RelayRequest): Promise<boolean> {
    const { requestId, ...rest } = request;
    return createIfAbsent(this.model, {
      _id: requestId,
      ...rest,
      retention: retentionDaysAfter(request.receivedAt, this.retention),
    });
  }

  async markVerified(requestId: string, verifiedAt: Date): Promise<boolean> {
    const result = await this.model.updateOne(
      { _id: requestId },
      { $set: { status: 'verified', verifiedAt, retention: retentionDaysAfter(verifiedAt, this.retention) } },
    );
    return result.matchedCount > 0;
  }

  async due(phase: RetentionPhase, day: string, limit: number): Promise<string[]> {
    const documents = await this.model.collection
      .find({ [RETENTION_FIELD[phase]]: day }, { projection: { _id: 1 }, limit })
      .toArray();
    return documents.map((d) => String(d._id));
  }

  async postpone(requestId: string, phase: RetentionPhase, day: string, to: string): Promise<boolean> {
    const field = RETENTION_FIELD[phase];
    const result = await this.model.collection.updateOne(
      { _id: requestId as never, [field]: day },
      { $set: { [field]: to } },
    );
    return result.modifiedCount === 1;
  }

  async minimiseIfDue(
    requestId: string,
    day: string,
    requesterEmailHash: string | undefined,
    at: Date,
  ): Promise<boolean> {
    // Through the driver: a minimised request no longer has the fields the schema requires.
    const result = await this.model.collection.updateOne(
      { _id: requestId as never, [RETENTION_FIELD.minimise]: day },
      {
        $set: { 'retention.minimisedAt': at, ...(requesterEmailHash ? { requesterEmailHash } : {}) },
        $unset: { requester: 1, company: 1, text: 1, otherRightText: 1, [RETENTION_FIELD.minimise]: 1 },
      },
    );
    return result.modifiedCount === 1;
  }

  async deleteIfDue(requestId: string, day: string): Promise<boolean> {
    const due = await this.model.exists({ _id: requestId, [RETENTION_FIELD.delete]: day });
    if (!due) return false;
    // What is keyed by the request id goes first: a crash in between leaves the request due, and
    // the next sweep deletes the rest.
    await this.earlyVerifications.deleteOne({ _id: requestId });
    await this.connection.collection<{ _id: string }>('match_decisions').deleteOne({ _id: requestId });
    const result = await this.model.deleteOne({ _id: requestId, [RETENTION_FIELD.delete]: day });
    return result.deletedCount === 1;
  }

  async findById(requestId: string): Promise<RelayRequest | undefined> {
    const document = await this.model.findById(requestId).lean<RelayRequestDocument>();
    if (!document) return undefined;
    const { _id, ...rest } = document as RelayRequestDocument & { createdAt?: Date; updatedAt?: Date };
    delete (rest as { createdAt?: Date }).createdAt;
    delete (rest as { updatedAt?: Date }).updatedAt;
    return { requestId: _id, ...rest };
  }
}
