import { escapeHtml, oneLine } from '@privacy-relay/shared/html';
import type { Regime } from '@privacy-relay/shared/events';
import type { EscalationStep, ForwardingCase } from '../domain/case';
import type { RelayRequest } from '../domain/relay-request';
import type { ForwardMailContent } from './forward-mail';

const STEP_TITLES: Record<EscalationStep, string> = {
  reminder: 'Reminder',
  'all-admins': 'Escalated to the admins',
  'platform-privacy-team': 'Not acknowledged',
  'deadline-warning': 'Deadline near',
  'deadline-passed': 'Deadline passed',
  'no-contact-left': 'No contact left',
};

/**
 * The forward mail again, for the same privacy contacts (reminder) or the tenant's admins, with a
 * first paragraph saying why it comes again. Its links are the forward's (a fresh signature).
 */
export function renderLadderForward(
  step: 'reminder' | 'all-admins',
  forwardingCase: ForwardingCase,
  forwardedOn: string,
  forward: ForwardMailContent,
): ForwardMailContent {
  const tenant = oneLine(forwardingCase.tenantName ?? forwardingCase.tenantId);
  const intro =
    step === 'reminder'
      ? `Reminder: nobody has acknowledged this request yet. It was sent to you on ${forwardedOn}; the legal deadline is ${forwardingCase.deadline}.`
      : `Nobody at ${tenant} has acknowledged this request, sent to its privacy contacts on ${forwardedOn}. You receive it as an admin of ${tenant} on Privacy Relay; the legal deadline is ${forwardingCase.deadline}.`;
  const prefix = step === 'reminder' ? 'Reminder: ' : 'Not acknowledged: ';
  return {
    subject: `${prefix}${forward.subject}`.slice(0, 900),
    text: `${intro}\n\n${forward.text}`,
    html: forward.html.replace('<body>\n', `<body>\n<p><strong>${escapeHtml(intro)}</strong></p>\n`),
  };
}

/**
 * The platform privacy team's mail for a step: which case, which tenant, where it stands. No
 * requester's personal data (no name, address, text, subject): the operator API has the case.
 */
export function renderPlatformTeamMail(
  step: EscalationStep,
  forwardingCase: ForwardingCase,
  forwardedOn: string | undefined,
): ForwardMailContent {
  const tenant = `${oneLine(forwardingCase.tenantName ?? '')} (${forwardingCase.tenantId})`.trim();
  const why: Record<EscalationStep, string> = {
    reminder: 'The case was sent again to its privacy contacts.',
    'all-admins': "The case went to the tenant's admins.",
    'platform-privacy-team': 'Nobody at the tenant acknowledged this case.',
    'deadline-warning': 'The legal deadline of this case is near and nobody at the tenant acknowledged it.',
    'deadline-passed': 'The legal deadline of this case passed without an acknowledgement.',
    'no-contact-left': 'No privacy contact of the tenant could be reached: every address bounced or was refused.',
  };
  const lines = [
    why[step],
    '',
    `Case: ${forwardingCase.caseId}`,
    `Request: ${forwardingCase.requestId}`,
    `Tenant: ${tenant}`,
    `State: ${forwardingCase.state}`,
    `Forwarded: ${forwardedOn ?? 'not yet'}`,
    `Deadline (${forwardingCase.regime}): ${forwardingCase.deadline}${forwardingCase.originalDeadline ? ` (extended from ${forwardingCase.originalDeadline})` : ''}`,
    `Privacy contacts tried: ${new Set(forwardingCase.messages.map((m) => m.contactIndex)).size} of ${forwardingCase.contacts.length}`,
    '',
    `The case with its audit trail: GET /v1/cases/${forwardingCase.caseId} on the relay's operator API.`,
  ];
  const subject = `[Privacy Relay] ${STEP_TITLES[step]}: case ${forwardingCase.caseId}`;
  const text = `${lines.join('\n')}\n`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body>
${lines.map((line) => (line === '' ? '' : `<p>${escapeHtml(line)}</p>`)).join('\n')}
</body></html>
`;
  return { subject, text, html };
}

const REGULATORS: Record<Regime, { law: string; regulator: string }> = {
  'uk-gdpr': {
    law: 'the UK GDPR',
    regulator: "complain to the Information Commissioner's Office (ICO): https://ico.org.uk/make-a-complaint/",
  },
  'eu-gdpr': {
    law: 'the GDPR',
    regulator:
      'complain to the data protection authority of the country you live or work in (the list: https://www.edpb.europa.eu/about-edpb/about-edpb/members_en)',
  },
  ccpa: {
    law: 'the CCPA',
    regulator:
      'complain to the California Privacy Protection Agency (https://cppa.ca.gov/) or the California Attorney General (https://oag.ca.gov/privacy)',
  },
};

/** The requester's mail when the deadline passed without the tenant acknowledging: what happened and what they can do. */
export function renderDeadlinePassedMail(forwardingCase: ForwardingCase, request: RelayRequest): ForwardMailContent {
  const tenant = oneLine(forwardingCase.tenantName ?? forwardingCase.tenantId);
  const reference = oneLine(request.reference);
  const { law, regulator } = REGULATORS[forwardingCase.regime];
  const subject = oneLine(`The deadline for your privacy request ${reference} passed`).slice(0, 900);
  const paragraphs = [
    `We forwarded your privacy request ${reference} to ${tenant}. Under ${law} they had to answer you by ${forwardingCase.deadline}, and they have not told us that they did.`,
    `If they have not answered you, you can ${regulator}. Mention the reference ${reference} and keep this mail.`,
  ];
  const text = `${paragraphs.join('\n\n')}\n`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body>
${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
</body></html>
`;
  return { subject, text, html };
}
