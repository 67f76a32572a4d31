import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { LIMITS, REGIMES, RIGHTS, type Channel, type Right } from '@privacy-relay/shared/events';

// Header injection and invisible tricks: no control characters in one-line fields.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const oneLine = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((value) => !CONTROL_CHARACTERS.test(value), 'must be a single line without control characters');

/** An address we would send mail to: RFC-shaped, one line, bounded. */
export const requesterEmailSchema = z
  .string()
  .trim()
  .max(LIMITS.emailMax)
  .refine((value) => !CONTROL_CHARACTERS.test(value), 'must be a single line without control characters')
  .pipe(z.email({ message: 'must be an email address' }));

/**
 * What a requester submits, whatever the channel: the body of `POST /v1/requests`, the web form
 * once decoded, or what was extracted from an email. Unknown fields are refused, not ignored:
 * a client that sends something we do not read should hear so.
 */
export const intakeRequestSchema = z
  .strictObject({
    requester: z.strictObject({ name: oneLine(LIMITS.nameMax), email: requesterEmailSchema }),
    rights: z
      .array(z.enum(RIGHTS))
      .min(1, 'name at least one right')
      .max(LIMITS.rightsMax)
      .transform((rights) => [...new Set(rights)]),
    otherRightText: z.string().trim().max(LIMITS.otherRightTextMax).optional(),
    company: z
      .strictObject({
        name: oneLine(LIMITS.companyNameMax).optional(),
        email: requesterEmailSchema.optional(),
      })
      .optional(),
    text: z.string().max(LIMITS.freeTextMax).default(''),
    regimeHint: z.enum(REGIMES).optional(),
  })
  .refine(
    (request) => !request.rights.includes('other') || (request.otherRightText ?? request.text).trim().length > 0,
    {
      message: 'say in otherRightText or text what the "other" right is',
      path: ['otherRightText'],
    },
  );

export type IntakeRequest = z.output<typeof intakeRequestSchema>;
export type IntakeRequestInput = z.input<typeof intakeRequestSchema>;

/** How the requester's ownership of the email address stands when the request arrives. */
export type VerificationAtIntake =
  { status: 'pending' } | { status: 'verified'; method: 'ses-verdicts' | 'smtp-policy' };

/** A validated request and where it came from, ready to be accepted. */
export interface IncomingRequest {
  channel: Channel;
  /** Channel-scoped: the same key on another channel is another request. */
  idempotencyKey: string;
  /**
   * True when intake made the key up (an API call without Idempotency-Key): nobody can send it
   * again, so it is not claimed in the ledger.
   */
  idempotencyKeyGenerated?: boolean;
  request: IntakeRequest;
  verification: VerificationAtIntake;
  attachments?: Array<{ filename: string; contentType: string; size: number }>;
  /** No receipt or verification mail may go to the requester (their address was over its allowance). */
  acknowledgementMailsWithheld?: boolean;
}

/**
 * What an idempotency key stands for: a keyed hash of the request's content (the secret keeps it
 * from being tested against guessed contents). A retry repeats the request, so it has the same
 * digest; the same key with another digest is a different request reusing the key.
 */
export function contentDigest(secret: string, incoming: IncomingRequest): string {
  // Rights are a set: a client that rebuilds it between retries in another order sends the same request.
  const request = { ...incoming.request, rights: [...incoming.request.rights].sort() };
  const content = JSON.stringify([incoming.channel, request, incoming.attachments ?? []]);
  return createHmac('sha256', secret).update('request-content\n').update(content).digest('base64url').slice(0, 22);
}

export type { Right };
