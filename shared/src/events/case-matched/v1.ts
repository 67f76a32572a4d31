import { z } from 'zod';
import { defineEventContract, type EnvelopeOf, type PayloadOf } from '../contract';
import { isoDateTimeSchema, matchReasonSchema, tenantIdSchema, uuidSchema } from '../common';

/**
 * `privacy.case.matched` v1 — one (request, tenant) pair became a case, either because the
 * matcher was confident or because an operator assigned it. Keyed by request id.
 * Since v1 (initial contract).
 */
export const caseMatchedV1 = defineEventContract({
  type: 'privacy.case.matched',
  version: 1,
  description: 'A request was matched to one tenant: one case per (request, tenant).',
  keyOf: (payload) => payload.requestId,
  payload: z.object({
    caseId: uuidSchema,
    requestId: uuidSchema,
    tenantId: tenantIdSchema,
    matchedAt: isoDateTimeSchema,
    matchedBy: z.enum(['matcher', 'operator']),
    score: z.number().min(0).max(1),
    reasons: z.array(matchReasonSchema).max(20),
    /** The operator who assigned the tenant, when `matchedBy` is "operator". */
    operatorId: z.string().max(200).optional(),
  }),
});
export type CaseMatchedV1 = EnvelopeOf<typeof caseMatchedV1>;
export type CaseMatchedV1Payload = PayloadOf<typeof caseMatchedV1>;
