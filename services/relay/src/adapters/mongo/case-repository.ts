import type { Envelope } from '@privacy-relay/shared/events';
import { createIfAbsent, isDuplicateKeyError } from '@privacy-relay/shared/mongo';
import { MongoOutbox, outboxSchemaFields, type OutboxEvent, type OutboxFields } from '@privacy-relay/shared/outbox';
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
import type { CaseRepository, CaseRetentionStore, CaseWrite, StoredCase } from '../../application/ports';
import type { ForwardingCase } from '../../domain/case';
import {
  CASE_EVIDENCE_PROJECTION,
  caseEvidenceSchemaFields,
  evidenceFieldsOnCreate,
  evidenceFieldsOnUpdate,
  MongoEvidencePendingLists,
  type CaseEvidenceFields,
} from './case-evidence';

/**
 * One case per document, `_id` = caseId. The case itself is kept as one sub-document (`data`):
 * every update replaces it whole under the version guard, so the domain's shape is the stored
 * one, and the store never merges two writers' halves.
 */
interface CaseDocument extends OutboxFields, Partial<CaseEvidenceFields> {
  _id: string;
  /** Incremented by every update; an update names the version it read. */
  version: number;
  requestId: string;
  tenantId: string;
  state: ForwardingCase['state'];
  data: Omit<ForwardingCase, 'caseId'>;
  /** Retention's due days, moved by every activity (docs/retention.md); absent on cases stored before. */
  retention?: RetentionDays;
  createdAt: Date;
  updatedAt: Date;
}

const caseSchema = new Schema<CaseDocument>(
  {
    // Reads and updates are by _id (the case id); the sweeper's query is on outboxPending.
    _id: { type: String, required: true },
    version: { type: Number, required: true },
    // Kept beside `data`: the operator API lists a request's cases by it (index below).
    requestId: { type: String, required: true },
    tenantId: { type: String, required: true },
    state: { type: String, required: true },
    data: { type: Schema.Types.Mixed, required: true },
    ...outboxSchemaFields,
    ...caseEvidenceSchemaFields,
    retention: { minimiseOn: String, deleteOn: String, minimisedAt: Date },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'cases', versionKey: false, minimize: false },
);

// Serves GET /v1/cases?requestId=… (listByRequest), an equality filter. FerretDB v1.24 pushes the
// filter down to PostgreSQL (explain: filterPushdown true) but plans it as a sequential scan of the
// collection's table (a jsonb containment its btree index does not serve); MongoDB uses the index.
caseSchema.index({ requestId: 1 });
// No index on the retention days: the sweep finds a day's cases in its list (`retention_days`, by
// `_id`) and reads each case by `_id` (docs/retention.md).

const RETENTION_FIELD: Record<RetentionPhase, string> = {
  minimise: 'retention.minimiseOn',
  delete: 'retention.deleteOn',
};

function toStored(document: CaseDocument): StoredCase {
  return { case: { caseId: document._id, ...document.data }, version: document.version };
}

function dataOf(forwardingCase: ForwardingCase): CaseDocument['data'] {
  const { caseId: _caseId, ...data } = forwardingCase;
  // Plain JSON: the stored case is exactly what the domain produced.
  return JSON.parse(JSON.stringify(data)) as CaseDocument['data'];
}

/** The batch an outbox holds: the last event's id, so a mark for earlier events leaves later ones pending. */
function batchOf(events: readonly { id: string }[]): string {
  return events.at(-1)?.id ?? '';
}

/** Names the cases' retention day lists. */
const COLLECTION = 'cases';

/**
 * A request's case ids, `_id` = requestId: retention asks for a request's cases by `_id` here,
 * not by `{requestId}` (FerretDB v1 reads the whole `cases` table for that). Written before the case.
 */
interface RequestCasesDocument {
  _id: string;
  caseIds: string[];
}

export class MongoCaseRepository implements CaseRepository, CaseRetentionStore {
  private readonly model: Model<CaseDocument>;
  /** Each due day is listed here before a write stores it on a case. */
  private readonly dayLists: MongoRetentionDayLists;
  /** A case whose chain grows is listed here for the next checkpoint, before the write. */
  private readonly pendingEvidence: MongoEvidencePendingLists;
  /** Cases whose events are not all on Kafka yet, for the sweeper. */
  readonly outbox: MongoOutbox;

  constructor(
    private readonly connection: Connection,
    /** When a case's personal data is minimised and the case deleted, counted from its last activity. */
    private readonly retention: RetentionPolicy = DEFAULT_RETENTION_POLICY,
  ) {
    this.model = connection.model<CaseDocument>('Case', caseSchema);
    this.outbox = new MongoOutbox(this.model);
    this.dayLists = new MongoRetentionDayLists(connection);
    this.pendingEvidence = new MongoEvidencePendingLists(connection);
  }

  async find(caseId: string): Promise<StoredCase | undefined> {
    const document = await this.model.findById(caseId).lean<CaseDocument>();
    return document ? toStored(document) : undefined;
  }

  async listByRequest(requestId: string): Promise<StoredCase[]> {
    const documents = await this.model.find({ requestId }).sort({ _id: 1 }).lean<CaseDocument[]>();
    return documents.map(toStored);
  }

  async create(forwardingCase: ForwardingCase, at: Date): Promise<boolean> {
    const retention = retentionDaysAfter(at, this.retention);
    await listDueDays(this.dayLists, COLLECTION, forwardingCase.caseId, retention);
    await this.listCaseOfRequest(forwardingCase.requestId, forwardingCase.caseId);
    const evidence = evidenceFieldsOnCreate(forwardingCase);
    if (evidence.auditChainPending) await this.pendingEvidence.add(forwardingCase.caseId);
    return createIfAbsent(this.model, {
      _id: forwardingCase.caseId,
      version: 1,
      requestId: forwardingCase.requestId,
      tenantId: forwardingCase.tenantId,
      state: forwardingCase.state,
      data: dataOf(forwardingCase),
      outbox: [],
      outboxPending: false,
      outboxBatch: '',
      outboxQueuedAt: at,
      ...evidence,
      retention,
      createdAt: at,
      updatedAt: at,
    });
  }

  async update(
    next: ForwardingCase,
    expectedVersion: number,
    events: readonly Envelope[],
    at: Date,
    write: CaseWrite = { kind: 'activity' },
  ): Promise<readonly Envelope[] | false> {
    // Retention's minimising acts only on a case still due that day (activity meanwhile moved it).
    const guard = {
      _id: next.caseId,
      version: expectedVersion,
      ...(write.kind === 'minimise' ? { [RETENTION_FIELD.minimise]: write.dueOn } : {}),
    };
    // Events still pending stay ahead of the new ones: the outbox only ever grows until published.
    const current = await this.model
      .findOne(guard, { outbox: 1, outboxPending: 1, outboxQueuedAt: 1, retention: 1, ...CASE_EVIDENCE_PROJECTION })
      .lean<
        Pick<CaseDocument, 'outbox' | 'outboxPending' | 'outboxQueuedAt' | 'evidenceSalt' | 'auditChain' | 'retention'>
      >();
    if (!current) return false;
    const fresh: OutboxEvent[] = events.map((e) => ({ eventType: e.type, envelope: JSON.stringify(e) }));
    const keep = current.outboxPending ? current.outbox : [];
    const outboxFields: Partial<OutboxFields> =
      events.length === 0
        ? {}
        : {
            outbox: [...keep, ...fresh],
            outboxPending: true,
            outboxBatch: batchOf(events),
            outboxQueuedAt: current.outboxPending ? (current.outboxQueuedAt ?? at) : at,
          };
    // The audit chain grows in the same guarded update as the audit lines it covers.
    const { evidenceSalt, ...chainFields } = evidenceFieldsOnUpdate(current, next);
    const minimising = write.kind === 'minimise';
    const retention: RetentionDays = minimising
      ? {
          deleteOn: current.retention?.deleteOn ?? retentionDaysAfter(at, this.retention).deleteOn,
          minimisedAt: at,
        }
      : retentionDaysAfter(at, this.retention);
    // A day the case does not have yet is listed before the write stores it; a grown chain likewise.
    await listDueDays(this.dayLists, COLLECTION, next.caseId, retention, current.retention);
    if (chainFields.auditChainPending) await this.pendingEvidence.add(next.caseId);
    const result = await this.model.updateOne(guard, {
      $set: {
        version: expectedVersion + 1,
        state: next.state,
        data: dataOf(next),
        updatedAt: at,
        ...outboxFields,
        ...chainFields,
        // Minimising chains its own audit line under the salt, then drops the salt (docs/evidence.md).
        ...(evidenceSalt !== undefined && !minimising ? { evidenceSalt } : {}),
        retention,
      },
      ...(minimising ? { $unset: { evidenceSalt: 1 } } : {}),
    });
    if (result.modifiedCount === 0) return false;
    return events.length === 0 ? [] : [...keep, ...fresh].map((e) => JSON.parse(e.envelope) as Envelope);
  }

  async markPublished(caseId: string, events: readonly Envelope[]): Promise<void> {
    await this.outbox.markPublished(caseId, batchOf(events), new Date());
  }

  private get requestCases() {
    return this.connection.collection<RequestCasesDocument>('request_cases');
  }

  /** Adds the case to its request's list (created on the first case). */
  private async listCaseOfRequest(requestId: string, caseId: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const added = await this.requestCases.updateOne({ _id: requestId }, { $addToSet: { caseIds: caseId } });
      if (added.matchedCount === 1) return;
      try {
        await this.requestCases.insertOne({ _id: requestId, caseIds: [caseId] });
        return;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
    throw new Error('listing a case of its request: too many concurrent writers');
  }

  async isDue(phase: RetentionPhase, day: string, caseId: string): Promise<boolean> {
    return (await this.model.exists({ _id: caseId, [RETENTION_FIELD[phase]]: day })) !== null;
  }

  async deleteIfDue(caseId: string, day: string): Promise<boolean> {
    const result = await this.model.deleteOne({ _id: caseId, [RETENTION_FIELD.delete]: day });
    return result.deletedCount === 1;
  }

  async latestDaysOfRequest(requestId: string): Promise<{ minimiseOn?: string; deleteOn?: string }> {
    const listed = await this.requestCases.findOne({ _id: requestId });
    const documents: Pick<CaseDocument, 'retention'>[] = [];
    if (listed) {
      for (const caseId of listed.caseIds) {
        const document = await this.model.findById(caseId, { retention: 1 }).lean<Pick<CaseDocument, 'retention'>>();
        if (document) documents.push(document);
      }
    } else {
      // Cases stored before their request's list existed: found by field (a scan on FerretDB v1).
      documents.push(
        ...(await this.model.find({ requestId }, { retention: 1 }).lean<Pick<CaseDocument, 'retention'>[]>()),
      );
    }
    const latest = (days: (string | undefined)[]) =>
      days
        .filter((d) => d !== undefined)
        .sort()
        .at(-1);
    const minimiseOn = latest(documents.map((d) => d.retention?.minimiseOn));
    const deleteOn = latest(documents.map((d) => d.retention?.deleteOn));
    return { ...(minimiseOn ? { minimiseOn } : {}), ...(deleteOn ? { deleteOn } : {}) };
  }
}
