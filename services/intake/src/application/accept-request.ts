import { EVENTS, type RequestReceivedV1 } from '@privacy-relay/shared/events';
import type { IncomingRequest } from '../domain/intake-request';
import { referenceFor } from '../domain/reference';
import type { Clock, IdGenerator, ReceivedRequestPublisher, RequestLedger } from './ports';

export interface AcceptRequestDeps {
  ledger: RequestLedger;
  publisher: ReceivedRequestPublisher;
  clock: Clock;
  ids: IdGenerator;
}

export interface AcceptedRequest {
  requestId: string;
  reference: string;
  /** When intake received it (the first attempt's time for a retried key). */
  receivedAt: Date;
  /** True when this idempotency key had already been accepted: nothing new was published. */
  duplicate: boolean;
}

/**
 * Accepts a validated request: gives it an id and a reference, and publishes
 * `privacy.request.received.v1`. Resolves only once Kafka holds the event, so a caller may answer
 * 202 / SMTP 250 after it and must answer 503 / 451 when it rejects (the AppError is retriable).
 *
 * The same idempotency key always yields the same request id, reference and event: a retry after
 * a failed publish sends the event again with the id, reference and receipt time of the first
 * attempt (content from the retry, which repeats the request), and a retry after success publishes
 * nothing.
 */
export async function acceptRequest(deps: AcceptRequestDeps, incoming: IncomingRequest): Promise<AcceptedRequest> {
  const requestId = deps.ids.newRequestId();
  const event = receivedEvent(incoming, {
    requestId,
    reference: referenceFor(requestId),
    receivedAt: deps.clock.now(),
  });
  const { entry, created } = await deps.ledger.claim({
    idempotencyKey: incoming.idempotencyKey,
    requestId,
    reference: event.payload.reference,
    eventId: event.id,
    receivedAt: new Date(event.occurredAt),
  });
  const accepted = { requestId: entry.requestId, reference: entry.reference, receivedAt: entry.receivedAt };
  if (entry.publishedAt) return { ...accepted, duplicate: true };

  await deps.publisher.publishReceived(created ? event : receivedEvent(incoming, entry));
  await deps.ledger.markPublished(entry.idempotencyKey, deps.clock.now());
  return { ...accepted, duplicate: !created };
}

/** The received event of a request (exported for tests that need the event intake publishes). */
export function receivedEvent(
  incoming: IncomingRequest,
  ids: { requestId: string; reference: string; receivedAt: Date; eventId?: string },
): RequestReceivedV1 {
  const { request } = incoming;
  return EVENTS.requestReceivedV1.create(
    {
      requestId: ids.requestId,
      reference: ids.reference,
      idempotencyKey: incoming.idempotencyKey,
      channel: incoming.channel,
      receivedAt: ids.receivedAt.toISOString(),
      requester: request.requester,
      rights: request.rights,
      ...(request.otherRightText ? { otherRightText: request.otherRightText } : {}),
      ...(request.company && (request.company.name || request.company.email) ? { company: request.company } : {}),
      text: request.text,
      ...(request.regimeHint ? { regimeHint: request.regimeHint } : {}),
      verification: incoming.verification,
      ...(incoming.attachments?.length ? { attachments: incoming.attachments } : {}),
    },
    {
      correlationId: ids.requestId,
      occurredAt: ids.receivedAt,
      ...(ids.eventId ? { id: ids.eventId } : {}),
    },
  );
}
