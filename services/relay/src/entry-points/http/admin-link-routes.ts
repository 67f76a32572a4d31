import { SITE_STYLE_CSP_SOURCE, escapeHtml, htmlPage } from '@privacy-relay/shared/html';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { EXTENSION_REASON_MAX } from '@privacy-relay/shared/events';
import { CASE_LINK_ACTIONS, type CaseLinkAction, type CaseLinks } from '../../application/case-links';
import { extendCase } from '../../application/extend-case';
import { actOnCase, type ForwardingDeps } from '../../application/forward-case';
import type { CaseRepository } from '../../application/ports';
import type { ForwardingCase } from '../../domain/case';
import { todayIn } from '../../domain/deadline';
import {
  actionDonePage,
  casePage,
  extendedPage,
  nothingChangedPage,
  whyNotExtendable,
  type CasePageInput,
} from './case-page';

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

/** Token-reached pages: the shared document, kept out of search engines. */
function page(title: string, body: string): string {
  return htmlPage({ title, body, noindex: true });
}

/**
 * Every link page: not cached, no referrer, never framed by another site (a framed "Not ours"
 * button could be clicked through a decoy), no script, nothing but its own inline stylesheet, and
 * the forms may post only to this origin.
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

function send(reply: FastifyReply, status: number, title: string, message: string): FastifyReply {
  return sendPage(reply, status, { title, body: `<p>${escapeHtml(message)}</p>` });
}

function sendPage(reply: FastifyReply, status: number, content: { title: string; body: string }): FastifyReply {
  return pageHeaders(reply.status(status)).send(page(content.title, content.body));
}

/**
 * Where a page's form or link for `action` points, relative to the page's own URL
 * (`…/case-links/:caseId/:opened/:token`): the same case, wherever a public URL's prefix puts it.
 */
const relativeTarget = (action: CaseLinkAction, token: string) => `../${action}/${token}`;

const INVALID =
  'This link is not valid: it may be incomplete, expired, or for another request. Nothing was changed. Please use the latest link in the email, or reply to it.';

const REFUSED = {
  invalid: { title: 'Link not valid', message: INVALID },
  replaced: {
    title: 'Link no longer works',
    message:
      'This link no longer works: the address it was sent to is no longer a contact for this request. Nothing was changed. If your organisation still handles this request, the person now named as its contact has the current links.',
  },
} as const;

/**
 * The admin links of forwarded cases (public: no operator credential; the signed token is the
 * credential, for one case). GET of any of a case's links shows the case page — the request, the
 * deadline, the history, and the actions that apply, the link's own first — and changes nothing
 * (mail scanners open every link); POST acts once. The other actions' forms carry tokens of their
 * own, minted for this case and that action, short-lived and never outliving the link that opened
 * the page. Tokens are in paths: the access log names the route pattern only.
 */
export function registerAdminLinkRoutes(
  app: FastifyInstance,
  deps: Pick<ForwardingDeps, 'cases' | 'requests' | 'directory' | 'publisher' | 'clock' | 'onPublishFailed'> & {
    links: CaseLinks;
  },
): void {
  // The pages' forms post urlencoded bodies: empty, or the extension's reason (up to 1000
  // characters, each up to 4 UTF-8 bytes, each byte up to 3 characters percent-encoded).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_r, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  /** The tenant's admins as the directory has them now: who an escalation's links may still serve. */
  const adminsOf = (tenantId: string) => async () =>
    ((await deps.directory.findTenant(tenantId))?.contacts ?? [])
      .filter((contact) => contact.role === 'admin')
      .map((contact) => contact.email);

  /**
   * The link, if its token is valid for the case its path names as that case stands now (its
   * recipient still the case's contact, or still an admin); else the page refusing it.
   */
  const check = async (raw: unknown, log: FastifyBaseLogger) => {
    const parsed = params.safeParse(raw);
    if (!parsed.success) return { refused: REFUSED.invalid };
    const { caseId, action, token } = parsed.data;
    // Unknown case: the same answer as a bad token (whether a case id exists is not told).
    const stored = await deps.cases.find(caseId);
    if (!stored) return { refused: REFUSED.invalid };
    const checked = await deps.links.check(
      stored.case,
      action,
      token,
      deps.clock.now(),
      adminsOf(stored.case.tenantId),
    );
    if (!checked.ok) {
      log.info({ caseId, action, reason: checked.reason }, 'admin link refused');
      return { refused: checked.reason === 'recipient-replaced' ? REFUSED.replaced : REFUSED.invalid };
    }
    return { link: { ...parsed.data, expiresAt: checked.expiresAt, recipient: checked.recipient } };
  };
  type Link = NonNullable<Awaited<ReturnType<typeof check>>['link']>;

  /**
   * The cases as an action through `link` may read them: a case whose link no longer holds (its
   * contact replaced since the check) reads as absent, so the action's version-guarded write is
   * made only against a version the link was valid for — no window between check and write.
   */
  const casesFor = (link: Link): CaseRepository => ({
    find: async (caseId) => {
      const stored = await deps.cases.find(caseId);
      if (!stored) return undefined;
      const still = await deps.links.check(
        stored.case,
        link.action,
        link.token,
        deps.clock.now(),
        adminsOf(stored.case.tenantId),
      );
      return still.ok ? stored : undefined;
    },
    listByRequest: (requestId) => deps.cases.listByRequest(requestId),
    create: (forwardingCase, at) => deps.cases.create(forwardingCase, at),
    update: (next, expectedVersion, events, at, write) => deps.cases.update(next, expectedVersion, events, at, write),
    markPublished: (caseId, events) => deps.cases.markPublished(caseId, events),
  });

  /** An action found its case gone or its link no longer holding: the page the link gets now. */
  async function notFound(link: Link, reply: FastifyReply, log: FastifyBaseLogger): Promise<FastifyReply> {
    const { refused } = await check(link, log);
    return refused ? send(reply, 403, refused.title, refused.message) : send(reply, 404, 'Request not found', INVALID);
  }

  /** The case page for a valid link: reads the case and its request, changes nothing. */
  async function showCase(
    link: Link,
    reply: FastifyReply,
    status = 200,
    extensionProblem?: CasePageInput['extensionProblem'],
  ): Promise<FastifyReply> {
    const stored = await deps.cases.find(link.caseId);
    if (!stored) return send(reply, 404, 'Request not found', INVALID);
    const now = deps.clock.now();
    // The forms' tokens serve the same recipient as the link: replacing it stops them too.
    const targets = Object.fromEntries(
      CASE_LINK_ACTIONS.map((action) => [
        action,
        relativeTarget(action, deps.links.pageTokenFor(link.caseId, action, now, link.expiresAt, link.recipient)),
      ]),
    ) as Record<CaseLinkAction, string>;
    const request = await deps.requests.findById(stored.case.requestId);
    return sendPage(
      reply,
      status,
      casePage({
        forwardingCase: stored.case,
        request,
        today: todayIn(stored.case.jurisdiction, now),
        opened: link.action,
        targets,
        ...(extensionProblem ? { extensionProblem } : {}),
      }),
    );
  }

  app.get('/case-links/:caseId/:action/:token', async (request, reply) => {
    const { link, refused } = await check(request.params, request.log);
    if (!link) return send(reply, 403, refused.title, refused.message);
    return showCase(link, reply);
  });

  app.post('/case-links/:caseId/:action/:token', async (request, reply) => {
    const { link, refused } = await check(request.params, request.log);
    if (!link) return send(reply, 403, refused.title, refused.message);
    // The confirmation's way back: the link just posted to, whose GET shows the case page.
    const back = relativeTarget(link.action, link.token);
    if (link.action === 'extend') return extend(link, back, request.body, request.log, reply);
    const result = await actOnCase({ ...deps, cases: casesFor(link) }, link.caseId, link.action);
    request.log.info({ caseId: link.caseId, action: link.action, outcome: result.outcome }, 'admin link used');
    switch (result.outcome) {
      case 'done': {
        const today = todayIn(result.case.jurisdiction, deps.clock.now());
        const asked = await deps.requests.findById(result.case.requestId);
        return sendPage(reply, 200, actionDonePage(result.case, asked, link.action, today, back));
      }
      case 'already':
        return sendPage(
          reply,
          200,
          nothingChangedPage('Already recorded', 'This was already recorded; nothing more to do.', back),
        );
      case 'not-allowed':
        return sendPage(
          reply,
          409,
          nothingChangedPage(
            'Not possible now',
            `This request is ${stateWords(result.case)}; that action no longer applies. Nothing was changed.`,
            back,
          ),
        );
      case 'not-found':
        return notFound(link, reply, request.log);
    }
  });

  async function extend(link: Link, back: string, body: unknown, log: FastifyBaseLogger, reply: FastifyReply) {
    const { caseId } = link;
    const form = extensionForm.safeParse(body ?? {});
    const reason = form.success ? (form.data.reason ?? '') : '';
    const result = await extendCase({ ...deps, cases: casesFor(link) }, caseId, reason, { kind: 'admin-link' });
    // Never the reason (free text): the case id and the outcome only.
    log.info({ caseId, action: 'extend', outcome: result.outcome }, 'admin link used');
    switch (result.outcome) {
      case 'extended':
        return sendPage(
          reply,
          200,
          extendedPage(result.case, todayIn(result.case.jurisdiction, deps.clock.now()), back),
        );
      case 'invalid-reason': {
        const message =
          result.problem === 'empty'
            ? 'Please say why the deadline is extended: the requester is told.'
            : `Please shorten the reason to at most ${EXTENSION_REASON_MAX} characters.`;
        return showCase(link, reply, 400, { message, reason });
      }
      case 'already':
      case 'deadline-passed':
      case 'not-allowed': {
        const stored = await deps.cases.find(caseId);
        const why = stored && whyNotExtendable(stored.case, todayIn(stored.case.jurisdiction, deps.clock.now()));
        return sendPage(
          reply,
          409,
          nothingChangedPage(why?.title ?? 'Not possible now', why?.message ?? 'Nothing was changed.', back),
        );
      }
      case 'not-found':
        return notFound(link, reply, log);
    }
  }
}

const stateWords = (c: ForwardingCase) => c.state.replace(/-/g, ' ');
