import { mailEventFromSesNotification, sesEventNotificationSchema } from './ses-event-notification';

const sns = { messageId: 'sns-1', timestamp: '2026-11-30T09:59:59.000Z' };
const mail = (tags?: Record<string, string[]>) => ({
  messageId: 'ses-message-1',
  timestamp: '2026-11-30T08:00:00.000Z',
  destination: ['Privacy@Acme.example'],
  ...(tags ? { tags } : {}),
});
const map = (notification: unknown) =>
  mailEventFromSesNotification(sesEventNotificationSchema.parse(notification), sns);

describe('mailEventFromSesNotification', () => {
  it('When an identity notification (notificationType) reports a bounce, then it maps like an event-publishing one, dated by the bounce', () => {
    const result = map({
      notificationType: 'Bounce',
      mail: mail(),
      bounce: {
        bounceType: 'Transient',
        bounceSubType: 'MailboxFull',
        bouncedRecipients: [{ emailAddress: 'privacy@acme.example' }],
        timestamp: '2026-11-30T08:30:00.000Z',
      },
    });
    expect(result).toEqual({
      kind: 'event',
      payload: {
        sesMessageId: 'ses-message-1',
        status: 'bounced',
        occurredAt: '2026-11-30T08:30:00.000Z',
        snsMessageId: 'sns-1',
        sesEventType: 'Bounce',
        bounceType: 'Transient',
        bounceSubType: 'MailboxFull',
        recipients: ['privacy@acme.example'],
      },
    });
  });

  it.each([
    [
      'DeliveryDelay',
      { deliveryDelay: { timestamp: '2026-11-30T08:45:00.000Z', delayedRecipients: [] } },
      'delayed',
      '2026-11-30T08:45:00.000Z',
    ],
    [
      'Delivery',
      { delivery: { timestamp: '2026-11-30T08:00:03.000Z', recipients: ['privacy@acme.example'] } },
      'delivered',
      '2026-11-30T08:00:03.000Z',
    ],
    ['Complaint', { complaint: { timestamp: '2026-11-30T11:00:00.000Z' } }, 'complained', '2026-11-30T11:00:00.000Z'],
    // These happen at the send itself: the mail's timestamp is their own.
    ['Send', { send: {} }, 'sent', '2026-11-30T08:00:00.000Z'],
    ['Reject', { reject: { reason: 'Bad content' } }, 'rejected', '2026-11-30T08:00:00.000Z'],
    [
      'RenderingFailure',
      { failure: { errorMessage: 'x', templateName: 't' } },
      'rendering-failed',
      '2026-11-30T08:00:00.000Z',
    ],
  ])('When SES reports %s, then the status and the event time are right', (eventType, detail, status, occurredAt) => {
    const result = map({ eventType, mail: mail(), ...detail });
    expect(result).toMatchObject({ kind: 'event', payload: { status, occurredAt, sesEventType: eventType } });
  });

  it('When a delay has no timestamp of its own, then it is dated by SNS, never by the send', () => {
    expect(map({ eventType: 'DeliveryDelay', mail: mail(), deliveryDelay: {} })).toMatchObject({
      payload: { occurredAt: sns.timestamp },
    });
  });

  it('When the tags carry the case and contact, then they are read; a tag that does not fit is left out', () => {
    const caseId = '0193a1c2-9f00-7b21-8c3d-4e5f60718293';
    expect(map({ eventType: 'Send', mail: mail({ caseId: [caseId], contactIndex: ['2'] }) })).toMatchObject({
      payload: { caseId, contactIndex: 2 },
    });
    const bad = map({ eventType: 'Send', mail: mail({ caseId: ['not-a-uuid'], contactIndex: ['-1'] }) });
    expect(bad.kind === 'event' && bad.payload).not.toHaveProperty('caseId');
    expect(bad.kind === 'event' && bad.payload).not.toHaveProperty('contactIndex');
  });

  it.each(['Open', 'Click', 'AmazonSnsSubscriptionSucceeded', 'Subscription'])(
    'When SES reports %s, then it is ignored (no delivery fact)',
    (eventType) => {
      expect(map({ eventType, mail: mail() })).toEqual({ kind: 'ignored', eventType });
    },
  );

  it('When SES confirms the topic with its own notice (no mail), then it is ignored; a Bounce without mail is malformed', () => {
    expect(
      map({ notificationType: 'AmazonSnsSubscriptionSucceeded', message: 'You have successfully subscribed' }),
    ).toEqual({ kind: 'ignored', eventType: 'AmazonSnsSubscriptionSucceeded' });
    expect(map({ eventType: 'Bounce', bounce: { bounceType: 'Permanent' } })).toEqual({ kind: 'malformed' });
  });
});
