import { AppError } from '@privacy-relay/shared/errors';
import type { CaseForwardedV1, Regime } from '@privacy-relay/shared/events';
import { escapeHtml, oneLine } from '@privacy-relay/shared/html';
import type { Clock, Mailer, OutgoingMail, RequestForward, RequestForwardLog } from './ports';
import type { RequesterLinks } from './requester-links';

export interface NotifyForwardDeps {
  forwards: RequestForwardLog;
  mailer: Mailer;
  clock: Clock;
  links: RequesterLinks;
  /** A forward older than this is recorded, not mailed (a new consumer group reads from the start). */
  noticeMaxAgeMs: number;
  /** Told (ids only) about a forward of a request that is not verified here: nothing is recorded or mailed. */
  onUnverified?(ids: { requestId: string; caseId: string }): void;
  /** Told (ids only) about a forward recorded without a mail: too old, or no address in the event. */
  onNotMailed?(ids: { requestId: string; caseId: string }, reason: 'stale' | 'no-address' | 'address-mismatch'): void;
  onMailSent?(): void;
}

export type NotifyForwardOutcome = 'mailed' | 'already-mailed' | 'not-mailed' | 'unverified';

export const REGIME_LABELS: Record<Regime, string> = {
  'uk-gdpr': 'UK GDPR',
  'eu-gdpr': 'the GDPR',
  ccpa: 'the CCPA / CPRA',
};

/**
 * Tells the requester, from a `privacy.case.forwarded.v1`, which customer their request went to
 * and by when it must be answered: the forward is recorded on the request's state (the status page
 * shows it), then mailed once per case to the address in the event. Runs at least once per event:
 * the forward is keyed by its case id, and the notice is noted as sent as soon as SES took it, so a
 * redelivery mails nothing (only a crash between SES's answer and that note sends it twice).
 *
 * Nothing is recorded or mailed for a request that is not verified here: until verified, nobody
 * learns which customers hold the requester's data. A state not stored yet (written behind the
 * answer, or by the mail consumer) is waited for: retried, then dead-lettered.
 */
export async function notifyForward(deps: NotifyForwardDeps, event: CaseForwardedV1): Promise<NotifyForwardOutcome> {
  const { caseId, requestId, tenantId, tenantName, deadline, requesterEmail } = event.payload;
  const forward: RequestForward = {
    caseId,
    tenantId,
    tenantName,
    forwardedAt: new Date(event.payload.forwardedAt),
    deadline,
  };
  const result = await deps.forwards.recordForward(requestId, forward);
  if (!('record' in result)) {
    if (result.outcome === 'unverified') {
      deps.onUnverified?.({ requestId, caseId });
      return 'unverified';
    }
    throw new AppError('FORWARD_REQUEST_UNKNOWN', `request ${requestId} of case ${caseId} has no state here yet`, {
      retriable: true,
      maxAttempts: 10,
    });
  }
  const { record } = result;
  const stored = record.forwards?.find((f) => f.caseId === caseId);
  if (stored?.noticeSentAt) return 'already-mailed';
  const recorded = stored ?? forward;
  if (!requesterEmail) {
    deps.onNotMailed?.({ requestId, caseId }, 'no-address');
    return 'not-mailed';
  }
  // The event names the address; intake mails only the requester it received the request from
  // (a forged or mis-keyed event must not send this request's status link anywhere else).
  if (record.requesterKey !== undefined && !deps.links.isRequester(record.requesterKey, requesterEmail)) {
    deps.onNotMailed?.({ requestId, caseId }, 'address-mismatch');
    return 'not-mailed';
  }
  if (deps.clock.now().getTime() - recorded.forwardedAt.getTime() > deps.noticeMaxAgeMs) {
    deps.onNotMailed?.({ requestId, caseId }, 'stale');
    return 'not-mailed';
  }
  await deps.mailer.send(
    forwardNoticeMail({
      to: requesterEmail,
      reference: record.reference,
      forward: recorded,
      statusUrl: deps.links.statusUrl(requestId, record.receivedAt),
    }),
  );
  deps.onMailSent?.();
  // From SES's answer to this write, a crash mails the notice again on redelivery.
  await deps.forwards.markNoticeSent(requestId, caseId, deps.clock.now());
  return 'mailed';
}

/** The customer's name as the requester reads it (the tenant id for a case opened before names were kept). */
export function customerNameOf(forward: Pick<RequestForward, 'tenantName' | 'tenantId'>): string {
  return forward.tenantName ?? forward.tenantId;
}

/** `YYYY-MM-DD` of an instant, in UTC (the dates the relay computes deadlines in). */
export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * The notice. Every value is escaped in the HTML body, and kept on its line in the subject and
 * text (a name from the directory must not forge a line of ours).
 */
export function forwardNoticeMail(input: {
  to: string;
  reference: string;
  forward: RequestForward;
  statusUrl: string;
}): OutgoingMail {
  const { forward } = input;
  const customer = oneLine(customerNameOf(forward));
  const reference = oneLine(input.reference);
  const regime = REGIME_LABELS[forward.deadline.regime];
  const forwardedOn = dayOf(forward.forwardedAt);
  const { dueOn, extendableTo } = forward.deadline;
  const lines = {
    sent: `We forwarded your privacy request ${reference} to ${customer} on ${forwardedOn}.`,
    deadline: `Under ${regime} they must answer you by ${dueOn}.`,
    extension: `They may extend that to ${extendableTo} if your request is complex or they receive many; they must then tell you why within the first period.`,
    replies: `${customer} will answer you directly. If they do not, please tell us and quote your reference.`,
  };
  return {
    to: input.to,
    subject: `Your privacy request ${reference} went to ${customer}`,
    text: [
      'Hello,',
      '',
      lines.sent,
      lines.deadline,
      lines.extension,
      '',
      lines.replies,
      '',
      `You can follow your request here: ${input.statusUrl}`,
    ].join('\n'),
    html: `<p>Hello,</p>
<p>We forwarded your privacy request <strong>${escapeHtml(reference)}</strong> to <strong>${escapeHtml(customer)}</strong> on ${escapeHtml(forwardedOn)}.</p>
<p>Under ${escapeHtml(regime)} they must answer you by <strong>${escapeHtml(dueOn)}</strong>. They may extend that to ${escapeHtml(extendableTo)} if your request is complex or they receive many; they must then tell you why within the first period.</p>
<p>${escapeHtml(customer)} will answer you directly. If they do not, please tell us and quote your reference.</p>
<p><a href="${escapeHtml(input.statusUrl)}">Follow your request</a></p>
`,
  };
}
