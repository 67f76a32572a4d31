import { EVENTS } from '@privacy-relay/shared/events';
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
  /** True when this idempotency key had already been accepted: nothing new was published. */
  duplicate: boolean;
}

/**
 * Accepts a validated request: gives it an id and a reference, and publishes
 * `privacy.request.received.v1`. Resolves only once Kafka holds the event, so a caller may answer
 * 202 / SMTP 250 after it and must answer 503 / 451 when it rejects (the AppError is retriable).
 *
 * The same idempotency key always yields the same request id, reference and event: a retry after
 * a failed publish re-sends the very event that failed, and a retry after success publishes nothing.
 */
export async function acceptRequest(deps: AcceptRequestDeps, incoming: IncomingRequest): Promise<AcceptedRequest> {
  const receivedAt = deps.clock.now();
  const requestId = deps.ids.newRequestId();
  const reference = referenceFor(requestId);
  const { request } = incoming;
  const event = EVENTS.requestReceivedV1.create(
    {
      requestId,
      reference,
      idempotencyKey: incoming.idempotencyKey,
      channel: incoming.channel,
      receivedAt: receivedAt.toISOString(),
      requester: request.requester,
      rights: request.rights,
      ...(request.otherRightText ? { otherRightText: request.otherRightText } : {}),
      ...(request.company && (request.company.name || request.company.email) ? { company: request.company } : {}),
      text: request.text,
      ...(request.regimeHint ? { regimeHint: request.regimeHint } : {}),
      verification: incoming.verification,
      ...(incoming.attachments?.length ? { attachments: incoming.attachments } : {}),
    },
    { correlationId: requestId, occurredAt: receivedAt },
  );

  const { entry } = await deps.ledger.claim({ idempotencyKey: incoming.idempotencyKey, requestId, reference, event });
  if (entry.publishedAt) return { requestId: entry.requestId, reference: entry.reference, duplicate: true };

  // An unpublished entry always keeps its event (markPublished is what drops it).
  await deps.publisher.publishReceived(entry.event ?? event);
  await deps.ledger.markPublished(entry.idempotencyKey, deps.clock.now());
  return { requestId: entry.requestId, reference: entry.reference, duplicate: entry.requestId !== requestId };
}
