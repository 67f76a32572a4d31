import { createIfAbsent } from '@privacy-relay/shared/mongo';
import {
  DEFAULT_RETENTION_POLICY,
  MongoRetentionDayLists,
  listDueDays,
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
  /**
   * Keyed hash (the counterparty HMAC) of the requester's canonical address: the requester's
   * export finds their requests by equality on it, also once retention dropped the address.
   * Absent on requests stored before it was kept.
   */
  requesterEmailKey?: string;
  /** Retention's due days, moved by the request's own writes (docs/retention.md). */
  retention?: RetentionDays;
}

/** Names the requests' retention day lists. */
const COLLECTION = 'requests';

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
    requesterEmailKey: String,
    retention: { minimiseOn: String, deleteOn: String, minimisedAt: Date },
  },
  { collection: 'requests', versionKey: false, timestamps: true },
);
// No index on the retention days: the sweep finds a day's requests in its list (`retention_days`,
// by `_id`) and reads each by `_id` (docs/retention.md).
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

export class MongoRelayRequestRepository implements RelayRequestRepository, RequestRetentionStore {
  private readonly model: Model<RelayRequestDocument>;
  private readonly earlyVerifications: Model<EarlyVerificationDocument>;
  /** Each due day is listed here before a write stores it on a request. */
  private readonly dayLists: MongoRetentionDayLists;

  constructor(
    private readonly connection: Connection,
    /** The keyed hash stored with each request for the export's lookup (none kept without it). */
    private readonly requesterKeyOf?: (email: string) => string,
    /** Counted from the request's receipt and its verification (its cases have their own). */
    private readonly retention: RetentionPolicy = DEFAULT_RETENTION_POLICY,
  ) {
    this.model = connection.model<RelayRequestDocument>('RelayRequest', relayRequestSchema);
    this.earlyVerifications = connection.model<EarlyVerificationDocument>('EarlyVerification', earlyVerificationSchema);
    this.dayLists = new MongoRetentionDayLists(connection);
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
    const retention = retentionDaysAfter(request.receivedAt, this.retention);
    await listDueDays(this.dayLists, COLLECTION, requestId, retention);
    return createIfAbsent(this.model, {
      _id: requestId,
      ...rest,
      ...(key ? { requesterEmailKey: key } : {}),
      retention,
    });
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
    const retention = retentionDaysAfter(verifiedAt, this.retention);
    await listDueDays(this.dayLists, COLLECTION, requestId, retention);
    const result = await this.model.updateOne(
      { _id: requestId },
      { $set: { status: 'verified', verifiedAt, retention } },
    );
    return result.matchedCount > 0;
  }

  async isDue(phase: RetentionPhase, day: string, requestId: string): Promise<boolean> {
    return (await this.model.exists({ _id: requestId, [RETENTION_FIELD[phase]]: day })) !== null;
  }

  async postpone(requestId: string, phase: RetentionPhase, day: string, to: string): Promise<boolean> {
    const field = RETENTION_FIELD[phase];
    await this.dayLists.add(COLLECTION, phase, to, requestId);
    const result = await this.model.collection.updateOne(
      { _id: requestId as never, [field]: day },
      { $set: { [field]: to } },
    );
    return result.modifiedCount === 1;
  }

  async minimiseIfDue(
    requestId: string,
    day: string,
    requesterEmailKey: string | undefined,
    at: Date,
  ): Promise<boolean> {
    // Through the driver: a minimised request no longer has the fields the schema requires.
    const result = await this.model.collection.updateOne(
      { _id: requestId as never, [RETENTION_FIELD.minimise]: day },
      {
        $set: { 'retention.minimisedAt': at, ...(requesterEmailKey ? { requesterEmailKey } : {}) },
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
    // The list of its case ids (the cases go by their own days, no later than the request's).
    await this.connection.collection<{ _id: string }>('request_cases').deleteOne({ _id: requestId });
    const result = await this.model.deleteOne({ _id: requestId, [RETENTION_FIELD.delete]: day });
    return result.deletedCount === 1;
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
