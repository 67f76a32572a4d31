import { createIfAbsent } from '@privacy-relay/shared/mongo';
import { MongoOutbox, outboxBatchOf, outboxSchemaFields, type OutboxFields } from '@privacy-relay/shared/outbox';
import { Schema, type Connection, type Model } from 'mongoose';
import type {
  DecisionRoundSummary,
  MatchDecisionRepository,
  StoredMatchDecision,
  TriageResolution,
} from '../../application/ports';
import type { TenantExclusion, TriageCandidate } from '../../domain/triage';

/**
 * The decision's events are its outbox (envelopes as JSON text, stored and republished byte for
 * byte); `outboxPending` says they are not all on Kafka yet, for the sweeper.
 */
interface MatchDecisionDocument
  extends
    Omit<
      StoredMatchDecision,
      'requestId' | 'events' | 'published' | 'resolution' | 'round' | 'revision' | 'excluded' | 'candidates' | 'history'
    >,
    OutboxFields {
  _id: string;
  /** The operator's resolution (who and what), for the audit trail and for telling a retry from a conflict. */
  resolution?: { action: string; tenantIds?: string[]; operatorId: string };
  // Absent on decisions stored before "not ours" (read as round 0, revision 0, nothing excluded).
  round?: number;
  revision?: number;
  excluded?: TenantExclusion[];
  candidates?: TriageCandidate[];
  history?: DecisionRoundSummary[];
  /** Waiting for an operator (see `awaitsOperator`): the triage queue's one query. */
  inTriage?: boolean;
}

const resolutionSchema = new Schema(
  { action: { type: String, required: true }, tenantIds: { type: [String], default: undefined }, operatorId: String },
  { _id: false },
);

const matchDecisionSchema = new Schema<MatchDecisionDocument>(
  {
    // One decision per request: the request id is the key; reads are by _id only.
    _id: { type: String, required: true },
    decision: { type: String, required: true },
    explanation: { type: String, required: true },
    ...outboxSchemaFields,
    decidedBy: { type: String, required: true },
    decidedAt: { type: Date, required: true },
    resolution: { type: resolutionSchema, required: false },
    round: { type: Number },
    revision: { type: Number },
    excluded: {
      type: [
        new Schema(
          {
            tenantId: { type: String, required: true },
            reason: { type: String, required: true },
            caseId: { type: String, required: true },
            closedAt: { type: String, required: true },
            eventId: { type: String, required: true },
          },
          { _id: false },
        ),
      ],
      default: undefined,
    },
    // As the matcher gave them / as they were: read back whole, never queried.
    candidates: { type: Schema.Types.Mixed },
    history: { type: Schema.Types.Mixed },
    // The operator's triage queue, `{ inTriage: true }`, is served by this index (equality: FerretDB pushes it down).
    inTriage: { type: Boolean, index: true },
  },
  { collection: 'match_decisions', versionKey: false },
);

function toStored(document: MatchDecisionDocument): StoredMatchDecision {
  return {
    requestId: document._id,
    decision: document.decision,
    explanation: document.explanation,
    events: document.outbox.map((e) => ({ type: e.eventType, envelope: JSON.parse(e.envelope) as unknown })),
    published: !document.outboxPending,
    decidedBy: document.decidedBy,
    decidedAt: document.decidedAt,
    ...(document.resolution ? { resolution: toResolution(document.resolution) } : {}),
    round: document.round ?? 0,
    revision: document.revision ?? 0,
    excluded: document.excluded ?? [],
    candidates: document.candidates ?? [],
    history: document.history ?? [],
  };
}

function toResolution(stored: NonNullable<MatchDecisionDocument['resolution']>): TriageResolution {
  return stored.action === 'assign'
    ? { action: 'assign', tenantIds: stored.tenantIds ?? [], operatorId: stored.operatorId }
    : { action: 'reject-as-spam', operatorId: stored.operatorId };
}

function toDocument(decision: StoredMatchDecision): MatchDecisionDocument {
  const { requestId, events, published, resolution, ...rest } = decision;
  return {
    _id: requestId,
    ...rest,
    inTriage: decision.decision === 'triage' && decision.decidedBy !== 'operator',
    outbox: events.map((e) => ({ eventType: e.type, envelope: JSON.stringify(e.envelope) })),
    outboxPending: !published && events.length > 0,
    outboxBatch: outboxBatchOfStored(events),
    outboxQueuedAt: decision.decidedAt,
    ...(resolution
      ? {
          resolution: {
            action: resolution.action,
            ...(resolution.action === 'assign' ? { tenantIds: [...resolution.tenantIds] } : {}),
            operatorId: resolution.operatorId,
          },
        }
      : {}),
  };
}

/** The outbox batch of a decision's events (the first envelope's id), as `markPublished` names it. */
export function outboxBatchOfStored(events: StoredMatchDecision['events']): string {
  return outboxBatchOf(events.map((e) => ({ id: String((e.envelope as { id?: unknown }).id ?? '') })));
}

/** The matcher's (or an operator's) decision per request, with the events it produced. */
export class MongoMatchDecisionRepository implements MatchDecisionRepository {
  private readonly model: Model<MatchDecisionDocument>;
  /** Decisions whose events are not all on Kafka yet, for the sweeper. */
  readonly outbox: MongoOutbox;

  constructor(connection: Connection) {
    this.model = connection.model<MatchDecisionDocument>('MatchDecision', matchDecisionSchema);
    this.outbox = new MongoOutbox(this.model);
  }

  async find(requestId: string): Promise<StoredMatchDecision | undefined> {
    const document = await this.model.findById(requestId).lean<MatchDecisionDocument>();
    return document ? toStored(document) : undefined;
  }

  async saveIfAbsent(decision: StoredMatchDecision): Promise<StoredMatchDecision> {
    if (await createIfAbsent(this.model, toDocument(decision))) return decision;
    return (await this.find(decision.requestId)) as StoredMatchDecision;
  }

  async replace(next: StoredMatchDecision, expected: StoredMatchDecision): Promise<boolean> {
    const { _id, outbox, outboxPending, outboxBatch, outboxQueuedAt, ...rest } = toDocument(next);
    // Same events: the outbox (and whether Kafka has them yet) stays as it is.
    const sameEvents = outboxBatchOfStored(next.events) === outboxBatchOfStored(expected.events);
    const result = await this.model.updateOne(
      // A decision stored before revisions were kept has none: null matches the missing field.
      { _id, revision: expected.revision === 0 ? null : expected.revision },
      {
        $set: { ...rest, ...(sameEvents ? {} : { outbox, outboxPending, outboxBatch, outboxQueuedAt }) },
        ...(next.resolution ? {} : { $unset: { resolution: 1 } }),
      },
    );
    return result.matchedCount > 0;
  }

  async listTriage(limit: number): Promise<StoredMatchDecision[]> {
    const documents = await this.model
      .find({ inTriage: true })
      .sort({ decidedAt: 1 })
      .limit(limit)
      .lean<MatchDecisionDocument[]>();
    return documents.map(toStored);
  }

  async markPublished(requestId: string, events: StoredMatchDecision['events']): Promise<void> {
    await this.outbox.markPublished(requestId, outboxBatchOfStored(events), new Date());
  }
}
