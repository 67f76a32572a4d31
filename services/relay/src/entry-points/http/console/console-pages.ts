import { EXTENSION_REASON_MAX } from '@privacy-relay/shared/events';
import { escapeHtml, htmlPage } from '@privacy-relay/shared/html';
import type { CaseSummary, StoredCase } from '../../../application/ports';
import type { TriageQueueEntry } from '../../../application/triage-decisions';
import { FINAL_STATES, type Actor, type CaseState, type ForwardingCase } from '../../../domain/case';
import { mayAct, type ConsoleRole } from '../../../domain/console';

/** Where the console lives in the relay (its own Fastify scope). */
export const CONSOLE_PREFIX = '/console';
export const CASE_STATES: readonly CaseState[] = [
  'matched',
  'forwarded',
  'acknowledged',
  'done',
  'not-ours',
  'no-contact-left',
];

/** Who is signed in, and the token every form of theirs carries. */
export interface Viewer {
  username: string;
  role: ConsoleRole;
  csrfToken: string;
}

/** A message shown above a page's content: a confirmation, or what went wrong. */
export interface Notice {
  kind: 'ok' | 'error';
  text: string;
}

const e = escapeHtml;
const path = (rest: string) => `${CONSOLE_PREFIX}${rest}`;

export function csrfField(viewer: Pick<Viewer, 'csrfToken'>): string {
  return `<input type="hidden" name="_csrf" value="${e(viewer.csrfToken)}">`;
}

function noticeHtml(notice: Notice | undefined): string {
  if (!notice) return '';
  return notice.kind === 'ok'
    ? `<div class="notice ok" role="status"><p>${e(notice.text)}</p></div>\n`
    : `<div class="error-summary" role="alert"><h2>That did not work</h2><p>${e(notice.text)}</p></div>\n`;
}

/** The console's navigation, who is signed in, and the sign-out button (a form: it changes state). */
function navigation(viewer: Viewer): string {
  return `<nav aria-label="Console">
<p><a href="${path('/dashboard')}">Dashboard</a> · <a href="${path('/triage')}">Triage queue</a> · <a href="${path('/cases')}">Cases</a> · <a href="${path('/cases/escalated')}">Escalated</a> · <a href="${path('/cases/overdue')}">Overdue</a> · <a href="${path('/directory')}">Tenant directory</a></p>
<form method="post" action="${path('/sign-out')}">
${csrfField(viewer)}
<p class="muted">Signed in as <strong>${e(viewer.username)}</strong> (${viewer.role === 'operator' ? 'operator: may act' : 'viewer: reads only'}) <button type="submit">Sign out</button></p>
</form>
</nav>`;
}

/** A console page: the shared document, the navigation when signed in, the notice, the content. */
export function consolePage(title: string, viewer: Viewer | undefined, body: string, notice?: Notice): string {
  return htmlPage({
    title,
    homeHref: path('/'),
    noindex: true,
    body: `${viewer ? navigation(viewer) : ''}\n${noticeHtml(notice)}${body}`,
  });
}

export function signInPage(input: {
  signInToken: string;
  username?: string;
  failed?: boolean;
  notice?: Notice;
}): string {
  const invalid = input.failed ? ' aria-invalid="true" aria-describedby="sign-in-error"' : '';
  return consolePage(
    'Sign in to the operator console',
    undefined,
    `${noticeHtml(input.notice)}${
      input.failed
        ? `<div class="error-summary" role="alert"><h2>Sign-in failed</h2><p id="sign-in-error">The username or the password is not right. Check both and try again.</p></div>\n`
        : ''
    }<p>The platform privacy team's console: the triage queue and the cases. Sign in with the account your administrator set up for you.</p>
<form method="post" action="${path('/sign-in')}">
${csrfField({ csrfToken: input.signInToken })}
<div class="field"><label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="200" value="${e(input.username ?? '')}"${invalid}></div>
<div class="field"><label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required maxlength="1000"${invalid}></div>
<div class="actions"><button type="submit">Sign in</button></div>
</form>`,
  );
}

/** A page that only says something (refusals, errors), with a way on. */
export function messagePage(title: string, message: string, link: { href: string; text: string }): string {
  return consolePage(title, undefined, `<p>${e(message)}</p>\n<p><a href="${e(link.href)}">${e(link.text)}</a></p>`);
}

export function date(iso: string): string {
  return iso
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC')
    .replace(/Z$/, ' UTC');
}

function describeReasons(reasons: TriageQueueEntry['candidates'][number]['reasons']): string {
  if (reasons.length === 0) return 'no signal';
  return reasons.map((r) => `${r.signal} (${r.score.toFixed(2)})${r.detail ? `: ${r.detail}` : ''}`).join('; ');
}

/** The queue: per request its candidates with scores and reasons, and (for operators) one form to resolve it. */
export function triagePage(
  viewer: Viewer,
  entries: readonly TriageQueueEntry[],
  tenantNames: ReadonlyMap<string, string>,
  notice?: Notice,
): string {
  const canAct = mayAct(viewer.role);
  const intro = `<p>Requests the matcher could not forward with confidence, and requests back after a tenant said “not ours”, oldest first.${
    canAct
      ? ' Choose one or more tenants and assign, or reject the request as spam.'
      : ' Your role can read the queue; acting needs the operator role.'
  }</p>`;
  if (entries.length === 0) {
    return consolePage('Triage queue', viewer, `${intro}\n<p><strong>Nothing is waiting.</strong></p>`, notice);
  }
  const sections = entries.map((entry, n) => {
    const id = `request-${n}`;
    const name = (tenantId: string) => tenantNames.get(tenantId);
    const candidates = entry.candidates.map((candidate, i) => {
      const display = name(candidate.tenantId);
      const labelHtml = `${e(display ?? candidate.tenantId)}${
        display ? ` <span class="muted">(${e(candidate.tenantId)})</span>` : ''
      } — score ${candidate.score.toFixed(2)}<span class="hint">Why: ${e(describeReasons(candidate.reasons))}</span>`;
      return canAct
        ? `<div class="choice"><input type="checkbox" id="${id}-c${i}" name="tenantId" value="${e(candidate.tenantId)}"><label for="${id}-c${i}">${labelHtml}</label></div>`
        : `<li>${labelHtml}</li>`;
    });
    const excluded = entry.excluded.length
      ? `<p>Said “not ours” (never assigned again): ${entry.excluded
          .map((x) => `${e(name(x.tenantId) ?? x.tenantId)} on ${e(date(x.closedAt))}`)
          .join('; ')}.</p>`
      : '';
    const header = `<h2 id="${id}">Request ${e(entry.requestId)}</h2>
<p>Waiting since ${e(date(entry.queuedAt))}${entry.round > 0 ? ` (round ${entry.round + 1})` : ''}. Why it is here: <strong>${e(entry.reason)}</strong> — ${e(entry.explanation)}</p>
${excluded}`;
    if (!canAct) {
      return `<section aria-labelledby="${id}">${header}<h3>Candidates</h3>${
        candidates.length ? `<ul>${candidates.join('\n')}</ul>` : '<p>No candidate: the matcher found no tenant.</p>'
      }</section>`;
    }
    return `<section aria-labelledby="${id}">${header}
<form method="post" action="${path(`/triage/${encodeURIComponent(entry.requestId)}/resolve`)}">
${csrfField(viewer)}
<fieldset><legend>Candidates, best first</legend>
${candidates.length ? candidates.join('\n') : '<p>No candidate: the matcher found no tenant.</p>'}
</fieldset>
<div class="field"><label for="${id}-other">Another tenant’s id <span class="hint">Optional: a tenant that is not a candidate</span></label>
<input type="text" id="${id}-other" name="otherTenantId" maxlength="128" autocapitalize="none" spellcheck="false"></div>
<div class="actions"><button type="submit" name="action" value="assign">Assign to the chosen tenants</button>
<button type="submit" name="action" value="reject-as-spam">Reject as spam</button></div>
</form>
</section>`;
  });
  return consolePage('Triage queue', viewer, `${intro}\n${sections.join('\n')}`, notice);
}

export function stateLabel(state: string): string {
  return state.replace(/-/g, ' ');
}

/** Cases in one state (or one request's cases), each a link to its page. */
export function casesPage(
  viewer: Viewer,
  input: { state?: CaseState; requestId?: string; cases: readonly CaseSummary[] },
  notice?: Notice,
): string {
  const options = CASE_STATES.map(
    (state) => `<option value="${state}"${state === input.state ? ' selected' : ''}>${stateLabel(state)}</option>`,
  ).join('');
  const filter = `<form method="get" action="${path('/cases')}">
<div class="field"><label for="state">State</label><select id="state" name="state">${options}</select></div>
<div class="actions"><button type="submit">Show cases</button></div>
</form>`;
  const what = input.requestId
    ? `Cases of request ${input.requestId}`
    : `Cases ${stateLabel(input.state ?? 'forwarded')}, earliest deadline first`;
  const list = input.cases.length
    ? `<ul>${input.cases
        .map(
          (c) =>
            `<li><a href="${path(`/cases/${c.caseId}`)}">${e(c.tenantName ?? c.tenantId)}</a> — ${e(stateLabel(c.state))}, answer due by <strong>${e(c.deadline)}</strong> <span class="muted">(received ${e(c.receivedOn)}; case ${e(c.caseId)})</span></li>`,
        )
        .join('\n')}</ul>`
    : `<p>No case${input.requestId ? ' yet: an assignment’s cases appear once the relay has created them (reload in a moment).' : ' in this state.'}</p>`;
  return consolePage('Cases', viewer, `${filter}\n<h2>${e(what)}</h2>\n${list}`, notice);
}

function actorLabel(by: Actor): string {
  switch (by.kind) {
    case 'operator':
      return `operator ${by.operatorId}`;
    case 'admin-link':
      return "the tenant's admin link";
    case 'mail-event':
      return 'a mail event from SES';
    default:
      return `the ${by.kind}`;
  }
}

const EXTENDABLE_STATES: readonly CaseState[] = ['forwarded', 'acknowledged'];

/** One case: its facts, contacts, messages and their delivery, its audit trail and (for operators) its actions. */
export function casePage(viewer: Viewer, stored: StoredCase, notice?: Notice, extensionReason = ''): string {
  const c: ForwardingCase = stored.case;
  const canAct = mayAct(viewer.role);
  const open = !FINAL_STATES.includes(c.state);
  const facts = `<dl>
<dt>State</dt><dd>${e(stateLabel(c.state))}</dd>
<dt>Tenant</dt><dd>${e(c.tenantName ?? c.tenantId)} <span class="muted">(${e(c.tenantId)})</span></dd>
<dt>Request</dt><dd><a href="${path(`/cases?requestId=${c.requestId}`)}">${e(c.requestId)}</a></dd>
<dt>Received</dt><dd>${e(c.receivedOn)} (${e(c.regime)}, ${e(c.jurisdiction)})</dd>
<dt>Deadline</dt><dd><strong>${e(c.deadline)}</strong>${
    c.extension
      ? ` — extended from ${e(c.extension.from)} on ${e(date(c.extension.at))} by ${e(actorLabel(c.extension.by))}: “${e(c.extension.reason)}”`
      : ` (can be extended once, to ${e(c.extendedDeadline)})`
  }</dd>
</dl>`;
  const contacts = c.contacts
    .map((contact, index) => {
      const stopped = contact.stopped ? ' — <strong>stopped</strong>: complained about our mail' : '';
      const actions =
        canAct && open
          ? `<form method="post" action="${path(`/cases/${c.caseId}/resend`)}">
${csrfField(viewer)}<input type="hidden" name="contactIndex" value="${index}">
<div class="actions"><button type="submit">Re-send to contact ${index + 1}</button></div>
</form>
<form method="post" action="${path(`/cases/${c.caseId}/contacts/${index}`)}">
${csrfField(viewer)}
<div class="field"><label for="contact-${index}-email">New address for contact ${index + 1}</label>
<input type="email" id="contact-${index}-email" name="email" required maxlength="254" autocomplete="off"></div>
<div class="actions"><button type="submit">Change the address</button></div>
</form>`
          : '';
      return `<li><p>Contact ${index + 1}: ${e(contact.email)} (${e(contact.role)})${stopped}</p>${actions}</li>`;
    })
    .join('\n');
  const messages = c.messages.length
    ? `<ol>${c.messages
        .map(
          (m) =>
            `<li>To contact ${m.contactIndex + 1} (${e(m.email)}): <strong>${e(m.delivery)}</strong> since ${e(date(m.deliveryAt))}; ${
              m.sentAt ? `sent ${e(date(m.sentAt))}` : `begun ${e(date(m.intentAt))}`
            }${m.sesMessageId ? `; SES id ${e(m.sesMessageId)}` : ''}${
              m.requestedBy ? `; re-sent by operator ${e(m.requestedBy.operatorId)}` : ''
            }${m.refusal ? `; refused: ${e(m.refusal)}` : ''}</li>`,
        )
        .join('\n')}</ol>`
    : '<p>No message yet.</p>';
  const audit = `<ol>${c.audit
    .map(
      (line) =>
        `<li>${e(date(line.at))} — <strong>${e(line.what)}</strong> by ${e(actorLabel(line.by))}${
          line.contactIndex !== undefined ? `; contact ${line.contactIndex + 1}` : ''
        }${line.sesMessageId ? `; SES id ${e(line.sesMessageId)}` : ''}${line.reason ? `; ${e(line.reason)}` : ''}${
          line.deadline ? `; deadline ${e(line.deadline)}` : ''
        }${line.text ? `; “${e(line.text)}”` : ''}</li>`,
    )
    .join('\n')}</ol>`;
  const extension =
    canAct && !c.extension && EXTENDABLE_STATES.includes(c.state)
      ? `<h2>Extend the deadline</h2>
<form method="post" action="${path(`/cases/${c.caseId}/extension`)}">
${csrfField(viewer)}
<div class="field"><label for="reason">Why the deadline is extended to ${e(c.extendedDeadline)} <span class="hint">The requester is told this reason; at most ${EXTENSION_REASON_MAX} characters</span></label>
<textarea id="reason" name="reason" rows="4" maxlength="${EXTENSION_REASON_MAX}" required>${e(extensionReason)}</textarea></div>
<div class="actions"><button type="submit">Extend the deadline</button></div>
</form>`
      : '';
  return consolePage(
    `Case for ${c.tenantName ?? c.tenantId}`,
    viewer,
    `${facts}
<h2>Contacts</h2>
<ol>${contacts}</ol>
${extension}
<h2>Messages and their delivery</h2>
${messages}
<h2 id="audit">Audit trail</h2>
${audit}`,
    notice,
  );
}
