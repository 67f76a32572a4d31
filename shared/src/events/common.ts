import { z } from 'zod';

/** Bounds shared by every producer, so a payload that passed one service passes the other. */
export const LIMITS = {
  nameMax: 200,
  emailMax: 254,
  companyNameMax: 300,
  freeTextMax: 20_000,
  otherRightTextMax: 1_000,
  rightsMax: 8,
  attachmentsMax: 50,
} as const;

/** The rights a requester can exercise (PRODUCT.md, "Rights vocabulary"). */
export const RIGHTS = [
  'access',
  'rectification',
  'erasure',
  'restriction',
  'portability',
  'objection',
  'withdraw-consent',
  'other',
] as const;
export const rightSchema = z.enum(RIGHTS);
export type Right = z.infer<typeof rightSchema>;

/** Legal regimes the relay computes deadlines for; per tenant, default UK GDPR. */
export const REGIMES = ['uk-gdpr', 'eu-gdpr', 'ccpa'] as const;
export const regimeSchema = z.enum(REGIMES);
export type Regime = z.infer<typeof regimeSchema>;

/** How a request reached intake. */
export const CHANNELS = ['web-form', 'api', 'email-smtp', 'email-ses'] as const;
export const channelSchema = z.enum(CHANNELS);
export type Channel = z.infer<typeof channelSchema>;

export const emailSchema = z.email().max(LIMITS.emailMax);
export const isoDateTimeSchema = z.iso.datetime({ offset: true });
export const uuidSchema = z.uuid();
/** Tenant ids come from the platform; opaque, but bounded and printable. */
export const tenantIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'tenant id: letters, digits and . _ : - only');

/** A deadline as the relay computed it (regime rules in PRODUCT.md, "Deadlines"). */
export const deadlineSchema = z.object({
  regime: regimeSchema,
  /** Calendar date (YYYY-MM-DD) by which the controller must answer. */
  dueOn: z.iso.date(),
  /** Latest date if the controller extends, as the regime allows. */
  extendableTo: z.iso.date(),
});
export type Deadline = z.infer<typeof deadlineSchema>;

/** One reason a tenant was considered for a request; shown to operators in triage. */
export const matchReasonSchema = z.object({
  signal: z.enum([
    'requester-is-counterparty',
    'named-email-is-contact',
    'named-email-domain',
    'company-name',
    'company-alias',
    'operator',
  ]),
  score: z.number().min(0).max(1),
  detail: z.string().max(500).optional(),
});
export type MatchReason = z.infer<typeof matchReasonSchema>;
