import { z } from 'zod';
import { defineEventContract, type EnvelopeOf, type PayloadOf } from '../contract';
import { emailSchema, isoDateTimeSchema, uuidSchema } from '../common';

/**
 * `privacy.export.requested` v1 — the owner of a mailbox confirmed (through the link mailed to
 * it) that they want everything the platform holds about that address. The relay answers with
 * `privacy.export.collected.v1`. Since v1 (initial contract; docs/export.md).
 */
export const exportRequestedV1 = defineEventContract({
  type: 'privacy.export.requested',
  version: 1,
  description: 'A requester confirmed, from their mailbox, that they want an export of what is held about the address.',
  keyOf: (payload) => payload.exportId,
  payload: z.object({
    /** One per confirmed ask: pressing "Confirm" again names the same export. */
    exportId: uuidSchema,
    /** The address whose records are wanted (its owner proved it by opening the mailed link). */
    email: emailSchema,
    requestedAt: isoDateTimeSchema,
  }),
});
export type ExportRequestedV1 = EnvelopeOf<typeof exportRequestedV1>;
export type ExportRequestedV1Payload = PayloadOf<typeof exportRequestedV1>;
