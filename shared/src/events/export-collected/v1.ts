import { z } from 'zod';
import { defineEventContract, type EnvelopeOf, type PayloadOf } from '../contract';
import {
  LIMITS,
  channelSchema,
  emailSchema,
  isoDateTimeSchema,
  regimeSchema,
  rightSchema,
  tenantIdSchema,
  uuidSchema,
} from '../common';

const plainDate = z.iso.date();
const shortText = z.string().max(200);

/** A case of the request as the requester sees it: no contact's address, no operator's id. */
export const exportedCaseSchema = z.object({
  caseId: uuidSchema,
  tenantId: tenantIdSchema,
  tenantName: z.string().max(300).optional(),
  state: shortText,
  regime: regimeSchema,
  jurisdiction: shortText,
  receivedOn: plainDate,
  deadline: plainDate,
  extendedDeadline: plainDate,
  /** Each mail of the case to the customer's privacy contacts: when, and what became of it. */
  messages: z
    .array(z.object({ sentAt: isoDateTimeSchema.optional(), delivery: shortText, deliveryAt: isoDateTimeSchema }))
    .max(1000),
  /** The case's audit trail: when, what, and what kind of actor (matcher, operator, admin link, …). */
  audit: z.array(z.object({ at: isoDateTimeSchema, what: shortText, by: shortText })).max(5000),
});
export type ExportedCase = z.infer<typeof exportedCaseSchema>;

/** One request the relay holds for the address, with its matching decision and its cases. */
export const exportedRelayRequestSchema = z.object({
  requestId: uuidSchema,
  reference: z.string().min(4).max(40),
  channel: channelSchema,
  receivedAt: isoDateTimeSchema,
  status: shortText,
  verifiedAt: isoDateTimeSchema.optional(),
  requester: z.object({ name: z.string().max(LIMITS.nameMax), email: emailSchema }),
  rights: z.array(rightSchema).max(LIMITS.rightsMax),
  otherRightText: z.string().max(LIMITS.otherRightTextMax).optional(),
  company: z
    .object({ name: z.string().max(LIMITS.companyNameMax).optional(), email: emailSchema.optional() })
    .optional(),
  text: z.string().max(LIMITS.freeTextMax),
  regimeHint: shortText.optional(),
  /** The matching decision: forward or triage, when, by the matcher or an operator. */
  decision: z.object({ decision: shortText, decidedAt: isoDateTimeSchema, decidedBy: shortText }).optional(),
  cases: z.array(exportedCaseSchema).max(100),
});
export type ExportedRelayRequest = z.infer<typeof exportedRelayRequestSchema>;

/**
 * `privacy.export.collected` v1 — the relay collected what it holds about an address (its
 * requests, their matching decisions and cases), for intake to add its own records to and mail
 * the requester. `requests` is empty when the relay holds nothing. Since v1 (initial contract;
 * docs/export.md).
 */
export const exportCollectedV1 = defineEventContract({
  type: 'privacy.export.collected',
  version: 1,
  description: 'The relay collected what it holds about an address, for the requester’s export.',
  keyOf: (payload) => payload.exportId,
  payload: z.object({
    exportId: uuidSchema,
    /** Where the export is mailed: the address it was asked for. */
    email: emailSchema,
    requestedAt: isoDateTimeSchema,
    collectedAt: isoDateTimeSchema,
    requests: z.array(exportedRelayRequestSchema).max(1000),
  }),
});
export type ExportCollectedV1 = EnvelopeOf<typeof exportCollectedV1>;
export type ExportCollectedV1Payload = PayloadOf<typeof exportCollectedV1>;
