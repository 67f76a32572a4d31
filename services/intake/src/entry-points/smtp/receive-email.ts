import { isRetriableError } from '@privacy-relay/shared/errors';
import type { Logger } from '@privacy-relay/shared/logger';
import { AppError } from '@privacy-relay/shared/errors';
import { RATE_LIMITED, type AcceptedRequest, type Admission } from '../../application/accept-request';
import {
  emailIdempotencyKey,
  extractEmailRequest,
  type InboundEmail,
  type UnusableEmailReason,
} from '../../domain/email-extraction';
import type { IncomingRequest, VerificationAtIntake } from '../../domain/intake-request';
import { parseMime } from './parse-mime';

/**
 * What the entry points are given to accept a request: `acceptRequest` bound to its
 * dependencies. Resolves once the request is durable (on Kafka); rejects with a retriable error when it cannot be made durable now.
 */
export type AcceptIncoming = (incoming: IncomingRequest, admission?: Admission) => Promise<AcceptedRequest>;

/** The allowances an email is counted against: `counterFor` as `SubmissionLimits` has it. */
export interface EmailLimits {
  counterFor(submission: { email: string }): Admission['counter'];
}

export type ReceiveEmailOutcome =
  | ({ kind: 'accepted' } & AcceptedRequest)
  /** The mail cannot become a request, now or ever: the sender must hear so (5xx / 4xx). */
  | { kind: 'unusable'; reason: UnusableEmailReason | 'unparseable'; message: string }
  /** A machine's mail (auto-reply, bounce, report): not a request, taken and dropped so that no loop starts. */
  | { kind: 'discarded'; reason: 'automatic' }
  /** Nothing was accepted; the sender must retry (451 / 503). */
  | { kind: 'unavailable'; message: string }
  /** The sender's address is over its allowance of new requests; nothing was accepted (SMTP 450). */
  | { kind: 'throttled'; message: string };

export interface ReceiveEmailContext {
  channel: 'email-smtp' | 'email-ses';
  /** Our own addresses, never taken for the company the writer names. */
  ownAddresses: readonly string[];
  /** The channel's verdict on the sender, given whether the requester is the From mailbox, and the mail. */
  verify(requesterIsSender: boolean, email: InboundEmail): VerificationAtIntake;
  accept: AcceptIncoming;
  logger: Logger;
  /** The allowances of new requests per requester address; none counted when absent. */
  limits?: EmailLimits | undefined;
  /** What happens beyond them: a refusal the sender retries, or the request kept without mails. */
  beyondLimit?: Admission['beyondLimit'];
  /** The SMTP envelope had the null sender (`MAIL FROM:<>`): a bounce or another automatic message. */
  nullSender?: boolean;
}

/**
 * One raw email through parsing, extraction and acceptance. Never throws; every outcome is logged
 * on one line with the channel, the size and the reason, never an address or any content.
 */
export async function receiveEmail(raw: Buffer, context: ReceiveEmailContext): Promise<ReceiveEmailOutcome> {
  const facts = { channel: context.channel, bytes: raw.length };
  const parsed = await parseMime(raw);
  if (!parsed.ok) {
    context.logger.info({ ...facts, reason: 'unparseable' }, 'email rejected');
    return { kind: 'unusable', reason: 'unparseable', message: parsed.message };
  }

  if (parsed.email.automatic || context.nullSender) {
    context.logger.info({ ...facts, reason: 'automatic' }, 'email discarded');
    return { kind: 'discarded', reason: 'automatic' };
  }

  let extraction: ReturnType<typeof extractEmailRequest>;
  try {
    extraction = extractEmailRequest(parsed.email, { ownAddresses: context.ownAddresses });
  } catch (error) {
    // Extraction is written never to throw; if it does, the mail is at fault as far as the sender can tell.
    context.logger.error({ ...facts, err: error }, 'email extraction failed');
    return { kind: 'unusable', reason: 'invalid-request', message: 'The mail could not be read as a request' };
  }
  if (!extraction.usable) {
    context.logger.info({ ...facts, reason: extraction.reason }, 'email rejected');
    return { kind: 'unusable', reason: extraction.reason, message: extraction.message };
  }

  const incoming: IncomingRequest = {
    channel: context.channel,
    idempotencyKey: emailIdempotencyKey(parsed.email.messageId, raw),
    request: extraction.request,
    verification: context.verify(extraction.requesterIsSender, parsed.email),
    ...(extraction.attachments.length > 0 ? { attachments: extraction.attachments } : {}),
  };
  try {
    const accepted = await context.accept(
      incoming,
      context.limits && {
        counter: context.limits.counterFor({ email: incoming.request.requester.email }),
        beyondLimit: context.beyondLimit ?? 'refuse',
      },
    );
    context.logger.info(
      {
        ...facts,
        requestId: accepted.requestId,
        duplicate: accepted.duplicate,
        rights: incoming.request.rights,
        verification: incoming.verification.status,
        ...(accepted.acknowledgementMailsWithheld ? { acknowledgementMails: 'withheld' } : {}),
        attachments: extraction.attachments.length,
      },
      'email accepted',
    );
    return { kind: 'accepted', ...accepted };
  } catch (error) {
    if (error instanceof AppError && error.code === RATE_LIMITED) {
      context.logger.info({ ...facts, reason: 'requester-over-allowance' }, 'email refused for now');
      return { kind: 'throttled', message: 'Too many requests from this sender for now; please try again later' };
    }
    // Not confirmed: the sender keeps the mail and tries again later (same Message-ID, same request).
    const retriable = isRetriableError(error);
    context.logger[retriable ? 'warn' : 'error']({ ...facts, err: error, retriable }, 'email not accepted');
    return { kind: 'unavailable', message: 'The request could not be recorded right now; please try again later' };
  }
}
