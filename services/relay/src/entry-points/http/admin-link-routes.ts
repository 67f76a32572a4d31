import { SITE_STYLE_CSP_SOURCE, escapeHtml, htmlPage } from '@privacy-relay/shared/html';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { EXTENSION_REASON_MAX } from '@privacy-relay/shared/events';
import { CASE_LINK_ACTIONS, type CaseLinkAction, type CaseLinks } from '../../application/case-links';
import { extendCase } from '../../application/extend-case';
import { actOnCase, type ForwardingDeps } from '../../application/forward-case';
import { extensionRefusal, type ForwardingCase, type TenantAction } from '../../domain/case';
import { todayIn } from '../../domain/deadline';

const params = z.object({
  caseId: z.uuid(),
  action: z.enum(CASE_LINK_ACTIONS as [CaseLinkAction, ...CaseLinkAction[]]),
  token: z.string().min(1).max(300),
});

/** The extension form's body: the reason, whatever else the form carries is not read. */
const extensionForm = z.object({
  reason: z
    .string()
    .max(4 * EXTENSION_REASON_MAX)
    .optional(),
});

const REGIME_LABELS: Record<ForwardingCase['regime'], string> = {
  'uk-gdpr': 'the UK GDPR',
  'eu-gdpr': 'the GDPR',
  ccpa: 'the CCPA / CPRA',
};

const WHAT: Record<TenantAction, { title: string; question: string; button: string; done: string }> = {
  acknowledge: {
    title: 'Acknowledge this request',
    question: 'Confirm that your organisation has this request and is working on it.',
    button: 'Acknowledge',
    done: 'Thank you: the request is acknowledged. Reminders stop.',
  },
  done: {
    title: 'Mark this request done',
    question: 'Confirm that your organisation has answered the requester.',
    button: 'Mark done',
    done: 'Thank you: the request is marked done.',
  },
  'not-ours': {
    title: 'Not ours',
    question: 'Confirm that your organisation does not hold this person’s data and the request is not for you.',
    button: 'Not ours',
    done: 'Thank you: the request is marked as not yours. Our privacy team takes it from here.',
  },
};

/** Token-reached pages: the shared document, kept out of search engines. */
function page(title: string, body: string): string {
  return htmlPage({ title, body, noindex: true });
}

/**
 * Every link page: not cached, no referrer, never framed by another site (a framed "Not ours"
 * button could be clicked through a decoy), no script, nothing but its own inline stylesheet, and
 * the form may post back only to this origin.
 */
const CSP = `default-src 'none'; style-src ${SITE_STYLE_CSP_SOURCE}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', CSP);
}

function send(reply: FastifyReply, status: number, title: string, message: string, more = ''): FastifyReply {
  return sendPage(reply, status, title, `<p>${escapeHtml(message)}</p>${more}`);
}

function sendPage(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return pageHeaders(reply.status(status)).send(page(title, body));
}

/** The reason as the page shows it back: escaped, its lines kept. */
function quotedReason(reason: string): string {
  return `<blockquote><p>${escapeHtml(reason).replace(/\n/g, '<br>')}</p></blockquote>`;
}

const EXTEND_TITLE = 'Extend the deadline';

/**
 * The extension form: the deadline now, the one it would become, and a required reason. No
 * action: it posts back to the URL it was opened from (as the other links' pages do).
 */
function extensionFormPage(c: ForwardingCase, message?: string, reason = ''): string {
  return `${message ? `<p role="alert">${escapeHtml(message)}</p>\n` : ''}<p>The requester must be answered by <strong>${escapeHtml(c.deadline)}</strong>. Under ${escapeHtml(REGIME_LABELS[c.regime])} you may extend that once, to <strong>${escapeHtml(c.extendedDeadline)}</strong>, where the request is complex or you received many. We tell the requester the new deadline and your reason.</p>
<form method="post">
<p><label for="reason">Why the deadline is extended (shown to the requester; at most ${EXTENSION_REASON_MAX} characters)</label><br>
<textarea id="reason" name="reason" rows="6" cols="60" maxlength="${EXTENSION_REASON_MAX}" required>${escapeHtml(reason)}</textarea></p>
<p><button type="submit">Extend the deadline to ${escapeHtml(c.extendedDeadline)}</button></p>
</form>`;
}

/** Why this case's deadline cannot be extended now, as a page's title and sentence; undefined when it can. */
function whyNotExtendable(c: ForwardingCase, now: Date): { title: string; message: string } | undefined {
  const refusal = extensionRefusal(c, todayIn(c.jurisdiction, now));
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

const INVALID =
  'This link is not valid: it may be incomplete, expired, or for another request. Nothing was changed. Please use the latest link in the email, or reply to it.';

/**
 * The admin links of forwarded cases (public: no operator credential; the signed token is the
 * credential). GET shows a page with a button and changes nothing (mail scanners open every
 * link); POST acts once. The token is in the path: the access log names the route pattern only.
 */
export function registerAdminLinkRoutes(
  app: FastifyInstance,
  deps: Pick<ForwardingDeps, 'cases' | 'requests' | 'publisher' | 'clock' | 'onPublishFailed'> & { links: CaseLinks },
): void {
  // The pages' forms post urlencoded bodies: empty, or the extension's reason (up to 1000
  // characters, each up to 4 UTF-8 bytes, each byte up to 3 characters percent-encoded).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_r, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  const check = (raw: unknown) => {
    const parsed = params.safeParse(raw);
    if (!parsed.success) return undefined;
    const { caseId, action, token } = parsed.data;
    return deps.links.check(caseId, action, token, deps.clock.now()).ok ? parsed.data : undefined;
  };

  app.get('/case-links/:caseId/:action/:token', async (request, reply) => {
    const link = check(request.params);
    if (!link) return send(reply, 403, 'Link not valid', INVALID);
    if (link.action === 'extend') {
      // Reads the case (changes nothing) to say the dates, or why it cannot be extended.
      const stored = await deps.cases.find(link.caseId);
      if (!stored) return send(reply, 404, 'Request not found', INVALID);
      const why = whyNotExtendable(stored.case, deps.clock.now());
      if (why) return send(reply, 200, why.title, why.message);
      return sendPage(reply, 200, EXTEND_TITLE, extensionFormPage(stored.case));
    }
    const what = WHAT[link.action];
    return pageHeaders(reply).send(
      page(
        what.title,
        // No action: the form posts back to the URL the page was opened from, wherever the
        // public URL's prefix puts it (and the token is not written into the page again).
        `<p>${escapeHtml(what.question)}</p>
<form method="post">
<div class="actions"><button type="submit">${escapeHtml(what.button)}</button></div>
</form>`,
      ),
    );
  });

  app.post('/case-links/:caseId/:action/:token', async (request, reply) => {
    const link = check(request.params);
    if (!link) return send(reply, 403, 'Link not valid', INVALID);
    if (link.action === 'extend') return extend(link.caseId, request.body, request.log, reply);
    const result = await actOnCase(deps, link.caseId, link.action);
    request.log.info({ caseId: link.caseId, action: link.action, outcome: result.outcome }, 'admin link used');
    switch (result.outcome) {
      case 'done':
        return send(reply, 200, 'Done', WHAT[link.action].done);
      case 'already':
        return send(reply, 200, 'Already done', 'This was already recorded; nothing more to do.');
      case 'not-allowed':
        return send(
          reply,
          409,
          'Not possible now',
          `This request is ${result.case.state.replace(/-/g, ' ')}; that action no longer applies. Nothing was changed.`,
        );
      case 'not-found':
        return send(reply, 404, 'Request not found', INVALID);
    }
  });

  async function extend(caseId: string, body: unknown, log: FastifyBaseLogger, reply: FastifyReply) {
    const form = extensionForm.safeParse(body ?? {});
    const reason = form.success ? (form.data.reason ?? '') : '';
    const result = await extendCase(deps, caseId, reason, { kind: 'admin-link' });
    // Never the reason (free text): the case id and the outcome only.
    log.info({ caseId, action: 'extend', outcome: result.outcome }, 'admin link used');
    switch (result.outcome) {
      case 'extended': {
        const { deadline, originalDeadline, extension } = result.case;
        return send(
          reply,
          200,
          'Deadline extended',
          `The deadline is now ${deadline} (it was ${originalDeadline}). We are telling the requester the new deadline and your reason:`,
          quotedReason(extension!.reason),
        );
      }
      case 'invalid-reason': {
        const stored = await deps.cases.find(caseId);
        if (!stored) return send(reply, 404, 'Request not found', INVALID);
        const message =
          result.problem === 'empty'
            ? 'Please say why the deadline is extended: the requester is told.'
            : `Please shorten the reason to at most ${EXTENSION_REASON_MAX} characters.`;
        return sendPage(reply, 400, EXTEND_TITLE, extensionFormPage(stored.case, message, reason));
      }
      case 'already':
      case 'deadline-passed':
      case 'not-allowed': {
        const stored = await deps.cases.find(caseId);
        const why = stored && whyNotExtendable(stored.case, deps.clock.now());
        return send(reply, 409, why?.title ?? 'Not possible now', why?.message ?? 'Nothing was changed.');
      }
      case 'not-found':
        return send(reply, 404, 'Request not found', INVALID);
    }
  }
}
