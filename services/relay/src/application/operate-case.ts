import { AppError } from '@privacy-relay/shared/errors';
import {
  changeContactAddress,
  contactAwaitsForward,
  recordResendIntent,
  sendingTo,
  type ForwardingCase,
  type TransitionResult,
} from '../domain/case';
import { sendRecordedIntent, type ForwardOutcome, type ForwardingDeps } from './forward-case';
import type { StoredCase } from './ports';

/** Why an operator's send or change was not made (each an HTTP 404 or 409 at the route). */
export type OperatorRefusal = 'not-found' | 'contact-not-found' | 'closed' | 'contact-stopped' | 'send-under-way';

export type ResendOutcome = Extract<ForwardOutcome, { outcome: 'sent' }> | { outcome: OperatorRefusal };

export type ChangeContactOutcome =
  | { outcome: 'changed'; forward?: Extract<ForwardOutcome, { outcome: 'sent' }> }
  | { outcome: 'unchanged' }
  | { outcome: OperatorRefusal };

/** Writers racing on one case: re-read and re-apply this often. */
const MAX_ATTEMPTS = 5;

function refusalOf(result: Extract<TransitionResult, { ok: false }>): OperatorRefusal {
  switch (result.reason) {
    case 'not-allowed':
      return 'closed';
    case 'unknown-contact':
      return 'contact-not-found';
    case 'contact-stopped':
      return 'contact-stopped';
    default:
      return 'send-under-way';
  }
}

/**
 * An operator re-sends the case to a contact (default: the contact of the case's latest message):
 * a new message with its own SES id, audited with the operator's id. A re-send of the same contact
 * whose send an earlier call began and did not finish (SES away) finishes that one instead. SES's
 * errors are thrown on (a refusal for good after the case recorded it and moved on).
 */
export async function resendCase(
  deps: ForwardingDeps,
  caseId: string,
  contactIndex: number | undefined,
  operatorId: string,
): Promise<ResendOutcome> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await deps.cases.find(caseId);
    if (!stored) return { outcome: 'not-found' };
    const target = contactIndex ?? stored.case.messages.at(-1)?.contactIndex ?? 0;
    const underWay = sendingTo(stored.case, target);
    if (underWay?.requestedBy?.kind === 'operator') return sent(await sendRecordedIntent(deps, stored, target));
    const intent = recordResendIntent(stored.case, target, deps.clock.now(), operatorId);
    if (!intent.ok) return { outcome: refusalOf(intent) };
    const saved = await save(deps, stored, intent.case);
    if (saved) return sent(await sendRecordedIntent(deps, saved, target));
  }
  throw conflict(caseId);
}

/**
 * An operator changes a contact's address. When that contact is owed the forward (its latest
 * message bounced for good or was refused, or it has none), the same update records a send to the
 * new address, which then goes out like a re-send by that operator.
 */
export async function changeContact(
  deps: ForwardingDeps,
  caseId: string,
  contactIndex: number,
  email: string,
  operatorId: string,
): Promise<ChangeContactOutcome> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await deps.cases.find(caseId);
    if (!stored) return { outcome: 'not-found' };
    const now = deps.clock.now();
    const changed = changeContactAddress(stored.case, contactIndex, email, now, operatorId);
    if (!changed.ok) return changed.reason === 'already' ? { outcome: 'unchanged' } : { outcome: refusalOf(changed) };
    let next: ForwardingCase = changed.case;
    let forward = false;
    if (contactAwaitsForward(next, contactIndex)) {
      const intent = recordResendIntent(next, contactIndex, now, operatorId);
      // Another send under way (to another contact): the change stands, the send waits for an operator.
      if (intent.ok) [next, forward] = [intent.case, true];
    }
    const saved = await save(deps, stored, next);
    if (!saved) continue;
    if (!forward) return { outcome: 'changed' };
    const result = sent(await sendRecordedIntent(deps, saved, contactIndex));
    return result.outcome === 'sent' ? { outcome: 'changed', forward: result } : result;
  }
  throw conflict(caseId);
}

function sent(result: ForwardOutcome): ResendOutcome {
  // sendRecordedIntent answers `already-sent` only when a concurrent writer recorded this very send.
  if (result.outcome === 'sent') return result;
  if (result.outcome === 'closed') return { outcome: 'closed' };
  return { outcome: 'send-under-way' };
}

async function save(deps: ForwardingDeps, stored: StoredCase, next: ForwardingCase): Promise<StoredCase | undefined> {
  const written = await deps.cases.update(next, stored.version, [], deps.clock.now());
  return written === false ? undefined : { case: next, version: stored.version + 1 };
}

function conflict(caseId: string): AppError {
  return new AppError('CASE_VERSION_CONFLICT', `case ${caseId} changed meanwhile; try again`, {
    retriable: true,
    httpStatus: 503,
  });
}
