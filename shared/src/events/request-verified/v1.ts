import { z } from 'zod';
import { defineEventContract, type EnvelopeOf, type PayloadOf } from '../contract';
import { isoDateTimeSchema, uuidSchema } from '../common';

/**
 * `privacy.request.verified` v1 — the requester proved they own the email address.
 * Until this event, nothing about which tenants hold their data may be revealed.
 * Since v1 (initial contract).
 */
export const requestVerifiedV1 = defineEventContract({
  type: 'privacy.request.verified',
  version: 1,
  description: 'The requester proved ownership of their email address.',
  keyOf: (payload) => payload.requestId,
  payload: z.object({
    requestId: uuidSchema,
    verifiedAt: isoDateTimeSchema,
    method: z.enum(['email-link', 'ses-verdicts', 'smtp-policy']),
  }),
});
export type RequestVerifiedV1 = EnvelopeOf<typeof requestVerifiedV1>;
export type RequestVerifiedV1Payload = PayloadOf<typeof requestVerifiedV1>;
