import { createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import fastifyCookie, { type CookieSerializeOptions } from '@fastify/cookie';
import fastifyMultipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import { AppError } from '@privacy-relay/shared/errors';
import { EXTENSION_REASON_MAX } from '@privacy-relay/shared/events';
import { SITE_STYLE_CSP_SOURCE } from '@privacy-relay/shared/html';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ConsoleSession, ConsoleSessions } from '../../../application/console-sessions';
import { extendCase } from '../../../application/extend-case';
import type { ForwardingDeps } from '../../../application/forward-case';
import { changeContact, resendCase, type OperatorRefusal } from '../../../application/operate-case';
import type { CaseListing, DirectoryImportJobs, MatchDecisionRepository } from '../../../application/ports';
import { resolveTriage } from '../../../application/resolve-triage';
import { triageQueueEntryOf } from '../../../application/triage-decisions';
import { mayAct } from '../../../domain/console';
import type { TenantIndex } from '../../../domain/matching';
import {
  CASE_STATES,
  CONSOLE_PREFIX,
  casePage,
  casesPage,
  consolePage,
  messagePage,
  signInPage,
  triagePage,
  type Notice,
  type Viewer,
} from './console-pages';
import { DIRECTORY_UPLOAD_MAX_BYTES, registerDirectoryRoutes } from './console-directory-routes';
import { registerOverviewRoutes } from './console-overview-routes';
import type { ConsoleRouteKit } from './console-route-kit';

export interface ConsoleDeps extends ForwardingDeps {
  sessions: ConsoleSessions;
  decisions: MatchDecisionRepository;
  index: TenantIndex;
  caseListing: CaseListing;
  /** The directory imports started from the console, with their progress. */
  importJobs: DirectoryImportJobs;
  /** The relay's public URL: its scheme and host decide the cookies' `Secure` flag. */
  publicUrl: string;
  /** The secret the cookie-signing key is derived from (HKDF, a purpose of its own). */
  secret: string;
  /** Sign-in attempts per client address in 15 minutes. */
  signInLimit: number;
}

/**
 * `Secure` cookies unless the console is served over plain HTTP on this machine: a browser does
 * not send a `Secure` cookie over http:// to other hosts (Chromium makes an exception for
 * `localhost` only, not 127.0.0.1), and a development run on the loopback has no TLS. Anywhere
 * else the cookie is `Secure` and `__Host-` prefixed (no Domain, Path /), so the console works
 * only over HTTPS.
 */
export function consoleCookiesSecure(publicUrl: string): boolean {
  const url = new URL(publicUrl);
  if (url.protocol !== 'http:') return true;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return !(host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host));
}

/** A form body: every field a string, or several strings for a repeated name (checkboxes). */
type FormBody = Record<string, string | string[]>;

function parseForm(body: string): FormBody {
  const form: FormBody = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const before = form[name];
    form[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return form;
}

const formOf = (request: FastifyRequest): FormBody =>
  request.body && typeof request.body === 'object' ? (request.body as FormBody) : {};
const one = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
const many = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Compares two secrets in constant time (hashed first, so their lengths say nothing either). */
function sameSecret(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Every console response: never cached, never framed, no script, the site stylesheet only, forms post here only. */
const CSP = `default-src 'none'; style-src ${SITE_STYLE_CSP_SOURCE}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

const path = (rest: string) => `${CONSOLE_PREFIX}${rest}`;

/** Routes open without a session: the sign-in page and its form. */
const PUBLIC_ROUTES = new Set([path('/sign-in')]);
/** The one form that uploads a file (multipart); every other form is urlencoded only. */
const UPLOAD_ROUTE = path('/directory/import');

const caseParams = z.object({ caseId: z.uuid() });
const contactParams = z.object({ caseId: z.uuid(), index: z.string().regex(/^\d{1,4}$/) });
const requestParams = z.object({ requestId: z.uuid() });
const casesQuery = z.object({
  state: z.enum(CASE_STATES as [string, ...string[]]).optional(),
  requestId: z.uuid().optional(),
  done: z.string().optional(),
});

/** Confirmations after a redirect (`?done=…`): fixed sentences, so a link cannot put words on the page. */
const DONE: Record<string, string> = {
  assigned: 'The request is assigned. Its cases appear below once the relay has created them; reload in a moment.',
  rejected: 'The request is rejected as spam.',
  resent: 'The case is re-sent: a new message is recorded below with its SES id.',
  'contact-changed': 'The address is changed.',
  'contact-changed-sent': 'The address is changed, and the case is sent to the new address.',
  unchanged: 'That is already the address: nothing was changed.',
  extended: 'The deadline is extended; the requester is told the new deadline and the reason.',
  'signed-out': 'You are signed out.',
};
const doneNotice = (done: string | undefined): Notice | undefined =>
  done && Object.hasOwn(DONE, done) ? { kind: 'ok', text: DONE[done]! } : undefined;

const REFUSALS: Record<OperatorRefusal, { status: number; text: string }> = {
  'not-found': { status: 404, text: 'There is no such case.' },
  'contact-not-found': { status: 404, text: 'The case has no contact at this place.' },
  closed: { status: 409, text: 'The case is closed: nothing more is sent or changed.' },
  'contact-stopped': {
    status: 409,
    text: 'This contact complained about our mail: nothing more is sent to it. Change its address first.',
  },
  'send-under-way': {
    status: 409,
    text: 'Another send of this case is under way. Try again once it is recorded (reload the page).',
  },
};

/**
 * The operator console (docs/console.md): server-rendered pages under /console, never anonymous.
 * Sign-in against the configured users; a session is a server-side record named by a random
 * token in a signed, HTTP-only, SameSite=Strict cookie; every form carries the session's
 * synchronizer token (the sign-in form a token bound to a cookie of its own); viewers read,
 * operators act; sign-in attempts are limited per client address. Actions call the same use cases
 * as the operator API, with the signed-in username as the operator id.
 */
export async function registerConsoleRoutes(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const secure = consoleCookiesSecure(deps.publicUrl);
  const cookieNames = secure
    ? { session: '__Host-relay_console', signIn: '__Host-relay_console_sign_in' }
    : { session: 'relay_console', signIn: 'relay_console_sign_in' };
  const cookieOptions: CookieSerializeOptions = { path: '/', httpOnly: true, sameSite: 'strict', secure, signed: true };
  const cookieKey = Buffer.from(
    hkdfSync('sha256', deps.secret, 'privacy-relay', 'console cookie signing', 32),
  ).toString('base64');
  await app.register(fastifyCookie, { secret: cookieKey });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new AppError('RATE_LIMITED', `Too many sign-in attempts from this address; try again in ${context.after}.`, {
        httpStatus: 429,
      }),
  });
  // The console's forms only: a JSON (or text) body is refused with 415 before any handler reads it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_request, body, done) => done(null, parseForm(String(body))),
  );
  // The directory upload: its fields and the file (a Buffer) as the body, read before the CSRF check
  // (the token is one of its fields), within the route's limits (one file, DIRECTORY_UPLOAD_MAX_BYTES).
  await app.register(fastifyMultipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: DIRECTORY_UPLOAD_MAX_BYTES, files: 1, fields: 5, fieldSize: 1024, parts: 6 },
  });

  const sessions = new WeakMap<FastifyRequest, ConsoleSession>();
  const sessionOf = (request: FastifyRequest): ConsoleSession => {
    const session = sessions.get(request);
    if (!session) throw new Error('console route reached without a session');
    return session;
  };
  const viewerOf = (request: FastifyRequest): Viewer => {
    const { user, record } = sessionOf(request);
    return { username: user.username, role: user.role, csrfToken: record.csrfToken };
  };

  const html = (reply: FastifyReply, status: number, page: string) =>
    reply.status(status).header('content-type', 'text/html; charset=utf-8').send(page);
  const home = { href: path('/dashboard'), text: 'Back to the console' };

  // Authentication: every console route but sign-in needs a session in force. The log says why
  // one was refused; never the cookie (the access log names the route pattern only).
  app.addHook('onRequest', async (request, reply) => {
    void reply
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', CSP);
    // Before the body is parsed (isMultipart() says so only after): the header is what decides the parser.
    const multipart = /^\s*multipart\//i.test(request.headers['content-type'] ?? '');
    if (multipart && request.routeOptions.url !== UPLOAD_ROUTE) {
      return html(
        reply,
        415,
        messagePage('Form not accepted', 'This form is not sent that way. Nothing was changed.', home),
      );
    }
    if (PUBLIC_ROUTES.has(request.routeOptions.url ?? '')) return;
    const failure = await authenticate(request);
    if (!failure) {
      // A viewer's upload is refused before its file is read.
      if (
        request.routeOptions.url === UPLOAD_ROUTE &&
        request.method === 'POST' &&
        !mayAct(sessionOf(request).user.role)
      ) {
        return refuseRole(request, reply);
      }
      return;
    }
    request.log.info(
      { reason: failure, route: request.routeOptions.url ?? 'unmatched', method: request.method },
      'console session refused',
    );
    if (failure !== 'missing') void reply.clearCookie(cookieNames.session, cookieOptions);
    if (request.method === 'GET' || request.method === 'HEAD') return reply.redirect(path('/sign-in'), 303);
    return html(
      reply,
      401,
      messagePage('Please sign in', 'Your session has ended or was never there. Nothing was changed.', {
        href: path('/sign-in'),
        text: 'Sign in',
      }),
    );
  });

  async function authenticate(request: FastifyRequest): Promise<string | undefined> {
    const raw = request.cookies[cookieNames.session];
    if (!raw) return 'missing';
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return 'forged';
    const resumed = await deps.sessions.resume(unsigned.value);
    if ('failure' in resumed) return resumed.failure;
    sessions.set(request, resumed);
    return undefined;
  }

  // Every form but sign-in's: the session's synchronizer token, then (all but sign-out) the role.
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || PUBLIC_ROUTES.has(request.routeOptions.url ?? '')) return;
    const session = sessionOf(request);
    if (!sameSecret(one(formOf(request)._csrf), session.record.csrfToken)) {
      request.log.warn({ route: request.routeOptions.url, reason: 'csrf-token' }, 'console form refused');
      return html(
        reply,
        403,
        messagePage(
          'Form not accepted',
          'This form did not come from your console session (it may be from an older session). Nothing was changed.',
          { href: path('/triage'), text: 'Back to the console' },
        ),
      );
    }
    if (request.routeOptions.url !== path('/sign-out') && !mayAct(session.user.role)) return refuseRole(request, reply);
  });

  function refuseRole(request: FastifyRequest, reply: FastifyReply) {
    const { user } = sessionOf(request);
    request.log.warn(
      { route: request.routeOptions.url, username: user.username, role: user.role },
      'console action refused: role',
    );
    return html(
      reply,
      403,
      messagePage(
        'Not allowed',
        'Your role (viewer) can read the console but not act. Ask an administrator for the operator role. Nothing was changed.',
        home,
      ),
    );
  }

  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    const status =
      error instanceof AppError
        ? error.httpStatus
        : ((error as FastifyError).statusCode ?? 500) >= 400
          ? ((error as FastifyError).statusCode ?? 500)
          : 500;
    if (status >= 500) request.log.error({ err: error }, 'console request failed');
    else request.log.info({ status, code: (error as { code?: string }).code }, 'console request rejected');
    const message =
      status === 429
        ? error.message
        : status === 413
          ? (error as FastifyError).code === 'FST_REQ_FILE_TOO_LARGE'
            ? `The file is too large: at most ${DIRECTORY_UPLOAD_MAX_BYTES / 1024 / 1024} MiB. Nothing was imported.`
            : 'The form is too large. Nothing was changed.'
          : status < 500
            ? 'The request was not understood. Nothing was changed.'
            : 'Something went wrong on our side. Nothing may have been changed; look before trying again.';
    return html(
      reply,
      status,
      messagePage(
        status === 429 ? 'Too many attempts' : status === 413 ? 'Too large' : 'Something went wrong',
        message,
        home,
      ),
    );
  });

  app.setNotFoundHandler((_request, reply) =>
    html(
      reply,
      404,
      messagePage('Not found', 'There is no such console page.', { href: path('/triage'), text: 'The triage queue' }),
    ),
  );

  // --- sign-in and sign-out ---

  /** The sign-in form's token: bound to a signed cookie of its own, so a form posted from elsewhere has none. */
  function signInToken(request: FastifyRequest, reply: FastifyReply): string {
    const raw = request.cookies[cookieNames.signIn];
    const unsigned = raw ? request.unsignCookie(raw) : undefined;
    if (unsigned?.valid && unsigned.value) return unsigned.value;
    const token = randomBytes(32).toString('base64url');
    void reply.setCookie(cookieNames.signIn, token, { ...cookieOptions, maxAge: 3600 });
    return token;
  }

  app.get('/', async (_request, reply) => reply.redirect(path('/dashboard'), 303));

  app.get('/sign-in', async (request, reply) => {
    const token = signInToken(request, reply);
    const notice = doneNotice((request.query as { done?: string }).done === 'signed-out' ? 'signed-out' : undefined);
    return html(reply, 200, signInPage({ signInToken: token, ...(notice ? { notice } : {}) }));
  });

  app.post(
    '/sign-in',
    { config: { rateLimit: { max: deps.signInLimit, timeWindow: 15 * 60_000 } } },
    async (request, reply) => {
      const form = formOf(request);
      const raw = request.cookies[cookieNames.signIn];
      const bound = raw ? request.unsignCookie(raw) : undefined;
      if (!bound?.valid || !bound.value || !sameSecret(one(form._csrf), bound.value)) {
        request.log.warn({ reason: 'sign-in-token' }, 'console sign-in refused');
        return html(
          reply,
          403,
          messagePage(
            'Form not accepted',
            'This sign-in form has expired or did not come from this site. Please try again.',
            {
              href: path('/sign-in'),
              text: 'Sign in',
            },
          ),
        );
      }
      const username = (one(form.username) ?? '').trim().slice(0, 200);
      const password = (one(form.password) ?? '').slice(0, 1000);
      const signedIn = await deps.sessions.signIn(username, password);
      if (!signedIn) {
        // Not the username: a mistyped password is sometimes typed into it.
        request.log.info({ outcome: 'refused' }, 'console sign-in');
        return html(reply, 401, signInPage({ signInToken: bound.value, username, failed: true }));
      }
      request.log.info(
        { outcome: 'signed-in', username: signedIn.session.user.username, role: signedIn.session.user.role },
        'console sign-in',
      );
      // The session the browser came with (planted before sign-in, or the user's own) ends here.
      const carried = request.cookies[cookieNames.session];
      const before = carried ? request.unsignCookie(carried) : undefined;
      if (before?.valid && before.value) await deps.sessions.end(before.value);
      void reply.clearCookie(cookieNames.signIn, cookieOptions);
      void reply.setCookie(cookieNames.session, signedIn.token, cookieOptions);
      return reply.redirect(path('/triage'), 303);
    },
  );

  app.post('/sign-out', async (request, reply) => {
    const session = sessionOf(request);
    await deps.sessions.signOut(session.record);
    request.log.info({ username: session.user.username }, 'console sign-out');
    void reply.clearCookie(cookieNames.session, cookieOptions);
    return reply.redirect(path('/sign-in?done=signed-out'), 303);
  });

  // --- triage ---

  async function renderTriage(request: FastifyRequest, reply: FastifyReply, status: number, notice?: Notice) {
    const entries = (await deps.decisions.listTriage(50)).map(triageQueueEntryOf);
    const tenantIds = [
      ...new Set(entries.flatMap((entry) => [...entry.candidates, ...entry.excluded].map((c) => c.tenantId))),
    ];
    const names = new Map<string, string>();
    await Promise.all(
      tenantIds.map(async (tenantId) => {
        const tenant = await deps.directory.findTenant(tenantId);
        if (tenant) names.set(tenantId, tenant.legalName);
      }),
    );
    return html(reply, status, triagePage(viewerOf(request), entries, names, notice));
  }

  app.get('/triage', async (request, reply) =>
    renderTriage(request, reply, 200, doneNotice((request.query as { done?: string }).done)),
  );

  app.post('/triage/:requestId/resolve', async (request, reply) => {
    const params = requestParams.safeParse(request.params);
    if (!params.success) return renderTriage(request, reply, 404, { kind: 'error', text: 'There is no such request.' });
    const { requestId } = params.data;
    const form = formOf(request);
    const operatorId = sessionOf(request).user.username;
    const action = one(form.action);
    let resolution: Parameters<typeof resolveTriage>[2];
    if (action === 'assign') {
      const tenantIds = [...many(form.tenantId), one(form.otherTenantId) ?? '']
        .map((id) => id.trim())
        .filter((id) => id.length > 0 && id.length <= 128);
      if (tenantIds.length === 0) {
        return renderTriage(request, reply, 400, {
          kind: 'error',
          text: `Request ${requestId}: choose at least one tenant (or type a tenant's id) to assign it to.`,
        });
      }
      resolution = { action: 'assign', tenantIds, operatorId };
    } else if (action === 'reject-as-spam') {
      resolution = { action: 'reject-as-spam', operatorId };
    } else {
      return renderTriage(request, reply, 400, { kind: 'error', text: 'Choose "Assign" or "Reject as spam".' });
    }
    try {
      const resolved = await resolveTriage(deps, requestId, resolution);
      request.log.info({ requestId, action, operatorId, published: resolved.published }, 'console triage resolution');
    } catch (error) {
      if (!(error instanceof AppError) || error.httpStatus >= 500) throw error;
      request.log.info({ requestId, action, operatorId, code: error.code }, 'console triage resolution refused');
      return renderTriage(request, reply, error.httpStatus, {
        kind: 'error',
        text: `Request ${requestId}: ${error.message}.`,
      });
    }
    return action === 'assign'
      ? reply.redirect(path(`/cases?requestId=${requestId}&done=assigned`), 303)
      : reply.redirect(path('/triage?done=rejected'), 303);
  });

  // --- cases ---

  app.get('/cases', async (request, reply) => {
    const query = casesQuery.safeParse(request.query);
    const viewer = viewerOf(request);
    if (!query.success)
      return html(
        reply,
        400,
        casesPage(viewer, { cases: [] }, { kind: 'error', text: 'That filter is not one of ours.' }),
      );
    const { requestId, done } = query.data;
    const state = (query.data.state ?? 'forwarded') as (typeof CASE_STATES)[number];
    const cases = requestId
      ? (await deps.cases.listByRequest(requestId)).map(({ case: c }) => ({
          caseId: c.caseId,
          state: c.state,
          requestId: c.requestId,
          tenantId: c.tenantId,
          ...(c.tenantName ? { tenantName: c.tenantName } : {}),
          receivedOn: c.receivedOn,
          deadline: c.deadline,
        }))
      : await deps.caseListing.listByState(state, 200);
    return html(reply, 200, casesPage(viewer, { ...(requestId ? { requestId } : { state }), cases }, doneNotice(done)));
  });

  async function renderCase(
    request: FastifyRequest,
    reply: FastifyReply,
    caseId: string,
    status: number,
    notice?: Notice,
    extensionReason?: string,
  ) {
    const stored = await deps.cases.find(caseId);
    if (!stored)
      return html(reply, 404, consolePage('Case not found', viewerOf(request), '<p>There is no such case.</p>'));
    return html(reply, status, casePage(viewerOf(request), stored, notice, extensionReason));
  }

  app.get('/cases/:caseId', async (request, reply) => {
    const params = caseParams.safeParse(request.params);
    if (!params.success)
      return html(reply, 404, consolePage('Case not found', viewerOf(request), '<p>There is no such case.</p>'));
    return renderCase(request, reply, params.data.caseId, 200, doneNotice((request.query as { done?: string }).done));
  });

  /** SES's answer to an operator's send, as a notice: away (503, press again) or refused for good (422). */
  function sesFailure(error: unknown): { status: number; notice: Notice } {
    if (error instanceof AppError && error.code.startsWith('MAIL_')) {
      return error.retriable
        ? {
            status: 503,
            notice: {
              kind: 'error',
              text: 'SES did not take the mail now. The send is recorded as begun: press the button again to finish it.',
            },
          }
        : {
            status: 422,
            notice: {
              kind: 'error',
              text: 'SES refused the mail for good: the message is recorded as rejected and the case moved on as after a permanent bounce.',
            },
          };
    }
    throw error;
  }

  app.post('/cases/:caseId/resend', async (request, reply) => {
    const params = caseParams.safeParse(request.params);
    if (!params.success)
      return html(reply, 404, consolePage('Case not found', viewerOf(request), '<p>There is no such case.</p>'));
    const { caseId } = params.data;
    const rawIndex = one(formOf(request).contactIndex);
    const contactIndex = rawIndex && /^\d{1,4}$/.test(rawIndex) ? Number(rawIndex) : undefined;
    const operatorId = sessionOf(request).user.username;
    let result;
    try {
      result = await resendCase(deps, caseId, contactIndex, operatorId);
    } catch (error) {
      const failed = sesFailure(error);
      return renderCase(request, reply, caseId, failed.status, failed.notice);
    }
    request.log.info({ caseId, contactIndex, operatorId, outcome: result.outcome }, 'console re-send');
    if (result.outcome !== 'sent') {
      const refusal = REFUSALS[result.outcome];
      return renderCase(request, reply, caseId, refusal.status, { kind: 'error', text: refusal.text });
    }
    return reply.redirect(path(`/cases/${caseId}?done=resent`), 303);
  });

  app.post('/cases/:caseId/contacts/:index', async (request, reply) => {
    const params = contactParams.safeParse(request.params);
    if (!params.success)
      return html(reply, 404, consolePage('Case not found', viewerOf(request), '<p>There is no such case.</p>'));
    const { caseId } = params.data;
    const contactIndex = Number(params.data.index);
    const email = z
      .email()
      .max(254)
      .safeParse((one(formOf(request).email) ?? '').trim());
    if (!email.success) {
      return renderCase(request, reply, caseId, 400, {
        kind: 'error',
        text: `Contact ${contactIndex + 1}: enter an email address, like name@example.com.`,
      });
    }
    const operatorId = sessionOf(request).user.username;
    let result;
    try {
      result = await changeContact(deps, caseId, contactIndex, email.data, operatorId);
    } catch (error) {
      const failed = sesFailure(error);
      return renderCase(request, reply, caseId, failed.status, failed.notice);
    }
    // Never the address: ids and the outcome only.
    request.log.info({ caseId, contactIndex, operatorId, outcome: result.outcome }, 'console changed a contact');
    if (result.outcome === 'changed') {
      return reply.redirect(
        path(`/cases/${caseId}?done=${result.forward ? 'contact-changed-sent' : 'contact-changed'}`),
        303,
      );
    }
    if (result.outcome === 'unchanged') return reply.redirect(path(`/cases/${caseId}?done=unchanged`), 303);
    const refusal = REFUSALS[result.outcome];
    return renderCase(request, reply, caseId, refusal.status, { kind: 'error', text: refusal.text });
  });

  app.post('/cases/:caseId/extension', async (request, reply) => {
    const params = caseParams.safeParse(request.params);
    if (!params.success)
      return html(reply, 404, consolePage('Case not found', viewerOf(request), '<p>There is no such case.</p>'));
    const { caseId } = params.data;
    const reason = (one(formOf(request).reason) ?? '').slice(0, 4 * EXTENSION_REASON_MAX);
    const operatorId = sessionOf(request).user.username;
    const result = await extendCase(deps, caseId, reason, { kind: 'operator', operatorId });
    // Never the reason (free text): ids and the outcome only.
    request.log.info({ caseId, operatorId, outcome: result.outcome }, 'console extension');
    const refused = (status: number, text: string) =>
      renderCase(request, reply, caseId, status, { kind: 'error', text }, reason);
    switch (result.outcome) {
      case 'extended':
        return reply.redirect(path(`/cases/${caseId}?done=extended`), 303);
      case 'invalid-reason':
        return refused(
          400,
          result.problem === 'empty'
            ? 'Say why the deadline is extended: the requester is told.'
            : `Shorten the reason to at most ${EXTENSION_REASON_MAX} characters.`,
        );
      case 'already':
        return refused(409, `The deadline was already extended (to ${result.extension.to}); a case is extended once.`);
      case 'deadline-passed':
        return refused(409, `The original deadline (${result.deadline}) has passed: it can no longer be extended.`);
      case 'not-allowed':
        return refused(
          409,
          result.case.state === 'matched'
            ? 'The tenant does not have the case yet: nothing to extend.'
            : 'The case is closed: its deadline can no longer be extended.',
        );
      case 'not-found':
        return refused(404, 'There is no such case.');
    }
  });

  // --- the dashboard, the escalated and overdue cases, the tenant directory ---

  const kit: ConsoleRouteKit = { viewerOf, html };
  registerOverviewRoutes(app, deps, kit);
  registerDirectoryRoutes(app, deps, kit);
}
