import fc from 'fast-check';
import {
  MAIL_DELIVERY_STATUSES,
  applyDeliveryEvent,
  initialMessageDelivery,
  requiredAction,
  type DeliveryAction,
  type DeliveryEvent,
  type MessageDelivery,
} from './message-delivery';

// One message's events as SES may report them: any statuses, times within a day, a few repeats of
// the same instant, each with its own SNS message id.
const deliveryEvent = fc.record({
  status: fc.constantFrom(...MAIL_DELIVERY_STATUSES),
  bounceType: fc.constantFrom('Permanent' as const, 'Transient' as const, 'Undetermined' as const, undefined),
  bounceSubType: fc.constantFrom('General', 'OnAccountSuppressionList', 'MailboxFull', undefined),
  second: fc.integer({ min: 0, max: 20 }),
});
const distinctEvents = fc
  .uniqueArray(fc.tuple(deliveryEvent, fc.uuid()), { minLength: 1, maxLength: 12, selector: ([, id]) => id })
  .map((pairs) =>
    pairs.map(([fields, id]): DeliveryEvent => ({
      snsMessageId: id,
      sesMessageId: 'ses-1',
      status: fields.status,
      occurredAt: new Date(Date.UTC(2026, 10, 30, 8, 0, fields.second)).toISOString(),
      ...(fields.status === 'bounced' && fields.bounceType ? { bounceType: fields.bounceType } : {}),
      ...(fields.status === 'bounced' && fields.bounceSubType ? { bounceSubType: fields.bounceSubType } : {}),
    })),
  );

/** The events in order, and the same events shuffled with some delivered more than once (SNS redelivers). */
const inOrderAndShuffled = distinctEvents.chain((events) =>
  fc
    .tuple(
      fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
      fc.array(fc.integer({ min: 0, max: events.length - 1 }), { maxLength: 10 }),
      fc.array(fc.nat(), { maxLength: 10 }),
    )
    .map(([shuffled, repeats, positions]) => {
      const arrival = [...shuffled];
      repeats.forEach((index, nth) => {
        arrival.splice((positions[nth] ?? 0) % (arrival.length + 1), 0, events[index]!);
      });
      return { events, arrival };
    }),
);

const run = (events: DeliveryEvent[]) => {
  const actions: DeliveryAction[] = [];
  const state = events.reduce<MessageDelivery>((current, next) => {
    const result = applyDeliveryEvent(current, next);
    if (result.action !== 'none') actions.push(result.action);
    return result.state;
  }, initialMessageDelivery());
  return { state, actions };
};

describe('applyDeliveryEvent: arrival order and redelivery do not matter', () => {
  it('When a sequence of delivery events is shuffled and partly duplicated, then it ends in the same state as in order', () => {
    fc.assert(
      fc.property(inOrderAndShuffled, ({ events, arrival }) => {
        const inOrder = run(events);
        const shuffled = run(arrival);
        expect(shuffled.state).toEqual(inOrder.state);
        expect(requiredAction(shuffled.state)).toBe(requiredAction(inOrder.state));
      }),
      { numRuns: 2000 },
    );
  });

  it('When events arrive in any order, then no action is asked of the case twice and the last one asked is what the state requires', () => {
    fc.assert(
      fc.property(inOrderAndShuffled, ({ arrival }) => {
        const { state, actions } = run(arrival);
        expect(new Set(actions).size).toBe(actions.length);
        expect(actions.at(-1) ?? 'none').toBe(requiredAction(state));
      }),
      { numRuns: 2000 },
    );
  });
});
