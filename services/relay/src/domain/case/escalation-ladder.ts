import {
  addDays,
  addWorkingDays,
  daysBetween,
  onOrNextWorkingDay,
  plainDateIn,
  startOfDayIn,
  type HolidayCalendar,
  type PlainDate,
} from '../deadline';
import type { MailDeliveryStatus, MessageDelivery } from '../delivery/message-delivery';
import type { ForwardingCase, TransitionResult } from './forwarding-case';

/**
 * The rungs of the escalation ladder (docs/escalation.md), in the order they are listed in
 * `privacy.case.escalated.v2`'s `stepIndex`. `no-contact-left` is not a rung (it ends the case)
 * but is recorded and mailed the same way.
 */
export const LADDER_STEPS = [
  'reminder',
  'all-admins',
  'platform-privacy-team',
  'deadline-warning',
  'deadline-passed',
] as const;
export type LadderStep = (typeof LADDER_STEPS)[number];
export type EscalationStep = LadderStep | 'no-contact-left';

/** Steps that follow the deadline in force (an extension moves them); the others follow the first forward. */
export const DEADLINE_STEPS: readonly LadderStep[] = ['deadline-warning', 'deadline-passed'];

/** One ladder, as configured (the relay's default, with a tenant's overrides from the directory). */
export interface EscalationLadder {
  /** Reminder to the same privacy contacts, this many working days after the first forward. */
  reminderAfterWorkingDays: number;
  /** All the tenant's admins, this many calendar days after the first forward (moved to a working day). */
  allAdminsAfterDays: number;
  /** The platform's privacy team, this many calendar days after the first forward (moved to a working day). */
  privacyTeamAfterDays: number;
  /** The platform's privacy team warned, this many working days before the deadline in force. */
  deadlineWarningWorkingDays: number;
}

/** The default ladder with a tenant's overrides (only the fields the tenant sets). */
export function ladderFor(
  defaults: EscalationLadder,
  overrides: Partial<EscalationLadder> | undefined,
): EscalationLadder {
  const ladder = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof EscalationLadder)[]) {
    const value = overrides?.[key];
    if (value !== undefined) ladder[key] = value;
  }
  return ladder;
}

/** One rung due at a time: its timer's step name (the deadline's rungs name their deadline) and what it fires. */
export interface LadderRung {
  step: LadderStep;
  /** The timer's step name: `reminder`, …, `deadline-warning-2026-04-02`, `deadline-passed-2026-04-02`. */
  timerStep: string;
  dueAt: Date;
  /** For the deadline's rungs: the deadline they follow (an extension makes new rungs for the new one). */
  deadline?: PlainDate;
}

/** The stored facts the ladder is computed from. */
export interface LadderFacts {
  /** When SES accepted the case's first mail (`forwardedAtOf`). */
  forwardedAt: Date;
  /** The deadline in force (the extended one once extended). */
  deadline: PlainDate;
  /** The jurisdiction's time zone and its public holidays. */
  timeZone: string;
  holidays: HolidayCalendar;
}

/**
 * When each rung is due. The forward's rungs keep the forward's time of day on the day they fall
 * on (in the jurisdiction's calendar); the deadline's rungs are due at the start of their day
 * there: the warning on its working day before the deadline, "deadline passed" on the day after it.
 */
export function ladderRungs(ladder: EscalationLadder, facts: LadderFacts): LadderRung[] {
  const { forwardedAt, deadline, timeZone, holidays } = facts;
  const forwardedOn = plainDateIn(forwardedAt, timeZone);
  const sameTimeOn = (day: PlainDate) => new Date(forwardedAt.getTime() + daysBetween(forwardedOn, day) * 86_400_000);
  const warnOn = addWorkingDays(deadline, -ladder.deadlineWarningWorkingDays, holidays);
  return [
    {
      step: 'reminder',
      timerStep: 'reminder',
      dueAt: sameTimeOn(addWorkingDays(forwardedOn, ladder.reminderAfterWorkingDays, holidays)),
    },
    {
      step: 'all-admins',
      timerStep: 'all-admins',
      dueAt: sameTimeOn(onOrNextWorkingDay(addDays(forwardedOn, ladder.allAdminsAfterDays), holidays)),
    },
    {
      step: 'platform-privacy-team',
      timerStep: 'platform-privacy-team',
      dueAt: sameTimeOn(onOrNextWorkingDay(addDays(forwardedOn, ladder.privacyTeamAfterDays), holidays)),
    },
    {
      step: 'deadline-warning',
      timerStep: `deadline-warning-${deadline}`,
      dueAt: startOfDayIn(warnOn, timeZone),
      deadline,
    },
    {
      step: 'deadline-passed',
      timerStep: `deadline-passed-${deadline}`,
      dueAt: startOfDayIn(addDays(deadline, 1), timeZone),
      deadline,
    },
  ];
}

/** When SES accepted the case's first mail (the first `forwarded` audit line); undefined before that. */
export function forwardedAtOf(current: Pick<ForwardingCase, 'audit'>): Date | undefined {
  const line = current.audit.find((l) => l.what === 'forwarded');
  return line ? new Date(line.at) : undefined;
}

/** Who an escalation mail goes to. Addresses are kept only for admins (read from the directory when the rung fired). */
export type EscalationRecipient =
  | { to: 'privacy-contact'; contactIndex: number }
  | { to: 'admin'; email: string }
  | { to: 'platform-team' }
  | { to: 'requester' };

/** One mail of an escalation: the intent is stored with the step, SES's message id once SES took it. */
export type EscalationMail = EscalationRecipient & {
  intentAt: string;
  sesMessageId?: string;
  sentAt?: string;
  /** SES refused it (an error code, never SES's text): given up. */
  refusal?: string;
  /** Its delivery as SES's events tell it (like a forward's): status, when, and the precedence state. */
  delivery?: MailDeliveryStatus;
  deliveryAt?: string;
  tracking?: MessageDelivery;
};

/** A step recorded on the case, once (a deadline's rungs once per deadline). */
export interface CaseEscalation {
  step: EscalationStep;
  at: string;
  deadline?: string;
  mails: EscalationMail[];
}

/** Whether the step is recorded on the case already (for that deadline). */
export function findEscalation(
  current: Pick<ForwardingCase, 'escalations'>,
  step: EscalationStep,
  deadline?: string,
): CaseEscalation | undefined {
  return current.escalations?.find((e) => e.step === step && e.deadline === deadline);
}

/**
 * Records that a rung fired, with the intents of its mails, once. Only while the tenant has the
 * case and nobody acknowledged it (`forwarded`); a deadline's rung only for the deadline in force.
 * `already` when recorded before (a second fire of the same timer, a sweep run again).
 */
export function recordEscalation(
  current: ForwardingCase,
  input: { step: LadderStep; deadline?: string; at: Date; recipients: readonly EscalationRecipient[] },
): TransitionResult {
  if (findEscalation(current, input.step, input.deadline))
    return { ok: false, reason: 'already', state: current.state };
  if (current.state !== 'forwarded')
    return { ok: false, reason: 'not-allowed', from: current.state, action: input.step };
  if (input.deadline !== undefined && input.deadline !== current.deadline)
    return { ok: false, reason: 'not-allowed', from: current.state, action: input.step };
  return { ok: true, case: withEscalation(current, input.step, input.deadline, input.at, input.recipients) };
}

/** The case with a step recorded (its intents and audit line); also used for no-contact-left, in the update that ends the case. */
export function withEscalation(
  current: ForwardingCase,
  step: EscalationStep,
  deadline: string | undefined,
  at: Date,
  recipients: readonly EscalationRecipient[],
): ForwardingCase {
  const iso = at.toISOString();
  const escalation: CaseEscalation = {
    step,
    at: iso,
    ...(deadline !== undefined ? { deadline } : {}),
    mails: recipients.map((r) => ({ ...r, intentAt: iso })),
  };
  return {
    ...current,
    escalations: [...(current.escalations ?? []), escalation],
    audit: [
      ...current.audit,
      { at: iso, what: `escalated: ${step}`, by: { kind: 'relay' }, ...(deadline !== undefined ? { deadline } : {}) },
    ],
  };
}

/** The mails of a recorded step still to send (no SES id, not refused), by their index in the step. */
export function unsentMails(escalation: CaseEscalation): number[] {
  return escalation.mails.flatMap((m, i) => (m.sesMessageId === undefined && m.refusal === undefined ? [i] : []));
}

/** SES took (or refused for good) one mail of a recorded step: its id (or refusal code) and an audit line. */
export function recordEscalationMail(
  current: ForwardingCase,
  escalation: Pick<CaseEscalation, 'step' | 'deadline'>,
  mailIndex: number,
  outcome: { sesMessageId: string } | { refusal: string },
  at: Date,
): TransitionResult {
  const recorded = findEscalation(current, escalation.step, escalation.deadline);
  const mail = recorded?.mails[mailIndex];
  if (!recorded || !mail) return { ok: false, reason: 'unknown-message' };
  if (mail.sesMessageId !== undefined || mail.refusal !== undefined)
    return { ok: false, reason: 'already', state: current.state };
  const iso = at.toISOString();
  const updated: EscalationMail =
    'sesMessageId' in outcome
      ? { ...mail, sesMessageId: outcome.sesMessageId, sentAt: iso }
      : { ...mail, refusal: outcome.refusal };
  return {
    ok: true,
    case: {
      ...current,
      escalations: (current.escalations ?? []).map((e) =>
        e === recorded ? { ...e, mails: e.mails.map((m, i) => (i === mailIndex ? updated : m)) } : e,
      ),
      audit: [
        ...current.audit,
        {
          at: iso,
          what:
            'sesMessageId' in outcome
              ? `escalation mail sent: ${escalation.step}`
              : `escalation mail rejected: ${escalation.step}`,
          by: { kind: 'relay' },
          ...('sesMessageId' in outcome ? { sesMessageId: outcome.sesMessageId } : { reason: outcome.refusal }),
          ...(mail.to === 'privacy-contact' ? { contactIndex: mail.contactIndex } : {}),
        },
      ],
    },
  };
}
