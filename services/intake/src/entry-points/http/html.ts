import { escapeHtml } from '@privacy-relay/shared/html';
import { REGIMES, RIGHTS } from '@privacy-relay/shared/events';
import { customerNameOf, dayOf } from '../../application/notify-forward';
import type { RequestForward } from '../../application/ports';
import type { RequestStatusView } from '../../application/verify-request';
import { formFieldOf, type FieldIssue, type FormField, type FormValues } from '../../domain/request-form';
import { LIMITS } from '@privacy-relay/shared/events';

export { escapeHtml };

const RIGHT_LABELS: Record<(typeof RIGHTS)[number], string> = {
  access: 'Access — a copy of my data',
  rectification: 'Rectification — correct my data',
  erasure: 'Erasure — delete my data',
  restriction: 'Restriction — stop using my data for now',
  portability: 'Portability — my data in a reusable format',
  objection: 'Objection — stop processing my data',
  'withdraw-consent': 'Withdraw consent',
  other: 'Something else (say what below)',
};

const REGIME_LABELS: Record<(typeof REGIMES)[number], string> = {
  'uk-gdpr': 'UK GDPR',
  'eu-gdpr': 'EU GDPR',
  ccpa: 'CCPA / CPRA (California)',
};

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} — Privacy Relay</title>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

export interface FormPageInput {
  formToken: string;
  values: FormValues;
  issues?: FieldIssue[];
  /** A banner above the form (Kafka down: "nothing was lost, send again"). */
  notice?: string;
}

export function requestFormPage(input: FormPageInput): string {
  const { values } = input;
  const byField = new Map<FormField | 'general', string[]>();
  for (const issue of input.issues ?? []) {
    const field = formFieldOf(issue.path) ?? 'general';
    byField.set(field, [...(byField.get(field) ?? []), issue.message]);
  }
  const errorFor = (field: FormField) => {
    const messages = byField.get(field);
    return messages ? `<p class="error" id="${field}-error">${messages.map(escapeHtml).join('; ')}</p>` : '';
  };
  const described = (field: FormField) =>
    byField.has(field) ? ` aria-invalid="true" aria-describedby="${field}-error"` : '';
  const summary = input.issues?.length
    ? `<div role="alert"><h2>Please correct the following</h2><ul>${input.issues
        .map((issue) => `<li>${escapeHtml(issue.path || 'request')}: ${escapeHtml(issue.message)}</li>`)
        .join('')}</ul></div>`
    : '';
  const notice = input.notice ? `<div role="status"><p>${escapeHtml(input.notice)}</p></div>` : '';
  const text = (field: FormField, label: string, value: string, max: number, type = 'text', required = false) =>
    `<p><label for="${field}">${escapeHtml(label)}</label><br>
<input id="${field}" name="${field}" type="${type}" maxlength="${max}" value="${escapeHtml(value)}"${
      required ? ' required' : ''
    }${described(field)}>${errorFor(field)}</p>`;

  return page(
    'Make a data-protection request',
    `${notice}${summary}
<p>Tell us who you are and what you would like. We will find the company that holds your data and pass your
request on. We first send you an email to confirm that the address is yours.</p>
<form method="post" action="/request" accept-charset="utf-8">
<input type="hidden" name="formToken" value="${escapeHtml(input.formToken)}">
${text('name', 'Your name', values.name, LIMITS.nameMax, 'text', true)}
${text('email', 'Your email address', values.email, LIMITS.emailMax, 'email', true)}
<fieldset${described('rights')}>
<legend>What would you like? (one or more)</legend>
${RIGHTS.map(
  (right) =>
    `<p><input type="checkbox" id="right-${right}" name="rights" value="${right}"${
      values.rights.includes(right) ? ' checked' : ''
    }> <label for="right-${right}">${escapeHtml(RIGHT_LABELS[right])}</label></p>`,
).join('\n')}
${errorFor('rights')}
</fieldset>
<p><label for="otherRightText">If "something else": what?</label><br>
<input id="otherRightText" name="otherRightText" type="text" maxlength="${LIMITS.otherRightTextMax}" value="${escapeHtml(
      values.otherRightText,
    )}"${described('otherRightText')}>${errorFor('otherRightText')}</p>
${text('companyName', 'Company you think holds your data (optional)', values.companyName, LIMITS.companyNameMax)}
${text('companyEmail', "That company's email address (optional)", values.companyEmail, LIMITS.emailMax, 'email')}
<p><label for="text">Anything else we should pass on (optional)</label><br>
<textarea id="text" name="text" rows="6" cols="60" maxlength="${LIMITS.freeTextMax}"${described('text')}>${escapeHtml(
      values.text,
    )}</textarea>${errorFor('text')}</p>
<p><label for="regimeHint">Which law applies, if you know (optional)</label><br>
<select id="regimeHint" name="regimeHint"${described('regimeHint')}>
<option value="">I don't know</option>
${REGIMES.map(
  (regime) =>
    `<option value="${regime}"${values.regimeHint === regime ? ' selected' : ''}>${escapeHtml(
      REGIME_LABELS[regime],
    )}</option>`,
).join('\n')}
</select>${errorFor('regimeHint')}</p>
${byField.has('general') ? `<p class="error">${(byField.get('general') ?? []).map(escapeHtml).join('; ')}</p>` : ''}
<p><button type="submit">Send my request</button></p>
</form>`,
  );
}

export function acceptedPage(reference: string): string {
  return page(
    'Request received',
    `<p>Your reference is <strong>${escapeHtml(reference)}</strong>.</p>
<p>We have sent you an email with a link to confirm that the address is yours. Your request is passed on only
once you have confirmed it. The email also has a link to follow your request.</p>`,
  );
}

/** The status page of a request whose state is not stored yet: the reference, and what comes next. */
export function receivedStatusPage(reference: string): string {
  return page(
    `Request ${reference}`,
    `<dl>
<dt>Reference</dt><dd>${escapeHtml(reference)}</dd>
<dt>Status</dt><dd>Received. We are emailing you about it; its details show here shortly.</dd>
</dl>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, `<p>${escapeHtml(message)}</p>`);
}

export function confirmPage(reference: string, action: string): string {
  return page(
    'Confirm your request',
    `<p>Please confirm that you made the request <strong>${escapeHtml(reference)}</strong> and that this email
address is yours.</p>
<form method="post" action="${escapeHtml(action)}">
<p><button type="submit">Confirm</button></p>
</form>`,
  );
}

export function statusPage(view: RequestStatusView, codeAction: string, notice?: string): string {
  const state =
    view.verification === 'verified'
      ? 'Confirmed: we are passing your request on.'
      : view.verification === 'confirming'
        ? 'Your confirmation is being recorded; we pass your request on as soon as it is.'
        : view.verification === 'expired'
          ? 'Not confirmed in time. Please make the request again.'
          : 'Waiting for you to confirm your email address.';
  const codeForm = view.canEnterCode
    ? `<form method="post" action="${escapeHtml(codeAction)}">
<p><label for="code">Confirmation code from our email</label><br>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="20" required></p>
<p><button type="submit">Confirm</button></p>
</form>`
    : '';
  return page(
    `Request ${view.reference}`,
    `${notice ? `<div role="status"><p>${escapeHtml(notice)}</p></div>` : ''}
<dl>
<dt>Reference</dt><dd>${escapeHtml(view.reference)}</dd>
<dt>Received</dt><dd>${escapeHtml(view.receivedAt.toISOString().slice(0, 10))}</dd>
<dt>You asked for</dt><dd><ul>${view.rights.map((right) => `<li>${escapeHtml(RIGHT_LABELS[right] ?? right)}</li>`).join('')}</ul></dd>
<dt>Email confirmed</dt><dd>${escapeHtml(state)}</dd>
${view.forwards.length > 0 ? `<dt>Passed on to</dt><dd><ul>${view.forwards.map(forwardItem).join('')}</ul></dd>` : ''}
</dl>
${codeForm}`,
  );
}

/**
 * "Forwarded to <customer> on <date>; they must answer by <deadline> (extendable to …)", or once
 * extended, "…; extended to <deadline> (from …) under …: <the reason>" (escaped, its lines kept).
 */
function forwardItem(forward: RequestForward): string {
  const { dueOn, extendableTo, regime } = forward.deadline;
  const { extension } = forward;
  if (extension)
    return `<li>Forwarded to <strong>${escapeHtml(customerNameOf(forward))}</strong> on ${escapeHtml(dayOf(forward.forwardedAt))}; extended to <strong>${escapeHtml(extension.dueOn)}</strong> (from ${escapeHtml(extension.previousDueOn)}) under ${escapeHtml(REGIME_LABELS[regime])}: <q>${escapeHtml(extension.reason).replace(/\r\n|\n|\r/g, '<br>')}</q></li>`;
  return `<li>Forwarded to <strong>${escapeHtml(customerNameOf(forward))}</strong> on ${escapeHtml(dayOf(forward.forwardedAt))}; they must answer by <strong>${escapeHtml(dueOn)}</strong> (extendable to ${escapeHtml(extendableTo)}) under ${escapeHtml(REGIME_LABELS[regime])}.</li>`;
}
