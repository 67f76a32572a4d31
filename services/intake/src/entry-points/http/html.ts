import { escapeHtml, htmlPage } from '@privacy-relay/shared/html';
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

/** A page of intake's site: the shared document, its banner leading to the landing page. */
export function page(title: string, body: string, options: { noindex?: boolean } = {}): string {
  return htmlPage({ title, body, homeHref: '/', ...options });
}

export interface FormPageInput {
  formToken: string;
  values: FormValues;
  issues?: FieldIssue[];
  /** A banner above the form (Kafka down: "nothing was lost, send again"). */
  notice?: string;
}

const FIELD_LABELS: Record<Exclude<FormField, 'formToken'>, string> = {
  name: 'Your name',
  email: 'Your email address',
  rights: 'What would you like?',
  otherRightText: 'If "something else": what?',
  companyName: 'Company you think holds your data (optional)',
  companyEmail: "That company's email address (optional)",
  text: 'Anything else we should pass on (optional)',
  regimeHint: 'Which law applies, if you know (optional)',
};

/** The schema's messages said the way a person filling in the form would say them. */
function plainMessage(field: FormField | 'general', message: string, values: FormValues): string {
  if (field === 'name' && !values.name.trim()) return 'Enter your name';
  if (field === 'email' && !values.email.trim()) return 'Enter your email address';
  const tooLong = /^Too big: expected string to have <=(\d+) characters$/.exec(message);
  if (tooLong) return `Use at most ${tooLong[1]} characters`;
  return message;
}

export function requestFormPage(input: FormPageInput): string {
  const { values } = input;
  const byField = new Map<FormField | 'general', string[]>();
  for (const issue of input.issues ?? []) {
    const field = formFieldOf(issue.path) ?? 'general';
    byField.set(field, [...(byField.get(field) ?? []), plainMessage(field, issue.message, values)]);
  }
  // The message sits between a field's label and the field, and the field points at it, so a
  // screen reader reads it with the field; the summary on top links to each field in turn.
  const errorFor = (field: FormField) => {
    const messages = byField.get(field);
    return messages ? `\n<p class="error" id="${field}-error">${messages.map(escapeHtml).join('; ')}</p>` : '';
  };
  const described = (field: FormField) =>
    byField.has(field) ? ` aria-invalid="true" aria-describedby="${field}-error"` : '';
  const fieldClass = (field: FormField) => (byField.has(field) ? 'field field-error' : 'field');
  const summary = input.issues?.length
    ? `<div class="error-summary" role="alert"><h2>Please correct the following</h2><ul>${[...byField]
        .map(([field, messages]) => {
          const text = escapeHtml(messages.join('; '));
          if (field === 'general' || field === 'formToken') return `<li>${text}</li>`;
          const target = field === 'rights' ? `right-${RIGHTS[0]}` : field;
          return `<li><a href="#${target}">${escapeHtml(FIELD_LABELS[field])}: ${text}</a></li>`;
        })
        .join('')}</ul></div>`
    : '';
  const notice = input.notice ? `<div class="notice" role="status"><p>${escapeHtml(input.notice)}</p></div>` : '';
  const text = (
    field: Exclude<FormField, 'formToken' | 'rights'>,
    value: string,
    max: number,
    type = 'text',
    extra = '',
  ) =>
    `<div class="${fieldClass(field)}">
<label for="${field}">${escapeHtml(FIELD_LABELS[field])}</label>${errorFor(field)}
<input id="${field}" name="${field}" type="${type}" maxlength="${max}" value="${escapeHtml(value)}"${extra}${described(
      field,
    )}>
</div>`;

  return page(
    'Make a data-protection request',
    `${notice}${summary}
<p>Tell us who you are and what you would like. We will find the company that holds your data and pass your
request on. We first send you an email to confirm that the address is yours.</p>
<form method="post" action="/request" accept-charset="utf-8" novalidate>
<input type="hidden" name="formToken" value="${escapeHtml(input.formToken)}">
${text('name', values.name, LIMITS.nameMax, 'text', ' required autocomplete="name"')}
${text('email', values.email, LIMITS.emailMax, 'email', ' required autocomplete="email"')}
<fieldset class="${fieldClass('rights')}"${described('rights')}>
<legend>${escapeHtml(FIELD_LABELS.rights)} (one or more)</legend>${errorFor('rights')}
${RIGHTS.map(
  (right) =>
    `<div class="choice"><input type="checkbox" id="right-${right}" name="rights" value="${right}"${
      values.rights.includes(right) ? ' checked' : ''
    }> <label for="right-${right}">${escapeHtml(RIGHT_LABELS[right])}</label></div>`,
).join('\n')}
</fieldset>
${text('otherRightText', values.otherRightText, LIMITS.otherRightTextMax)}
${text('companyName', values.companyName, LIMITS.companyNameMax, 'text', ' autocomplete="organization"')}
${text('companyEmail', values.companyEmail, LIMITS.emailMax, 'email')}
<div class="${fieldClass('text')}">
<label for="text">${escapeHtml(FIELD_LABELS.text)}</label>${errorFor('text')}
<textarea id="text" name="text" rows="6" maxlength="${LIMITS.freeTextMax}"${described('text')}>${escapeHtml(values.text)}</textarea>
</div>
<div class="${fieldClass('regimeHint')}">
<label for="regimeHint">${escapeHtml(FIELD_LABELS.regimeHint)}</label>${errorFor('regimeHint')}
<select id="regimeHint" name="regimeHint"${described('regimeHint')}>
<option value="">I don't know</option>
${REGIMES.map(
  (regime) =>
    `<option value="${regime}"${values.regimeHint === regime ? ' selected' : ''}>${escapeHtml(
      REGIME_LABELS[regime],
    )}</option>`,
).join('\n')}
</select>
</div>
<div class="actions"><button type="submit">Send my request</button></div>
</form>`,
  );
}

/** `/`: what the service is, how it goes, and the way to the form. */
export function homePage(): string {
  return page(
    'Ask a company about your personal data',
    `<p>If you signed a contract sent through our platform, the company that sent it holds some of your personal
data. Here you can ask that company to show you that data, correct it, delete it or stop using it, even if you
are not sure which company it is.</p>
<h2>How it works</h2>
<ol>
<li>You tell us who you are and what you would like.</li>
<li>We email you a link to confirm that the email address is yours. Nothing is passed on before you confirm.</li>
<li>We find the company that holds your data and pass your request on to its privacy contact.</li>
<li>We tell you which company it went to and by when the law says it must answer (usually one month).</li>
</ol>
<p class="actions"><a class="button" href="/request">Make a request</a></p>
<p class="muted">Writing software that sends requests? See the <a href="/docs">API documentation</a>.</p>`,
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
    { noindex: true },
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
<div class="actions"><button type="submit">Confirm</button></div>
</form>`,
    { noindex: true },
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
<div class="field">
<label for="code">Confirmation code from our email</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="20" required>
</div>
<div class="actions"><button type="submit">Confirm</button></div>
</form>`
    : '';
  return page(
    `Request ${view.reference}`,
    `${notice ? `<div class="notice" role="status"><p>${escapeHtml(notice)}</p></div>` : ''}
<dl>
<dt>Reference</dt><dd>${escapeHtml(view.reference)}</dd>
<dt>Received</dt><dd>${escapeHtml(view.receivedAt.toISOString().slice(0, 10))}</dd>
<dt>You asked for</dt><dd><ul>${view.rights.map((right) => `<li>${escapeHtml(RIGHT_LABELS[right] ?? right)}</li>`).join('')}</ul></dd>
<dt>Email confirmed</dt><dd>${escapeHtml(state)}</dd>
${view.forwards.length > 0 ? `<dt>Passed on to</dt><dd><ul>${view.forwards.map(forwardItem).join('')}</ul></dd>` : ''}
</dl>
${codeForm}`,
    { noindex: true },
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
