import type { Kafka, Producer, IHeaders } from 'kafkajs';
import { AppError } from '../errors';
import { type AnyEventContractShape, type Envelope, type EnvelopeOf, topicName } from '../events';
import type { Logger } from '../logger';
import { withTimeout } from './with-timeout';

/** Publishes event envelopes; the port application code depends on. */
export interface EventPublisher {
  /** Resolves once the event is durable; rejects with a retriable AppError when it cannot be. */
  publish<C extends AnyEventContractShape>(contract: C, envelope: EnvelopeOf<C>): Promise<void>;
}

export interface KafkaEventPublisherOptions {
  topicPrefix?: string;
  logger: Logger;
  /** A send that takes longer fails as retriable, so callers can answer 503 instead of hanging. */
  sendTimeoutMs?: number;
}

/** Late landings remembered per publisher; a retry comes within minutes, this covers hours of outages. */
const MAX_REMEMBERED_LATE_LANDINGS = 10_000;

export const EVENT_HEADERS = {
  id: 'event-id',
  type: 'event-type',
  version: 'event-version',
  correlationId: 'correlation-id',
} as const;

/**
 * Idempotent producer, acks from all in-sync replicas: `publish` resolves only once the event is
 * durable, which is what intake waits for before it answers anyone.
 */
export class KafkaEventPublisher implements EventPublisher {
  private readonly producer: Producer;
  private connected = false;
  /**
   * Sends still running inside KafkaJS, by envelope id. A send we stopped waiting for (timeout →
   * 503 / 451) keeps retrying and may still land; a caller's retry of the same envelope joins it
   * instead of sending a second copy, so one envelope is one record (within this process).
   */
  private readonly sendsInFlight = new Map<string, Promise<unknown>>();
  /**
   * Envelopes whose send landed after its caller had stopped waiting. Nobody recorded them as
   * published, so a retry would send them again: it resolves at once instead. Bounded (rare).
   */
  private readonly landedAfterTimeout = new Set<string>();

  constructor(
    kafka: Kafka,
    private readonly options: KafkaEventPublisherOptions,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }

  async publish<C extends AnyEventContractShape>(contract: C, envelope: EnvelopeOf<C>): Promise<void> {
    // Re-validate: a producer must never put a message on a topic that its consumers reject.
    const valid = contract.parse(envelope);
    const topic = topicName(contract, this.options.topicPrefix);
    if (this.landedAfterTimeout.has(valid.id)) return;
    const sending = this.sendsInFlight.get(valid.id) ?? this.startSend(topic, contract.keyOf(valid.payload), valid);
    try {
      await withTimeout(sending, this.options.sendTimeoutMs ?? 10_000, 'Kafka send');
    } catch (error) {
      sending.then(
        () => this.rememberLandedAfterTimeout(valid.id),
        () => undefined,
      );
      throw new AppError('KAFKA_UNAVAILABLE', `Could not publish ${contract.topic}: the event log is unavailable`, {
        httpStatus: 503,
        retriable: true,
        cause: error,
      });
    }
  }

  private rememberLandedAfterTimeout(envelopeId: string): void {
    this.landedAfterTimeout.add(envelopeId);
    if (this.landedAfterTimeout.size > MAX_REMEMBERED_LATE_LANDINGS) {
      const oldest = this.landedAfterTimeout.values().next().value;
      if (oldest !== undefined) this.landedAfterTimeout.delete(oldest);
    }
  }

  private startSend(topic: string, key: string, envelope: Envelope): Promise<unknown> {
    const send = this.producer.send({
      topic,
      acks: -1,
      messages: [{ key, value: JSON.stringify(envelope), headers: envelopeHeaders(envelope) }],
    });
    this.sendsInFlight.set(envelope.id, send);
    const forget = () => this.sendsInFlight.delete(envelope.id);
    send.then(forget, forget);
    return send;
  }
}

export function envelopeHeaders(envelope: Envelope): IHeaders {
  return {
    [EVENT_HEADERS.id]: envelope.id,
    [EVENT_HEADERS.type]: envelope.type,
    [EVENT_HEADERS.version]: String(envelope.version),
    [EVENT_HEADERS.correlationId]: envelope.correlationId,
  };
}
