import { z } from 'zod';
import { defineEventContract, type EnvelopeOf, type PayloadOf } from '../contract';
import { isoDateTimeSchema, matchReasonSchema, tenantIdSchema, uuidSchema } from '../common';

/**
 * `privacy.case.triage` v1 — the relay could not match a request with confidence (or a tenant
 * said "not ours") and a human must decide. Carries ranked candidates with their reasons.
 * Since v1 (initial contract).
 */
export const caseTriageV1 = defineEventContract({
  type: 'privacy.case.triage',
  version: 1,
  description: 'A request needs a human decision: ranked candidates with reasons.',
  keyOf: (payload) => payload.requestId,
  payload: z.object({
    requestId: uuidSchema,
    queuedAt: isoDateTimeSchema,
    reason: z.enum(['no-candidate', 'low-confidence', 'ambiguous', 'conflicting-signals', 'not-ours', 'bounced']),
    candidates: z
      .array(
        z.object({
          tenantId: tenantIdSchema,
          score: z.number().min(0).max(1),
          reasons: z.array(matchReasonSchema).max(20),
        }),
      )
      .max(20),
    /** Tenants that must not be offered again (they said "not ours"). */
    excludedTenantIds: z.array(tenantIdSchema).max(100).optional(),
    /** Why each excluded tenant is: it said "not ours" for that case at that time. Since v1 (optional, added with "not ours"). */
    exclusions: z
      .array(
        z.object({
          tenantId: tenantIdSchema,
          reason: z.literal('not-ours'),
          caseId: uuidSchema,
          closedAt: isoDateTimeSchema,
        }),
      )
      .max(100)
      .optional(),
    /** The triage round: 0 the matcher's, one more each time the request comes back. Since v1 (optional, added with "not ours"). */
    round: z.number().int().min(0).optional(),
  }),
});
export type CaseTriageV1 = EnvelopeOf<typeof caseTriageV1>;
export type CaseTriageV1Payload = PayloadOf<typeof caseTriageV1>;
