import { commonConfigSpec, envSchemas, type ConfigOf, type ConfigSpec } from '@privacy-relay/shared/config';
import { z } from 'zod';

/** Every variable intake reads (the README table lists them). */
export const intakeConfigSpec = {
  ...commonConfigSpec,
  host: {
    env: 'INTAKE_HOST',
    schema: z.string().min(1),
    default: '0.0.0.0',
    doc: 'Address the intake HTTP server binds.',
  },
  port: { env: 'INTAKE_PORT', schema: envSchemas.port, default: '3000', doc: 'Intake HTTP port (0 picks a free one).' },
  mongodbDatabase: {
    env: 'INTAKE_MONGODB_DATABASE',
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be a database name'),
    default: 'privacy_intake',
    doc: "Database holding intake's idempotency keys and verification state.",
  },
  bodyLimitBytes: {
    env: 'INTAKE_BODY_LIMIT_BYTES',
    schema: envSchemas.positiveInt,
    default: String(256 * 1024),
    doc: 'Largest HTTP request body intake accepts; larger gets 413.',
  },
  trustProxy: {
    env: 'INTAKE_TRUST_PROXY',
    schema: envSchemas.boolean,
    default: 'false',
    doc: 'Trust X-Forwarded-For from a reverse proxy (client address for rate limits).',
  },
} satisfies ConfigSpec;

export type IntakeConfig = ConfigOf<typeof intakeConfigSpec>;
