import { z } from 'zod';
import { defineEventContract, type EnvelopeOf, type PayloadOf } from '../contract';
import { isoDateTimeSchema, tenantIdSchema, uuidSchema } from '../common';

/**
 * `privacy.case.escalated` v1 — a step of the escalation ladder fired for an unacknowledged case.
 * Since v1 (initial contract).
 */
export const caseEscalatedV1 = defineEventContract({
  type: 'privacy.case.escalated',
  version: 1,
  description: 'An escalation step fired for a case nobody acknowledged.',
  keyOf: (payload) => payload.requestId,
  payload: z.object({
    caseId: uuidSchema,
    requestId: uuidSchema,
    tenantId: tenantIdSchema,
    escalatedAt: isoDateTimeSchema,
    step: z.enum(['reminder', 'all-admins', 'platform-privacy-team', 'deadline-passed', 'no-contact-left']),
    /** Position on the configured ladder, from 0. */
    stepIndex: z.number().int().nonnegative(),
  }),
});
export type CaseEscalatedV1 = EnvelopeOf<typeof caseEscalatedV1>;
export type CaseEscalatedV1Payload = PayloadOf<typeof caseEscalatedV1>;
