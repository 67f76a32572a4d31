import { AppError } from '@privacy-relay/shared/errors';
import { EVENTS, type Envelope } from '@privacy-relay/shared/events';
import {
  DEADLINE_STEPS,
  LADDER_STEPS,
  findEscalation,
  forwardedAtOf,
  isDead,
  ladderRungs,
  recordEscalation,
  recordEscalationMail,
  unsentMails,
  type CaseEscalation,
  type EscalationLadder,
  type EscalationMail,
  type EscalationRecipient,
  type EscalationStep,
  type ForwardingCase,
  type LadderStep,
} from '../domain/case';
import { plainDateIn, timeZoneOf, type PlainDate } from '../domain/deadline';
import type { CaseTimers, DueTimer } from './case-timer-ports';
import type { LinkRecipient } from './case-links';
import { renderDeadlinePassedMail, renderLadderForward, renderPlatformTeamMail } from './escalation-mail';
import { renderForwardMail, type ForwardMailContent } from './forward-mail';
import { SEND_REFUSALS, type HolidayCalendars, type StoredCase } from './ports';
import type { ForwardingDeps } from './forward-case';
import { caseLinksNow, publish } from './forward-case';

/** What the escalation ladder needs beside forwarding's ports. */
export interface LadderDeps {
  timers: CaseTimers;
  /** The relay's default ladder; a tenant's overrides are kept on its cases when they open. */
  defaults: EscalationLadder;
  platformPrivacyTeamEmail: string;
  holidays: HolidayCalendars;
  /** Told when scheduling or cancelling timers failed after the case was written (ids and the error only). */
  onLadderError?: (caseId: string, error: unknown) => void;
}

/** Writers racing on one case: re-read and re-apply this often. */
const MAX_ATTEMPTS = 5;

function conflict(caseId: string): AppError {
  return new AppError('CASE_VERSION_CONFLICT', `case ${caseId} changed meanwhile`, { retriable: true });
}

/** The case's ladder: the one kept on it when it opened (the tenant's overrides then), else the default. */
export function ladderOf(current: ForwardingCase, ladder: LadderDeps): EscalationLadder {
  return current.ladder ?? ladder.defaults;
}

/**
 * Schedules (or moves) the case's ladder from its stored facts: the first forward's time, the
 * deadline in force, the jurisdiction's holidays. Idempotent: a rung already scheduled at that time
 * is unchanged, a fired one stays fired, and a case whose timers were cancelled gets none. Only a
 * forwarded (unacknowledged) case has a ladder; rungs recorded on the case already are skipped.
 */
export async function scheduleLadder(
  deps: { ladder?: LadderDeps | undefined },
  current: ForwardingCase,
): Promise<void> {
  const { ladder } = deps;
  if (!ladder || current.state !== 'forwarded') return;
  const forwardedAt = forwardedAtOf(current);
  if (!forwardedAt) return;
  const rungs = ladderRungs(ladderOf(current, ladder), {
    forwardedAt,
    deadline: current.deadline as PlainDate,
    timeZone: timeZoneOf(current.jurisdiction),
    holidays: ladder.holidays.forJurisdiction(current.jurisdiction),
  });
  for (const rung of rungs) {
    if (findEscalation(current, rung.step, rung.deadline)) continue;
    const payload = { step: rung.step, ...(rung.deadline ? { deadline: rung.deadline } : {}) };
    const outcome = await ladder.timers.schedule(current.caseId, rung.timerStep, rung.dueAt, payload);
    if (outcome === 'cancelled') return;
  }
}

/** `scheduleLadder` after a write that already succeeded: a failure is told, not thrown (the fire handler checks the case anyway). */
export async function scheduleLadderAfterWrite(
  deps: { ladder?: LadderDeps | undefined },
  current: ForwardingCase,
): Promise<void> {
  try {
    await scheduleLadder(deps, current);
  } catch (error) {
    deps.ladder?.onLadderError?.(current.caseId, error);
  }
}

/**
 * Cancels the rest of the case's ladder (acknowledged, closed, no contact left), after the write
 * that made it so. A failure is told, not thrown: a timer that still fires finds the case no longer
 * waiting and does nothing.
 */
export async function cancelLadder(deps: { ladder?: LadderDeps | undefined }, caseId: string): Promise<void> {
  try {
    await deps.ladder?.timers.cancelForCase(caseId);
  } catch (error) {
    deps.ladder?.onLadderError?.(caseId, error);
  }
}

export type FireOutcome =
  /** Recorded now (or earlier) and its mails sent. */
  | 'fired'
  /** The case no longer waits for the tenant (acknowledged, closed) or is gone: nothing done. */
  | 'not-needed'
  /** A deadline rung of a deadline no longer in force (extended): the new deadline's rungs are scheduled instead. */
  | 'moved'
  /** Not a rung this relay knows (a timer from elsewhere): nothing done. */
  | 'unknown-step';

/**
 * The fire handler of the ladder's timers. Works from stored facts, so a second call for the same
 * timer (a crash before the timer completed, a claim taken over) changes nothing: the step is
 * recorded on the case once, with its mail intents and `privacy.case.escalated.v2`, in one
 * version-guarded update; the mails still without an SES id are then sent, each id recorded right
 * after SES took it (a crash in between re-sends that one mail: the one duplicate window, as for
 * forwards). SES away throws (the timer is tried again later); a mail SES refuses for good is
 * recorded as refused and the others go on.
 */
export async function fireLadderStep(deps: ForwardingDeps, timer: DueTimer): Promise<FireOutcome> {
  const step = timer.payload.step;
  if (typeof step !== 'string' || !(LADDER_STEPS as readonly string[]).includes(step)) return 'unknown-step';
  const ladderStep = step as LadderStep;
  const deadline = typeof timer.payload.deadline === 'string' ? timer.payload.deadline : undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await deps.cases.find(timer.caseId);
    if (!stored) return 'not-needed';
    if (findEscalation(stored.case, ladderStep, deadline)) {
      await sendEscalationMails(deps, stored, ladderStep, deadline);
      return 'fired';
    }
    if (stored.case.state !== 'forwarded') return 'not-needed';
    if (DEADLINE_STEPS.includes(ladderStep) && deadline !== stored.case.deadline) {
      // Extended after this timer was set (and the move did not happen, or this one fired first).
      await scheduleLadder(deps, stored.case);
      return 'moved';
    }
    const now = deps.clock.now();
    const recipients = await recipientsOf(deps, stored.case, ladderStep);
    const recorded = recordEscalation(stored.case, { step: ladderStep, deadline, at: now, recipients });
    if (!recorded.ok) continue;
    const { caseId, requestId, tenantId } = stored.case;
    const event = EVENTS.caseEscalatedV2.create(
      {
        caseId,
        requestId,
        tenantId,
        escalatedAt: now.toISOString(),
        step: ladderStep,
        deadline: stored.case.deadline,
        recipients: recipients.map((r) => r.to),
      },
      { correlationId: requestId },
    );
    const pending = await deps.cases.update(recorded.case, stored.version, [event], now);
    if (pending === false) continue;
    await publish(deps, caseId, pending);
    await sendEscalationMails(deps, { case: recorded.case, version: stored.version + 1 }, ladderStep, deadline);
    return 'fired';
  }
  throw conflict(timer.caseId);
}

/** Who a rung mails, from the stored case (and, for the admins, the directory as it stands). */
async function recipientsOf(
  deps: ForwardingDeps,
  current: ForwardingCase,
  step: LadderStep,
): Promise<EscalationRecipient[]> {
  switch (step) {
    case 'reminder': {
      // The privacy contacts the case reached: a message not dead, a contact not stopped.
      const reached = new Set(
        current.messages
          .filter((m) => !isDead(m) && !current.contacts[m.contactIndex]?.stopped)
          .map((m) => m.contactIndex),
      );
      return [...reached].sort((a, b) => a - b).map((contactIndex) => ({ to: 'privacy-contact', contactIndex }));
    }
    case 'all-admins': {
      const tenant = await deps.directory.findTenant(current.tenantId);
      const admins = (tenant?.contacts ?? []).filter((c) => c.role === 'admin').map((c) => c.email.toLowerCase());
      return [...new Set(admins)].map((email) => ({ to: 'admin', email }));
    }
    case 'platform-privacy-team':
    case 'deadline-warning':
      return [{ to: 'platform-team' }];
    case 'deadline-passed':
      return [{ to: 'requester' }];
  }
}

/**
 * Sends the mails of a recorded step that have no SES id yet, one by one, each id recorded right
 * after SES took it. A ladder rung's mails are not sent once the case stopped waiting for the tenant
 * (acknowledged or closed while SES was away); no-contact-left's are (the case ended that way).
 */
export async function sendEscalationMails(
  deps: ForwardingDeps,
  stored: StoredCase,
  step: EscalationStep,
  deadline?: string,
): Promise<void> {
  let current = stored;
  for (;;) {
    if (step !== 'no-contact-left' && current.case.state !== 'forwarded') return;
    const escalation = findEscalation(current.case, step, deadline);
    const mailIndex = escalation ? unsentMails(escalation)[0] : undefined;
    if (!escalation || mailIndex === undefined) return;
    const mail = escalation.mails[mailIndex] as EscalationMail;
    const content = await escalationMailContent(deps, current.case, escalation, mail);
    let outcome: { sesMessageId: string } | { refusal: string };
    if (!content) {
      outcome = { refusal: 'NO_ADDRESS' };
    } else {
      try {
        const { messageId } = await deps.mailer.send({
          ...content,
          tags: { caseId: current.case.caseId, step },
        });
        outcome = { sesMessageId: messageId };
      } catch (error) {
        const code = error instanceof AppError ? error.code : undefined;
        // A refusal that lasts (blocked address, sandbox): given up for this mail; anything else retried by the timer.
        if (code === undefined || !SEND_REFUSALS.has(code)) throw error;
        outcome = { refusal: code };
      }
    }
    current = await recordMailOutcome(deps, current, escalation, mailIndex, outcome);
  }
}

async function recordMailOutcome(
  deps: ForwardingDeps,
  stored: StoredCase,
  escalation: CaseEscalation,
  mailIndex: number,
  outcome: { sesMessageId: string } | { refusal: string },
): Promise<StoredCase> {
  let current = stored;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const now = deps.clock.now();
    const recorded = recordEscalationMail(current.case, escalation, mailIndex, outcome, now);
    if (!recorded.ok) return current;
    if ((await deps.cases.update(recorded.case, current.version, [], now)) !== false)
      return { case: recorded.case, version: current.version + 1 };
    const reread = await deps.cases.find(current.case.caseId);
    if (!reread) throw new AppError('CASE_UNKNOWN', `case ${current.case.caseId} is not stored`);
    current = reread;
  }
  throw conflict(stored.case.caseId);
}

/** The mail for one recipient of a step; undefined when there is no address to send it to. */
async function escalationMailContent(
  deps: ForwardingDeps,
  current: ForwardingCase,
  escalation: CaseEscalation,
  mail: EscalationMail,
): Promise<(ForwardMailContent & { to: string }) | undefined> {
  const forwardedAt = forwardedAtOf(current);
  const forwardedOn = forwardedAt ? plainDateIn(forwardedAt, timeZoneOf(current.jurisdiction)) : undefined;
  switch (mail.to) {
    case 'platform-team': {
      const to = deps.ladder?.platformPrivacyTeamEmail;
      return to ? { to, ...renderPlatformTeamMail(escalation.step, current, forwardedOn) } : undefined;
    }
    case 'requester': {
      const request = await deps.requests.findById(current.requestId);
      if (!request?.requester.email) return undefined;
      return { to: request.requester.email, ...renderDeadlinePassedMail(current, request) };
    }
    case 'privacy-contact':
    case 'admin': {
      const to = mail.to === 'admin' ? mail.email : current.contacts[mail.contactIndex]?.email;
      const request = await deps.requests.findById(current.requestId);
      if (!to || !request) return undefined;
      const recipient: LinkRecipient =
        mail.to === 'admin'
          ? { kind: 'admin', email: to }
          : { kind: 'contact', contactIndex: mail.contactIndex, email: to };
      const forward = renderForwardMail(current, request, caseLinksNow(deps, current.caseId, recipient));
      const step = escalation.step === 'reminder' ? 'reminder' : 'all-admins';
      return { to, ...renderLadderForward(step, current, forwardedOn ?? current.receivedOn, forward) };
    }
  }
}

/** The platform privacy team's recipient, for steps outside the ladder's timers (no contact left). */
export const PLATFORM_TEAM: EscalationRecipient = { to: 'platform-team' };

/** `privacy.case.escalated.v2` for a case that ran out of contacts (beside v1). */
export function noContactLeftEventV2(current: ForwardingCase, at: Date): Envelope {
  const { caseId, requestId, tenantId } = current;
  return EVENTS.caseEscalatedV2.create(
    {
      caseId,
      requestId,
      tenantId,
      escalatedAt: at.toISOString(),
      step: 'no-contact-left',
      deadline: current.deadline,
      recipients: ['platform-team'],
    },
    { correlationId: requestId },
  );
}
