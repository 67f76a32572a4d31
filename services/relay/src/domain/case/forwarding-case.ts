import type { Regime } from '@privacy-relay/shared/events';
import {
  applyDeliveryEvent,
  initialMessageDelivery,
  requiredAction,
  type DeliveryAction,
  type DeliveryEvent,
  type MessageDelivery,
} from '../delivery/message-delivery';
import type { CaseEscalation, EscalationLadder, EscalationMail, EscalationStep } from './escalation-ladder';

/**
 * Where a case stands. `matched` until the first message to a contact is accepted by SES;
 * `forwarded` until the tenant acts; the three ends (`done`, `not-ours`, `no-contact-left`) are final.
 */
export type CaseState = 'matched' | 'forwarded' | 'acknowledged' | 'done' | 'not-ours' | 'no-contact-left';

/**
 * What happened to one message to one contact. `sending`: the intent is recorded, SES has not
 * (yet, as far as the relay knows) accepted it; the rest are SES's own outcomes.
 */
export type DeliveryState =
  'sending' | 'sent' | 'delivered' | 'delayed' | 'bounced' | 'complained' | 'rejected' | 'rendering-failed';

/** Who or what made a transition. */
export type Actor =
  | { kind: 'matcher' }
  | { kind: 'operator'; operatorId: string }
  | { kind: 'admin-link' }
  | { kind: 'relay' }
  | { kind: 'mail-event'; eventId: string }
  | { kind: 'retention' };

export interface CaseContact {
  email: string;
  role: 'privacy' | 'admin';
  /** Set when the contact complained about our mail: nothing more is sent to it, and operators see the flag. */
  stopped?: { reason: 'complained'; at: string; sesMessageId: string };
}

/**
 * One message to one privacy contact; `contactIndex` is the contact's place in the case's list.
 * The relay sends a contact one message of its own accord; an operator's re-send adds another.
 */
export interface CaseMessage {
  contactIndex: number;
  /** The address it went to (a contact's address may change later; this stays the one used). */
  email: string;
  /** The intent: recorded before SES is asked, so a crash leaves a trace of the attempt. */
  intentAt: string;
  sesMessageId?: string;
  sentAt?: string;
  delivery: DeliveryState;
  deliveryAt: string;
  /** SES's events for this message, by precedence (`applyDeliveryEvent`); absent until the first one. */
  tracking?: MessageDelivery;
  /** Set on an operator's re-send (absent on the relay's own sends). */
  requestedBy?: { kind: 'operator'; operatorId: string };
  /** Refusals SES may lift later (a sandbox recipient not verified yet) met so far; the send is given up at the error's bound. */
  refusedAttempts?: number;
  /** Why SES refused this mail at the send (an error code, no personal data): delivery `rejected`, no SES id. */
  refusal?: string;
}

/** One line of the audit trail: when, what, by whom or which event, the SES message id where there is one. */
export interface AuditLine {
  at: string;
  what: string;
  by: Actor;
  sesMessageId?: string;
  contactIndex?: number;
  /** For a mail event: SNS's id of the notification, and when SES says it happened. */
  snsMessageId?: string;
  occurredAt?: string;
  /** Why, as a code (never free text or an address): e.g. SES's refusal of a send. */
  reason?: string;
  /** For an extension: the deadline it set (YYYY-MM-DD). */
  deadline?: string;
  /**
   * Free text its author gave (today only an extension's reason). May hold personal data: the
   * hash chain keeps it only as a salted hash (key `text`, docs/evidence.md), logs never.
   */
  text?: string;
}

/** The one extension of a case's deadline: when, by whom, why, from which deadline to which. */
export interface CaseExtension {
  at: string;
  by: Actor;
  /** The reason as given (trimmed), told to the requester. */
  reason: string;
  from: string;
  to: string;
}

/** An SNS notification exactly as posted (signature included), kept as evidence of a delivery fact. */
export interface MailEvidence {
  snsMessageId?: string;
  sesMessageId: string;
  receivedAt: string;
  rawNotification: string;
}

/**
 * Evidence kept per case: each notification is at most 256 KiB (the contract's bound), so 16 stay
 * far below the store's 16 MiB document limit. Only notifications that changed a message's state
 * are kept; once full, later ones are audited without their raw text.
 */
export const MAX_CASE_EVIDENCE = 16;

/** A case: one (request, tenant) pair, with its deadline fixed at creation. */
export interface ForwardingCase {
  caseId: string;
  requestId: string;
  tenantId: string;
  /** The tenant's display name (the directory's legal name) at creation, for the requester's notice. */
  tenantName?: string;
  state: CaseState;
  regime: Regime;
  jurisdiction: string;
  /** The day of receipt (YYYY-MM-DD) the deadline is counted from. */
  receivedOn: string;
  /**
   * The deadline in force: the legal deadline, or, once the case was extended, the extended one.
   * Whatever follows the deadline (the escalation ladder, the requester's notices) reads this.
   */
  deadline: string;
  /** The deadline if extended, computed with the first one from the day of receipt. */
  extendedDeadline: string;
  /** The first deadline, kept once an extension replaced it in `deadline`. */
  originalDeadline?: string;
  /** Set by the case's one extension (`extendDeadline`). */
  extension?: CaseExtension;
  /** The tenant's privacy contacts at creation, in the directory's order. */
  contacts: CaseContact[];
  messages: CaseMessage[];
  audit: AuditLine[];
  evidence?: MailEvidence[];
  /** The escalation ladder of this case: the relay's default with the tenant's overrides when it opened. */
  ladder?: EscalationLadder;
  /** The escalation steps recorded, each once, with their mails (docs/escalation.md). */
  escalations?: CaseEscalation[];
}

export type TransitionResult =
  | { ok: true; case: ForwardingCase }
  | { ok: false; reason: 'not-allowed'; from: CaseState; action: string }
  | { ok: false; reason: 'already'; state: CaseState }
  | {
      ok: false;
      reason: 'unknown-message' | 'unknown-contact' | 'message-exists' | 'contact-stopped' | 'send-under-way';
    };

/** The tenant's actions through the admin links. */
export type TenantAction = 'acknowledge' | 'done' | 'not-ours';

/** Where each action may start from, and where it leads. Everything not listed is refused. */
const ALLOWED: Record<TenantAction | 'forward' | 'no-contact-left', { from: readonly CaseState[]; to: CaseState }> = {
  forward: { from: ['matched'], to: 'forwarded' },
  acknowledge: { from: ['forwarded'], to: 'acknowledged' },
  done: { from: ['forwarded', 'acknowledged'], to: 'done' },
  'not-ours': { from: ['forwarded', 'acknowledged'], to: 'not-ours' },
  'no-contact-left': { from: ['matched', 'forwarded'], to: 'no-contact-left' },
};

export const FINAL_STATES: readonly CaseState[] = ['done', 'not-ours', 'no-contact-left'];

export interface NewCase {
  caseId: string;
  requestId: string;
  tenantId: string;
  tenantName?: string;
  regime: Regime;
  jurisdiction: string;
  receivedOn: string;
  deadline: string;
  extendedDeadline: string;
  contacts: CaseContact[];
  ladder?: EscalationLadder;
  at: Date;
  by: Actor;
}

export function openCase(input: NewCase): ForwardingCase {
  const { at, by, ...rest } = input;
  return {
    ...rest,
    contacts: input.contacts.map((c) => ({ ...c })),
    state: 'matched',
    messages: [],
    audit: [{ at: at.toISOString(), what: 'matched', by }],
  };
}

/** A message whose intent is recorded and whose outcome at SES is not (yet). */
export const isSending = (message: CaseMessage): boolean => message.delivery === 'sending';

/**
 * Records that the relay is about to send the case to this contact (before SES is asked). The
 * relay's own sends reach each contact once: a contact with any message, or a send under way
 * anywhere in the case (one at a time), is refused.
 */
export function recordSendIntent(current: ForwardingCase, contactIndex: number, at: Date): TransitionResult {
  const refusal = sendRefusal(current, contactIndex);
  if (refusal) return refusal;
  if (hasMessageAtCurrentAddress(current, contactIndex)) return { ok: false, reason: 'message-exists' };
  return { ok: true, case: withIntent(current, contactIndex, at) };
}

/**
 * An operator re-sends the case to a contact: a new message beside the earlier ones (its own SES
 * id), audited with the operator's id. Allowed while the case is open, never to a stopped
 * (complained) contact, and not while another send is under way.
 */
export function recordResendIntent(
  current: ForwardingCase,
  contactIndex: number,
  at: Date,
  operatorId: string,
): TransitionResult {
  const refusal = sendRefusal(current, contactIndex);
  if (refusal) return refusal;
  const by = { kind: 'operator' as const, operatorId };
  const next = withIntent(current, contactIndex, at, by);
  return {
    ok: true,
    case: { ...next, audit: [...next.audit, { at: at.toISOString(), what: 're-send requested', by, contactIndex }] },
  };
}

function sendRefusal(current: ForwardingCase, contactIndex: number): TransitionResult | undefined {
  if (FINAL_STATES.includes(current.state)) return refused(current, 'send');
  const contact = current.contacts[contactIndex];
  if (!contact) return { ok: false, reason: 'unknown-contact' };
  if (contact.stopped) return { ok: false, reason: 'contact-stopped' };
  if (current.messages.some(isSending)) return { ok: false, reason: 'send-under-way' };
  return undefined;
}

function withIntent(
  current: ForwardingCase,
  contactIndex: number,
  at: Date,
  requestedBy?: CaseMessage['requestedBy'],
): ForwardingCase {
  const message: CaseMessage = {
    contactIndex,
    email: current.contacts[contactIndex]!.email,
    intentAt: at.toISOString(),
    delivery: 'sending',
    deliveryAt: at.toISOString(),
    ...(requestedBy ? { requestedBy } : {}),
  };
  return { ...current, messages: [...current.messages, message] };
}

/** The send under way to this contact, if any (at most one per case). */
export function sendingTo(current: ForwardingCase, contactIndex: number): CaseMessage | undefined {
  return current.messages.find((m) => m.contactIndex === contactIndex && isSending(m));
}

/**
 * SES refused the send under way to this contact for good (or for as long as the relay waits):
 * the message becomes `rejected` without an SES id, audited with the reason code. Whether the case
 * moves on is `mustMoveToNextContact`'s call, as for a permanent bounce.
 */
export function recordSendRefused(
  current: ForwardingCase,
  contactIndex: number,
  reasonCode: string,
  at: Date,
): TransitionResult {
  const message = sendingTo(current, contactIndex);
  if (!message) return { ok: false, reason: 'unknown-message' };
  const iso = at.toISOString();
  return {
    ok: true,
    case: {
      ...current,
      messages: current.messages.map((m) =>
        m === message ? { ...m, delivery: 'rejected' as const, deliveryAt: iso, refusal: reasonCode } : m,
      ),
      audit: [
        ...current.audit,
        { at: iso, what: 'delivery rejected', by: { kind: 'relay' }, contactIndex, reason: reasonCode },
      ],
    },
  };
}

/** SES refused the send under way for now (it may accept it later): counted on the message, nothing else changes. */
export function recordRefusedAttempt(current: ForwardingCase, contactIndex: number): TransitionResult {
  const message = sendingTo(current, contactIndex);
  if (!message) return { ok: false, reason: 'unknown-message' };
  return {
    ok: true,
    case: {
      ...current,
      messages: current.messages.map((m) =>
        m === message ? { ...m, refusedAttempts: (m.refusedAttempts ?? 0) + 1 } : m,
      ),
    },
  };
}

/** SES accepted the message: its id is recorded, and the first accepted message forwards the case. */
export function recordSent(
  current: ForwardingCase,
  contactIndex: number,
  sesMessageId: string,
  at: Date,
): TransitionResult {
  const message = sendingTo(current, contactIndex);
  if (!message) {
    return current.messages.some((m) => m.contactIndex === contactIndex)
      ? { ok: false, reason: 'already', state: current.state }
      : { ok: false, reason: 'unknown-message' };
  }
  const iso = at.toISOString();
  const messages = current.messages.map((m) =>
    m === message ? { ...m, sesMessageId, sentAt: iso, delivery: 'sent' as const, deliveryAt: iso } : m,
  );
  const state = current.state === 'matched' ? ALLOWED.forward.to : current.state;
  return {
    ok: true,
    case: {
      ...current,
      state,
      messages,
      audit: [...current.audit, { at: iso, what: 'forwarded', by: { kind: 'relay' }, sesMessageId, contactIndex }],
    },
  };
}

/** The tenant acknowledges, marks done, or says not ours. Repeating the action that got it here is `already`. */
export function applyTenantAction(
  current: ForwardingCase,
  action: TenantAction,
  at: Date,
  by: Actor,
): TransitionResult {
  return transition(current, action, at, by);
}

/** No contact is left to try (the delivery tracking decides that). */
export function markNoContactLeft(current: ForwardingCase, at: Date, by: Actor): TransitionResult {
  return transition(current, 'no-contact-left', at, by);
}

/**
 * Sets one message's delivery state, as decided by the delivery tracking's precedence (which
 * state wins over which is not this function's concern: it records the decision and audits it).
 */
export function recordDelivery(
  current: ForwardingCase,
  sesMessageId: string,
  delivery: Exclude<DeliveryState, 'sending'>,
  at: Date,
  by: Actor,
): TransitionResult {
  const message = current.messages.find((m) => m.sesMessageId === sesMessageId);
  if (!message) return { ok: false, reason: 'unknown-message' };
  const iso = at.toISOString();
  return {
    ok: true,
    case: {
      ...current,
      messages: current.messages.map((m) => (m === message ? { ...m, delivery, deliveryAt: iso } : m)),
      audit: [
        ...current.audit,
        { at: iso, what: `delivery ${delivery}`, by, sesMessageId, contactIndex: message.contactIndex },
      ],
    },
  };
}

/**
 * An operator changes a contact's address (open cases only; not while a send to it is under way).
 * The audit line names the operator and the contact's index, never an address: the old one stays
 * only where it is needed, in the messages already sent to it. A stop (complaint) belonged to the
 * old address and is lifted. The same address again is `already`.
 */
export function changeContactAddress(
  current: ForwardingCase,
  contactIndex: number,
  email: string,
  at: Date,
  operatorId: string,
): TransitionResult {
  if (FINAL_STATES.includes(current.state)) return refused(current, 'change-contact');
  const contact = current.contacts[contactIndex];
  if (!contact) return { ok: false, reason: 'unknown-contact' };
  if (contact.email.toLowerCase() === email.toLowerCase())
    return { ok: false, reason: 'already', state: current.state };
  if (sendingTo(current, contactIndex)) return { ok: false, reason: 'send-under-way' };
  const { stopped, ...rest } = contact;
  return {
    ok: true,
    case: {
      ...current,
      contacts: current.contacts.map((c, i) => (i === contactIndex ? { ...rest, email } : c)),
      audit: [
        ...current.audit,
        {
          at: at.toISOString(),
          what: 'contact changed',
          by: { kind: 'operator', operatorId },
          contactIndex,
          ...(stopped ? { reason: 'stop-lifted' } : {}),
        },
      ],
    },
  };
}

/** Whether a contact is owed the forward at its (changed) address: it has no message, or its latest one is dead. */
export function contactAwaitsForward(current: ForwardingCase, contactIndex: number): boolean {
  const latest = current.messages.filter((m) => m.contactIndex === contactIndex).at(-1);
  return latest === undefined || isDead(latest);
}

/**
 * Whether the contact was sent the case at the address it has now. A contact whose address an
 * operator changed after its mail went out has not been: once every mail tried is dead (the old
 * address's mail bouncing after the change), the case goes to its new address, not past it.
 */
export function hasMessageAtCurrentAddress(current: ForwardingCase, contactIndex: number): boolean {
  const address = current.contacts[contactIndex]?.email.toLowerCase();
  return current.messages.some((m) => m.contactIndex === contactIndex && m.email.toLowerCase() === address);
}

/** The next contact not sent the case at its current address, in the directory's order; undefined when none is left. */
export function nextContactIndex(current: ForwardingCase): number | undefined {
  const index = current.contacts.findIndex((_, i) => !hasMessageAtCurrentAddress(current, i));
  return index === -1 ? undefined : index;
}

function transition(current: ForwardingCase, action: keyof typeof ALLOWED, at: Date, by: Actor): TransitionResult {
  const rule = ALLOWED[action];
  if (current.state === rule.to) return { ok: false, reason: 'already', state: current.state };
  if (!rule.from.includes(current.state)) return refused(current, action);
  return {
    ok: true,
    case: { ...current, state: rule.to, audit: [...current.audit, { at: at.toISOString(), what: rule.to, by }] },
  };
}

function refused(current: ForwardingCase, action: string): TransitionResult {
  return { ok: false, reason: 'not-allowed', from: current.state, action };
}

export type MailEventResult =
  | { ok: false; reason: 'unknown-message' }
  /** Seen before (same SNS message id), or outranked by what the message already has: nothing to store. */
  | { ok: false; reason: 'duplicate' | 'superseded' }
  | {
      ok: true;
      case: ForwardingCase;
      action: DeliveryAction;
      /** The privacy contact the mail went to (none for an escalation mail to an admin, the team or the requester). */
      contactIndex: number | undefined;
      /** Set when the mail was an escalation's, not a forward. */
      escalationStep?: EscalationStep;
    };

/**
 * Applies one SES event to the message it names — found by its SES message id, never by the
 * contactIndex tag alone — by precedence (`applyDeliveryEvent`). An event that changes the
 * message's state is audited (when, status, SES and SNS ids) and its raw notification kept as
 * evidence; a complaint also stops mail to that contact and flags it. A duplicate or an event
 * outranked by what the message has changes nothing.
 */
export function applyMailEvent(
  current: ForwardingCase,
  event: DeliveryEvent & { rawNotification?: string | undefined },
  at: Date,
  by: Actor,
): MailEventResult {
  const message = current.messages.find((m) => m.sesMessageId === event.sesMessageId);
  if (!message) return applyEscalationMailEvent(current, event, at, by);
  const applied = applyDeliveryEvent(message.tracking ?? initialMessageDelivery(), event);
  if (applied.duplicate) return { ok: false, reason: 'duplicate' };
  if (!applied.changed) return { ok: false, reason: 'superseded' };
  const iso = at.toISOString();
  const { contactIndex } = message;
  const messages = current.messages.map((m) =>
    m === message ? { ...m, delivery: event.status, deliveryAt: event.occurredAt, tracking: applied.state } : m,
  );
  const audit: AuditLine[] = [
    ...current.audit,
    {
      at: iso,
      what: `delivery ${event.status}${event.bounceType ? ` ${event.bounceType}` : ''}${event.bounceSubType ? `/${event.bounceSubType}` : ''}`,
      by,
      sesMessageId: event.sesMessageId,
      ...(event.snsMessageId ? { snsMessageId: event.snsMessageId } : {}),
      occurredAt: event.occurredAt,
      contactIndex,
    },
  ];
  let contacts = current.contacts;
  // A complaint from an address the contact no longer has stops nobody: the old address's owner
  // (a replaced contact) must not silence mail to the one who replaced it.
  const stopsContact =
    applied.action === 'stop-and-flag-contact' &&
    current.contacts[contactIndex]?.email.toLowerCase() === message.email.toLowerCase();
  if (stopsContact) {
    contacts = stoppedAfterComplaint(contacts, contactIndex, iso, event.sesMessageId);
    audit.push(complaintStopLine(iso, by, event.sesMessageId, contactIndex));
  }
  return {
    ok: true,
    action: applied.action === 'stop-and-flag-contact' && !stopsContact ? 'none' : applied.action,
    contactIndex,
    case: { ...current, contacts, messages, audit, evidence: withRawNotification(current, event, iso) },
  };
}

/** The contacts with one stopped and flagged after its complaint (no more mail to it). */
function stoppedAfterComplaint(
  contacts: ForwardingCase['contacts'],
  contactIndex: number,
  iso: string,
  sesMessageId: string,
): ForwardingCase['contacts'] {
  return contacts.map((c, i) =>
    i === contactIndex ? { ...c, stopped: { reason: 'complained', at: iso, sesMessageId } } : c,
  );
}

function complaintStopLine(iso: string, by: Actor, sesMessageId: string, contactIndex: number): AuditLine {
  return { at: iso, what: 'contact stopped and flagged: complaint', by, sesMessageId, contactIndex };
}

/** The case's evidence with the event's raw SNS notification kept (up to `MAX_CASE_EVIDENCE`). */
function withRawNotification(
  current: ForwardingCase,
  event: DeliveryEvent & { rawNotification?: string | undefined },
  iso: string,
): ForwardingCase['evidence'] {
  const evidence = current.evidence ?? [];
  if (event.rawNotification === undefined || evidence.length >= MAX_CASE_EVIDENCE) return evidence;
  return [
    ...evidence,
    {
      ...(event.snsMessageId ? { snsMessageId: event.snsMessageId } : {}),
      sesMessageId: event.sesMessageId,
      receivedAt: iso,
      rawNotification: event.rawNotification,
    },
  ];
}

/**
 * An SES event about one of the case's escalation mails (a reminder, the admins', the team's, the
 * requester's): tracked like a forward's — by precedence, deduplicated, audited, its raw
 * notification kept — so the evidence shows whether the ladder's mails arrived. It moves nothing
 * on (the ladder goes on by time), except that a privacy contact's complaint stops mail to them.
 */
function applyEscalationMailEvent(
  current: ForwardingCase,
  event: DeliveryEvent & { rawNotification?: string | undefined },
  at: Date,
  by: Actor,
): MailEventResult {
  const escalation = current.escalations?.find((e) => e.mails.some((m) => m.sesMessageId === event.sesMessageId));
  const mail = escalation?.mails.find((m) => m.sesMessageId === event.sesMessageId);
  if (!escalation || !mail) return { ok: false, reason: 'unknown-message' };
  const applied = applyDeliveryEvent(mail.tracking ?? initialMessageDelivery(), event);
  if (applied.duplicate) return { ok: false, reason: 'duplicate' };
  if (!applied.changed) return { ok: false, reason: 'superseded' };
  const iso = at.toISOString();
  const contactIndex = mail.to === 'privacy-contact' ? mail.contactIndex : undefined;
  const tracked: EscalationMail = {
    ...mail,
    delivery: event.status,
    deliveryAt: event.occurredAt,
    tracking: applied.state,
  };
  const audit: AuditLine[] = [
    ...current.audit,
    {
      at: iso,
      what: `escalation mail ${event.status}: ${escalation.step}${event.bounceType ? ` ${event.bounceType}` : ''}`,
      by,
      sesMessageId: event.sesMessageId,
      ...(event.snsMessageId ? { snsMessageId: event.snsMessageId } : {}),
      occurredAt: event.occurredAt,
      ...(contactIndex !== undefined ? { contactIndex } : {}),
    },
  ];
  let contacts = current.contacts;
  // As for a forward: a complaint about a mail sent before the contact was changed stops nobody.
  const sentAt = mail.sentAt ?? mail.intentAt;
  const stopsContact =
    applied.action === 'stop-and-flag-contact' &&
    contactIndex !== undefined &&
    !current.audit.some(
      (line) => line.what === 'contact changed' && line.contactIndex === contactIndex && line.at >= sentAt,
    );
  if (stopsContact) {
    contacts = stoppedAfterComplaint(contacts, contactIndex, iso, event.sesMessageId);
    audit.push(complaintStopLine(iso, by, event.sesMessageId, contactIndex));
  }
  return {
    ok: true,
    action: applied.action === 'stop-and-flag-contact' && !stopsContact ? 'none' : applied.action,
    contactIndex,
    escalationStep: escalation.step,
    case: {
      ...current,
      contacts,
      escalations: current.escalations!.map((e) =>
        e === escalation ? { ...e, mails: e.mails.map((m) => (m === mail ? tracked : m)) } : e,
      ),
      audit,
      evidence: withRawNotification(current, event, iso),
    },
  };
}

/** A message that can no longer reach its contact: refused at the send, or bounced for good / rejected / suppressed. */
export function isDead(message: CaseMessage): boolean {
  if (isSending(message)) return false;
  if (message.sesMessageId === undefined) return message.delivery === 'rejected';
  return message.tracking !== undefined && requiredAction(message.tracking) === 'next-contact';
}

/**
 * Whether the case must move on to its next privacy contact: it is still waiting for the tenant
 * (matched or forwarded), it has tried someone, and every message tried can no longer reach its
 * contact (permanent bounce, rejection, suppressed address, refused by SES at the send). Derived
 * from the stored state, so a redelivered event finishes a move a crash interrupted.
 */
export function mustMoveToNextContact(current: ForwardingCase): boolean {
  if (current.state !== 'matched' && current.state !== 'forwarded') return false;
  // A send begun and not recorded (a crash, a throttled SES) counts as the move under way: the caller finishes it.
  const settled = current.messages.filter((m) => !isSending(m));
  if (settled.length === 0) return false;
  return settled.every(isDead);
}
