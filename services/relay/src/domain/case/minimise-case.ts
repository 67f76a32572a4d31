import type { Actor, ForwardingCase } from './forwarding-case';

/** What a minimised case says in place of an address or an operator's id. */
export const MINIMISED = '(minimised)';

/** The audit line retention adds when it minimises a case. */
export const MINIMISED_AUDIT_WHAT = 'personal data minimised';

/** An email address inside a text (as the audit chain finds them). */
const EMAIL_IN_TEXT = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[^\s@"'<>(),;:]+/g;

/**
 * The case with its personal data gone (docs/retention.md): contacts' and messages' addresses,
 * operators' ids, an extension's reason and any address inside an audit line become `MINIMISED`, the raw SNS
 * notifications go (the chain keeps their digests); ids, states, dates, SES message ids,
 * deliveries and the audit lines' shape stay, and one audit line says retention did it.
 * Minimising a minimised case changes nothing (no second line).
 */
export function minimiseCase(current: ForwardingCase, at: Date): ForwardingCase {
  if (current.audit.at(-1)?.what === MINIMISED_AUDIT_WHAT && isMinimised(current)) return current;
  const { evidence: _rawNotifications, ...rest } = current;
  return {
    ...rest,
    contacts: current.contacts.map((contact) => ({ ...contact, email: MINIMISED })),
    ...(current.extension
      ? { extension: { ...current.extension, reason: MINIMISED, by: minimisedActor(current.extension.by) } }
      : {}),
    messages: current.messages.map((message) => ({
      ...message,
      email: MINIMISED,
      ...(message.requestedBy ? { requestedBy: { kind: 'operator' as const, operatorId: MINIMISED } } : {}),
    })),
    ...(current.escalations
      ? {
          escalations: current.escalations.map((e) => ({
            ...e,
            mails: e.mails.map((m) => (m.to === 'admin' ? { ...m, email: MINIMISED } : m)),
          })),
        }
      : {}),
    audit: [
      ...current.audit.map((line) => ({
        ...line,
        what: line.what.replace(EMAIL_IN_TEXT, MINIMISED),
        by: minimisedActor(line.by),
        // Free text (an extension's reason) may name anyone: the chain keeps only its salted hash.
        ...(line.text !== undefined ? { text: MINIMISED } : {}),
      })),
      { at: at.toISOString(), what: MINIMISED_AUDIT_WHAT, by: { kind: 'retention' } },
    ],
  };
}

function minimisedActor(by: Actor): Actor {
  return by.kind === 'operator' ? { kind: 'operator', operatorId: MINIMISED } : by;
}

function isMinimised(c: ForwardingCase): boolean {
  return c.evidence === undefined && c.contacts.every((contact) => contact.email === MINIMISED);
}
