import { AppError } from '@privacy-relay/shared/errors';
import type { CaseExtendedV1 } from '@privacy-relay/shared/events';
import { escapeHtml, oneLine, quotedLines } from '@privacy-relay/shared/html';
import { REGIME_LABELS, type NotifyForwardDeps, type NotifyForwardOutcome } from './notify-forward';
import type { ForwardExtension, OutgoingMail, RequestExtensionLog } from './ports';

/** What the extension notice needs: the forward notice's mailer, clock, links and window, and the extension log. */
export type NotifyExtensionDeps = Omit<NotifyForwardDeps, 'forwards'> & { forwards: RequestExtensionLog };

/**
 * Tells the requester, from a `privacy.case.extended.v1`, that a customer's deadline was extended,
 * to when and why: the extension is recorded on the request's state beside its forward (the status
 * page shows it), then mailed once per case. Runs at least once per event, like `notifyForward`
 * (same consumer group, same paced mailer): keyed by case id, noted as sent as soon as SES took it.
 * It does not wait for the forward's event (another topic, which may come later): everything the
 * mail says comes with this event. Nothing is recorded or mailed for a request not verified here.
 */
export async function notifyExtension(deps: NotifyExtensionDeps, event: CaseExtendedV1): Promise<NotifyForwardOutcome> {
  const { caseId, requestId, tenantId, tenantName, requesterEmail, regime, dueOn, previousDueOn, reason } =
    event.payload;
  const extension: ForwardExtension = { extendedAt: new Date(event.payload.extendedAt), dueOn, previousDueOn, reason };
  const result = await deps.forwards.recordExtension(requestId, caseId, extension);
  if (!('record' in result)) {
    if (result.outcome === 'unverified') {
      deps.onUnverified?.({ requestId, caseId });
      return 'unverified';
    }
    throw new AppError('EXTENSION_REQUEST_UNKNOWN', `request ${requestId} of case ${caseId} has no state here yet`, {
      retriable: true,
      maxAttempts: 10,
    });
  }
  const { record, stored } = result;
  if (stored.noticeSentAt) return 'already-mailed';
  if (!requesterEmail) {
    deps.onNotMailed?.({ requestId, caseId }, 'no-address');
    return 'not-mailed';
  }
  if (deps.clock.now().getTime() - stored.extendedAt.getTime() > deps.noticeMaxAgeMs) {
    deps.onNotMailed?.({ requestId, caseId }, 'stale');
    return 'not-mailed';
  }
  await deps.mailer.send(
    extensionNoticeMail({
      to: requesterEmail,
      reference: record.reference,
      customer: tenantName ?? tenantId,
      regime: REGIME_LABELS[regime],
      extension: stored,
      statusUrl: deps.links.statusUrl(requestId, record.receivedAt),
    }),
  );
  deps.onMailSent?.();
  // From SES's answer to this write, a crash mails the notice again on redelivery.
  await deps.forwards.markExtensionNoticeSent(requestId, caseId, deps.clock.now());
  return 'mailed';
}

/**
 * The notice of an extension. The reason is someone else's free text: quoted line by line in the
 * text body, escaped (its line breaks as `<br>`) in the HTML body, never in the subject.
 */
export function extensionNoticeMail(input: {
  to: string;
  reference: string;
  customer: string;
  regime: string;
  extension: Pick<ForwardExtension, 'dueOn' | 'previousDueOn' | 'reason'>;
  statusUrl: string;
}): OutgoingMail {
  const customer = oneLine(input.customer);
  const reference = oneLine(input.reference);
  const { dueOn, previousDueOn, reason } = input.extension;
  const e = escapeHtml;
  return {
    to: input.to,
    subject: `Your privacy request ${reference}: ${customer} has until ${dueOn} to answer`,
    text: [
      'Hello,',
      '',
      `The deadline for ${customer} to answer your privacy request ${reference} was extended to ${dueOn} (it was ${previousDueOn}), as ${input.regime} allows once.`,
      '',
      'The reason given:',
      quotedLines(reason),
      '',
      `${customer} will answer you directly. If they do not, please tell us and quote your reference.`,
      '',
      `You can follow your request here: ${input.statusUrl}`,
    ].join('\n'),
    html: `<p>Hello,</p>
<p>The deadline for <strong>${e(customer)}</strong> to answer your privacy request <strong>${e(reference)}</strong> was extended to <strong>${e(dueOn)}</strong> (it was ${e(previousDueOn)}), as ${e(input.regime)} allows once.</p>
<p>The reason given:</p>
<blockquote><p>${e(reason).replace(/\r\n|\n|\r/g, '<br>')}</p></blockquote>
<p>${e(customer)} will answer you directly. If they do not, please tell us and quote your reference.</p>
<p><a href="${e(input.statusUrl)}">Follow your request</a></p>
`,
  };
}
