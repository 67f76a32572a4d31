import { randomUUID } from 'node:crypto';
import { EVENTS, type RequestReceivedV1 } from '@privacy-relay/shared/events';

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
