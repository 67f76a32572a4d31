import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@privacy-relay/shared/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OperatorTokenEntry } from '../../config';

/** The realm named in `WWW-Authenticate`, so a client knows which credential is asked for. */
export const OPERATOR_REALM = 'privacy-relay-operator';

/** Why a credential was refused: logged (never the credential itself). */
export type AuthFailure = 'missing' | 'not-bearer' | 'unknown-token';

/**
 * Checks bearer tokens against the configured operators, who are known by the SHA-256 of their
 * token only. Every configured hash is compared, in constant time, whatever matched before, so
 * the time taken says nothing about which entry (or how much of it) a guess came close to.
 */
export class OperatorAuthenticator {
  constructor(private readonly operators: readonly OperatorTokenEntry[]) {}

  /** The operator id a `Authorization` header value proves, or why it proves none. */
  authenticate(header: string | undefined): { operatorId: string } | { failure: AuthFailure } {
    if (header === undefined || header === '') return { failure: 'missing' };
    const match = /^Bearer +([\x21-\x7e]+)$/i.exec(header);
    if (!match?.[1]) return { failure: 'not-bearer' };
    const presented = createHash('sha256').update(match[1], 'utf8').digest();
    let operatorId: string | undefined;
    for (const operator of this.operators) {
      if (timingSafeEqual(presented, operator.tokenSha256)) operatorId ??= operator.operatorId;
    }
    return operatorId === undefined ? { failure: 'unknown-token' } : { operatorId };
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the operator authentication hook on operator routes; the only source of the operator's id. */
    operatorId?: string;
  }
}

/**
 * A Fastify `onRequest` hook for operator routes: 401 with `WWW-Authenticate` (RFC 6750) before
 * the body is read when the bearer token is missing or unknown; otherwise the operator's id on
 * the request. The log line says why, never the header.
 */
export function requireOperator(authenticator: OperatorAuthenticator) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const result = authenticator.authenticate(request.headers.authorization);
    if ('operatorId' in result) {
      request.operatorId = result.operatorId;
      return;
    }
    request.log.warn(
      { reason: result.failure, route: request.routeOptions.url, method: request.method },
      'operator authentication failed',
    );
    const challenge =
      result.failure === 'unknown-token'
        ? `Bearer realm="${OPERATOR_REALM}", error="invalid_token"`
        : `Bearer realm="${OPERATOR_REALM}"`;
    void reply.header('www-authenticate', challenge);
    throw new AppError('UNAUTHENTICATED', 'An operator bearer token is required (Authorization: Bearer <token>)', {
      httpStatus: 401,
    });
  };
}

/** The authenticated operator of a request that passed `requireOperator` (a programmer error otherwise). */
export function operatorOf(request: FastifyRequest): string {
  if (request.operatorId === undefined) throw new Error('operator route registered without requireOperator');
  return request.operatorId;
}
