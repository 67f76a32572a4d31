import { createHmac } from 'node:crypto';
import { signToken, verifyToken, type TokenCheck } from '@privacy-relay/shared/tokens';

/**
 * The keyed hash intake keeps of a requester's address (the link secret keys it, so the stored
 * value says nothing without it): what a later mail to "the requester" is checked against.
 * Addresses compare without regard to case.
 */
export function requesterKeyOf(secret: string, email: string): string {
  return createHmac('sha256', secret).update(`requester\n${email.trim().toLowerCase()}`).digest('base64url');
}

/** What intake signs: the form, the verification link, the status link. */
export type TokenPurpose = 'form' | 'verify' | 'status';

/** How long a status link works: the life of a request, not of a session. */
export const STATUS_LINK_TTL_MS = 400 * 24 * 60 * 60 * 1000;

/**
 * The links a requester gets by mail: the status page and the verification confirmation. Both
 * carry a signed token in the path (never a query string a proxy might log); the token names only
 * the request id, and only intake's secret can mint one.
 */
export class RequesterLinks {
  constructor(
    private readonly secret: string,
    private readonly publicUrl: string,
  ) {}

  statusToken(requestId: string, now: Date): string {
    return signToken(this.secret, {
      purpose: 'status',
      subject: requestId,
      expiresAt: Math.floor((now.getTime() + STATUS_LINK_TTL_MS) / 1000),
    });
  }

  verifyToken(requestId: string, expiresAt: Date): string {
    return signToken(this.secret, {
      purpose: 'verify',
      subject: requestId,
      expiresAt: Math.floor(expiresAt.getTime() / 1000),
    });
  }

  statusUrl(requestId: string, now: Date): string {
    return `${this.publicUrl}/status/${this.statusToken(requestId, now)}`;
  }

  verifyUrl(requestId: string, expiresAt: Date): string {
    return `${this.publicUrl}/verify/${this.verifyToken(requestId, expiresAt)}`;
  }

  /** Whether `email` is the requester whose keyed hash is `requesterKey`. */
  isRequester(requesterKey: string, email: string): boolean {
    return requesterKeyOf(this.secret, email) === requesterKey;
  }

  check(token: string, purpose: TokenPurpose, now: Date): TokenCheck {
    return verifyToken(this.secret, token, { purpose, now });
  }
}
