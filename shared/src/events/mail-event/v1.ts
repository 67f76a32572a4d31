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

/**
 * `privacy.mail.event` v1 — SES reported what happened to a message the relay sent.
 * Keyed by the request id when the message is known, else by the SES message id.
 * Since v1 (initial contract).
 */
export const mailEventV1 = defineEventContract({
  type: 'privacy.mail.event',
  version: 1,
  description: 'SES reported a delivery status for a message the relay sent.',
  keyOf: (payload) => payload.requestId ?? payload.sesMessageId,
  payload: z.object({
    sesMessageId: z.string().min(1).max(200),
    status: z.enum(MAIL_STATUSES),
    occurredAt: isoDateTimeSchema,
    requestId: uuidSchema.optional(),
    caseId: uuidSchema.optional(),
    /** For bounces: Permanent moves on to the next contact, Transient does not. */
    bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']).optional(),
    recipients: z.array(emailSchema).max(50).optional(),
  }),
});
export type MailEventV1 = EnvelopeOf<typeof mailEventV1>;
export type MailEventV1Payload = PayloadOf<typeof mailEventV1>;
