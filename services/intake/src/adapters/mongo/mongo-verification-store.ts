import type { Channel, RequestVerifiedV1, Right } from '@privacy-relay/shared/events';
import { BatchedInserts, type BatchedInsertsOptions } from '@privacy-relay/shared/mongo';
import { MongoOutbox, outboxSchemaFields, pendingOutbox, type OutboxFields } from '@privacy-relay/shared/outbox';
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
import type {
  ForwardExtension,
  RequestForward,
  RequestExtensionLog,
  RequestForwardLog,
  VerificationMethod,
  VerificationRecord,
  VerificationRetentionStore,
  VerificationStore,
} from '../../application/ports';

/**
 * A forward as stored, under its case id in `forwards`. Its extension may come before it (another
 * topic): until the forward's own event is recorded, the entry holds only `extension`.
 */
type StoredForward = Partial<Omit<RequestForward, 'caseId'>>;

interface VerificationDocument extends Partial<OutboxFields> {
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
  requesterKey?: string;
  /**
   * The request's forwards by case id: a map rather than an array, so that adding one and marking
   * its notice sent are plain `$set`s of one path (no positional operators, which FerretDB v1 lacks).
   */
  forwards?: Record<string, StoredForward>;
  /** Retention's due days, moved by the request's activity here (docs/retention.md). */
  retention?: RetentionDays;
}

const RETENTION_FIELD: Record<RetentionPhase, string> = {
  minimise: 'retention.minimiseOn',
  delete: 'retention.deleteOn',
};

type StoredVerification = VerificationDocument & { createdAt: Date; updatedAt: Date };

const verificationSchema = new Schema<VerificationDocument>(
  {
    // The request id is the primary key: every lookup and every atomic update goes by it; the
    // outbox's own index serves the sweeper.
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
    requesterKey: String,
    forwards: Schema.Types.Mixed,
    ...outboxSchemaFields,
    retention: { minimiseOn: String, deleteOn: String, minimisedAt: Date },
  },
  { collection: 'verifications', versionKey: false, timestamps: true },
);
// No index on the retention days: the sweep finds a day's records in its list (`retention_days`,
// by `_id`) and reads each by `_id` (docs/retention.md).

export class MongoVerificationStore
  implements VerificationStore, RequestForwardLog, RequestExtensionLog, VerificationRetentionStore
{
  private readonly model: Model<VerificationDocument>;
  private readonly creates: BatchedInserts<StoredVerification>;
  private readonly deferrableCreates: BatchedInserts<StoredVerification>;
  /** The verified events owed to Kafka, for the sweeper. */
  readonly outbox: MongoOutbox;
  /** Each due day is listed here before a write stores it on a record. */
  private readonly dayLists: MongoRetentionDayLists;

  /** `deferrableGroupCommit`: how creates nobody waits for are grouped (others go at once). */
  constructor(
    private readonly connection: Connection,
    deferrableGroupCommit: BatchedInsertsOptions = {},
    /** When the request's record here is minimised and deleted, counted from its last activity. */
    private readonly retention: RetentionPolicy = DEFAULT_RETENTION_POLICY,
  ) {
    this.model = connection.model<VerificationDocument>('Verification', verificationSchema);
    this.creates = new BatchedInserts(this.model.collection);
    this.deferrableCreates = new BatchedInserts(this.model.collection, deferrableGroupCommit);
    this.outbox = new MongoOutbox(this.model, (at) => ({ verifiedEventPublishedAt: at }));
    this.dayLists = new MongoRetentionDayLists(connection);
  }

  /** The due days after activity at `at`, listed before the write that stores them on the record. */
  private async listedRetentionDays(requestId: string, at: Date) {
    const days = retentionDaysAfter(at, this.retention);
    await listDueDays(this.dayLists, 'verifications', requestId, days);
    return days;
  }

  async create(record: VerificationRecord, options: { deferrable?: boolean } = {}): Promise<{ created: boolean }> {
    // Group-committed, through the driver: one insert per request.
    const retention = await this.listedRetentionDays(record.requestId, record.receivedAt);
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
      ...(record.requesterKey ? { requesterKey: record.requesterKey } : {}),
      outboxPending: false,
      retention,
    });
    return { created: outcome === 'inserted' };
  }

  async find(requestId: string): Promise<VerificationRecord | undefined> {
    const document = await this.model.findById(requestId).lean<VerificationDocument>();
    return document ? toRecord(document) : undefined;
  }

  async confirm(requestId: string, at: Date, method: VerificationMethod, event: RequestVerifiedV1): Promise<boolean> {
    // The state change and the event it owes Kafka in one single-document update.
    const retention = await this.listedRetentionDays(requestId, at);
    const result = await this.model.updateOne(
      { _id: requestId, status: 'pending' },
      {
        $set: {
          status: 'verified',
          verifiedAt: at,
          method,
          ...pendingOutbox([event], at),
          retention,
        },
      },
    );
    return result.modifiedCount === 1;
  }

  async markVerifiedPublished(requestId: string, eventId: string, at: Date): Promise<void> {
    await this.outbox.markPublished(requestId, eventId, at);
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

  async recordForward(
    requestId: string,
    forward: RequestForward,
  ): Promise<{ outcome: 'recorded' | 'known'; record: VerificationRecord } | { outcome: 'unverified' | 'unknown' }> {
    const { caseId, extension: _extension, ...stored } = forward;
    const path = forwardPath(caseId);
    const retention = await this.listedRetentionDays(requestId, forward.forwardedAt);
    // One conditional single-document update: only a verified request, only once per case (the
    // _id equality is pushed down; status and $exists are checked on that one document). Field by
    // field, so that an extension recorded before the forward stays beside it.
    const result = await this.model.updateOne(
      { _id: requestId, status: 'verified', [`${path}.forwardedAt`]: { $exists: false } },
      {
        $set: {
          ...Object.fromEntries(
            Object.entries(withoutUndefined(stored)).map(([field, value]) => [`${path}.${field}`, value]),
          ),
          retention,
        },
      },
    );
    const document = await this.model.findById(requestId).lean<VerificationDocument>();
    if (!document) return { outcome: 'unknown' };
    if (document.status !== 'verified') return { outcome: 'unverified' };
    return { outcome: result.modifiedCount === 1 ? 'recorded' : 'known', record: toRecord(document) };
  }

  async markNoticeSent(requestId: string, caseId: string, at: Date): Promise<void> {
    const path = forwardPath(caseId);
    const retention = await this.listedRetentionDays(requestId, at);
    await this.model.updateOne(
      { _id: requestId, [path]: { $exists: true } },
      { $set: { [`${path}.noticeSentAt`]: at, retention } },
    );
  }

  async isDue(phase: RetentionPhase, day: string, requestId: string): Promise<boolean> {
    return (await this.model.exists({ _id: requestId, [RETENTION_FIELD[phase]]: day })) !== null;
  }

  async minimiseIfDue(requestId: string, day: string, at: Date): Promise<boolean> {
    const guard = { _id: requestId, [RETENTION_FIELD.minimise]: day };
    const document = await this.model.findOne(guard, { forwards: 1, outboxPending: 1 }).lean<VerificationDocument>();
    if (!document) return false;
    // Which customers the request went to is what a record here says about the person: the
    // customers' names and reasons go, the case ids and dates stay. Published events are not needed any more.
    const forwards = Object.fromEntries(
      Object.entries(document.forwards ?? {}).map(([caseId, { tenantName: _name, extension, ...rest }]) => [
        caseId,
        // An extension's reason is the customer's free text, which may name anyone: it goes too.
        extension ? { ...rest, extension: { ...extension, reason: '(minimised)' } } : rest,
      ]),
    );
    const result = await this.model.collection.updateOne(
      { ...guard, _id: requestId as never },
      {
        $set: {
          'retention.minimisedAt': at,
          ...(document.forwards ? { forwards } : {}),
          ...(document.outboxPending ? {} : { outbox: [] }),
        },
        $unset: { [RETENTION_FIELD.minimise]: 1 },
      },
    );
    return result.modifiedCount === 1;
  }

  async deleteIfDue(requestId: string, day: string): Promise<boolean> {
    if (!(await this.model.exists({ _id: requestId, [RETENTION_FIELD.delete]: day }))) return false;
    // Keyed by the request id: the record of its acknowledgement mails goes first (a crash in
    // between leaves the request due for the next sweep).
    await this.connection.collection<{ _id: string }>('acknowledgement_mails').deleteOne({ _id: requestId });
    const result = await this.model.deleteOne({ _id: requestId, [RETENTION_FIELD.delete]: day });
    return result.deletedCount === 1;
  }

  async recordExtension(
    requestId: string,
    caseId: string,
    extension: ForwardExtension,
  ): Promise<
    | { outcome: 'recorded' | 'known'; record: VerificationRecord; stored: ForwardExtension }
    | { outcome: 'unverified' | 'unknown' }
  > {
    const path = `${forwardPath(caseId)}.extension`;
    const retention = await this.listedRetentionDays(requestId, extension.extendedAt);
    // As recordForward: one conditional single-document update, only on a verified request, once per case.
    const result = await this.model.updateOne(
      { _id: requestId, status: 'verified', [path]: { $exists: false } },
      {
        $set: {
          [path]: withoutUndefined(extension),
          retention,
        },
      },
    );
    const document = await this.model.findById(requestId).lean<VerificationDocument>();
    if (!document) return { outcome: 'unknown' };
    if (document.status !== 'verified') return { outcome: 'unverified' };
    const stored = document.forwards?.[caseId]?.extension;
    if (!stored) return { outcome: 'unknown' };
    return { outcome: result.modifiedCount === 1 ? 'recorded' : 'known', record: toRecord(document), stored };
  }

  async markExtensionNoticeSent(requestId: string, caseId: string, at: Date): Promise<void> {
    const path = `${forwardPath(caseId)}.extension`;
    await this.model.updateOne(
      { _id: requestId, [path]: { $exists: true } },
      { $set: { [`${path}.noticeSentAt`]: at } },
    );
  }
}

/** Case ids are UUIDs (no dots, no `$`): safe as one path segment; anything else is refused. */
function forwardPath(caseId: string): string {
  if (!/^[0-9a-f-]{36}$/i.test(caseId)) throw new Error(`not a case id: ${caseId}`);
  return `forwards.${caseId}`;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function forwardsOf(document: VerificationDocument): RequestForward[] | undefined {
  if (!document.forwards) return undefined;
  const forwards = Object.entries(document.forwards)
    // An entry holding only an extension (its forward's event not handled yet) is not a forward yet.
    .filter((entry): entry is [string, Omit<RequestForward, 'caseId'>] => entry[1].forwardedAt !== undefined)
    .map(([caseId, stored]) => ({ caseId, ...stored }))
    .sort((a, b) => a.forwardedAt.getTime() - b.forwardedAt.getTime() || a.caseId.localeCompare(b.caseId));
  return forwards.length > 0 ? forwards : undefined;
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
    ...(document.requesterKey ? { requesterKey: document.requesterKey } : {}),
    forwards: forwardsOf(document),
  };
}
