import { createIfAbsent } from '@privacy-relay/shared/mongo';
import { MongoOutbox, outboxBatchOf, outboxSchemaFields, type OutboxFields } from '@privacy-relay/shared/outbox';
import { Schema, type Connection, type Model } from 'mongoose';
import type { MatchDecisionRepository, StoredMatchDecision, TriageResolution } from '../../application/ports';

/**
 * The decision's events are its outbox (envelopes as JSON text, stored and republished byte for
 * byte); `outboxPending` says they are not all on Kafka yet, for the sweeper.
 */
interface MatchDecisionDocument
  extends Omit<StoredMatchDecision, 'requestId' | 'events' | 'published' | 'resolution'>, OutboxFields {
  _id: string;
  /** The operator's resolution (who and what), for the audit trail and for telling a retry from a conflict. */
  resolution?: { action: string; tenantIds?: string[]; operatorId: string };
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

  async replaceTriage(decision: StoredMatchDecision): Promise<boolean> {
    const { _id, ...rest } = toDocument(decision);
    const result = await this.model.updateOne({ _id, decision: 'triage', decidedBy: 'matcher' }, { $set: rest });
    return result.matchedCount > 0;
  }

  async markPublished(requestId: string, events: StoredMatchDecision['events']): Promise<void> {
    await this.outbox.markPublished(requestId, outboxBatchOfStored(events), new Date());
  }
}
