import { AppError } from '@privacy-relay/shared/errors';
import { EVENTS, MAIL_EVENT_RAW_NOTIFICATION_MAX, type MailEventV1 } from '@privacy-relay/shared/events';
import type { Logger } from '@privacy-relay/shared/logger';
import type { FastifyInstance } from 'fastify';
import { v5 as uuidv5 } from 'uuid';
import type { FetchText } from '../../adapters/sns/sns-signature-verifier';
import type { IntakeConfig } from '../../config';
import { mailEventFromSesNotification, sesEventNotificationSchema } from './ses-event-notification';
import { registerSnsEndpoint, type VerifiedSnsNotification } from './sns-endpoint';

export type SesEventsConfig = Pick<IntakeConfig, 'sesEventsTopicArns' | 'snsTrustedCaFile'> &
  Partial<Pick<IntakeConfig, 'snsSignatureVersions'>>;

export interface SesEventsDeps {
  config: SesEventsConfig;
  /** Resolves once the event is durable on Kafka (acks=all); rejects when it cannot be. */
  publish(event: MailEventV1): Promise<void>;
  logger: Logger;
  /** Counts notifications acknowledged without an event (types the relay does not act on). */
  onIgnored?: (eventType: string) => void;
  fetchText?: FetchText;
  /** CA that must have issued the signing certificate; overrides INTAKE_SNS_TRUSTED_CA_FILE (tests). */
  trustedCaPem?: string;
  now?: () => Date;
}

export const SES_EVENTS_PATH = '/v1/ses/events';

/** Namespace of the event ids derived from SNS message ids (one SNS message, one event id). */
const MAIL_EVENT_ID_NAMESPACE = '3d4c8f0e-6a51-4f2b-9c1e-5b7a2d9e8f10';

const reject = (status: number, code: string, message: string) => new AppError(code, message, { httpStatus: status });

/**
 * `POST /v1/ses/events`: SES event notifications (a configuration set's SNS event destination, or
 * an identity's feedback notifications) delivered by SNS, verified like the inbound route. Each
 * Send, Delivery, Bounce, Complaint, Reject, DeliveryDelay or RenderingFailure becomes one
 * `privacy.mail.event.v1` carrying the signed notification as it came (evidence), answered 200
 * only once Kafka holds it (503 otherwise, so that SNS retries). Its envelope id derives from the
 * SNS message id, so a redelivery is the same event. Other types (Open, Click, SES's own notices)
 * are acknowledged, logged and counted: they are not delivery facts and SNS would only retry them.
 */
export function registerSesEventRoutes(app: FastifyInstance, deps: SesEventsDeps): void {
  const log = deps.logger.child({ component: 'ses-events' });
  registerSnsEndpoint(app, {
    path: SES_EVENTS_PATH,
    allowedTopicArns: deps.config.sesEventsTopicArns,
    // SES truncates a mail's headers at 10 KB, so its notifications stay far below; the whole
    // body fits in the event as evidence.
    bodyLimit: MAIL_EVENT_RAW_NOTIFICATION_MAX,
    logger: log,
    snsTrustedCaFile: deps.config.snsTrustedCaFile,
    snsSignatureVersions: deps.config.snsSignatureVersions,
    trustedCaPem: deps.trustedCaPem,
    fetchText: deps.fetchText,
    now: deps.now,
    onNotification: handleNotification,
  });

  async function handleNotification({ message, rawBody, facts }: VerifiedSnsNotification) {
    let json: unknown;
    try {
      json = JSON.parse(message.Message);
    } catch {
      log.warn(facts, 'ses event refused: the SNS Message is not JSON');
      throw reject(400, 'SES_EVENT_MALFORMED', 'The SNS Message is not JSON');
    }
    const parsed = sesEventNotificationSchema.safeParse(json);
    if (!parsed.success) {
      log.warn(facts, 'ses event refused: not an SES event notification');
      throw reject(400, 'SES_EVENT_MALFORMED', 'The SNS Message is not an SES event notification');
    }
    const mapping = mailEventFromSesNotification(parsed.data, {
      messageId: message.MessageId,
      timestamp: message.Timestamp,
    });
    if (mapping.kind === 'ignored') {
      deps.onIgnored?.(mapping.eventType);
      log.info({ ...facts, eventType: mapping.eventType }, 'ses event ignored: not a delivery fact');
      return { status: 'ignored' };
    }
    if (mapping.kind === 'malformed') {
      log.warn(facts, 'ses event refused: no mail in the notification');
      throw reject(400, 'SES_EVENT_MALFORMED', 'The SES event names no mail');
    }
    const payload = mapping.payload;
    let event: MailEventV1;
    try {
      event = EVENTS.mailEventV1.create(
        { ...payload, rawNotification: rawBody },
        {
          id: uuidv5(message.MessageId, MAIL_EVENT_ID_NAMESPACE),
          correlationId: payload.requestId ?? payload.caseId ?? payload.sesMessageId,
          occurredAt: new Date(payload.occurredAt),
        },
      );
    } catch {
      log.warn({ ...facts, eventType: payload.sesEventType }, 'ses event refused: does not fit privacy.mail.event.v1');
      throw reject(400, 'SES_EVENT_MALFORMED', 'The SES event does not fit privacy.mail.event.v1');
    }
    try {
      await deps.publish(event);
    } catch (error) {
      log.warn({ ...facts, err: error }, 'ses event not published; SNS will retry');
      throw new AppError('INTAKE_UNAVAILABLE', 'The event could not be recorded now', {
        httpStatus: 503,
        retriable: true,
      });
    }
    log.info(
      { ...facts, eventType: payload.sesEventType, status: payload.status, bounceType: payload.bounceType },
      'ses event published',
    );
    return { status: 'published', eventId: event.id, mailStatus: payload.status };
  }
}
