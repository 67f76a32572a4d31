import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import { randomUUID } from 'node:crypto';
import { Histogram, type Registry, collectDefaultMetrics } from 'prom-client';
import { AppError, isRetriableError } from '../errors';
import type { Logger } from '../logger';

/** A dependency readiness depends on: Kafka, the database. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface HttpServerOptions {
  logger: Logger;
  readiness: readonly ReadinessCheck[];
  metrics: Registry;
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
  /** Behind a proxy, trust its X-Forwarded-For (for rate limits keyed by client address). */
  trustProxy?: boolean;
  /**
   * Who can reach this server. "internal" (the default) serves /metrics and names each readiness
   * check with its error; "public" serves no /metrics and a /readyz that answers only its status
   * (the detail is for an admin listener: `createHttpServer` again, "internal", on another address).
   */
  exposure?: 'internal' | 'public';
}

/** The `{ error: { code, message } }` body every failed request gets. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/**
 * Fastify with what every service needs: /healthz (the process lives), /readyz (Kafka and the
 * database answer), /metrics (Prometheus; not on a "public" server), one error shape with stable codes, and access logs
 * that name the route pattern, never the raw URL (which could carry a token or an address).
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Our own onResponse line below logs the route pattern; Fastify's would log the raw URL.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
    // A URL Fastify's router cannot take (bad percent-encoding, a path segment past its limit)
    // gets the one error shape too, without the path echoed back (it could hold a token).
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = FRAMEWORK_ERRORS[error.code] ?? FRAMEWORK_ERRORS.FST_ERR_BAD_URL!;
      void (reply as FastifyReply).status(status).send(body);
    },
  });

  const internal = (options.exposure ?? 'internal') === 'internal';
  // Once per registry: a public server and its admin listener share one.
  if (!options.metrics.getSingleMetric('process_cpu_seconds_total')) {
    collectDefaultMetrics({ register: options.metrics });
  }
  const duration =
    (options.metrics.getSingleMetric('http_request_duration_seconds') as Histogram<string> | undefined) ??
    new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [options.metrics],
    });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (route === '/healthz' || route === '/readyz' || route === '/metrics') return;
    request.log.info(
      { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    const { status, body } = toErrorResponse(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.error.code, status }, 'request rejected');
    if (isRetriableError(error)) void reply.header('retry-after', '5');
    return reply.status(status).send(body);
  });

  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: 'No such route' } } satisfies ErrorBody),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(
      options.readiness.map(async ({ name, check }) => {
        try {
          await check();
          return { name, ok: true as const };
        } catch (error) {
          return { name, ok: false as const, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    const ready = results.every((result) => result.ok);
    const status = ready ? 'ready' : 'not-ready';
    return reply.status(ready ? 200 : 503).send(internal ? { status, checks: results } : { status });
  });

  if (internal) {
    app.get('/metrics', async (_request, reply) =>
      reply.header('content-type', options.metrics.contentType).send(await options.metrics.metrics()),
    );
  }

  return app;
}

/** Fastify's router refusals (before any route), in the one error shape. */
const FRAMEWORK_ERRORS: Record<string, { status: number; body: ErrorBody }> = {
  FST_ERR_BAD_URL: { status: 400, body: { error: { code: 'BAD_URL', message: 'The URL is malformed' } } },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    body: { error: { code: 'URI_TOO_LONG', message: 'A part of the URL is too long' } },
  },
};

const FASTIFY_CODES: Record<string, { code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE', message: 'The request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported content type' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'MALFORMED_JSON', message: 'The JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'MALFORMED_JSON', message: 'The body is not valid JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'BAD_CONTENT_LENGTH', message: 'Content-Length does not match the body' },
};

export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof AppError) {
    return {
      status: error.httpStatus,
      body: {
        error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
      },
    };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    return {
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', message: fastifyError.message ?? 'Invalid request' } },
    };
  }
  const known = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (known) return { status: fastifyError.statusCode ?? 400, body: { error: known } };
  // A SyntaxError from the JSON parser surfaces with status 400 and no Fastify code on some paths.
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    return {
      status: fastifyError.statusCode,
      body: { error: { code: 'BAD_REQUEST', message: 'The request is malformed' } },
    };
  }
  // The database away (a restart, say): a retry will do, so say so rather than 500.
  if (isRetriableError(error)) {
    return {
      status: 503,
      body: { error: { code: 'UNAVAILABLE', message: 'A service we depend on is not answering; try again shortly' } },
    };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'Something went wrong on our side' } } };
}
