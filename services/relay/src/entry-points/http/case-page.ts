import { escapeHtml as e } from '@privacy-relay/shared/html';
import { EXTENSION_REASON_MAX } from '@privacy-relay/shared/events';
import type { CaseLinkAction } from '../../application/case-links';
import { RIGHT_LABELS } from '../../application/forward-mail';
import { extensionRefusal, FINAL_STATES, type AuditLine, type ForwardingCase } from '../../domain/case';
import { daysLeft, timeZoneOf, todayIn } from '../../domain/deadline';
import type { RelayRequest } from '../../domain/relay-request';

/**
 * The customer admin's case page, reached from any of the forward's links (no account): what was
 * asked and by whom, the deadline with the days left, where the case stands and what happened to
 * it, and the actions that still apply, each a form with a button. Pure rendering: the routes
 * decide who may see it and mint the forms' tokens.
 */

const REGIME_LABELS: Record<ForwardingCase['regime'], string> = {
  'uk-gdpr': 'the UK GDPR',
  'eu-gdpr': 'the GDPR',
  ccpa: 'the CCPA / CPRA',
};

type TenantActionWords = { title: string; question: string; button: string; done: string; next: string };

const WHAT: Record<Exclude<CaseLinkAction, 'extend'>, TenantActionWords> = {
  acknowledge: {
    title: 'Acknowledge this request',
    question: 'Confirm that your organisation has this request and is working on it.',
    button: 'Acknowledge',
    done: 'Thank you: the request is acknowledged. Reminders stop.',
    next: 'Answer the requester by the deadline. When you have, mark the request done on its page; if you need more time, you can extend the deadline once there.',
  },
  done: {
    title: 'Mark this request done',
    question: 'Confirm that your organisation has answered the requester.',
    button: 'Mark done',
    done: 'Thank you: the request is marked done.',
    next: 'Nothing more is needed from you. We keep a record of what was done and when.',
  },
  'not-ours': {
    title: 'Not ours',
    question: 'Confirm that your organisation does not hold this person’s data and the request is not for you.',
    button: 'Not ours',
    done: 'Thank you: the request is marked as not yours. Our privacy team takes it from here.',
    next: 'The request goes back to our privacy team to find the right organisation; it will not be sent to your organisation again.',
  },
};

export const EXTEND_TITLE = 'Extend the deadline';

/** The page's title: the request's reference, which the forward's subject and the requester's receipt carry too. */
export function caseTitle(request: RelayRequest | undefined): string {
  return request?.reference ? `Privacy request ${request.reference}` : 'Privacy request';
}

/** "31 days left", "1 day left", "due today", "overdue by 3 days". */
export function daysLeftText(days: number): string {
  if (days > 1) return `${days} days left`;
  if (days === 1) return '1 day left';
  if (days === 0) return 'due today';
  return `overdue by ${-days} day${days === -1 ? '' : 's'}`;
}

/** The local date (in the case's jurisdiction) of an instant the case recorded. */
const localDate = (c: ForwardingCase, iso: string): string => todayIn(c.jurisdiction, new Date(iso));

/** The last audit line saying `what`, if any. */
const lastLine = (c: ForwardingCase, what: string): AuditLine | undefined => c.audit.findLast((l) => l.what === what);

function stateSentence(c: ForwardingCase): string {
  const on = (what: string) => {
    const line = lastLine(c, what);
    return line ? ` on ${localDate(c, line.at)}` : '';
  };
  switch (c.state) {
    case 'matched':
      return 'Being sent to your organisation.';
    case 'forwarded':
      return `Forwarded to your organisation${on('forwarded')}; not acknowledged yet.`;
    case 'acknowledged':
      return `Acknowledged${on('acknowledged')}: your organisation is working on it.`;
    case 'done':
      return `Marked done${on('done')}. This request is closed.`;
    case 'not-ours':
      return `Marked not ours${on('not-ours')}: our privacy team has taken it back. This request is closed.`;
    case 'no-contact-left':
      return 'Our mails to your organisation’s contacts could not be delivered; our privacy team is following it up.';
  }
}

/** Whether an action applies to the case now (today in its jurisdiction). */
export function actionApplies(c: ForwardingCase, action: CaseLinkAction, today: string): boolean {
  switch (action) {
    case 'acknowledge':
      return c.state === 'forwarded';
    case 'done':
    case 'not-ours':
      return c.state === 'forwarded' || c.state === 'acknowledged';
    case 'extend':
      return extensionRefusal(c, today) === undefined;
  }
}

/** Why this case's deadline cannot be extended now, as a title and a sentence; undefined when it can. */
export function whyNotExtendable(c: ForwardingCase, today: string): { title: string; message: string } | undefined {
  const refusal = extensionRefusal(c, today);
  if (!refusal) return undefined;
  switch (refusal.reason) {
    case 'already':
      return {
        title: 'Already extended',
        message: `The deadline was already extended, to ${refusal.extension.to}, on ${refusal.extension.at.slice(0, 10)}. A request can be extended only once; nothing was changed.`,
      };
    case 'deadline-passed':
      return {
        title: 'Too late to extend',
        message: `The deadline (${refusal.deadline}) has passed: it can no longer be extended. Nothing was changed. Please answer the requester as soon as you can.`,
      };
    case 'not-allowed':
      return {
        title: 'Not possible now',
        message: `This request is ${c.state.replace(/-/g, ' ')}; its deadline can no longer be extended. Nothing was changed.`,
      };
  }
}

/** Why a tenant action the link was for no longer applies, in plain words. */
function whyNotNow(c: ForwardingCase, action: Exclude<CaseLinkAction, 'extend'>): { title: string; message: string } {
  const line = lastLine(c, c.state);
  const on = line ? ` on ${localDate(c, line.at)}` : '';
  const mine: Partial<Record<ForwardingCase['state'], string>> = {
    acknowledged: `This request was acknowledged${on}.`,
    done: `This request was marked done${on}.`,
    'not-ours': `This request was marked not ours${on}.`,
  };
  const already =
    (action === 'acknowledge' && c.state === 'acknowledged') || (action !== 'acknowledge' && c.state === action);
  if (already) return { title: 'Already recorded', message: `${mine[c.state]} Nothing more to do with this link.` };
  // SES hands the mail over a moment before the relay records it as sent: the link works once it has.
  if (c.state === 'matched') {
    return {
      title: 'Not ready yet',
      message: 'We are still recording that this request was sent to you. Reload this page in a minute.',
    };
  }
  return {
    title: 'Not possible now',
    message: `${mine[c.state] ?? `This request is ${c.state.replace(/-/g, ' ')}.`} ${WHAT[action].title} no longer applies.`,
  };
}

/** A reason or free text as a quote: escaped, its lines kept. */
export function quotedText(text: string): string {
  return `<blockquote><p>${e(text).replace(/\r\n|\r|\n/g, '<br>')}</p></blockquote>`;
}

/** The `action` attribute of a form: none posts back to the URL the page was opened from. */
const actionAttribute = (target: string | undefined) => (target === undefined ? '' : ` action="${e(target)}"`);

/**
 * The extension form: the deadline now, the one it would become, and a required reason. Posts to
 * `target`, or back to the page's URL when the page was opened with the extend link.
 */
export function extensionForm(
  c: ForwardingCase,
  target: string | undefined,
  problem?: { message: string; reason: string },
): string {
  const invalid = problem ? ' aria-invalid="true" aria-describedby="reason-error"' : '';
  return `<form method="post"${actionAttribute(target)}>
<p>The requester must be answered by <strong>${e(c.deadline)}</strong>. Under ${e(REGIME_LABELS[c.regime])} you may extend that once, to <strong>${e(c.extendedDeadline)}</strong>, where the request is complex or you received many. We tell the requester the new deadline and your reason.</p>
<div class="field${problem ? ' field-error' : ''}">
<label for="reason">Why the deadline is extended <span class="hint">Shown to the requester; at most ${EXTENSION_REASON_MAX} characters.</span></label>
${problem ? `<p class="error" id="reason-error" role="alert">${e(problem.message)}</p>\n` : ''}<textarea id="reason" name="reason" rows="6" maxlength="${EXTENSION_REASON_MAX}" required${invalid}>${e(problem?.reason ?? '')}</textarea>
</div>
<div class="actions"><button type="submit"${target === undefined ? '' : ' class="secondary"'}>Extend the deadline to ${e(c.extendedDeadline)}</button></div>
</form>`;
}

function tenantActionForm(action: Exclude<CaseLinkAction, 'extend'>, target: string | undefined): string {
  const what = WHAT[action];
  return `<form method="post"${actionAttribute(target)}>
<p>${e(what.question)}</p>
<div class="actions"><button type="submit"${target === undefined ? '' : ' class="secondary"'}>${e(what.button)}</button></div>
</form>`;
}

const actionTitle = (action: CaseLinkAction) => (action === 'extend' ? EXTEND_TITLE : WHAT[action].title);

function actionForm(
  c: ForwardingCase,
  action: CaseLinkAction,
  target: string | undefined,
  problem?: { message: string; reason: string },
): string {
  return action === 'extend' ? extensionForm(c, target, problem) : tenantActionForm(action, target);
}

function requestSection(c: ForwardingCase, request: RelayRequest | undefined): string {
  // The organisation said the request is not for it: its links keep the case's state, not the person.
  if (c.state === 'not-ours') {
    return `<h2>What was asked</h2>
<p>Not shown any more: your organisation said this request is not for it (received on ${e(c.receivedOn)}).</p>`;
  }
  if (!request) {
    return `<h2>What was asked</h2>
<p>The request’s details are no longer held (received on ${e(c.receivedOn)}).</p>`;
  }
  const rights = (request.rights ?? []).map((right) => RIGHT_LABELS[right] ?? right);
  const other = request.otherRightText ? `<dt>Other right asked for</dt><dd>${e(request.otherRightText)}</dd>\n` : '';
  const requester = request.requester
    ? `${e(request.requester.name)} &lt;${e(request.requester.email)}&gt;`
    : '(no longer held)';
  return `<h2>What was asked</h2>
<dl>
<dt>By</dt><dd>${requester}</dd>
<dt>Rights asked for</dt><dd><ul>${rights.map((right) => `<li>${e(right)}</li>`).join('')}</ul></dd>
${other}<dt>Received</dt><dd>${e(c.receivedOn)}</dd>
<dt>Reference</dt><dd>${e(request.reference)}</dd>
</dl>
<h3>What they wrote</h3>
${request.text ? quotedText(request.text) : '<p class="muted">Nothing.</p>'}`;
}

function deadlineSection(c: ForwardingCase, today: string): string {
  const closed = FINAL_STATES.includes(c.state) && c.state !== 'no-contact-left';
  const days = daysLeft(c.deadline, today);
  const countdown = closed
    ? ''
    : `: <strong${days < 0 ? ' class="error"' : ''}>${e(daysLeftText(days))}</strong> <span class="muted">(today is ${e(today)} in ${e(timeZoneOf(c.jurisdiction))})</span>`;
  const extension = c.extension
    ? `<p>Extended on ${e(localDate(c, c.extension.at))} from ${e(c.extension.from)} to ${e(c.extension.to)}, because:</p>
${quotedText(c.extension.reason)}`
    : actionApplies(c, 'extend', today)
      ? `<p>It can be extended once, to ${e(c.extendedDeadline)}.</p>`
      : '';
  return `<h2>Deadline</h2>
<p>Under ${e(REGIME_LABELS[c.regime])}, answer the requester by <strong>${e(c.deadline)}</strong>${countdown}.</p>
${extension}`;
}

/** The case's history in plain words: what the admin needs, not the delivery details. */
function historySection(c: ForwardingCase): string {
  let forwards = 0;
  const items: string[] = [];
  for (const line of c.audit) {
    const day = `<strong>${e(localDate(c, line.at))}</strong>`;
    switch (line.what) {
      case 'forwarded':
        items.push(
          `<li>${day}: ${forwards++ === 0 ? 'forwarded to your organisation by email' : 'sent again to your organisation'}</li>`,
        );
        break;
      case 'acknowledged':
        items.push(`<li>${day}: acknowledged</li>`);
        break;
      case 'deadline extended':
        items.push(
          `<li>${day}: deadline extended to ${e(line.deadline ?? c.deadline)}${c.extension ? `, because:${quotedText(c.extension.reason)}` : ''}</li>`,
        );
        break;
      case 'done':
        items.push(`<li>${day}: marked done</li>`);
        break;
      case 'not-ours':
        items.push(`<li>${day}: marked not ours</li>`);
        break;
      case 'no-contact-left':
        items.push(`<li>${day}: our mails to your contacts could not be delivered</li>`);
        break;
    }
  }
  return `<h2>History</h2>
${items.length > 0 ? `<ul>\n${items.join('\n')}\n</ul>` : '<p class="muted">Nothing yet.</p>'}`;
}

export interface CasePageInput {
  forwardingCase: ForwardingCase;
  request: RelayRequest | undefined;
  /** Today in the case's jurisdiction. */
  today: string;
  /** The action of the link the page was opened with: its form comes first and posts back to that link. */
  opened: CaseLinkAction;
  /** Where each other action's form posts: relative to the page's URL, with a short-lived token of its own. */
  targets: Readonly<Record<CaseLinkAction, string>>;
  /** The extension form shown again with a problem: its message and the reason as typed. */
  extensionProblem?: { message: string; reason: string };
}

/** The case page: its title and its body (the document around it is `htmlPage`). */
export function casePage(input: CasePageInput): { title: string; body: string } {
  const { forwardingCase: c, request, today, opened, targets } = input;
  const openedApplies = actionApplies(c, opened, today);
  let highlight: string;
  if (openedApplies) {
    highlight = `<section class="notice" aria-labelledby="opened-action">
<h2 id="opened-action">${e(actionTitle(opened))}</h2>
${actionForm(c, opened, undefined, input.extensionProblem)}
</section>`;
  } else {
    const why = opened === 'extend' ? whyNotExtendable(c, today)! : whyNotNow(c, opened);
    highlight = `<div class="notice"><p><strong>${e(why.title)}.</strong> ${e(why.message)}</p></div>`;
  }
  const others = (['acknowledge', 'done', 'not-ours', 'extend'] as const).filter(
    (action) => action !== opened && actionApplies(c, action, today),
  );
  const actions =
    others.length > 0
      ? `<h2>${openedApplies ? 'Other things you can do' : 'What you can do'}</h2>
${others.map((action) => `<h3>${e(actionTitle(action))}</h3>\n${actionForm(c, action, targets[action])}`).join('\n')}`
      : openedApplies
        ? ''
        : `<h2>What you can do</h2>
<p>${FINAL_STATES.includes(c.state) ? 'Nothing more: this request is closed.' : 'Nothing for now.'}</p>`;
  return {
    title: caseTitle(request),
    body: `<p>${e(stateSentence(c))}</p>
${highlight}
${requestSection(c, request)}
${deadlineSection(c, today)}
${historySection(c)}
${actions}`,
  };
}

/** A link back to the case page (the link the action was posted to: its GET shows the page). */
const backLink = (back: string) => `<p><a href="${e(back)}">Back to the request</a></p>`;

/** After a tenant action: what happened, what comes next, the way back to the case page. */
export function actionDonePage(
  c: ForwardingCase,
  request: RelayRequest | undefined,
  action: Exclude<CaseLinkAction, 'extend'>,
  today: string,
  back: string,
): { title: string; body: string } {
  const titles = { acknowledge: 'Request acknowledged', done: 'Request marked done', 'not-ours': 'Marked not ours' };
  const days = daysLeft(c.deadline, today);
  const deadline =
    action === 'acknowledge'
      ? `<p>The deadline is <strong>${e(c.deadline)}</strong> (${e(daysLeftText(days))}).</p>\n`
      : '';
  return {
    title: titles[action],
    body: `<p class="notice ok">${e(WHAT[action].done)}${request ? ` (${e(request.reference)})` : ''}</p>
<h2>What comes next</h2>
${deadline}<p>${e(WHAT[action].next)}</p>
${backLink(back)}`,
  };
}

/** After an extension: the new deadline, the reason told to the requester, what comes next. */
export function extendedPage(c: ForwardingCase, today: string, back: string): { title: string; body: string } {
  return {
    title: 'Deadline extended',
    body: `<p class="notice ok">The deadline is now ${e(c.deadline)} (it was ${e(c.originalDeadline ?? '')}). We are telling the requester the new deadline and your reason:</p>
${quotedText(c.extension?.reason ?? '')}
<h2>What comes next</h2>
<p>Answer the requester by <strong>${e(c.deadline)}</strong> (${e(daysLeftText(daysLeft(c.deadline, today)))}). When you have, mark the request done on its page.</p>
${backLink(back)}`,
  };
}

/** An action that was already recorded, or no longer applies: nothing changed. */
export function nothingChangedPage(title: string, message: string, back: string): { title: string; body: string } {
  return { title, body: `<p>${e(message)}</p>\n${backLink(back)}` };
}
