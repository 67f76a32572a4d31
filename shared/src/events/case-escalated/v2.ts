import { z } from 'zod';
import { defineEventContract, type EnvelopeOf, type PayloadOf } from '../contract';
import { isoDateTimeSchema, tenantIdSchema, uuidSchema } from '../common';

/**
 * `privacy.case.escalated` v2 — a step of a case's escalation ladder fired (or the case ran out of
 * contacts). Beside v1, whose fixed steps have no deadline warning and whose `stepIndex` assumed
 * one fixed ladder: v2 names every rung of a configured ladder, the deadline it followed and who
 * was mailed (roles only, no address). Since v2 (the configured ladder).
 */
export const caseEscalatedV2 = defineEventContract({
  type: 'privacy.case.escalated',
  version: 2,
  description: 'An escalation step fired for a case nobody acknowledged (any rung of a configured ladder).',
  keyOf: (payload) => payload.requestId,
  payload: z.object({
    caseId: uuidSchema,
    requestId: uuidSchema,
    tenantId: tenantIdSchema,
    escalatedAt: isoDateTimeSchema,
    step: z.enum([
      'reminder',
      'all-admins',
      'platform-privacy-team',
      'deadline-warning',
      'deadline-passed',
      'no-contact-left',
    ]),
    /** The deadline in force when it fired (YYYY-MM-DD). */
    deadline: z.iso.date(),
    /** Who the step mails, by role (as many entries as mails; none when nobody could be mailed). */
    recipients: z.array(z.enum(['privacy-contact', 'admin', 'platform-team', 'requester'])).max(100),
  }),
});
export type CaseEscalatedV2 = EnvelopeOf<typeof caseEscalatedV2>;
export type CaseEscalatedV2Payload = PayloadOf<typeof caseEscalatedV2>;
