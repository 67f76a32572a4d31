import { AppError, isRetriableError } from '@privacy-relay/shared/errors';
import { emailSchema } from '@privacy-relay/shared/events';
import type { Logger } from '@privacy-relay/shared/logger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  confirmExport,
  exportFile,
  inspectExportConfirmation,
  mailExportConfirmation,
  readExport,
  type ExportLinkOutcome,
  type RequesterExportDeps,
} from '../../application/requester-export';
import { addressKey, mailboxOf, type EmailThrottle } from './email-throttle';
import { escapeHtml, messagePage, page } from './html';

export interface ExportRoutesDeps {
  export: RequesterExportDeps;
  /** Asks per requester address (every spelling of one inbox counted as one); beyond, no mail, same answer. */
  perAddress: EmailThrottle;
  /** Per-IP limit of asks and confirmations (429 beyond: about the client, never the address). */
  rateLimitPerIpPerMinute: number;
  logger: Logger;
}

const HTML = 'text/html; charset=utf-8';
const TOKEN_PARAM = /^[A-Za-z0-9._-]{1,300}$/;
const OPAQUE_PARAM = /^[A-Za-z0-9_-]{1,500}$/;

/** The one answer to every ask, whatever the address and whatever is held: asking tells nothing. */
export const EXPORT_ASKED_MESSAGE =
  'If this address can receive mail, we have sent it a link. Open it and press "Confirm": we then mail that address a copy of everything we hold about it (or tell it that we hold nothing).';

/**
 * The requester's export (docs/export.md): the ask (`GET`/`POST /export`, `POST /v1/exports`),
 * the confirmation link (`/export/confirm/:token/:address`, only POST acts) and the download
 * link (`/exports/:token/:key`, JSON and CSV). Register after `registerIntakeHttp` (its form
 * bodies, headers and rate-limit plugin serve these routes too).
 */
export function registerExportRoutes(app: FastifyInstance, deps: ExportRoutesDeps): void {
  const limited = { rateLimit: { max: deps.rateLimitPerIpPerMinute, timeWindow: 60_000 } };

  /**
   * Answers first, works after: the mail (or nothing, over the address's allowance) happens off
   * the request, so neither the answer nor its timing depends on the address.
   */
  const ask = (email: string) => {
    setImmediate(() => {
      if (!deps.perAddress.tryConsume(addressKey(mailboxOf(email)), deps.export.clock.now().getTime())) {
        deps.logger.info('export asked beyond the address allowance: no mail');
        return;
      }
      mailExportConfirmation(deps.export, email).catch((error: unknown) =>
        deps.logger.warn({ err: error }, 'export confirmation not mailed; the requester may ask again'),
      );
    });
  };

  app.get('/export', async (_request, reply) => sendHtml(reply, 200, exportFormPage()));

  app.post('/export', { config: limited }, async (request, reply) => {
    const body = isRecord(request.body) ? request.body : {};
    const parsed = emailSchema.safeParse(typeof body.email === 'string' ? body.email.trim() : '');
    if (!parsed.success) return sendHtml(reply, 400, exportFormPage('Please enter an email address.'));
    ask(parsed.data);
    return sendHtml(reply, 202, messagePage('Check your mailbox', EXPORT_ASKED_MESSAGE));
  });

  app.post('/v1/exports', { config: limited }, async (request, reply) => {
    const body = isRecord(request.body) ? request.body : undefined;
    if (!body) throw new AppError('VALIDATION_FAILED', 'Send {"email": "…"} as application/json', { httpStatus: 400 });
    if (Object.keys(body).some((key) => key !== 'email')) {
      throw new AppError('UNKNOWN_FIELD', 'The request has fields we do not read', { httpStatus: 400 });
    }
    const parsed = emailSchema.safeParse(typeof body.email === 'string' ? body.email.trim() : undefined);
    if (!parsed.success) throw new AppError('VALIDATION_FAILED', 'email: an email address', { httpStatus: 400 });
    ask(parsed.data);
    return reply.status(202).send({ message: EXPORT_ASKED_MESSAGE });
  });

  // --- The confirmation link: GET shows a page, only POST acts (mail scanners prefetch links) ---
  app.get('/export/confirm/:token/:address', async (request, reply) => {
    const params = confirmParams(request);
    const inspected = params
      ? inspectExportConfirmation(deps.export, params.token, params.address)
      : ({ outcome: 'invalid-link' } as const);
    if (inspected.outcome !== 'ok') return sendHtml(reply, 404, linkProblemPage(inspected.outcome));
    return sendHtml(
      reply,
      200,
      page(
        'Confirm: a copy of your data',
        `<p>Press "Confirm" and we collect everything we hold about this email address and mail it a link to download it.</p>
<form method="post" action="${escapeHtml(request.url)}">
<p><button type="submit">Confirm</button></p>
</form>`,
      ),
    );
  });

  app.post('/export/confirm/:token/:address', { config: limited }, async (request, reply) => {
    const params = confirmParams(request);
    try {
      const outcome = params
        ? await confirmExport(deps.export, params.token, params.address)
        : ({ outcome: 'invalid-link' } as const);
      if (outcome.outcome !== 'requested') return sendHtml(reply, 404, linkProblemPage(outcome.outcome));
      return sendHtml(
        reply,
        202,
        messagePage(
          'We are collecting your data',
          'Thank you. We will mail this address a link to download everything we hold about it (or tell it that we hold nothing) shortly.',
        ),
      );
    } catch (error) {
      if (!isRetriableError(error)) throw error;
      request.log.warn({ err: error }, 'export confirmation not recorded; the requester may press again');
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

  // --- The download link: the page, and the two files (reading changes nothing) ---
  app.get('/exports/:token/:key', async (request, reply) => {
    const params = downloadParams(request);
    const read = params ? await readExport(deps.export, params.token, params.key) : undefined;
    if (read?.outcome !== 'ok') return sendHtml(reply, read?.outcome === 'expired' ? 410 : 404, downloadGone(read));
    const base = escapeHtml(request.url.replace(/\/+$/, ''));
    return sendHtml(
      reply,
      200,
      page(
        'Your data',
        `<p>Everything we hold about this email address (${read.bundle.requests.length} request(s)), generated ${escapeHtml(read.bundle.generatedAt)}:</p>
<ul>
<li><a href="${base}/json" download>JSON</a></li>
<li><a href="${base}/csv" download>CSV</a> (one row per value: record, id, field, value)</li>
</ul>`,
      ),
    );
  });

  app.get('/exports/:token/:key/:format', async (request, reply) => {
    const params = downloadParams(request);
    const format = (request.params as { format?: unknown }).format;
    if (!params || (format !== 'json' && format !== 'csv')) return sendHtml(reply, 404, downloadGone(undefined));
    const read = await readExport(deps.export, params.token, params.key);
    if (read.outcome !== 'ok') return sendHtml(reply, read.outcome === 'expired' ? 410 : 404, downloadGone(read));
    const file = exportFile(read.bundle, format);
    return reply
      .status(200)
      .header('content-type', file.type)
      .header('content-disposition', `attachment; filename="${file.name}"`)
      .header('cache-control', 'no-store')
      .send(file.body);
  });
}

function exportFormPage(error?: string): string {
  return page(
    'Get a copy of your data',
    `<p>We mail a link to the address you give. Open it to confirm, and we mail that address everything we hold about it, as JSON and CSV.</p>
${error ? `<p class="error" id="email-error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/export" accept-charset="utf-8">
<p><label for="email">Your email address</label><br>
<input id="email" name="email" type="email" autocomplete="email" maxlength="254" required${error ? ' aria-invalid="true" aria-describedby="email-error"' : ''}></p>
<p><button type="submit">Send me the link</button></p>
</form>`,
  );
}

function linkProblemPage(outcome: ExportLinkOutcome): string {
  return outcome === 'expired'
    ? messagePage('Link expired', 'This link has expired. Please ask again at /export.')
    : messagePage('Not found', 'This link is not valid (any more).');
}

function downloadGone(read: { outcome: string } | undefined): string {
  return read?.outcome === 'expired'
    ? messagePage('Link expired', 'This copy of your data has expired and is deleted. You can ask again at /export.')
    : messagePage('Not found', 'This link is not valid (any more).');
}

function confirmParams(request: FastifyRequest): { token: string; address: string } | undefined {
  const { token, address } = request.params as { token?: unknown; address?: unknown };
  return typeof token === 'string' &&
    TOKEN_PARAM.test(token) &&
    typeof address === 'string' &&
    OPAQUE_PARAM.test(address)
    ? { token, address }
    : undefined;
}

function downloadParams(request: FastifyRequest): { token: string; key: string } | undefined {
  const { token, key } = request.params as { token?: unknown; key?: unknown };
  return typeof token === 'string' && TOKEN_PARAM.test(token) && typeof key === 'string' && OPAQUE_PARAM.test(key)
    ? { token, key }
    : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.status(status).header('content-type', HTML).header('cache-control', 'no-store').send(html);
}
