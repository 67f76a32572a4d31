import { AppError } from '@privacy-relay/shared/errors';
import { EVENTS, type CaseMatchedV1, type Envelope } from '@privacy-relay/shared/events';
import {
  FINAL_STATES,
  applyTenantAction,
  isSending,
  markNoContactLeft,
  mustMoveToNextContact,
  hasMessageAtCurrentAddress,
  nextContactIndex,
  openCase,
  recordRefusedAttempt,
  recordSendIntent,
  recordSendRefused,
  recordSent,
  sendingTo,
  type Actor,
  type ForwardingCase,
  type TenantAction,
  type TransitionResult,
} from '../domain/case';
import { computeResponseDeadline, dayOfReceipt, resolveJurisdiction } from '../domain/deadline';
import { ladderFor, withEscalation } from '../domain/case';
import type { CaseLinkAction, CaseLinks, LinkRecipient } from './case-links';
import {
  PLATFORM_TEAM,
  cancelLadder,
  noContactLeftEventV2,
  scheduleLadderAfterWrite,
  sendEscalationMails,
  type LadderDeps,
} from './escalate-case';
import { renderForwardMail } from './forward-mail';
import {
  SEND_REFUSALS,
  type CaseMailer,
  type CaseRepository,
  type Clock,
  type EventPublisher,
  type HolidayCalendars,
  type RelayRequestRepository,
  type StoredCase,
  type TenantDirectoryRepository,
} from './ports';

export interface ForwardingDeps {
  cases: CaseRepository;
  requests: RelayRequestRepository;
  directory: TenantDirectoryRepository;
  holidays: HolidayCalendars;
  mailer: CaseMailer;
  links: CaseLinks;
  publisher: EventPublisher;
  clock: Clock;
  /** Told about what could not be published at once (the sweeper publishes it later). */
  onPublishFailed?: (caseId: string, error: unknown) => void;
  /** The escalation ladder (timers, default ladder, the platform team); without it nothing escalates. */
  ladder?: LadderDeps;
}

/** A concurrent writer changed the case between our read and our write: read again. */
function conflict(caseId: string): AppError {
  return new AppError('CASE_VERSION_CONFLICT', `case ${caseId} changed meanwhile`, { retriable: true });
}

/**
 * Opens the case of a `privacy.case.matched.v1` (idempotent: a redelivered event finds it open),
 * with its deadline computed from the day of receipt, the tenant's regime and jurisdiction, and
 * the intent to send it to the first privacy contact (`continueForwarding` sends it).
 */
export async function openMatchedCase(
  deps: Pick<ForwardingDeps, 'cases' | 'requests' | 'directory' | 'holidays' | 'clock' | 'ladder'>,
  event: CaseMatchedV1,
): Promise<{ opened: boolean; case: ForwardingCase }> {
  const { caseId, requestId, tenantId } = event.payload;
  const existing = await deps.cases.find(caseId);
  if (existing) return { opened: false, case: existing.case };
  const request = await deps.requests.findById(requestId);
  // The matcher matches only stored requests: a missing one is out of order or lost; retried a
  // few times, then dead-lettered with this reason.
  if (!request)
    throw new AppError('CASE_REQUEST_UNKNOWN', `request ${requestId} of case ${caseId} is not stored`, {
      retriable: true,
      maxAttempts: 5,
    });
  // The matcher and operators match only verified requests: anything else on the topic (a
  // replayed or forged event) must never send a person's request to a customer. The verified event
  // may still be on its way: retried a few times, then dead-lettered with this reason.
  if (request.status !== 'verified')
    throw new AppError('CASE_REQUEST_UNVERIFIED', `request ${requestId} of case ${caseId} is not verified`, {
      retriable: true,
      maxAttempts: 5,
    });
  const tenant = await deps.directory.findTenant(tenantId);
  if (!tenant)
    throw new AppError('CASE_TENANT_UNKNOWN', `tenant ${tenantId} of case ${caseId} is not in the directory`);
  const jurisdiction = resolveJurisdiction(tenant.regime, tenant.jurisdiction);
  if (!jurisdiction.ok) throw new AppError('CASE_JURISDICTION', `tenant ${tenantId}: ${jurisdiction.message}`);
  // The day of receipt is the local date where the tenant's period is counted (docs/deadlines.md).
  const receivedOn = dayOfReceipt(request.receivedAt, deps.holidays.timeZonesOf(jurisdiction.code));
  const deadline = computeResponseDeadline(receivedOn, tenant.regime, deps.holidays.forJurisdiction(jurisdiction.code));
  const now = deps.clock.now();
  const by: Actor =
    event.payload.matchedBy === 'operator'
      ? { kind: 'operator', operatorId: event.payload.operatorId ?? 'unknown' }
      : { kind: 'matcher' };
  const opened = openCase({
    caseId,
    requestId,
    tenantId,
    tenantName: tenant.legalName,
    regime: tenant.regime,
    jurisdiction: jurisdiction.code,
    receivedOn,
    deadline: deadline.deadline,
    extendedDeadline: deadline.extendedDeadline,
    contacts: tenant.contacts.filter((c) => c.role === 'privacy').map((c) => ({ email: c.email, role: c.role })),
    // The tenant's ladder as it stands now is kept with the case: a later directory change does not move its rungs.
    ...(deps.ladder ? { ladder: ladderFor(deps.ladder.defaults, tenant.escalation) } : {}),
    at: now,
    by,
  });
  // The insert carries the first send intent (the intent is still stored before SES is asked):
  // one write fewer per forward. A tenant without privacy contacts opens without one.
  const withIntent = recordSendIntent(opened, 0, now);
  const toStore = withIntent.ok ? withIntent.case : opened;
  if (await deps.cases.create(toStore, now)) return { opened: true, case: toStore };
  const raced = await deps.cases.find(caseId);
  if (!raced) throw conflict(caseId);
  return { opened: false, case: raced.case };
}

export type ForwardOutcome =
  | { outcome: 'sent'; contactIndex: number; sesMessageId: string }
  | { outcome: 'already-sent' | 'closed' | 'contact-stopped' }
  | { outcome: 'no-contact-left' };

/**
 * Sends the case to one privacy contact: the one whose send was begun and not recorded (a crash
 * between SES's answer and our write: the one window in which a contact gets the case twice), else
 * `contactIndex` (default the first). The intent is stored before SES is asked and the message id
 * right after; the first send moves the case to forwarded and emits `privacy.case.forwarded.v1`.
 * Which contact comes next after a bounce is the delivery tracking's call (it passes `contactIndex`).
 * A mail SES refuses for good is recorded `rejected` and the case moves on (`continueForwarding`)
 * before the refusal is thrown on, non-retriable, for the consumer to dead-letter with its reason.
 */
export async function forwardCase(deps: ForwardingDeps, caseId: string, contactIndex = 0): Promise<ForwardOutcome> {
  let stored = await mustFind(deps.cases, caseId);
  const unrecorded = stored.case.messages.find(isSending);
  const target = unrecorded?.contactIndex ?? contactIndex;
  if (!unrecorded) {
    if (hasMessageAtCurrentAddress(stored.case, target)) return { outcome: 'already-sent' };
    if (stored.case.contacts[target] === undefined) {
      await noContactLeft(deps, caseId);
      return { outcome: 'no-contact-left' };
    }
    const intent = recordSendIntent(stored.case, target, deps.clock.now());
    if (!intent.ok) {
      if (intent.reason === 'not-allowed') return { outcome: 'closed' };
      return intent.reason === 'contact-stopped' ? { outcome: 'contact-stopped' } : { outcome: 'already-sent' };
    }
    stored = await save(deps, stored, intent.case, []);
  }
  return sendRecordedIntent(deps, stored, target);
}

/** What following up on a case's stored state did: a send, the end of the case, or nothing. */
export type FollowUpOutcome = ForwardOutcome | { outcome: 'none' };

/**
 * Follows up on the case's stored state (never on one event, so a redelivery finishes what a crash
 * left undone): nothing tried yet → the first privacy contact (finishing the intent the case was
 * opened with); every message tried dead (bounced for good, refused) → the send under way is
 * finished, else the next privacy contact without a message, else no-contact-left. Otherwise nothing.
 */
export async function continueForwarding(deps: ForwardingDeps, current: ForwardingCase): Promise<FollowUpOutcome> {
  const { caseId } = current;
  // What a crash after an earlier write may have left undone: the ladder of a forwarded case
  // (idempotent), the platform team's mail of a case that ran out of contacts.
  if (current.state === 'forwarded') await scheduleLadderAfterWrite(deps, current);
  if (current.state === 'no-contact-left') {
    const stored = await deps.cases.find(caseId);
    if (stored) await sendEscalationMails(deps, stored, 'no-contact-left');
  }
  if (!current.messages.some((m) => !isSending(m))) return forwardCase(deps, caseId, 0);
  if (!mustMoveToNextContact(current)) return { outcome: 'none' };
  // A send to the next contact begun before and not recorded: forwardCase finishes that one first.
  if (current.messages.some(isSending)) return forwardCase(deps, caseId);
  const next = nextContactIndex(current);
  if (next === undefined)
    return (await noContactLeft(deps, caseId)) ? { outcome: 'no-contact-left' } : { outcome: 'none' };
  return forwardCase(deps, caseId, next);
}

/**
 * Sends the mail whose intent `stored` holds for contact `target`, and records SES's message id
 * (or SES's refusal) in the case. Shared by the relay's own forwards and operators' re-sends.
 */
export async function sendRecordedIntent(
  deps: ForwardingDeps,
  stored: StoredCase,
  target: number,
): Promise<ForwardOutcome> {
  const { caseId } = stored.case;
  // A case closed after the intent was recorded (the tenant said "not ours" or "done" while SES
  // was away) gets nothing more: finishing that send would mail a tenant that is out of it.
  if (FINAL_STATES.includes(stored.case.state)) return { outcome: 'closed' };
  const request = await deps.requests.findById(stored.case.requestId);
  if (!request) throw new AppError('CASE_REQUEST_UNKNOWN', `request of case ${caseId} is not stored`);
  const contact = stored.case.contacts[target];
  if (!contact) throw new AppError('CASE_CONTACT_UNKNOWN', `case ${caseId} has no contact ${target}`);
  const recipient = { kind: 'contact', contactIndex: target, email: contact.email } as const;
  const content = renderForwardMail(stored.case, request, caseLinksNow(deps, caseId, recipient));
  let messageId: string;
  try {
    ({ messageId } = await deps.mailer.send({
      to: contact.email,
      ...content,
      tags: { caseId, contactIndex: String(target) },
    }));
  } catch (error) {
    throw await onSendFailed(deps, caseId, target, error);
  }
  // From here to the write below, a crash re-sends this mail on redelivery (SES has no idempotency key).
  for (;;) {
    const sent = recordSent(stored.case, target, messageId, deps.clock.now());
    if (!sent.ok) return { outcome: 'already-sent' };
    const events: Envelope[] =
      stored.case.state === 'matched'
        ? [
            EVENTS.caseForwardedV1.create(
              {
                caseId,
                requestId: stored.case.requestId,
                tenantId: stored.case.tenantId,
                // For the requester's notice (intake mails it to the requester; cases opened before the name was kept have none).
                ...(stored.case.tenantName ? { tenantName: stored.case.tenantName } : {}),
                requesterEmail: request.requester.email,
                forwardedAt: deps.clock.now().toISOString(),
                deadline: {
                  regime: stored.case.regime,
                  dueOn: stored.case.deadline,
                  extendableTo: stored.case.extendedDeadline,
                },
                recipients: [{ email: contact.email, role: contact.role, sesMessageId: messageId }],
              },
              { correlationId: stored.case.requestId },
            ),
          ]
        : [];
    const pending = await deps.cases.update(sent.case, stored.version, events, deps.clock.now());
    if (pending) {
      await publish(deps, caseId, pending);
      // The first forward starts the ladder (a crash before this: the redelivery's follow-up schedules it).
      if (events.length > 0) await scheduleLadderAfterWrite(deps, sent.case);
      return { outcome: 'sent', contactIndex: target, sesMessageId: messageId };
    }
    // Someone else changed the case meanwhile (an admin clicked already): apply ours on theirs.
    stored = await mustFind(deps.cases, caseId);
  }
}

/**
 * SES did not take the mail. A refusal that sending again cannot lift (`MAIL_REJECTED`), or one
 * that lasted all the attempts it allows (`MAIL_RECIPIENT_NOT_VERIFIED`, counted on the message
 * so that a restart does not reset it), makes the message `rejected` and the case follows up like
 * after a permanent bounce; the error to throw on is then non-retriable (dead-lettered with its
 * code). Anything else (throttling, SES away) is thrown as it came, retriable, the intent kept.
 */
async function onSendFailed(deps: ForwardingDeps, caseId: string, target: number, error: unknown): Promise<unknown> {
  const code = error instanceof AppError ? error.code : undefined;
  if (code === undefined || !SEND_REFUSALS.has(code)) return error;
  const bound = (error as AppError).retriable ? (error as AppError).maxAttempts : 1;
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await mustFind(deps.cases, caseId);
    const counted = bound === 1 ? undefined : recordRefusedAttempt(stored.case, target);
    if (counted && !counted.ok) return error;
    const attempts = counted?.ok ? (sendingTo(counted.case, target)?.refusedAttempts ?? 1) : 1;
    if (bound === undefined || attempts < bound) {
      // Not given up yet: the count is stored, the consumer retries with backoff.
      if (counted?.ok && (await deps.cases.update(counted.case, stored.version, [], deps.clock.now())) === false)
        continue;
      return error;
    }
    const rejected = recordSendRefused(counted?.ok ? counted.case : stored.case, target, code, deps.clock.now());
    if (!rejected.ok) return error;
    if ((await deps.cases.update(rejected.case, stored.version, [], deps.clock.now())) === false) continue;
    await continueForwarding(deps, rejected.case);
    return new AppError(
      code,
      `SES refused the mail to contact ${target} of case ${caseId}${bound > 1 ? ` (${attempts} attempts)` : ''}; recorded as rejected and moved on`,
      { cause: error },
    );
  }
  throw conflict(caseId);
}

/**
 * No privacy contact is left to try: the case ends as no-contact-left, and the same update records
 * the step with the intent of the platform privacy team's mail and puts `privacy.case.escalated.v1`
 * and `.v2` (step `no-contact-left`) in the case's outbox. Then the rest of the ladder is cancelled
 * and the mail sent (a crash before it: the redelivered event's follow-up sends it). False when the
 * case had already ended (or could not end from where it is).
 */
export async function noContactLeft(deps: ForwardingDeps, caseId: string): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await mustFind(deps.cases, caseId);
    const now = deps.clock.now();
    const ended = markNoContactLeft(stored.case, now, { kind: 'relay' });
    if (!ended.ok) return false;
    const { requestId, tenantId } = stored.case;
    const escalated = EVENTS.caseEscalatedV1.create(
      { caseId, requestId, tenantId, escalatedAt: now.toISOString(), step: 'no-contact-left', stepIndex: 0 },
      { correlationId: requestId },
    );
    const next = deps.ladder
      ? withEscalation(ended.case, 'no-contact-left', undefined, now, [PLATFORM_TEAM])
      : ended.case;
    const events = deps.ladder ? [escalated, noContactLeftEventV2(next, now)] : [escalated];
    const pending = await deps.cases.update(next, stored.version, events, now);
    if (pending) {
      await publish(deps, caseId, pending);
      await cancelLadder(deps, caseId);
      await sendEscalationMails(deps, { case: next, version: stored.version + 1 }, 'no-contact-left');
      return true;
    }
  }
  throw conflict(caseId);
}

export type ActionOutcome =
  | { outcome: 'done'; case: ForwardingCase }
  | { outcome: 'already'; case: ForwardingCase }
  | { outcome: 'not-allowed'; case: ForwardingCase }
  | { outcome: 'not-found' };

/** Applies a tenant's action from an admin link, once: a repeat finds it `already` done. */
export async function actOnCase(
  deps: Pick<ForwardingDeps, 'cases' | 'publisher' | 'clock' | 'onPublishFailed' | 'ladder'>,
  caseId: string,
  action: TenantAction,
): Promise<ActionOutcome> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await deps.cases.find(caseId);
    if (!stored) return { outcome: 'not-found' };
    const now = deps.clock.now();
    const result: TransitionResult = applyTenantAction(stored.case, action, now, { kind: 'admin-link' });
    if (!result.ok) {
      return { outcome: result.reason === 'already' ? 'already' : 'not-allowed', case: stored.case };
    }
    const { requestId, tenantId } = stored.case;
    const meta = { correlationId: requestId };
    const event: Envelope =
      action === 'acknowledge'
        ? EVENTS.caseAcknowledgedV1.create(
            { caseId, requestId, tenantId, acknowledgedAt: now.toISOString(), via: 'admin-link' },
            meta,
          )
        : EVENTS.caseClosedV1.create(
            { caseId, requestId, tenantId, closedAt: now.toISOString(), outcome: action, by: 'admin-link' },
            meta,
          );
    const pending = await deps.cases.update(result.case, stored.version, [event], now);
    if (pending) {
      await publish(deps, caseId, pending);
      // Acknowledged or closed: the rest of the ladder never fires.
      await cancelLadder(deps, caseId);
      return { outcome: 'done', case: result.case };
    }
  }
  throw conflict(caseId);
}

/** The case's four admin links for the mail to `recipient`, signed now (and bound to that address). */
export function caseLinksNow(
  deps: Pick<ForwardingDeps, 'links' | 'clock'>,
  caseId: string,
  recipient: LinkRecipient,
): Readonly<Record<CaseLinkAction, string>> {
  const now = deps.clock.now();
  return {
    acknowledge: deps.links.linkFor(caseId, 'acknowledge', now, recipient),
    done: deps.links.linkFor(caseId, 'done', now, recipient),
    'not-ours': deps.links.linkFor(caseId, 'not-ours', now, recipient),
    extend: deps.links.linkFor(caseId, 'extend', now, recipient),
  };
}

async function mustFind(cases: CaseRepository, caseId: string): Promise<StoredCase> {
  const stored = await cases.find(caseId);
  if (!stored) throw new AppError('CASE_UNKNOWN', `case ${caseId} is not stored`);
  return stored;
}

async function save(
  deps: Pick<ForwardingDeps, 'cases' | 'clock'>,
  stored: StoredCase,
  next: ForwardingCase,
  events: Envelope[],
): Promise<StoredCase> {
  if ((await deps.cases.update(next, stored.version, events, deps.clock.now())) === false) throw conflict(next.caseId);
  return { case: next, version: stored.version + 1 };
}

/** Publishes what the outbox holds after an update (ours and any left pending before); on failure the sweeper does later. */
export async function publish(
  deps: Pick<ForwardingDeps, 'cases' | 'publisher' | 'onPublishFailed'>,
  caseId: string,
  events: readonly Envelope[],
): Promise<void> {
  if (events.length === 0) return;
  try {
    for (const event of events) {
      const contract = Object.values(EVENTS).find((c) => c.type === event.type && c.version === event.version);
      if (!contract) throw new Error(`no contract for ${event.type}`);
      await deps.publisher.publish(contract, event as never);
    }
    await deps.cases.markPublished(caseId, events);
  } catch (error) {
    deps.onPublishFailed?.(caseId, error);
  }
}
