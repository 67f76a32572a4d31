import { z } from 'zod';
import { defineEventContract, type EnvelopeOf, type PayloadOf } from '../contract';
import { emailSchema, isoDateTimeSchema, regimeSchema, tenantIdSchema, uuidSchema } from '../common';

/** The longest reason an extension may give (characters, after trimming): relay and intake agree on it. */
export const EXTENSION_REASON_MAX = 1_000;

/**
 * `privacy.case.extended` v1 — the response deadline of a case was extended, once, by the tenant
 * (through its signed admin link) or by an operator, before the original deadline passed; the
 * requester must be told the new deadline and the reason.
 * Since v1 (initial contract, added with the deadline extension of issue 16).
 */
export const caseExtendedV1 = defineEventContract({
  type: 'privacy.case.extended',
  version: 1,
  description: 'The response deadline of a case was extended (once), with a reason for the requester.',
  keyOf: (payload) => payload.requestId,
  payload: z.object({
    caseId: uuidSchema,
    requestId: uuidSchema,
    tenantId: tenantIdSchema,
    /** The tenant's display name when the case was opened, for the requester's notice. */
    tenantName: z.string().min(1).max(300).optional(),
    /**
     * The requester's address, for the notice intake mails them (intake keeps no address of its
     * own); absent when the relay no longer holds it.
     */
    requesterEmail: emailSchema.optional(),
    extendedAt: isoDateTimeSchema,
    by: z.enum(['admin-link', 'operator']),
    /** The operator who extended it, when `by` is "operator". */
    operatorId: z.string().max(200).optional(),
    regime: regimeSchema,
    /** The deadline before the extension (YYYY-MM-DD). */
    previousDueOn: z.iso.date(),
    /** The deadline now (YYYY-MM-DD): the case's extended deadline. */
    dueOn: z.iso.date(),
    /**
     * Why, in the words of whoever extended it (trimmed, 1–1000 characters): free text, told to
     * the requester as it is (escaped wherever it is shown). May hold personal data.
     */
    reason: z.string().trim().min(1).max(EXTENSION_REASON_MAX),
  }),
});
export type CaseExtendedV1 = EnvelopeOf<typeof caseExtendedV1>;
export type CaseExtendedV1Payload = PayloadOf<typeof caseExtendedV1>;
