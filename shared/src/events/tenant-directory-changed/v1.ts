import { z } from 'zod';
import { defineEventContract, type EnvelopeOf, type PayloadOf } from '../contract';
import { emailSchema, isoDateTimeSchema, regimeSchema, tenantIdSchema } from '../common';

const domainSchema = z
  .string()
  .min(3)
  .max(253)
  .regex(/^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'a DNS domain name');

/**
 * `tenant.directory.changed` v1 — the platform changed a customer (tenant) in the directory the
 * relay matches against. Keyed by tenant id so one tenant's changes stay in order.
 * Counterparty emails travel in clear here and are stored by the relay only as keyed hashes.
 * Since v1 (initial contract).
 */
export const tenantDirectoryChangedV1 = defineEventContract({
  type: 'tenant.directory.changed',
  version: 1,
  description: 'A tenant was added, changed or removed in the directory.',
  keyOf: (payload) => payload.tenantId,
  payload: z
    .object({
      tenantId: tenantIdSchema,
      /**
       * The version of this change: when the source changed the tenant, not when it was sent. The
       * relay keeps the newest per tenant (a deletion wins a tie) and ignores older ones.
       */
      changedAt: isoDateTimeSchema,
      change: z.enum(['upserted', 'deleted']),
      /** The tenant as it now stands; required for "upserted". */
      tenant: z
        .object({
          legalName: z.string().min(1).max(300),
          aliases: z.array(z.string().min(1).max(300)).max(100).default([]),
          domains: z.array(domainSchema).max(100).default([]),
          contacts: z
            .array(
              z.object({
                email: emailSchema,
                role: z.enum(['privacy', 'admin']),
                name: z.string().max(200).optional(),
              }),
            )
            .max(50)
            .default([]),
          regime: regimeSchema.default('uk-gdpr'),
          /**
           * Where the response period is counted, for its public holidays: ISO 3166 country code,
           * with a region where holidays differ (GB-ENG, GB-SCT, DE, US-CA). Absent: the regime's
           * default (UK GDPR: GB-ENG). Since v1 (optional, added with forwarding).
           */
          jurisdiction: z
            .string()
            .regex(/^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$/, 'a jurisdiction code such as GB-ENG, DE or US-CA')
            .optional(),
          /**
           * The tenant's overrides of the relay's default escalation ladder (docs/escalation.md);
           * each absent field keeps the default. The reminder counts working days after the first
           * forward, the admins' and platform team's rungs calendar days after it (moved to the
           * next working day), the deadline warning working days before the deadline in force.
           * Bounds and `deadlineWarningWorkingDays` since v1 with the ladder (optional).
           */
          escalation: z
            .object({
              reminderAfterWorkingDays: z.number().int().min(1).max(60).optional(),
              allAdminsAfterDays: z.number().int().min(1).max(120).optional(),
              privacyTeamAfterDays: z.number().int().min(1).max(180).optional(),
              deadlineWarningWorkingDays: z.number().int().min(1).max(30).optional(),
            })
            .optional(),
        })
        .optional(),
      counterpartyEmailsAdded: z.array(emailSchema).max(10_000).optional(),
      counterpartyEmailsRemoved: z.array(emailSchema).max(10_000).optional(),
    })
    .refine((payload) => payload.change === 'deleted' || payload.tenant !== undefined, {
      message: 'an upserted tenant carries its record',
      path: ['tenant'],
    }),
});
export type TenantDirectoryChangedV1 = EnvelopeOf<typeof tenantDirectoryChangedV1>;
export type TenantDirectoryChangedV1Payload = PayloadOf<typeof tenantDirectoryChangedV1>;
