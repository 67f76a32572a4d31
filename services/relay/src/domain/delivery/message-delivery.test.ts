import {
  MAX_SEEN_EVENT_IDS,
  applyDeliveryEvent,
  initialMessageDelivery,
  requiredAction,
  type DeliveryEvent,
  type MessageDelivery,
} from './message-delivery';

let sequence = 0;
const event = (status: DeliveryEvent['status'], at: string, extra: Partial<DeliveryEvent> = {}): DeliveryEvent => ({
  snsMessageId: `sns-${++sequence}`,
  sesMessageId: 'ses-1',
  status,
  occurredAt: `2026-11-30T${at}Z`,
  ...extra,
});
const applyAll = (events: DeliveryEvent[], from: MessageDelivery = initialMessageDelivery()) =>
  events.reduce((state, next) => applyDeliveryEvent(state, next).state, from);

describe('applyDeliveryEvent: one message, by precedence, not arrival order', () => {
  it('When a Bounce arrives after a Delivery (asynchronous bounce), then the message is bounced and the case moves on', () => {
    const delivered = applyAll([event('sent', '08:00:00'), event('delivered', '08:00:02')]);
    const result = applyDeliveryEvent(delivered, event('bounced', '08:05:00', { bounceType: 'Permanent' }));
    expect(result.state).toMatchObject({ status: 'bounced', bounceType: 'Permanent' });
    expect(result.action).toBe('next-contact');
  });

  it('When a Delivery arrives after the Bounce it preceded, then the bounce stays', () => {
    const bounced = applyAll([event('bounced', '08:05:00', { bounceType: 'Permanent' })]);
    const result = applyDeliveryEvent(bounced, event('delivered', '08:00:02'));
    expect(result.state.status).toBe('bounced');
    expect(result.changed).toBe(false);
    expect(result.action).toBe('none');
  });

  it('When a complaint comes after the delivery, then it wins, stops mail to the contact and flags it', () => {
    const result = applyDeliveryEvent(applyAll([event('delivered', '08:00:02')]), event('complained', '09:00:00'));
    expect(result.state.status).toBe('complained');
    expect(result.action).toBe('stop-and-flag-contact');
    // A delivery reported late does not undo the complaint.
    expect(applyDeliveryEvent(result.state, event('delivered', '08:00:03')).state.status).toBe('complained');
  });

  it.each<[string, DeliveryEvent]>([
    ['delivered', event('delivered', '08:00:02')],
    ['bounced', event('bounced', '08:00:02', { bounceType: 'Permanent' })],
    ['complained', event('complained', '08:00:02')],
    ['rejected', event('rejected', '08:00:00')],
  ])('When a DeliveryDelay comes after %s, then it changes nothing', (status, final) => {
    const result = applyDeliveryEvent(applyAll([final]), event('delayed', '08:30:00'));
    expect(result.state.status).toBe(status);
    expect(result.changed).toBe(false);
  });

  it('When a DeliveryDelay follows the Send, then the message is delayed and nothing is done yet', () => {
    const result = applyDeliveryEvent(applyAll([event('sent', '08:00:00')]), event('delayed', '08:30:00'));
    expect(result.state.status).toBe('delayed');
    expect(result.action).toBe('none');
  });

  it.each<[string, string, Partial<DeliveryEvent> & { status: DeliveryEvent['status'] }]>([
    ['a permanent bounce', 'next-contact', { status: 'bounced', bounceType: 'Permanent', bounceSubType: 'General' }],
    [
      'an address on the account suppression list',
      'next-contact',
      { status: 'bounced', bounceType: 'Permanent', bounceSubType: 'OnAccountSuppressionList' },
    ],
    ['a rejection', 'next-contact', { status: 'rejected' }],
    ['a complaint', 'stop-and-flag-contact', { status: 'complained' }],
    ['a transient bounce (SES gave up)', 'retry-contact-later', { status: 'bounced', bounceType: 'Transient' }],
    ['a rendering failure (our template)', 'operator-review', { status: 'rendering-failed' }],
    ['a delivery', 'none', { status: 'delivered' }],
  ])('When the first event is %s, then the case is told %s', (_what, action, fields) => {
    const result = applyDeliveryEvent(initialMessageDelivery(), event(fields.status, '08:00:00', fields));
    expect(result.action).toBe(action);
    expect(requiredAction(result.state)).toBe(action);
  });

  it('When a transient bounce is followed by a permanent one, then the case moves on once', () => {
    const transient = applyDeliveryEvent(
      initialMessageDelivery(),
      event('bounced', '08:00:00', { bounceType: 'Transient' }),
    );
    const permanent = applyDeliveryEvent(transient.state, event('bounced', '09:00:00', { bounceType: 'Permanent' }));
    expect([transient.action, permanent.action]).toEqual(['retry-contact-later', 'next-contact']);
  });

  it('When SNS delivers the same notification again, then it is a duplicate: no change, no second action', () => {
    const bounce = event('bounced', '08:05:00', { bounceType: 'Permanent' });
    const first = applyDeliveryEvent(initialMessageDelivery(), bounce);
    const again = applyDeliveryEvent(first.state, bounce);
    expect(first.action).toBe('next-contact');
    expect(again).toMatchObject({ duplicate: true, changed: false, action: 'none' });
    expect(again.state).toEqual(first.state);
  });

  it('When more events than the bound arrive, then the seen ids stay bounded and the outcome is unchanged', () => {
    const delays = Array.from({ length: MAX_SEEN_EVENT_IDS + 20 }, (_, index) =>
      event('delayed', `08:${String(index % 60).padStart(2, '0')}:00`),
    );
    const state = applyAll([event('delivered', '07:59:00'), ...delays]);
    expect(state.seenEventIds.length).toBe(MAX_SEEN_EVENT_IDS);
    expect(state.status).toBe('delivered');
  });

  it('When an event carries no SNS message id, then an identical one is still recognised as a duplicate', () => {
    const bounce = { ...event('bounced', '08:05:00', { bounceType: 'Permanent' as const }), snsMessageId: undefined };
    const first = applyDeliveryEvent(initialMessageDelivery(), bounce);
    expect(applyDeliveryEvent(first.state, { ...bounce })).toMatchObject({ duplicate: true, action: 'none' });
  });
});
