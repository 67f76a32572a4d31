import { Schema, type Model } from 'mongoose';
import { ALL_EVENT_CONTRACTS, type Envelope } from '../events';
import { AppError } from '../errors';
import type { EventPublisher } from '../kafka/event-publisher';

/**
 * The outbox: events a state change owes Kafka, stored in the same document as the change, by the
 * same single-document update (the store has no multi-document transactions). Whoever made the
 * change publishes them and marks them published; when that publish fails (Kafka away, a crash
 * in between), the sweeper publishes them later. A publish may repeat, never with a new id: the
 * envelope is stored whole and sent byte for byte, so consumers see one event.
 */

/** One event waiting in its document: its type and the envelope as JSON text. */
export interface OutboxEvent {
  eventType: string;
  envelope: string;
}

/** The fields a document with an outbox carries. */
export interface OutboxFields {
  outbox: OutboxEvent[];
  /**
   * True while `outbox` holds events Kafka does not have yet. Indexed: the sweeper finds pending
   * documents by equality on it (FerretDB pushes only equality filters down to its storage).
   */
  outboxPending: boolean;
  /**
   * Which events `outbox` holds (the first envelope's id): marking published names it, so a mark
   * for events that were replaced meanwhile leaves the new ones pending.
   */
  outboxBatch: string;
  outboxQueuedAt: Date;
}

/** The outbox fields of a mongoose schema; spread into the schema definition. */
export const outboxSchemaFields = {
  outbox: {
    type: [
      new Schema<OutboxEvent>(
        { eventType: { type: String, required: true }, envelope: { type: String, required: true } },
        { _id: false },
      ),
    ],
    default: (): OutboxEvent[] => [],
  },
  // The sweeper's query, `{ outboxPending: true }`, is served by this index.
  outboxPending: { type: Boolean, default: false, index: true },
  outboxBatch: { type: String, default: '' },
  outboxQueuedAt: Date,
};

/** The outbox fields for a state change that owes these events (pending until marked). */
export function pendingOutbox(envelopes: readonly Envelope[], now: Date): OutboxFields {
  return {
    outbox: envelopes.map((envelope) => ({ eventType: envelope.type, envelope: JSON.stringify(envelope) })),
    outboxPending: envelopes.length > 0,
    outboxBatch: outboxBatchOf(envelopes),
    outboxQueuedAt: now,
  };
}

/** The batch name of these events, as `pendingOutbox` stores it. */
export function outboxBatchOf(envelopes: readonly { id: string }[]): string {
  return envelopes[0]?.id ?? '';
}

/** Publishes stored events in order; rejects (retriable when Kafka is away) at the first that fails. */
export async function publishOutboxEvents(publisher: EventPublisher, events: readonly OutboxEvent[]): Promise<void> {
  for (const event of events) {
    const envelope = JSON.parse(event.envelope) as Envelope;
    const contract = ALL_EVENT_CONTRACTS.find(
      (candidate) => candidate.type === envelope.type && candidate.version === envelope.version,
    );
    if (!contract) {
      throw new AppError('UNKNOWN_OUTBOX_EVENT', `an outbox holds an event of type ${event.eventType}`);
    }
    await publisher.publish(contract, contract.parse(envelope) as never);
  }
}

/** A document whose outbox is pending, as the sweeper sees it. */
export interface PendingOutbox {
  id: string;
  batch: string;
  events: OutboxEvent[];
  queuedAt: Date | undefined;
}

/** Where pending outboxes are found and marked published (one collection). */
export interface OutboxSource {
  /** Up to `limit` documents whose outbox is pending. */
  findPending(limit: number): Promise<PendingOutbox[]>;
  /** Marks the batch published; a document whose outbox holds another batch by now is left as it is. */
  markPublished(id: string, batch: string, at: Date): Promise<void>;
}

/** The outbox of one collection whose documents carry `outboxSchemaFields`. */
export class MongoOutbox implements OutboxSource {
  constructor(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    private readonly model: Model<any>,
    /** Further fields a document gets when its outbox is published (e.g. when it was). */
    private readonly publishedFields: (at: Date) => Record<string, unknown> = () => ({}),
  ) {}

  async findPending(limit: number): Promise<PendingOutbox[]> {
    const documents = await this.model
      .find({ outboxPending: true }, { outbox: 1, outboxBatch: 1, outboxQueuedAt: 1 })
      .limit(limit)
      .lean<Array<{ _id: string } & Partial<OutboxFields>>>();
    return documents.map((document) => ({
      id: document._id,
      batch: document.outboxBatch ?? '',
      events: document.outbox ?? [],
      queuedAt: document.outboxQueuedAt,
    }));
  }

  async markPublished(id: string, batch: string, at: Date): Promise<void> {
    await this.model.updateOne(
      { _id: id, outboxBatch: batch },
      { $set: { outboxPending: false, ...this.publishedFields(at) } },
    );
  }
}
