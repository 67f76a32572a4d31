import { EVENTS } from '@privacy-relay/shared/events';
import { relayRequestFromReceived } from './relay-request';

describe('relayRequestFromReceived', () => {
  it('When a pending request is received, then the record awaits verification and keeps what was asked', () => {
    const event = EVENTS.requestReceivedV1.parse(
      JSON.parse(
        JSON.stringify({
          id: '0193a1c2-7d4f-7000-8000-000000000001',
          type: 'privacy.request.received',
          version: 1,
          occurredAt: '2026-03-02T09:15:00.000Z',
          correlationId: 'c',
          payload: {
            requestId: '0193a1c2-7d4e-7a10-9b7c-3f1e2d4c5b6a',
            reference: 'PR-1',
            idempotencyKey: 'k',
            channel: 'web-form',
            receivedAt: '2026-03-02T09:15:00.000Z',
            requester: { name: 'Ada', email: 'ada@example.org' },
            rights: ['other'],
            otherRightText: 'stop calling me',
            text: 'hello',
            verification: { status: 'pending' },
          },
        }),
      ),
    );
    const record = relayRequestFromReceived(event.payload, event.id);
    expect(record).toMatchObject({
      status: 'awaiting-verification',
      verifiedAt: undefined,
      rights: ['other'],
      otherRightText: 'stop calling me',
      receivedAt: new Date('2026-03-02T09:15:00.000Z'),
      sourceEventId: event.id,
    });
  });
});
