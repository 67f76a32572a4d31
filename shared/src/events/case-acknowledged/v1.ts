import { z } from 'zod';
import { defineEventContract, type EnvelopeOf, type PayloadOf } from '../contract';
import { isoDateTimeSchema, tenantIdSchema, uuidSchema } from '../common';

/**
 * `privacy.case.acknowledged` v1 — the tenant took the case on; escalation stops.
 * Since v1 (initial contract).
 */
export const caseAcknowledgedV1 = defineEventContract({
  type: 'privacy.case.acknowledged',
  version: 1,
  description: 'The tenant acknowledged the case; escalation stops.',
  keyOf: (payload) => payload.requestId,
  payload: z.object({
    caseId: uuidSchema,
    requestId: uuidSchema,
    tenantId: tenantIdSchema,
    acknowledgedAt: isoDateTimeSchema,
    via: z.enum(['admin-link', 'operator']),
  }),
});
export type CaseAcknowledgedV1 = EnvelopeOf<typeof caseAcknowledgedV1>;
export type CaseAcknowledgedV1Payload = PayloadOf<typeof caseAcknowledgedV1>;
