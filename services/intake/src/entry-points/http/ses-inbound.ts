import { AppError } from '@privacy-relay/shared/errors';
import type { Logger } from '@privacy-relay/shared/logger';
import type { FastifyInstance } from 'fastify';
import type { SnsMessage } from '../../adapters/sns/sns-message';
import type { FetchText } from '../../adapters/sns/sns-signature-verifier';
import type { IntakeConfig } from '../../config';
import { verificationFromSesVerdicts } from '../../domain/email-verification';
import { receiveEmail, type AcceptIncoming, type EmailLimits } from '../smtp/receive-email';
import { rawMimeOf, sesReceivedNotificationSchema } from './ses-inbound-notification';
import { registerSnsEndpoint } from './sns-endpoint';

export type SesInboundConfig = Pick<
  IntakeConfig,
  'sesInboundTopicArns' | 'snsTrustedCaFile' | 'sesInboundBodyLimitBytes' | 'privacyAddresses' | 'smtpMaxMessageBytes'
> &
  Partial<Pick<IntakeConfig, 'snsSignatureVersions'>>;

export interface SesInboundDeps {
  config: SesInboundConfig;
  /** `acceptRequest` bound to its dependencies. */
  accept: AcceptIncoming;
  /**
   * Allowances of new requests per requester (From) address. Beyond, the request is still kept
   * (SNS retries a refusal only briefly, then drops it) but no mail goes to the address.
   */
  limits?: EmailLimits;
  logger: Logger;
  /**
   * Fetches the signing certificate and confirms subscriptions (GET SubscribeURL). HTTPS by
   * default; tests inject their own. Only ever called with https URLs on SNS hosts.
   */
  fetchText?: FetchText;
  /** CA that must have issued the signing certificate; overrides INTAKE_SNS_TRUSTED_CA_FILE (tests). */
  trustedCaPem?: string;
  now?: () => Date;
}

export const SES_INBOUND_PATH = '/v1/inbound/ses';

const reject = (status: number, code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(code, message, { httpStatus: status, ...(details ? { details } : {}) });

/**
 * `POST /v1/inbound/ses`: SES inbound mail delivered by SNS. Every message must come from an
 * allowed topic and carry a valid SNS signature (403 and nothing done otherwise). A subscription
 * confirmation is confirmed by fetching its SubscribeURL (only on an SNS host); a `Received`
 * notification's raw MIME goes through the same parsing and extraction as SMTP mail, and is
 * answered 200 only once the request is durable on Kafka (503 so that SNS retries otherwise).
 *
 * SNS posts JSON as `text/plain`; the route reads any content type as text, within its own body limit.
 */
export function registerSesInboundRoutes(app: FastifyInstance, deps: SesInboundDeps): void {
  const { config } = deps;
  const log = deps.logger.child({ component: 'ses-inbound' });
  registerSnsEndpoint(app, {
    path: SES_INBOUND_PATH,
    allowedTopicArns: config.sesInboundTopicArns,
    bodyLimit: config.sesInboundBodyLimitBytes,
    logger: log,
    snsTrustedCaFile: config.snsTrustedCaFile,
    snsSignatureVersions: config.snsSignatureVersions,
    trustedCaPem: deps.trustedCaPem,
    fetchText: deps.fetchText,
    now: deps.now,
    onNotification: ({ message, facts }) => handleNotification(message, { ...facts }),
  });

  async function handleNotification(message: SnsMessage, facts: Record<string, unknown>) {
    let json: unknown;
    try {
      json = JSON.parse(message.Message);
    } catch {
      throw reject(400, 'SES_NOTIFICATION_MALFORMED', 'The SNS Message is not JSON');
    }
    const parsed = sesReceivedNotificationSchema.safeParse(json);
    if (!parsed.success) throw reject(400, 'SES_NOTIFICATION_MALFORMED', 'The SNS Message is not an SES notification');
    const notification = parsed.data;
    if (notification.notificationType !== 'Received') {
      // SES setup notifications and the like: acknowledged so that SNS does not retry them.
      log.info({ ...facts, notificationType: notification.notificationType.slice(0, 40) }, 'ses notification ignored');
      return { status: 'ignored' };
    }
    const raw = rawMimeOf(notification);
    if (!raw) {
      log.info({ ...facts, reason: 'no-content' }, 'email rejected');
      throw reject(
        422,
        'SES_CONTENT_MISSING',
        'The notification carries no mail content (S3 delivery is not supported)',
      );
    }
    if (raw.length > config.smtpMaxMessageBytes) {
      log.info({ ...facts, reason: 'too-large', bytes: raw.length }, 'email rejected');
      throw reject(413, 'EMAIL_TOO_LARGE', `The mail is larger than ${config.smtpMaxMessageBytes} bytes`);
    }
    const receipt = notification.receipt;
    const outcome = await receiveEmail(raw, {
      channel: 'email-ses',
      ownAddresses: config.privacyAddresses,
      verify: (requesterIsSender) =>
        verificationFromSesVerdicts(
          {
            spf: receipt?.spfVerdict?.status,
            dkim: receipt?.dkimVerdict?.status,
            dmarc: receipt?.dmarcVerdict?.status,
            spam: receipt?.spamVerdict?.status,
            virus: receipt?.virusVerdict?.status,
          },
          requesterIsSender,
        ),
      accept: deps.accept,
      limits: deps.limits,
      beyondLimit: 'withhold-mail',
      logger: log,
    });
    switch (outcome.kind) {
      case 'accepted':
        return { status: 'accepted', reference: outcome.reference, duplicate: outcome.duplicate };
      case 'discarded':
        return { status: 'ignored', reason: outcome.reason };
      case 'unusable':
        throw reject(422, 'EMAIL_UNUSABLE', outcome.message, { reason: outcome.reason });
      case 'unavailable':
        throw new AppError('INTAKE_UNAVAILABLE', outcome.message, { httpStatus: 503, retriable: true });
      case 'throttled':
        throw reject(429, 'RATE_LIMITED', outcome.message);
    }
  }
}
