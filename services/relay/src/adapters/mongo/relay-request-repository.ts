import { createIfAbsent } from '@privacy-relay/shared/mongo';
import { Schema, type Connection, type Model } from 'mongoose';
import type { RelayRequestRepository } from '../../application/ports';
import type { RelayRequest } from '../../domain/relay-request';

interface RelayRequestDocument extends Omit<RelayRequest, 'requestId'> {
  _id: string;
  /**
   * Keyed hash (the counterparty HMAC) of the requester's canonical address: the requester's
   * export finds their requests by equality on it. Absent on requests stored before it was kept.
   */
  requesterEmailKey?: string;
}

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
    requesterEmailKey: String,
  },
  { collection: 'requests', versionKey: false, timestamps: true },
);
// Serve the requester's "everything you hold about me" export (docs/export.md): equality on the
// keyed hash of the canonical address, and on the address as stored for requests kept before the hash.
relayRequestSchema.index({ 'requester.email': 1 });
relayRequestSchema.index({ requesterEmailKey: 1 });

interface EarlyVerificationDocument {
  _id: string;
  verifiedAt: Date;
}

// Verifications that came before their request (another topic); keyed by request id.
const earlyVerificationSchema = new Schema<EarlyVerificationDocument>(
  { _id: { type: String, required: true }, verifiedAt: { type: Date, required: true } },
  { collection: 'early_verifications', versionKey: false },
);

export class MongoRelayRequestRepository implements RelayRequestRepository {
  private readonly model: Model<RelayRequestDocument>;
  private readonly earlyVerifications: Model<EarlyVerificationDocument>;

  constructor(
    connection: Connection,
    /** The keyed hash stored with each request for the export's lookup (none kept without it). */
    private readonly requesterKeyOf?: (email: string) => string,
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
    const key = this.requesterKeyOf?.(request.requester.email);
    return createIfAbsent(this.model, { _id: requestId, ...rest, ...(key ? { requesterEmailKey: key } : {}) });
  }

  async findByRequester(email: string): Promise<RelayRequest[]> {
    // Equality lookups only (no scan): the keyed hash, and the address as given and in lower case
    // for requests stored before the hash was kept.
    const filters: object[] = [...new Set([email, email.trim().toLowerCase()])].map((address) => ({
      'requester.email': address,
    }));
    if (this.requesterKeyOf) filters.unshift({ requesterEmailKey: this.requesterKeyOf(email) });
    const found = new Map<string, RelayRequest>();
    for (const filter of filters) {
      for (const document of await this.model.find(filter).lean<RelayRequestDocument[]>()) {
        if (!found.has(document._id)) found.set(document._id, toRequest(document));
      }
    }
    return [...found.values()].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
  }

  async markVerified(requestId: string, verifiedAt: Date): Promise<boolean> {
    const result = await this.model.updateOne({ _id: requestId }, { $set: { status: 'verified', verifiedAt } });
    return result.matchedCount > 0;
  }

  async findById(requestId: string): Promise<RelayRequest | undefined> {
    const document = await this.model.findById(requestId).lean<RelayRequestDocument>();
    return document ? toRequest(document) : undefined;
  }
}

function toRequest(document: RelayRequestDocument): RelayRequest {
  const { _id, ...rest } = document as RelayRequestDocument & { createdAt?: Date; updatedAt?: Date };
  delete (rest as { createdAt?: Date }).createdAt;
  delete (rest as { updatedAt?: Date }).updatedAt;
  delete rest.requesterEmailKey;
  return { requestId: _id, ...rest };
}
