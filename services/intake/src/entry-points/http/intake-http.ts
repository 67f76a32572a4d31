import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import helmet, { type HelmetOptions } from 'helmet';
import { AppError } from '@privacy-relay/shared/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RATE_LIMITED, acceptRequest, type AcceptRequestDeps, type Admission } from '../../application/accept-request';
import type { Clock } from '../../application/ports';
import type { RequesterLinks } from '../../application/requester-links';
import {
  inspectVerificationLink,
  requestStatus,
  verifyByCode,
  verifyByLink,
  type VerifyDeps,
  type VerifyOutcome,
} from '../../application/verify-request';
import { intakeRequestSchema, type IncomingRequest } from '../../domain/intake-request';
import {
  EMPTY_FORM,
  describeValidationIssues,
  formToRequestInput,
  formValues,
  unknownFormFields,
  type FormBody,
} from '../../domain/request-form';
import { signToken, verifyToken } from '@privacy-relay/shared/tokens';
import { addressKey, type SubmissionLimits } from './email-throttle';
import { SITE_STYLE_CSP_SOURCE } from '@privacy-relay/shared/html';
import {
  acceptedPage,
  confirmPage,
  homePage,
  messagePage,
  receivedStatusPage,
  requestFormPage,
  statusPage,
} from './html';
import { apiDocsPage, openApiDocument } from './openapi';

export interface IntakeHttpDeps {
  accept: AcceptRequestDeps;
  verify: VerifyDeps;
  links: RequesterLinks;
  clock: Clock;
  /** Signs form tokens (the link secret). */
  secret: string;
  publicUrl: string;
  /** Per-IP limit of the verification attempts (submissions are counted in `limits`). */
  rateLimitPerIpPerMinute: number;
  /**
   * New submissions per requester address and per client address. A retry of a key seen before
   * is not counted; a submission that is not valid counts against the client address.
   */
  limits: SubmissionLimits;
}

/** How long a rendered form may wait before it is submitted. */
const FORM_TOKEN_TTL_MS = 2 * 60 * 60 * 1000;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
const TOKEN_PARAM = /^[A-Za-z0-9._-]{1,300}$/;
const CSRF_COOKIE_VALUE = /^[A-Za-z0-9_-]{22}$/;
const HTML = 'text/html; charset=utf-8';

/**
 * Registers the landing page, the web form, the JSON API, the OpenAPI document, the verification and status pages,
 * and the plugins they need (form bodies, security headers, per-IP rate limits). Call before listen.
 */
export async function registerIntakeHttp(app: FastifyInstance, deps: IntakeHttpDeps): Promise<void> {
  const secureCookie = deps.publicUrl.startsWith('https://');
  const csrfCookie = secureCookie ? '__Host-intake_csrf' : 'intake_csrf';

  strictJsonBodies(app);
  await app.register(formbody);
  // helmet's headers taken once and set with one call (running its middlewares for every request
  // cost about 9 µs of CPU per request in `npm run bench:intake`). Pages get the document headers;
  // the JSON API gets the few that mean something for a response nobody renders (OWASP REST Security).
  const documentHeaders = helmetHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        // The pages' one stylesheet is written inline; its hash allows it and nothing else.
        styleSrc: [SITE_STYLE_CSP_SOURCE],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
  });
  const apiHeaders = helmetHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
  app.addHook('onRequest', (request, reply, done) => {
    void reply.headers(request.url.startsWith('/v1/') ? apiHeaders : documentHeaders);
    done();
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new AppError('RATE_LIMITED', `Too many requests; try again in ${context.after}`, { httpStatus: 429 }),
  });
  const limited = { rateLimit: { max: deps.rateLimitPerIpPerMinute, timeWindow: 60_000 } };

  // --- Landing page ---
  const landing = homePage();
  app.get('/', async (_request, reply) => sendHtml(reply, 200, landing));

  // --- OpenAPI document and UI ---
  const document = openApiDocument(deps.publicUrl);
  const docsPage = apiDocsPage(document);
  app.get('/docs/openapi.json', async () => document);
  app.get('/docs', async (_request, reply) => sendHtml(reply, 200, docsPage));

  // --- JSON API ---
  app.post('/v1/requests', async (request, reply) => {
    if (!isContentType(request, 'application/json') || request.body === undefined) {
      countInvalid(deps, request, reply);
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the request as application/json (UTF-8)', {
        httpStatus: 415,
      });
    }
    const header = request.headers['idempotency-key'];
    if (header !== undefined && (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header))) {
      countInvalid(deps, request, reply);
      throw new AppError('BAD_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 200 visible ASCII characters', {
        httpStatus: 400,
      });
    }
    const parsed = intakeRequestSchema.safeParse(request.body);
    if (!parsed.success) {
      countInvalid(deps, request, reply);
      const { code, issues } = describeValidationIssues(parsed.error);
      throw new AppError(code, code === 'UNKNOWN_FIELD' ? 'The request has fields we do not read' : 'Invalid request', {
        httpStatus: 400,
        details: { issues },
      });
    }
    const requester = addressKey(parsed.data.requester.email);
    // Scoped by the requester's address: someone who guesses another client's key does not get
    // that requester's reference and status link back.
    const key = header ?? `generated:${randomUUID()}`;
    const incoming: IncomingRequest = {
      channel: 'api',
      idempotencyKey: `api:${requester}:${key}`,
      ...(header === undefined ? { idempotencyKeyGenerated: true } : {}),
      request: parsed.data,
      verification: { status: 'pending' },
    };
    const { reference, statusUrl } = await submit(
      deps,
      incoming,
      admissionOf(deps, request, parsed.data.requester.email),
      reply,
    );
    return reply.status(202).send({ reference, statusUrl });
  });

  // --- Web form ---
  app.get('/request', async (request, reply) => {
    const cookie = readCookie(request, csrfCookie);
    const binding = cookie && CSRF_COOKIE_VALUE.test(cookie) ? cookie : randomBytes(16).toString('base64url');
    if (binding !== cookie) {
      void reply.header(
        'set-cookie',
        `${csrfCookie}=${binding}; Path=/; HttpOnly; SameSite=Strict${secureCookie ? '; Secure' : ''}`,
      );
    }
    return sendHtml(reply, 200, requestFormPage({ formToken: newFormToken(deps, binding), values: EMPTY_FORM }));
  });

  app.post('/request', async (request, reply) => {
    if (!isContentType(request, 'application/x-www-form-urlencoded') || !isRecord(request.body) || !utf8(request)) {
      countInvalid(deps, request, reply);
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'The form is sent as application/x-www-form-urlencoded', {
        httpStatus: 415,
      });
    }
    const body = request.body as FormBody;
    const formToken = typeof body.formToken === 'string' ? body.formToken : '';
    const cookie = readCookie(request, csrfCookie) ?? '';
    const check = verifyToken(deps.secret, formToken, { purpose: 'form', now: deps.clock.now(), binding: cookie });
    if (!check.ok) {
      countInvalid(deps, request, reply);
      return sendHtml(
        reply,
        403,
        messagePage(
          'Please reload the form',
          check.reason === 'expired'
            ? 'The form was open for too long. Please reload it and send it again.'
            : 'This form could not be checked (it was not sent from our page, or cookies are off). Please reload it.',
        ),
      );
    }
    const values = formValues(body);
    const unknown = unknownFormFields(body);
    if (unknown.length > 0) {
      countInvalid(deps, request, reply);
      return sendHtml(
        reply,
        400,
        requestFormPage({
          formToken,
          values,
          issues: [
            {
              path: '',
              message: `unknown field(s): ${unknown
                .slice(0, 5)
                .map((k) => k.slice(0, 40))
                .join(', ')}`,
            },
          ],
        }),
      );
    }
    const parsed = intakeRequestSchema.safeParse(formToRequestInput(values));
    if (!parsed.success) {
      const { issues } = describeValidationIssues(parsed.error);
      countInvalid(deps, request, reply);
      request.log.info({ code: 'VALIDATION_FAILED', status: 400 }, 'form rejected');
      return sendHtml(reply, 400, requestFormPage({ formToken, values, issues }));
    }
    const incoming: IncomingRequest = {
      channel: 'web-form',
      // The form token's nonce: a double click or a resubmit after a 503 is the same request.
      idempotencyKey: `web-form:${check.claims.subject}`,
      request: parsed.data,
      verification: { status: 'pending' },
    };
    try {
      const { reference } = await submit(
        deps,
        incoming,
        admissionOf(deps, request, parsed.data.requester.email),
        reply,
      );
      return sendHtml(reply, 202, acceptedPage(reference));
    } catch (error) {
      if (error instanceof AppError && error.code === 'IDEMPOTENCY_KEY_REUSED') {
        // Sent before with other answers (edited after going back): a fresh form token makes it a new request.
        request.log.info({ code: error.code, status: 422 }, 'form sent again with other answers');
        const fresh = newFormToken(deps, cookie);
        return sendHtml(reply, 422, requestFormPage({ formToken: fresh, values, notice: SENT_BEFORE }));
      }
      if (!(error instanceof AppError) || !error.retriable) throw error;
      request.log.warn({ err: error }, 'form request not accepted; the requester may send it again');
      void reply.header('retry-after', '5');
      return sendHtml(reply, 503, requestFormPage({ formToken, values, notice: UNAVAILABLE }));
    }
  });

  // --- Verification: GET shows a page, only POST acts (mail scanners prefetch links) ---
  app.get('/verify/:token', async (request, reply) => {
    const token = tokenParam(request);
    const inspected = token
      ? await inspectVerificationLink(deps.verify, token)
      : ({ outcome: 'invalid-link' } as const);
    if (inspected.outcome !== 'ok') return sendHtml(reply, 404, outcomePage(inspected));
    if (inspected.record.status === 'verified') {
      return sendHtml(
        reply,
        200,
        inspected.record.verifiedEventPublishedAt
          ? messagePage('Already confirmed', `Request ${inspected.record.reference} is confirmed.`)
          : confirmationRecordedPage(inspected.record.reference),
      );
    }
    return sendHtml(reply, 200, confirmPage(inspected.record.reference, `/verify/${token}`));
  });

  app.post('/verify/:token', { config: limited }, async (request, reply) => {
    const token = tokenParam(request);
    try {
      const outcome = token ? await verifyByLink(deps.verify, token) : ({ outcome: 'invalid-link' } as const);
      if (outcome.outcome === 'verified' && !outcome.published) {
        request.log.warn('confirmation stored, its event not yet published; the outbox sweeper publishes it');
        return sendHtml(reply, 202, confirmationRecordedPage(outcome.reference));
      }
      return sendHtml(reply, outcome.outcome === 'verified' ? 200 : 404, outcomePage(outcome));
    } catch (error) {
      if (!(error instanceof AppError) || !error.retriable) throw error;
      request.log.warn({ err: error }, 'confirmation not completed; the requester may press again');
      void reply.header('retry-after', '5');
      return sendHtml(
        reply,
        503,
        messagePage(
          'Please try again',
          'We could not record your confirmation just now. Please press "Confirm" again.',
        ),
      );
    }
  });

  // --- Status page (token in the path, never logged: the access log names the route pattern) ---
  app.get('/status/:token', async (request, reply) => {
    const token = tokenParam(request);
    const view = token ? await requestStatus(deps.verify, token) : undefined;
    if (!view) return statusLinkInvalid(reply);
    if (!view.stored) return sendHtml(reply, 200, receivedStatusPage(view.reference));
    return sendHtml(reply, 200, statusPage(view, `/status/${token}/code`));
  });

  app.post('/status/:token/code', { config: limited }, async (request, reply) => {
    const token = tokenParam(request);
    const body = isRecord(request.body) ? request.body : {};
    const code = typeof body.code === 'string' ? body.code : '';
    const outcome = token ? await verifyByCode(deps.verify, token, code) : ({ outcome: 'invalid-link' } as const);
    const view = token ? await requestStatus(deps.verify, token) : undefined;
    if (!view) return statusLinkInvalid(reply);
    if (!view.stored) {
      // No code is mailed before the state is stored: there is nothing to check it against yet.
      return sendHtml(reply, 409, receivedStatusPage(view.reference));
    }
    const notice =
      outcome.outcome === 'verified'
        ? outcome.published
          ? 'Thank you: your request is confirmed.'
          : 'Thank you: your confirmation is recorded; we pass your request on as soon as our systems allow.'
        : outcome.outcome === 'wrong-code'
          ? 'That code is not right. Please check the email and try again.'
          : outcome.outcome === 'locked'
            ? 'Too many wrong codes. Please use the link in the email instead.'
            : 'The code has expired. Please make the request again.';
    return sendHtml(
      reply,
      outcome.outcome === 'verified' ? 200 : 400,
      statusPage(view, `/status/${token}/code`, notice),
    );
  });
}

/**
 * JSON bodies must be UTF-8 (RFC 8259): another declared charset is 415, and bytes that are not
 * valid UTF-8 are 400 instead of being silently replaced. Prototype-poisoning keys (`__proto__`,
 * `constructor.prototype`) stay errors, as in Fastify's own parser, which does the parsing.
 */
function strictJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') {
      done(new AppError('UNSUPPORTED_MEDIA_TYPE', 'JSON must be sent as UTF-8', { httpStatus: 415 }), undefined);
      return;
    }
    let text: string;
    try {
      text = decoder.decode(body as Buffer);
    } catch {
      done(new AppError('INVALID_ENCODING', 'The body is not valid UTF-8', { httpStatus: 400 }), undefined);
      return;
    }
    parseJson(request, text, done);
  });
}

// True whether or not the earlier attempt got through (after a 503 nobody knows for sure).
const SENT_BEFORE =
  'This form was sent before with other answers (that attempt may or may not have got through). To send these answers as a request, press "Send my request" again.';

const UNAVAILABLE =
  'We could not confirm that your request was stored. Please press "Send my request" again in a moment: it will not be sent twice.';

function statusLinkInvalid(reply: FastifyReply) {
  return sendHtml(reply, 404, messagePage('Not found', 'This link is not valid (any more).'));
}

async function submit(deps: IntakeHttpDeps, incoming: IncomingRequest, admission: Admission, reply: FastifyReply) {
  // The answer waits for Kafka only (the request's state is written behind it, or by the mail
  // consumer for a key nobody can repeat); the mails go out from the event.
  try {
    const accepted = await acceptRequest(deps.accept, incoming, admission);
    return { reference: accepted.reference, statusUrl: deps.links.statusUrl(accepted.requestId, accepted.receivedAt) };
  } catch (error) {
    if (error instanceof AppError && error.code === RATE_LIMITED) throw rateLimited(reply);
    throw error;
  }
}

/** A new submission counts against the requester's address and the client's. */
function admissionOf(deps: IntakeHttpDeps, request: FastifyRequest, email: string): Admission {
  return { counter: deps.limits.counterFor({ email, client: request.ip }), beyondLimit: 'refuse' };
}

/** A submission that cannot be a request still counts against the client's allowance. */
function countInvalid(deps: IntakeHttpDeps, request: FastifyRequest, reply: FastifyReply): void {
  if (!deps.limits.counterFor({ client: request.ip }).tryCount()) throw rateLimited(reply);
}

function rateLimited(reply: FastifyReply): AppError {
  // The client allowance is per minute; the address's per hour, but a minute is the honest earliest.
  void reply.header('retry-after', '60');
  return new AppError(RATE_LIMITED, 'Too many requests from this address or for this email address; try again later', {
    httpStatus: 429,
  });
}

function newFormToken(deps: IntakeHttpDeps, binding: string): string {
  return signToken(deps.secret, {
    purpose: 'form',
    subject: randomBytes(16).toString('base64url'),
    expiresAt: Math.floor((deps.clock.now().getTime() + FORM_TOKEN_TTL_MS) / 1000),
    binding,
  });
}

/** A confirmation stored whose event is not on Kafka yet: true, and no "confirmed" before it is. */
function confirmationRecordedPage(reference: string): string {
  return messagePage(
    'Confirmation recorded',
    `Thank you. Your confirmation of request ${reference} is recorded; we pass it on to the company that holds your data as soon as our systems allow. You need not press again.`,
  );
}

function outcomePage(outcome: VerifyOutcome | { outcome: 'invalid-link' | 'expired' }): string {
  switch (outcome.outcome) {
    case 'verified':
      return messagePage(
        'Request confirmed',
        `Thank you. Request ${outcome.reference} is confirmed and will be passed on to the company that holds your data.`,
      );
    case 'expired':
      return messagePage('Link expired', 'This confirmation link has expired. Please make the request again.');
    default:
      return messagePage('Not found', 'This link is not valid (any more).');
  }
}

function tokenParam(request: FastifyRequest): string | undefined {
  const token = (request.params as { token?: unknown }).token;
  return typeof token === 'string' && TOKEN_PARAM.test(token) ? token : undefined;
}

function isContentType(request: FastifyRequest, type: string): boolean {
  const header = request.headers['content-type'];
  return typeof header === 'string' && header.split(';')[0]?.trim().toLowerCase() === type;
}

/** No charset, or UTF-8: what our own form sends (accept-charset="utf-8"). */
function utf8(request: FastifyRequest): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  return !charset || charset === 'utf-8' || charset === 'utf8';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length > 4096) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.status(status).header('content-type', HTML).header('cache-control', 'no-store').send(html);
}

/**
 * The headers helmet sets with these options. They do not depend on the request (no CSP nonces
 * here), so they are taken once from its middleware run against a recorder.
 */
function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = value),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let done = false;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error(String(error));
    done = true;
  });
  if (!done) throw new Error('helmet did not set its headers synchronously');
  return headers;
}
