import type { RequestReceivedV1 } from '@privacy-relay/shared/events';

/** Now. Injected so that tests move time instead of waiting. */
export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  newRequestId(): string;
}

/** What the ledger keeps per idempotency key. */
export interface LedgerEntry {
  idempotencyKey: string;
  requestId: string;
  reference: string;
  /** The exact event to publish; re-sent unchanged until Kafka has it, dropped once it has. */
  event?: RequestReceivedV1 | undefined;
  publishedAt?: Date | undefined;
}

/**
 * Intake's memory of idempotency keys. One key, one request id and one event, however often the
 * client retries. Writes are single-document and atomic.
 */
export interface RequestLedger {
  /** Records the entry unless the key is known; returns what is recorded for the key either way. */
  claim(entry: LedgerEntry): Promise<{ entry: LedgerEntry; created: boolean }>;
  /** Kafka acknowledged the event: the payload can go, the key and reference stay. */
  markPublished(idempotencyKey: string, at: Date): Promise<void>;
  findByRequestId(requestId: string): Promise<LedgerEntry | undefined>;
}

/** Publishes `privacy.request.received.v1` and resolves once it is durable (acks from all ISR). */
export interface ReceivedRequestPublisher {
  publishReceived(event: RequestReceivedV1): Promise<void>;
}

/** One email to one recipient. Plain text always; HTML optional and escaped by whoever builds it. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** Sends mail (SES in production and tests); resolves with the provider's message id. */
export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
}
