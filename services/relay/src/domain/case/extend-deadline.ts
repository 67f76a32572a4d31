import { EXTENSION_REASON_MAX } from '@privacy-relay/shared/events';
import type { Actor, CaseExtension, CaseState, ForwardingCase } from './forwarding-case';

/** Where an extension may be asked from: the tenant has the case and has not closed it. */
const EXTENDABLE_FROM: readonly CaseState[] = ['forwarded', 'acknowledged'];

export type ExtensionReasonCheck = { ok: true; reason: string } | { ok: false; problem: 'empty' | 'too-long' };

// eslint-disable-next-line no-control-regex
const CONTROL_BUT_LINE_BREAK = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

/**
 * A reason as kept and told: line breaks kept as `\n`, other control characters made spaces,
 * trimmed; at least one character and at most `EXTENSION_REASON_MAX` once trimmed.
 */
export function checkExtensionReason(raw: unknown): ExtensionReasonCheck {
  if (typeof raw !== 'string') return { ok: false, problem: 'empty' };
  const reason = raw.replace(/\r\n?/g, '\n').replace(CONTROL_BUT_LINE_BREAK, ' ').trim();
  if (reason.length === 0) return { ok: false, problem: 'empty' };
  if (reason.length > EXTENSION_REASON_MAX) return { ok: false, problem: 'too-long' };
  return { ok: true, reason };
}

export type ExtensionResult =
  | { ok: true; case: ForwardingCase }
  | { ok: false; reason: 'invalid-reason'; problem: 'empty' | 'too-long' }
  | { ok: false; reason: 'already'; extension: CaseExtension }
  | { ok: false; reason: 'not-allowed'; from: CaseState }
  | { ok: false; reason: 'deadline-passed'; deadline: string; today: string };

/**
 * Extends the case's deadline, once, to its `extendedDeadline` (computed with the first deadline
 * from the day of receipt: two further months under the GDPR and UK GDPR, 45 more days under the
 * CCPA). Only while the tenant has the case (forwarded or acknowledged), only on or before the
 * original deadline's day — `today` is the date now in the case's jurisdiction (`todayIn`) — and
 * only with a reason. `deadline` becomes the extended one (what anything following the deadline
 * reads), `originalDeadline` keeps the first; the audit line carries the reason as `text`.
 */
export function extendDeadline(
  current: ForwardingCase,
  input: { reason: unknown; today: string; at: Date; by: Actor },
): ExtensionResult {
  const checked = checkExtensionReason(input.reason);
  if (!checked.ok) return { ok: false, reason: 'invalid-reason', problem: checked.problem };
  const refusal = extensionRefusal(current, input.today);
  if (refusal) return refusal;
  const original = originalDeadlineOf(current);
  const iso = input.at.toISOString();
  const extension: CaseExtension = {
    at: iso,
    by: input.by,
    reason: checked.reason,
    from: original,
    to: current.extendedDeadline,
  };
  return {
    ok: true,
    case: {
      ...current,
      deadline: current.extendedDeadline,
      originalDeadline: original,
      extension,
      audit: [
        ...current.audit,
        { at: iso, what: 'deadline extended', by: input.by, deadline: current.extendedDeadline, text: checked.reason },
      ],
    },
  };
}

export type ExtensionRefusal = Extract<ExtensionResult, { reason: 'already' | 'not-allowed' | 'deadline-passed' }>;

/**
 * Why the case cannot be extended today (whatever the reason given), or undefined when it can:
 * what the admin link's page says before it offers the form.
 */
export function extensionRefusal(current: ForwardingCase, today: string): ExtensionRefusal | undefined {
  if (current.extension) return { ok: false, reason: 'already', extension: current.extension };
  if (!EXTENDABLE_FROM.includes(current.state)) return { ok: false, reason: 'not-allowed', from: current.state };
  const original = originalDeadlineOf(current);
  // Plain YYYY-MM-DD dates compare as strings.
  if (today > original) return { ok: false, reason: 'deadline-passed', deadline: original, today };
  return undefined;
}

/** The deadline in force (the extended one once extended): what reminders and the deadline warning follow. */
export function currentDeadline(current: Pick<ForwardingCase, 'deadline'>): string {
  return current.deadline;
}

/** The first legal deadline, extended or not: an extension is allowed up to this day. */
export function originalDeadlineOf(current: Pick<ForwardingCase, 'deadline' | 'originalDeadline'>): string {
  return current.originalDeadline ?? current.deadline;
}
