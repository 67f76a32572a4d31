import { isRetriableError } from '@privacy-relay/shared/errors';
import { EVENTS } from '@privacy-relay/shared/events';
import { v5 as uuidv5 } from 'uuid';
import { referenceFor } from '../domain/reference';
import { sameSecret, verificationCodeFor } from '@privacy-relay/shared/tokens';
import type {
  Clock,
  RequestForward,
  VerificationMethod,
  VerificationRecord,
  VerificationStore,
  VerifiedRequestPublisher,
} from './ports';
import type { RequesterLinks } from './requester-links';

export interface VerifyDeps {
  verifications: VerificationStore;
  publisher: VerifiedRequestPublisher;
  clock: Clock;
  links: RequesterLinks;
  /** The link secret: the mailed code is derived from the request id with it. */
  secret: string;
  /** Compares a typed code with the expected one; constant-time by default (tests count the calls). */
  compareCode?: (typed: string, expected: string) => boolean;
}

/** Code attempts allowed per request; after that only the mailed link confirms. */
export const MAX_CODE_ATTEMPTS = 5;
// Fixed namespace: the verified event of a request always has the same id, so a publish repeated
// (by a second click, by the outbox sweeper) is recognisably one event to an idempotent consumer.
const VERIFIED_EVENT_NAMESPACE = '6f1c9a52-3b7e-4d0a-9a55-2f0e8c1d7b42';

export type VerifyOutcome =
  /** `published`: Kafka holds the verified event; false: stored, the outbox sweeper publishes it. */
  | { outcome: 'verified'; reference: string; alreadyVerified: boolean; published: boolean }
  | { outcome: 'invalid-link' | 'expired' | 'wrong-code' | 'locked' };

/** What the confirmation page shows before the requester presses "Confirm" (a GET never verifies). */
export async function inspectVerificationLink(
  deps: Pick<VerifyDeps, 'verifications' | 'clock' | 'links'>,
  token: string,
): Promise<{ outcome: 'ok'; record: VerificationRecord } | { outcome: 'invalid-link' | 'expired' }> {
  const check = deps.links.check(token, 'verify', deps.clock.now());
  if (!check.ok) return { outcome: check.reason === 'expired' ? 'expired' : 'invalid-link' };
  const record = await deps.verifications.find(check.claims.subject);
  return record ? { outcome: 'ok', record } : { outcome: 'invalid-link' };
}

/** The requester pressed "Confirm" on the page the mailed link opened. */
export async function verifyByLink(deps: VerifyDeps, token: string): Promise<VerifyOutcome> {
  const inspected = await inspectVerificationLink(deps, token);
  if (inspected.outcome !== 'ok') return { outcome: inspected.outcome };
  return completeVerification(deps, inspected.record);
}

/** The requester typed the mailed code on their status page (reached with the status token). */
export async function verifyByCode(deps: VerifyDeps, statusToken: string, code: string): Promise<VerifyOutcome> {
  const now = deps.clock.now();
  const check = deps.links.check(statusToken, 'status', now);
  if (!check.ok) return { outcome: 'invalid-link' };
  const record = await deps.verifications.find(check.claims.subject);
  if (!record) return { outcome: 'invalid-link' };
  if (record.status === 'verified') return completeVerification(deps, record);
  if (record.expiresAt.getTime() <= now.getTime()) return { outcome: 'expired' };
  if (record.codeAttempts >= MAX_CODE_ATTEMPTS) return { outcome: 'locked' };
  // Counted before compared, in one conditional atomic update: of any number of guesses arriving
  // at once, at most MAX_CODE_ATTEMPTS get a comparison.
  const attempt = await deps.verifications.takeCodeAttempt(record.requestId, MAX_CODE_ATTEMPTS);
  if (attempt === 'verified') return completeVerification(deps, record);
  if (attempt === 'none-left') return { outcome: 'locked' };
  const normalised = code.replace(/[\s-]/g, '').slice(0, 20);
  // The code is derived from the request id (never stored): derive it again and compare.
  if (!(deps.compareCode ?? sameSecret)(normalised, verificationCodeFor(deps.secret, record.requestId))) {
    return { outcome: attempt.attempts >= MAX_CODE_ATTEMPTS ? 'locked' : 'wrong-code' };
  }
  return completeVerification(deps, record);
}

/**
 * pending → verified, with `privacy.request.verified.v1` stored in the same document (the outbox),
 * then published and marked. Only the caller whose update made the transition publishes; when
 * Kafka is away the confirmation stands all the same and the outbox sweeper publishes the event
 * later (same id): the outcome says it is not published yet, and a later click adds nothing.
 */
async function completeVerification(
  deps: VerifyDeps,
  record: VerificationRecord,
  method: VerificationMethod = 'email-link',
): Promise<VerifyOutcome> {
  const now = deps.clock.now();
  const { requestId, reference } = record;
  if (record.status === 'pending' && record.expiresAt.getTime() <= now.getTime()) return { outcome: 'expired' };
  const event = verifiedEvent(requestId, now, method);
  if (record.status !== 'pending' || !(await deps.verifications.confirm(requestId, now, method, event))) {
    const current = record.verifiedEventPublishedAt ? record : await deps.verifications.find(requestId);
    return { outcome: 'verified', reference, alreadyVerified: true, published: !!current?.verifiedEventPublishedAt };
  }
  try {
    await deps.publisher.publishVerified(event);
  } catch (error) {
    if (!isRetriableError(error)) throw error;
    return { outcome: 'verified', reference, alreadyVerified: false, published: false };
  }
  await deps.verifications.markVerifiedPublished(requestId, event.id, deps.clock.now());
  return { outcome: 'verified', reference, alreadyVerified: false, published: true };
}

function verifiedEvent(requestId: string, verifiedAt: Date, method: VerificationMethod) {
  return EVENTS.requestVerifiedV1.create(
    { requestId, verifiedAt: verifiedAt.toISOString(), method },
    { id: uuidv5(`${requestId}:verified`, VERIFIED_EVENT_NAMESPACE), correlationId: requestId, occurredAt: verifiedAt },
  );
}

export interface RequestStatusView {
  stored: true;
  reference: string;
  receivedAt: Date;
  rights: VerificationRecord['rights'];
  /** `confirming`: confirmed, and the confirmation not yet on Kafka (the outbox publishes it). */
  verification: 'pending' | 'confirming' | 'verified' | 'expired';
  /** Whether the code form makes sense (pending, not expired, attempts left). */
  canEnterCode: boolean;
  /** The customers the request went to, oldest first; empty until verified and forwarded. */
  forwards: RequestForward[];
}

/**
 * A request we signed the status link for whose state is not stored yet (a call without
 * Idempotency-Key until the mail consumer reaches its event; another instance's write in flight):
 * only the reference is known, derived from the request id.
 */
export interface ReceivedStatusView {
  stored: false;
  reference: string;
}

/**
 * What the status page shows: reference, received date, rights, verification state and, once
 * verified, the customers the request went to with their deadlines (before verification nothing
 * about any customer exists here, and none is shown); only the reference while the state is not
 * stored yet. Undefined for a link we did not sign, or one
 * that expired.
 */
export async function requestStatus(
  deps: Pick<VerifyDeps, 'verifications' | 'clock' | 'links'>,
  statusToken: string,
): Promise<RequestStatusView | ReceivedStatusView | undefined> {
  const now = deps.clock.now();
  const check = deps.links.check(statusToken, 'status', now);
  if (!check.ok) return undefined;
  const record = await deps.verifications.find(check.claims.subject);
  if (!record) return { stored: false, reference: referenceFor(check.claims.subject) };
  const expired = record.status === 'pending' && record.expiresAt.getTime() <= now.getTime();
  return {
    stored: true,
    reference: record.reference,
    receivedAt: record.receivedAt,
    rights: record.rights,
    verification:
      record.status === 'verified'
        ? record.verifiedEventPublishedAt
          ? 'verified'
          : 'confirming'
        : expired
          ? 'expired'
          : 'pending',
    canEnterCode: record.status === 'pending' && !expired && record.codeAttempts < MAX_CODE_ATTEMPTS,
    forwards: record.status === 'verified' ? (record.forwards ?? []) : [],
  };
}
