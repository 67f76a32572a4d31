import { z } from 'zod';
import { defineEventContract, type EnvelopeOf, type PayloadOf } from '../contract';
import { deadlineSchema, emailSchema, isoDateTimeSchema, tenantIdSchema, uuidSchema } from '../common';

/**
 * `privacy.case.forwarded` v1 — the case was emailed through SES to a tenant's privacy contacts.
 * Every send carries the SES message id, the proof of what went to whom.
 * Since v1 (initial contract).
 */
export const caseForwardedV1 = defineEventContract({
  type: 'privacy.case.forwarded',
  version: 1,
  description: "A case was emailed to the tenant's privacy contacts through SES.",
  keyOf: (payload) => payload.requestId,
  payload: z.object({
    caseId: uuidSchema,
    requestId: uuidSchema,
    tenantId: tenantIdSchema,
    /**
     * The tenant's display name (the directory's legal name) when the case was opened: what the
     * requester is told the request went to. Since v1 (optional, added with the requester's notice).
     */
    tenantName: z.string().min(1).max(300).optional(),
    /**
     * The requester's address (verified before any forward), for the notice intake mails them:
     * intake keeps no personal data of its own. Since v1 (optional, added with the requester's notice).
     */
    requesterEmail: emailSchema.optional(),
    forwardedAt: isoDateTimeSchema,
    deadline: deadlineSchema,
    recipients: z
      .array(
        z.object({
          email: emailSchema,
          role: z.string().max(100),
          sesMessageId: z.string().min(1).max(200),
        }),
      )
      .min(1)
      .max(50),
  }),
});
export type CaseForwardedV1 = EnvelopeOf<typeof caseForwardedV1>;
export type CaseForwardedV1Payload = PayloadOf<typeof caseForwardedV1>;
