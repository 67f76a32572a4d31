import { randomUUID } from 'node:crypto';
import { EVENTS, type RequestReceivedV1, type RequestVerifiedV1 } from '@privacy-relay/shared/events';
import type { EventPublisher } from '@privacy-relay/shared/kafka';

/** A valid received-request event with a fresh id; override what the test cares about. */
export function receivedRequestEvent(overrides: Partial<RequestReceivedV1['payload']> = {}): RequestReceivedV1 {
  const requestId = overrides.requestId ?? randomUUID();
  return EVENTS.requestReceivedV1.create(
    {
      requestId,
      reference: `PR-${requestId.slice(0, 8).toUpperCase()}`,
      idempotencyKey: `test:${requestId}`,
      channel: 'api',
      receivedAt: new Date().toISOString(),
      requester: { name: 'Ada Example', email: 'ada@example.org' },
      rights: ['access'],
      company: { name: 'Juro Online Limited' },
      text: 'Please send me a copy of my data.',
      verification: { status: 'pending' },
      ...overrides,
    },
    { correlationId: requestId },
  );
}

/** Intake's two events for a request verified by its link: received (pending), then verified. */
export function verifiedRequestEvents(overrides: Partial<RequestReceivedV1['payload']> = {}): {
  received: RequestReceivedV1;
  verified: RequestVerifiedV1;
} {
  const received = receivedRequestEvent(overrides);
  const { requestId } = received.payload;
  const verified = EVENTS.requestVerifiedV1.create(
    { requestId, verifiedAt: new Date().toISOString(), method: 'email-link' },
    { correlationId: requestId },
  );
  return { received, verified };
}

/** Publishes a request received and then verified, as intake would; returns its id. */
export async function publishVerifiedRequest(
  publisher: EventPublisher,
  overrides: Partial<RequestReceivedV1['payload']> = {},
): Promise<string> {
  const { received, verified } = verifiedRequestEvents(overrides);
  await publisher.publish(EVENTS.requestReceivedV1, received);
  await publisher.publish(EVENTS.requestVerifiedV1, verified);
  return received.payload.requestId;
}
