import { SITE_STYLE_CSP_SOURCE, escapeHtml, htmlPage } from '@privacy-relay/shared/html';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { TENANT_ACTIONS, type CaseLinks } from '../../application/case-links';
import { actOnCase, type ForwardingDeps } from '../../application/forward-case';
import type { TenantAction } from '../../domain/case';

const params = z.object({
  caseId: z.uuid(),
  action: z.enum(TENANT_ACTIONS as [TenantAction, ...TenantAction[]]),
  token: z.string().min(1).max(300),
});

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

/** Nothing but the page's own inline stylesheet and its own form: no script, no frame, no other origin. */
const CSP = `default-src 'none'; style-src ${SITE_STYLE_CSP_SOURCE}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff');
}

function send(reply: FastifyReply, status: number, title: string, message: string): FastifyReply {
  return pageHeaders(reply.status(status)).send(page(title, `<p>${escapeHtml(message)}</p>`));
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
  deps: Pick<ForwardingDeps, 'cases' | 'publisher' | 'clock' | 'onPublishFailed'> & { links: CaseLinks },
): void {
  // The page's form posts an empty urlencoded body: accepted, never read.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 1024 },
    (_r, _b, done) => done(null, {}),
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
}
