import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What a signed token may be used for (each service names its own: intake's `form`, `verify`,
 * `status`; the relay's case actions). A token signed for one purpose never passes as another:
 * a status link cannot confirm a request, an acknowledge link cannot close a case.
 */
export type TokenPurpose = string;

export interface TokenClaims<P extends TokenPurpose = TokenPurpose> {
  purpose: P;
  /** What the token acts on: a request or case id, or a random nonce (form). */
  subject: string;
  /** Seconds since the epoch after which the token is refused. */
  expiresAt: number;
  /** Binds a form token to the browser's CSRF cookie; absent for links sent by mail. */
  binding?: string;
}

export type TokenCheck<P extends TokenPurpose = TokenPurpose> =
  | { ok: true; claims: TokenClaims<P> }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'wrong-purpose' | 'expired' | 'wrong-binding' };

const SUBJECT = /^[A-Za-z0-9_-]{1,64}$/;
const PURPOSE = /^[A-Za-z0-9_-]{1,32}$/;
const MAX_TOKEN_LENGTH = 300;

/**
 * HMAC-SHA256 tokens for links and forms: `<purpose>.<subject>.<expiresAt base36>.<mac>`, URL-safe
 * and unguessable (128-bit MAC). Nothing personal is inside: the subject is a request id or a nonce.
 */
export function signToken(secret: string, claims: TokenClaims): string {
  if (!PURPOSE.test(claims.purpose)) throw new Error('token purpose must be letters, digits, "-" or "_"');
  if (!SUBJECT.test(claims.subject)) throw new Error('token subject must be an id');
  const body = `${claims.purpose}.${claims.subject}.${claims.expiresAt.toString(36)}`;
  return `${body}.${mac(secret, body, claims.binding)}`;
}

export function verifyToken<P extends TokenPurpose>(
  secret: string,
  token: string,
  expected: { purpose: P; now: Date; binding?: string },
): TokenCheck<P> {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 4) return { ok: false, reason: 'malformed' };
  const [purpose, subject, expiresRaw, signature] = parts as [string, string, string, string];
  if (!SUBJECT.test(subject) || !/^[0-9a-z]{1,12}$/.test(expiresRaw)) {
    return { ok: false, reason: 'malformed' };
  }
  const body = `${purpose}.${subject}.${expiresRaw}`;
  const wanted = Buffer.from(mac(secret, body, expected.binding));
  const given = Buffer.from(signature);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    return { ok: false, reason: expected.binding === undefined ? 'bad-signature' : 'wrong-binding' };
  }
  if (purpose !== expected.purpose) return { ok: false, reason: 'wrong-purpose' };
  const expiresAt = parseInt(expiresRaw, 36);
  if (expiresAt * 1000 <= expected.now.getTime()) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    claims: {
      purpose: expected.purpose,
      subject,
      expiresAt,
      ...(expected.binding ? { binding: expected.binding } : {}),
    },
  };
}

function mac(secret: string, body: string, binding: string | undefined): string {
  return createHmac('sha256', secret)
    .update(body)
    .update('\n')
    .update(binding ?? '')
    .digest()
    .subarray(0, 16)
    .toString('base64url');
}

/**
 * The short code mailed for a request: six digits derived from the request id with the secret.
 * Derived, not drawn, so that the mail (sent later, from the event) and the check agree without
 * the code being stored; guessing it is what the attempt limit stops.
 */
export function verificationCodeFor(secret: string, requestId: string): string {
  const digest = createHmac('sha256', secret).update(`verification-code\n${requestId}`).digest();
  return String(digest.readUInt32BE(0) % 1_000_000).padStart(6, '0');
}

/** Compares a secret someone typed or sent with the expected one in constant time. */
export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
