/**
 * The delivery state of one message the relay sent to one privacy contact, from SES's events.
 *
 * SES does not order its notifications and SNS redelivers them, so the state is not "the last
 * event": it is the event of highest precedence seen so far (ties: the later one, then the greater
 * key). That makes applying events commutative and idempotent — any arrival order, with any
 * repeats, ends in the same state — and a redelivered event never changes anything.
 */

export const MAIL_DELIVERY_STATUSES = [
  'sent',
  'delivered',
  'delayed',
  'bounced',
  'complained',
  'rejected',
  'rendering-failed',
] as const;
export type MailDeliveryStatus = (typeof MAIL_DELIVERY_STATUSES)[number];
export type BounceType = 'Permanent' | 'Transient' | 'Undetermined';

/** One SES event for the message (the fields of `privacy.mail.event.v1` the state needs). */
export interface DeliveryEvent {
  /** SNS's id of the notification: what a redelivery repeats. */
  snsMessageId?: string | undefined;
  sesMessageId: string;
  status: MailDeliveryStatus;
  /** The event's own time (ISO 8601). */
  occurredAt: string;
  bounceType?: BounceType | undefined;
  bounceSubType?: string | undefined;
}

/** What the case must do about its contact because of this message. */
export type DeliveryAction =
  | 'none'
  /** Permanent bounce, rejection, suppressed address: the contact cannot get mail; try the next one. */
  | 'next-contact'
  /** The contact marked the mail as spam: send it nothing more and flag it for the operators. */
  | 'stop-and-flag-contact'
  /** SES gave up after retrying (mailbox full, server down): the contact may take mail later. */
  | 'retry-contact-later'
  /** SES could not render the mail: our fault, and any contact would fail the same way. */
  | 'operator-review';

export interface MessageDelivery {
  status: MailDeliveryStatus | 'pending';
  /** When the event holding the status happened. */
  occurredAt?: string;
  bounceType?: BounceType;
  bounceSubType?: string;
  /** Key of the event holding the status (its SNS message id, normally). */
  decidedBy?: string;
  /**
   * Keys of the events applied, sorted, at most MAX_SEEN_EVENT_IDS: the greatest are kept, so the
   * set is the same whatever the arrival order. Correctness does not rest on it (applying an event
   * twice changes nothing); it tells a redelivery apart so that callers can skip the write.
   */
  seenEventIds: string[];
}

/** A message gets a handful of events (send, delivery, a few delays, bounce, complaint). */
export const MAX_SEEN_EVENT_IDS = 64;

export const initialMessageDelivery = (): MessageDelivery => ({ status: 'pending', seenEventIds: [] });

/** Precedence: a higher rank wins whatever came first. Delays and sends never undo an outcome. */
function rankOf(status: MessageDelivery['status'], bounceType: BounceType | undefined): number {
  switch (status) {
    case 'pending':
      return 0;
    case 'sent':
      return 10;
    case 'delayed':
      return 20;
    case 'delivered':
      return 30;
    case 'bounced':
      // SES reports a soft bounce only once it gave up; a permanent one is final for the address.
      return bounceType === 'Permanent' ? 60 : 40;
    case 'rendering-failed':
      return 50;
    case 'rejected':
      return 60;
    case 'complained':
      return 70;
  }
}

/** The action a state asks of the case (the same for every state of one rank). */
export function requiredAction(state: Pick<MessageDelivery, 'status' | 'bounceType'>): DeliveryAction {
  switch (rankOf(state.status, state.bounceType)) {
    case 70:
      return 'stop-and-flag-contact';
    case 60:
      return 'next-contact';
    case 50:
      return 'operator-review';
    case 40:
      return 'retry-contact-later';
    default:
      return 'none';
  }
}

/** The key deduplicating an event: the SNS message id, else the event's own facts. */
export function deliveryEventKey(event: DeliveryEvent): string {
  return (
    event.snsMessageId ??
    ['ses', event.sesMessageId, event.status, event.occurredAt, event.bounceType ?? '', event.bounceSubType ?? ''].join(
      '|',
    )
  );
}

/** Total order of events for one message: rank, then time, then key. Positive when `a` wins. */
function compare(a: MessageDelivery, b: MessageDelivery): number {
  const byRank = rankOf(a.status, a.bounceType) - rankOf(b.status, b.bounceType);
  if (byRank !== 0) return byRank;
  const byTime = Date.parse(a.occurredAt ?? '') - Date.parse(b.occurredAt ?? '');
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
  return (a.decidedBy ?? '').localeCompare(b.decidedBy ?? '');
}

export interface DeliveryEventResult {
  state: MessageDelivery;
  /** The event was applied before (same key): nothing changed. */
  duplicate: boolean;
  /** The status (or what holds it) changed. */
  changed: boolean;
  /** What the case must do now; `none` when this event asks nothing new (already asked before). */
  action: DeliveryAction;
}

/** Applies one SES event to the message's delivery state. Pure; the state passed in is not modified. */
export function applyDeliveryEvent(state: MessageDelivery, event: DeliveryEvent): DeliveryEventResult {
  const key = deliveryEventKey(event);
  if (state.seenEventIds.includes(key)) return { state, duplicate: true, changed: false, action: 'none' };

  const candidate: MessageDelivery = {
    status: event.status,
    occurredAt: event.occurredAt,
    ...(event.status === 'bounced' && event.bounceType ? { bounceType: event.bounceType } : {}),
    ...(event.status === 'bounced' && event.bounceSubType ? { bounceSubType: event.bounceSubType } : {}),
    decidedBy: key,
    seenEventIds: [],
  };
  const wins = compare(candidate, state) > 0;
  const seenEventIds = [...state.seenEventIds, key].sort().slice(-MAX_SEEN_EVENT_IDS);
  const next: MessageDelivery = wins ? { ...candidate, seenEventIds } : { ...state, seenEventIds };

  const before = requiredAction(state);
  const after = requiredAction(next);
  return { state: next, duplicate: false, changed: wins, action: after !== before ? after : 'none' };
}
