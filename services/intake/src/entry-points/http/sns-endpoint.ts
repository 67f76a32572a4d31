import { readFileSync } from 'node:fs';
import { AppError } from '@privacy-relay/shared/errors';
import type { Logger } from '@privacy-relay/shared/logger';
import type { FastifyInstance } from 'fastify';
import { snsHostUrl, snsMessageSchema, type SnsMessage } from '../../adapters/sns/sns-message';
import {
  SnsSignatureError,
  SnsSignatureVerifier,
  fetchTextOverHttps,
  type FetchText,
} from '../../adapters/sns/sns-signature-verifier';

/** Loggable facts about an SNS message: its type and id, never its content. */
export interface SnsFacts {
  type: SnsMessage['Type'];
  snsMessageId: string;
}

/** A verified SNS `Notification` from an allowed topic, with the body exactly as SNS posted it. */
export interface VerifiedSnsNotification {
  message: SnsMessage;
  /** The signed JSON text as received: evidence a third party can verify again with the SNS certificate. */
  rawBody: string;
  facts: SnsFacts;
}

export interface SnsEndpointOptions {
  path: string;
  /** Topics whose messages the endpoint accepts; any other gets 403 before any signature work. */
  allowedTopicArns: readonly string[];
  bodyLimit: number;
  logger: Logger;
  /** INTAKE_SNS_TRUSTED_CA_FILE: CA that must have issued the signing certificate. */
  snsTrustedCaFile?: string | undefined;
  /** INTAKE_SNS_SIGNATURE_VERSIONS. */
  snsSignatureVersions?: readonly ('1' | '2')[] | undefined;
  /** Overrides the CA file (tests). */
  trustedCaPem?: string | undefined;
  /**
   * Fetches the signing certificate and confirms subscriptions (GET SubscribeURL). HTTPS by
   * default; tests inject their own. Only ever called with https URLs on SNS hosts.
   */
  fetchText?: FetchText | undefined;
  now?: (() => Date) | undefined;
  /** Handles a verified notification; its result is the 200 answer's body. Throw an AppError to refuse. */
  onNotification(notification: VerifiedSnsNotification): Promise<Record<string, unknown>>;
}

const reject = (status: number, code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(code, message, { httpStatus: status, ...(details ? { details } : {}) });

/**
 * An SNS HTTP(S) subscription endpoint at `options.path`. Every message must come from an allowed
 * topic and carry a valid SNS signature (403 and nothing done otherwise; 503 when the signing
 * certificate cannot be fetched, so that SNS retries). A subscription confirmation is confirmed by
 * fetching its SubscribeURL (only on an SNS host); notifications go to `onNotification`.
 *
 * SNS posts JSON as `text/plain`; the route reads any content type as text, within its own body limit.
 */
export function registerSnsEndpoint(app: FastifyInstance, options: SnsEndpointOptions): void {
  const log = options.logger;
  const fetchText = options.fetchText ?? fetchTextOverHttps;
  const trustedCaPem =
    options.trustedCaPem ?? (options.snsTrustedCaFile ? readFileSync(options.snsTrustedCaFile, 'utf8') : undefined);
  const verifier = new SnsSignatureVerifier({
    fetchText,
    trustedCaPem,
    ...(options.now ? { now: options.now } : {}),
    ...(options.snsSignatureVersions ? { signatureVersions: [...options.snsSignatureVersions] } : {}),
  });
  const allowedTopics = new Set(options.allowedTopicArns);
  const bodyLimit = options.bodyLimit;

  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_request, body, done) => done(null, body));

    scope.post(options.path, { bodyLimit }, async (request, reply) => {
      const rawBody = request.body;
      const message = parseSnsMessage(rawBody);
      const headerType = request.headers['x-amz-sns-message-type'];
      if (headerType !== undefined && headerType !== message.Type) {
        throw reject(400, 'SNS_MALFORMED', 'x-amz-sns-message-type does not match the message Type');
      }
      const facts: SnsFacts = { type: message.Type, snsMessageId: message.MessageId.slice(0, 100) };
      if (!allowedTopics.has(message.TopicArn)) {
        log.warn(facts, 'sns message from a topic not allowed');
        throw reject(403, 'SNS_TOPIC_NOT_ALLOWED', 'Messages from this topic are not accepted');
      }
      try {
        await verifier.verify(message);
      } catch (error) {
        if (!(error instanceof SnsSignatureError)) throw error;
        if (error.failure === 'cert-unavailable') {
          log.warn({ ...facts, err: error }, 'sns signing certificate unavailable');
          throw new AppError('SNS_CERTIFICATE_UNAVAILABLE', 'The signing certificate could not be fetched', {
            httpStatus: 503,
            retriable: true,
          });
        }
        log.warn({ ...facts, failure: error.failure }, 'sns signature refused');
        throw reject(403, 'SNS_SIGNATURE_INVALID', 'The SNS signature is not valid', { failure: error.failure });
      }

      switch (message.Type) {
        case 'SubscriptionConfirmation':
          await confirmSubscription(message);
          log.info(facts, 'sns subscription confirmed');
          return reply.status(200).send({ status: 'subscribed' });
        case 'UnsubscribeConfirmation':
          log.info(facts, 'sns unsubscribe confirmation received');
          return reply.status(200).send({ status: 'ignored' });
        case 'Notification':
          return reply.status(200).send(await options.onNotification({ message, rawBody: rawBody as string, facts }));
      }
    });
  });

  async function confirmSubscription(message: SnsMessage): Promise<void> {
    const url = snsHostUrl(message.SubscribeURL);
    if (!url) throw reject(400, 'SNS_SUBSCRIBE_URL_INVALID', 'SubscribeURL is not an https URL on an SNS host');
    try {
      await fetchText(url);
    } catch (error) {
      log.warn({ err: error }, 'sns subscription confirmation failed');
      throw new AppError('SNS_CONFIRMATION_FAILED', 'The subscription could not be confirmed now', {
        httpStatus: 503,
        retriable: true,
      });
    }
  }
}

function parseSnsMessage(body: unknown): SnsMessage {
  if (typeof body !== 'string' || body.length === 0) {
    throw reject(400, 'SNS_MALFORMED', 'The body must be an SNS message (JSON)');
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw reject(400, 'SNS_MALFORMED', 'The body is not valid JSON');
  }
  const parsed = snsMessageSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || 'message'))].slice(0, 10);
    throw reject(400, 'SNS_MALFORMED', `The body is not an SNS message (${fields.join(', ')})`);
  }
  return parsed.data;
}
