import type { Regime } from '@privacy-relay/shared/events';

/**
 * Where a case stands. `matched` until the first message to a contact is accepted by SES;
 * `forwarded` until the tenant acts; the three ends (`done`, `not-ours`, `no-contact-left`) are final.
 */
export type CaseState = 'matched' | 'forwarded' | 'acknowledged' | 'done' | 'not-ours' | 'no-contact-left';

/**
 * What happened to one message to one contact. `sending`: the intent is recorded, SES has not
 * (yet, as far as the relay knows) accepted it; the rest are SES's own outcomes.
 */
export type DeliveryState = 'sending' | 'sent' | 'delivered' | 'delayed' | 'bounced' | 'complained' | 'rejected';

/** Who or what made a transition. */
export type Actor =
  | { kind: 'matcher' }
  | { kind: 'operator'; operatorId: string }
  | { kind: 'admin-link' }
  | { kind: 'relay' }
  | { kind: 'mail-event'; eventId: string };

export interface CaseContact {
  email: string;
  role: 'privacy' | 'admin';
}

/** One message to one privacy contact; `contactIndex` is the contact's place in the case's list. */
export interface CaseMessage {
  contactIndex: number;
  email: string;
  /** The intent: recorded before SES is asked, so a crash leaves a trace of the attempt. */
  intentAt: string;
  sesMessageId?: string;
  sentAt?: string;
  delivery: DeliveryState;
  deliveryAt: string;
}

/** One line of the audit trail: when, what, by whom or which event, the SES message id where there is one. */
export interface AuditLine {
  at: string;
  what: string;
  by: Actor;
  sesMessageId?: string;
  contactIndex?: number;
}

/** A case: one (request, tenant) pair, with its deadline fixed at creation. */
export interface ForwardingCase {
  caseId: string;
  requestId: string;
  tenantId: string;
  state: CaseState;
  regime: Regime;
  jurisdiction: string;
  /** The day of receipt (YYYY-MM-DD) the deadline is counted from. */
  receivedOn: string;
  deadline: string;
  extendedDeadline: string;
  /** The tenant's privacy contacts at creation, in the directory's order. */
  contacts: CaseContact[];
  messages: CaseMessage[];
  audit: AuditLine[];
}

export type TransitionResult =
  | { ok: true; case: ForwardingCase }
  | { ok: false; reason: 'not-allowed'; from: CaseState; action: string }
  | { ok: false; reason: 'already'; state: CaseState }
  | { ok: false; reason: 'unknown-message' | 'unknown-contact' | 'message-exists' };

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
  regime: Regime;
  jurisdiction: string;
  receivedOn: string;
  deadline: string;
  extendedDeadline: string;
  contacts: CaseContact[];
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

/** Records that a message to this contact is about to be sent (before SES is asked). */
export function recordSendIntent(current: ForwardingCase, contactIndex: number, at: Date): TransitionResult {
  if (FINAL_STATES.includes(current.state)) return refused(current, 'send');
  const contact = current.contacts[contactIndex];
  if (!contact) return { ok: false, reason: 'unknown-contact' };
  if (current.messages.some((m) => m.contactIndex === contactIndex)) return { ok: false, reason: 'message-exists' };
  const message: CaseMessage = {
    contactIndex,
    email: contact.email,
    intentAt: at.toISOString(),
    delivery: 'sending',
    deliveryAt: at.toISOString(),
  };
  return { ok: true, case: { ...current, messages: [...current.messages, message] } };
}

/** SES accepted the message: its id is recorded, and the first accepted message forwards the case. */
export function recordSent(
  current: ForwardingCase,
  contactIndex: number,
  sesMessageId: string,
  at: Date,
): TransitionResult {
  const message = current.messages.find((m) => m.contactIndex === contactIndex);
  if (!message) return { ok: false, reason: 'unknown-message' };
  if (message.sesMessageId !== undefined) return { ok: false, reason: 'already', state: current.state };
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

/** The next contact without a message yet, in the directory's order; undefined when none is left. */
export function nextContactIndex(current: ForwardingCase): number | undefined {
  const index = current.contacts.findIndex((_, i) => !current.messages.some((m) => m.contactIndex === i));
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
