import { escapeHtml } from '@privacy-relay/shared/html';
import type { RIGHTS } from '@privacy-relay/shared/events';
import type { ForwardingCase } from '../domain/case';
import type { CaseLinkAction } from './case-links';
import type { RelayRequest } from '../domain/relay-request';

export const RIGHT_LABELS: Record<(typeof RIGHTS)[number], string> = {
  access: 'access (a copy of their data)',
  rectification: 'rectification',
  erasure: 'erasure',
  restriction: 'restriction of processing',
  portability: 'data portability',
  objection: 'objection to processing',
  'withdraw-consent': 'withdrawal of consent',
  other: 'other',
};

function actionLabels(forwardingCase: ForwardingCase): Record<CaseLinkAction, string> {
  return {
    acknowledge: 'Acknowledge: we have it and are working on it',
    done: 'Mark done: we have answered the requester',
    'not-ours': 'Not ours: we do not hold this person’s data',
    extend: `Extend the deadline once, to ${forwardingCase.extendedDeadline}, with a reason the requester is told`,
  };
}

/** "2026-04-02 (extendable to 2026-06-02)", or, once extended, "2026-06-02 (extended from 2026-04-02)". */
function deadlineText(forwardingCase: ForwardingCase): string {
  return forwardingCase.originalDeadline
    ? `${forwardingCase.deadline} (extended from ${forwardingCase.originalDeadline})`
    : `${forwardingCase.deadline} (extendable to ${forwardingCase.extendedDeadline})`;
}

// eslint-disable-next-line no-control-regex
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** A value meant for one line (the subject, a `Label: value` line): no break or control character survives. */
function oneLine(value: string): string {
  return value.replace(LINE_BREAKING, ' ');
}

// eslint-disable-next-line no-control-regex
const LINE_BREAK = /\r\n|[\n\r\u000b\u000c\u0085\u2028\u2029]/;
// eslint-disable-next-line no-control-regex
const OTHER_CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f]/g;

/**
 * The requester's free text in the text body, every line quoted with "> ": whatever they wrote
 * (a deadline line, links that look like ours) reads as theirs, never as a line of the mail.
 */
function quoted(text: string): string {
  return text
    .split(LINE_BREAK)
    .map((line) => `> ${line.replace(OTHER_CONTROL, ' ')}`.trimEnd())
    .join('\n');
}

export interface ForwardMailContent {
  subject: string;
  text: string;
  html: string;
}

/**
 * The mail forwarding a case to a tenant's privacy contact. Every value from the request is
 * escaped in the HTML body; the subject and text carry them as plain text, one-line values kept on
 * their line (the contract allows any string: a line break in a name must not forge a line of ours).
 */
export function renderForwardMail(
  forwardingCase: ForwardingCase,
  request: RelayRequest,
  links: Readonly<Record<CaseLinkAction, string>>,
): ForwardMailContent {
  const labels = actionLabels(forwardingCase);
  const actions = Object.keys(labels) as CaseLinkAction[];
  const rights = request.rights.map((right) => RIGHT_LABELS[right] ?? right);
  const rightsText = rights.join(', ');
  const received = request.receivedAt.toISOString().slice(0, 10);
  const subject = oneLine(
    `Data-protection request (${rightsText}) from ${request.requester.name} — answer by ${forwardingCase.deadline}`,
  ).slice(0, 900);
  const other = request.otherRightText ? `\nOther right asked for: ${oneLine(request.otherRightText)}` : '';
  const text = `A data-protection request for your organisation reached Privacy Relay.

Requester: ${oneLine(request.requester.name)} <${oneLine(request.requester.email)}>
Rights: ${rightsText}${other}
Received: ${received}
Reference: ${oneLine(request.reference)}
Legal deadline (${forwardingCase.regime}): ${deadlineText(forwardingCase)}

What they wrote:
${quoted(request.text || '(nothing)')}

Please tell us what you do with it (each link opens a page with a button):
${actions.map((action) => `- ${labels[action]}: ${links[action]}`).join('\n')}
`;
  const e = escapeHtml;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(subject)}</title></head>
<body>
<p>A data-protection request for your organisation reached Privacy Relay.</p>
<dl>
<dt>Requester</dt><dd>${e(request.requester.name)} &lt;${e(request.requester.email)}&gt;</dd>
<dt>Rights</dt><dd>${e(rightsText)}</dd>
${request.otherRightText ? `<dt>Other right asked for</dt><dd>${e(request.otherRightText)}</dd>` : ''}
<dt>Received</dt><dd>${e(received)}</dd>
<dt>Reference</dt><dd>${e(request.reference)}</dd>
<dt>Legal deadline (${e(forwardingCase.regime)})</dt><dd>${e(deadlineText(forwardingCase))}</dd>
</dl>
<h2>What they wrote</h2>
<pre style="white-space: pre-wrap">${e(request.text || '(nothing)')}</pre>
<h2>What you do with it</h2>
<ul>
${actions.map((action) => `<li><a href="${e(links[action])}">${e(labels[action])}</a></li>`).join('\n')}
</ul>
</body></html>
`;
  return { subject, text, html };
}
