import { z } from 'zod';
import { defineEventContract, type EnvelopeOf, type PayloadOf } from '../contract';
import {
  LIMITS,
  channelSchema,
  emailSchema,
  isoDateTimeSchema,
  regimeSchema,
  rightSchema,
  uuidSchema,
} from '../common';

/**
 * `privacy.request.received` v1 — intake accepted a request and made it durable.
 * Published before the requester gets an answer; keyed by request id.
 * Since v1 (initial contract).
 */
export const requestReceivedV1 = defineEventContract({
  type: 'privacy.request.received',
  version: 1,
  description: 'Intake accepted a data-protection request and made it durable.',
  keyOf: (payload) => payload.requestId,
  payload: z.object({
    requestId: uuidSchema,
    /** What the requester quotes back to us; printable, no personal data. */
    reference: z.string().min(4).max(40),
    /** Form token, `Idempotency-Key` header or email Message-ID: one key, one request. */
    idempotencyKey: z.string().min(1).max(1000),
    channel: channelSchema,
    receivedAt: isoDateTimeSchema,
    requester: z.object({
      name: z.string().min(1).max(LIMITS.nameMax),
      email: emailSchema,
    }),
    rights: z.array(rightSchema).min(1).max(LIMITS.rightsMax),
    /** Free text naming the right when `rights` holds "other". */
    otherRightText: z.string().max(LIMITS.otherRightTextMax).optional(),
    /** The company the requester believes holds their data, as they named it. */
    company: z
      .object({
        name: z.string().min(1).max(LIMITS.companyNameMax).optional(),
        email: emailSchema.optional(),
      })
      .optional(),
    text: z.string().max(LIMITS.freeTextMax),
    regimeHint: regimeSchema.optional(),
    /** Where the requester's ownership of the email stands at intake. */
    verification: z.object({
      status: z.enum(['pending', 'verified']),
      method: z.enum(['email-link', 'ses-verdicts', 'smtp-policy']).optional(),
    }),
    /**
     * `withheld`: intake sends the requester no receipt and no verification mail for this request,
     * because their address was over its allowance of new requests when it came (kept all the
     * same: the channel could not be asked to retry). Since v1 (optional, added later).
     */
    acknowledgementMails: z.enum(['withheld']).optional(),
    /** Attachments are not kept; only what they were is noted. */
    attachments: z
      .array(
        z.object({
          filename: z.string().max(255),
          contentType: z.string().max(255),
          size: z.number().int().nonnegative(),
        }),
      )
      .max(LIMITS.attachmentsMax)
      .optional(),
  }),
});
export type RequestReceivedV1 = EnvelopeOf<typeof requestReceivedV1>;
export type RequestReceivedV1Payload = PayloadOf<typeof requestReceivedV1>;
