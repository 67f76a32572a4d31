import { z } from 'zod';
import { defineEventContract, type EnvelopeOf, type PayloadOf } from '../contract';
import { isoDateTimeSchema, tenantIdSchema, uuidSchema } from '../common';

/**
 * `privacy.case.closed` v1 — the case ended: the tenant did what was asked, said it is not
 * theirs (the request goes back to triage without them), or an operator rejected it as spam.
 * Since v1 (initial contract).
 */
export const caseClosedV1 = defineEventContract({
  type: 'privacy.case.closed',
  version: 1,
  description: 'A case ended: done, not ours, or rejected by an operator.',
  keyOf: (payload) => payload.requestId,
  payload: z.object({
    caseId: uuidSchema,
    requestId: uuidSchema,
    tenantId: tenantIdSchema.optional(),
    closedAt: isoDateTimeSchema,
    outcome: z.enum(['done', 'not-ours', 'rejected-as-spam']),
    by: z.enum(['admin-link', 'operator']),
    /** The operator who closed it, when `by` is "operator". Since v1 (optional, added with operator authentication). */
    operatorId: z.string().max(200).optional(),
  }),
});
export type CaseClosedV1 = EnvelopeOf<typeof caseClosedV1>;
export type CaseClosedV1Payload = PayloadOf<typeof caseClosedV1>;
