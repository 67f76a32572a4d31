import { z } from 'zod';
import { defineEventContract, type EnvelopeOf, type PayloadOf } from '../contract';
import { emailSchema, isoDateTimeSchema, uuidSchema } from '../common';

/** SES event types mapped to one delivery-status vocabulary. */
export const MAIL_STATUSES = [
  'sent',
  'delivered',
  'bounced',
  'complained',
  'rejected',
  'delayed',
  'rendering-failed',
] as const;

/** Largest raw SNS notification carried as evidence (SES truncates a mail's headers at 10 KB). */
export const MAIL_EVENT_RAW_NOTIFICATION_MAX = 256 * 1024;

/**
 * `privacy.mail.event` v1 — SES reported what happened to a message the relay sent.
 * Keyed by the case id when the message carries its tag (all events of one case in order on one
 * partition), else by the request id, else by the SES message id.
 * Since v1 (initial contract); `snsMessageId`, `contactIndex`, `bounceSubType`, `sesEventType`
 * and `rawNotification` since v1 (issue 15, optional).
 */
export const mailEventV1 = defineEventContract({
  type: 'privacy.mail.event',
  version: 1,
  description: 'SES reported a delivery status for a message the relay sent.',
  keyOf: (payload) => payload.caseId ?? payload.requestId ?? payload.sesMessageId,
  payload: z.object({
    sesMessageId: z.string().min(1).max(200),
    status: z.enum(MAIL_STATUSES),
    occurredAt: isoDateTimeSchema,
    requestId: uuidSchema.optional(),
    caseId: uuidSchema.optional(),
    /** For bounces: Permanent moves on to the next contact, Transient does not. */
    bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']).optional(),
    recipients: z.array(emailSchema).max(50).optional(),
    /** The SNS MessageId of the notification: the key consumers deduplicate SNS's redeliveries by. */
    snsMessageId: z.string().min(1).max(200).optional(),
    /** Which of the case's privacy contacts (0-based, directory order) the message went to: SES tag `contactIndex`. */
    contactIndex: z.number().int().min(0).max(999).optional(),
    /**
     * SES's bounce sub-type, e.g. `General`, `MailboxFull`, `Suppressed`, `OnAccountSuppressionList`
     * (SES never tried: the address is on the account's suppression list).
     */
    bounceSubType: z
      .string()
      .regex(/^[A-Za-z]{1,64}$/)
      .optional(),
    /** SES's own name for the event (`Bounce`, `DeliveryDelay`, …) as it came. */
    sesEventType: z
      .string()
      .regex(/^[A-Za-z]{1,64}$/)
      .optional(),
    /**
     * The SNS notification exactly as SNS posted it, signature included: evidence anyone can verify
     * again with the SNS signing certificate. Holds recipient addresses and mail headers: keep it
     * out of logs.
     */
    rawNotification: z.string().max(MAIL_EVENT_RAW_NOTIFICATION_MAX).optional(),
  }),
});
export type MailEventV1 = EnvelopeOf<typeof mailEventV1>;
export type MailEventV1Payload = PayloadOf<typeof mailEventV1>;
