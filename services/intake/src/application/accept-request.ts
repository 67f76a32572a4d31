import { EVENTS, type RequestReceivedV1 } from '@privacy-relay/shared/events';
import { AppError } from '@privacy-relay/shared/errors';
import { contentDigest, type IncomingRequest } from '../domain/intake-request';
import { referenceFor } from '../domain/reference';
import type {
  Clock,
  IdGenerator,
  ReceivedRequestPublisher,
  RequestLedger,
  SubmissionCounter,
  VerificationRecord,
} from './ports';
import { requesterKeyOf } from './requester-links';
import type { WriteBehindVerificationStore } from './write-behind-states';

export interface AcceptRequestDeps {
  ledger: RequestLedger;
  publisher: ReceivedRequestPublisher;
  /**
   * The request's state (verification, status page), written once Kafka holds the event, behind
   * the answer, for a key that can come back: that it exists is what tells a retried key that
   * nothing more is to be published.
   */
  states: Pick<WriteBehindVerificationStore, 'storeBehind' | 'find'>;
  clock: Clock;
  ids: IdGenerator;
  /** The link secret: keys the stored hash of the request content. */
  secret: string;
  /** How long the verification link and code work. */
  verificationTtlMs: number;
}

export interface AcceptedRequest {
  requestId: string;
  reference: string;
  /** When intake received it (the first attempt's time for a retried key). */
  receivedAt: Date;
  /** True when this idempotency key had been seen before: the first attempt's id and reference are returned. */
  duplicate: boolean;
  /** Kept beyond the requester's allowance: no acknowledgement mail goes out for it. */
  acknowledgementMailsWithheld?: boolean;
}

/**
 * How a submission is counted against the allowances of new requests, and what happens beyond
 * them: `refuse` (429 / SMTP 450: the client or sending MTA tries again later) or, where the
 * channel cannot be asked to retry without losing the request (SES inbound over SNS),
 * `withhold-mail`: the request is kept, and no acknowledgement mail goes to the address.
 */
export interface Admission {
  counter: SubmissionCounter;
  beyondLimit: 'refuse' | 'withhold-mail';
}

/** The allowance of new requests is used up (for the requester's address or the client's). */
export const RATE_LIMITED = 'RATE_LIMITED';

/**
 * Where a key must not come back with other content: the API's Idempotency-Key and the form's
 * token (that is a client reusing a key, or an edited form sent again: refused with 422, as the
 * IETF Idempotency-Key draft asks). A mail re-delivered under the same Message-ID with other
 * content is the sending system's fault; the first delivery stands (a refusal would bounce to a
 * requester who did nothing wrong).
 */
const ONE_CONTENT_PER_KEY: Record<IncomingRequest['channel'], boolean> = {
  api: true,
  'web-form': true,
  'email-smtp': false,
  'email-ses': false,
};

/**
 * Accepts a validated request: gives it an id and a reference, publishes
 * `privacy.request.received.v1` and, for a key that can come back, starts storing the request's
 * state. Resolves only once Kafka holds the event, so a caller may answer 202 / SMTP 250 after it
 * and must answer 503 / 451 when it rejects (the AppError is retriable; the client's retry
 * completes it). At most one database write is on this path (the idempotency key, before
 * publishing); the state is written behind the answer (`WriteBehindVerificationStore`). A key
 * intake made up, which nobody can send again, needs neither: no claim, and its state is stored by
 * the mail consumer from the event, before the mails that carry the links needing it (until then
 * the status page shows only the reference). The mails to the requester go out from the event
 * (`mailAcknowledgement`), not from here.
 *
 * The same idempotency key always yields the same request id, reference and event: a retry after
 * a failed publish sends the event again with the id, reference and receipt time of the first
 * attempt (content from the retry, which repeats the request), and a retry after success publishes
 * nothing.
 */
export async function acceptRequest(
  deps: AcceptRequestDeps,
  incoming: IncomingRequest,
  admission?: Admission,
): Promise<AcceptedRequest> {
  // Counted before anything is written, taken back below if the key was seen before: a retry is
  // not a new request. Beyond the allowance only a key seen before goes on (the one read added,
  // and only for those).
  const counted = admission ? admission.counter.tryCount() : true;
  let withheld = false;
  if (!counted && !(await isRetry(deps, incoming))) {
    if (admission?.beyondLimit !== 'withhold-mail') {
      admission?.counter.countRefusal();
      throw new AppError(RATE_LIMITED, 'Too many requests for this email address; try again later', {
        httpStatus: 429,
      });
    }
    withheld = true;
  }
  if (withheld) incoming = { ...incoming, acknowledgementMailsWithheld: true };
  const requestId = deps.ids.newRequestId();
  const receivedAt = deps.clock.now();
  const event = receivedEvent(incoming, { requestId, reference: referenceFor(requestId), receivedAt });
  if (incoming.idempotencyKeyGenerated) {
    // Nobody can send this key again: there is nothing to claim, no retry needs to find a state,
    // and a retry is a new request.
    await deps.publisher.publishReceived(event);
    return { requestId, reference: event.payload.reference, receivedAt, duplicate: false, ...withheldFlag(withheld) };
  }
  const digest = contentDigest(deps.secret, incoming);
  const { entry, created } = await deps.ledger.claim({
    idempotencyKey: incoming.idempotencyKey,
    requestId,
    reference: event.payload.reference,
    eventId: event.id,
    receivedAt,
    contentDigest: digest,
  });
  if (!created && entry.contentDigest && entry.contentDigest !== digest && ONE_CONTENT_PER_KEY[incoming.channel]) {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This key was already used for a request with other content', {
      httpStatus: 422,
    });
  }
  if (!created && admission && counted) admission.counter.uncount();
  const accepted = { requestId: entry.requestId, reference: entry.reference, receivedAt: entry.receivedAt };
  if (!created && (await deps.states.find(entry.requestId))) return { ...accepted, duplicate: true };

  const published = created ? event : receivedEvent(incoming, entry);
  await deps.publisher.publishReceived(published);
  deps.states.storeBehind(requestStateFor(published, deps));
  return { ...accepted, duplicate: !created, ...withheldFlag(withheld) };
}

const withheldFlag = (withheld: boolean) => (withheld ? { acknowledgementMailsWithheld: true } : {});

async function isRetry(deps: AcceptRequestDeps, incoming: IncomingRequest): Promise<boolean> {
  return !incoming.idempotencyKeyGenerated && (await deps.ledger.has(incoming.idempotencyKey));
}

/**
 * What intake keeps of a request once it is on Kafka: no personal data, only what the status page
 * and the confirmation need (the code is derived from the request id, never stored).
 * Built from the event, so that whoever holds the event (the request path, or the mail consumer for
 * a made-up key or an event that landed after its caller gave up) writes the same record.
 */
export function requestStateFor(
  event: RequestReceivedV1,
  keys: { verificationTtlMs: number; secret: string },
): VerificationRecord {
  const { requestId, reference, channel, rights, verification } = event.payload;
  const receivedAt = new Date(event.payload.receivedAt);
  const pending = verification.status === 'pending';
  return {
    requestId,
    reference,
    channel,
    rights,
    receivedAt,
    status: pending ? 'pending' : 'verified',
    ...(verification.status === 'verified'
      ? { method: verification.method, verifiedAt: receivedAt, verifiedEventPublishedAt: receivedAt }
      : {}),
    codeAttempts: 0,
    expiresAt: verificationExpiry(receivedAt, keys.verificationTtlMs),
    requesterKey: requesterKeyOf(keys.secret, event.payload.requester.email),
  };
}

export function verificationExpiry(receivedAt: Date, ttlMs: number): Date {
  return new Date(receivedAt.getTime() + ttlMs);
}

/** The received event of a request (exported for tests that need the event intake publishes). */
export function receivedEvent(
  incoming: IncomingRequest,
  ids: { requestId: string; reference: string; receivedAt: Date; eventId?: string },
): RequestReceivedV1 {
  const { request } = incoming;
  return EVENTS.requestReceivedV1.create(
    {
      requestId: ids.requestId,
      reference: ids.reference,
      idempotencyKey: incoming.idempotencyKey,
      channel: incoming.channel,
      receivedAt: ids.receivedAt.toISOString(),
      requester: request.requester,
      rights: request.rights,
      ...(request.otherRightText ? { otherRightText: request.otherRightText } : {}),
      ...(request.company && (request.company.name || request.company.email) ? { company: request.company } : {}),
      text: request.text,
      ...(request.regimeHint ? { regimeHint: request.regimeHint } : {}),
      verification: incoming.verification,
      ...(incoming.attachments?.length ? { attachments: incoming.attachments } : {}),
      ...(incoming.acknowledgementMailsWithheld ? { acknowledgementMails: 'withheld' as const } : {}),
    },
    {
      correlationId: ids.requestId,
      occurredAt: ids.receivedAt,
      ...(ids.eventId ? { id: ids.eventId } : {}),
    },
  );
}
