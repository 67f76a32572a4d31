import type { MailEventV1 } from '@privacy-relay/shared/events';
import { applyMailEvent, type EscalationStep } from '../domain/case';
import type { DeliveryAction } from '../domain/delivery/message-delivery';
import { AppError } from '@privacy-relay/shared/errors';
import { continueForwarding, type FollowUpOutcome, type ForwardingDeps } from './forward-case';

/** What following up on the case's delivery did: sent to the next contact, ended the case, or nothing. */
export type FollowUp = FollowUpOutcome['outcome'];

export type TrackOutcome =
  | {
      outcome: 'applied';
      action: DeliveryAction;
      contactIndex: number | undefined;
      escalationStep?: EscalationStep;
      followUp: FollowUp;
    }
  | { outcome: 'duplicate' | 'superseded'; followUp: FollowUp }
  | { outcome: 'no-case-tag' | 'unknown-case' | 'unknown-message' };

/** Writers racing on one case (an admin click, the forwarding consumer): re-read and re-apply this often. */
const MAX_ATTEMPTS = 5;

/**
 * Applies a `privacy.mail.event.v1` to its case: the message is the one with the event's SES
 * message id (the `contactIndex` tag is not trusted), the change is one version-guarded update,
 * and a duplicate or outranked event writes nothing. Then the case follows up on its stored state:
 * every message dead → the next privacy contact (`forwardCase`), or no-contact-left when none is
 * left. Following up from the state, not from this event, makes a redelivery finish what a crash
 * between the two steps left undone.
 */
export async function trackMailEvent(deps: ForwardingDeps, event: MailEventV1): Promise<TrackOutcome> {
  const { caseId, sesMessageId, status, occurredAt, snsMessageId, bounceType, bounceSubType, rawNotification } =
    event.payload;
  if (!caseId) return { outcome: 'no-case-tag' };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await deps.cases.find(caseId);
    if (!stored) return { outcome: 'unknown-case' };
    const result = applyMailEvent(
      stored.case,
      { sesMessageId, status, occurredAt, snsMessageId, bounceType, bounceSubType, rawNotification },
      deps.clock.now(),
      { kind: 'mail-event', eventId: event.id },
    );
    if (!result.ok) {
      if (result.reason === 'unknown-message') return { outcome: 'unknown-message' };
      return { outcome: result.reason, followUp: await followUp(deps, stored.case) };
    }
    if ((await deps.cases.update(result.case, stored.version, [], deps.clock.now())) !== false) {
      return {
        outcome: 'applied',
        action: result.action,
        contactIndex: result.contactIndex,
        ...(result.escalationStep ? { escalationStep: result.escalationStep } : {}),
        followUp: await followUp(deps, result.case),
      };
    }
  }
  throw new AppError('CASE_VERSION_CONFLICT', `case ${caseId} kept changing`, { retriable: true });
}

async function followUp(deps: ForwardingDeps, current: Parameters<typeof continueForwarding>[1]): Promise<FollowUp> {
  return (await continueForwarding(deps, current)).outcome;
}
