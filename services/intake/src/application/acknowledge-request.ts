import type { RequestReceivedV1 } from '@privacy-relay/shared/events';
import type { IncomingRequest } from '../domain/intake-request';
import { hashVerificationCode, verificationCodeFor } from '../domain/signed-token';
import type { AcceptedRequest } from './accept-request';
import type { AcknowledgementMailLog, Clock, Mailer, OutgoingMail, VerificationStore } from './ports';
import type { RequesterLinks } from './requester-links';

export type AcknowledgementMail = 'receipt' | 'verification';

export interface AcknowledgeDeps {
  verifications: VerificationStore;
  links: RequesterLinks;
  /** Key for the stored code hash (the link secret). */
  secret: string;
  /** How long the verification link and code work. */
  verificationTtlMs: number;
}

export interface MailAcknowledgementDeps {
  mailer: Mailer;
  sentMails: AcknowledgementMailLog;
  clock: Clock;
  links: RequesterLinks;
  /** The link secret: signs the links and derives the code. */
  secret: string;
  verificationTtlMs: number;
  onMailSent?(kind: AcknowledgementMail): void;
}

export interface Acknowledgement {
  /** Signed link to the status page (also in the receipt). */
  statusUrl: string;
}

const RIGHT_LABELS: Record<string, string> = {
  access: 'access to your data',
  rectification: 'rectification',
  erasure: 'erasure',
  restriction: 'restriction of processing',
  portability: 'data portability',
  objection: 'objection to processing',
  'withdraw-consent': 'withdrawal of consent',
  other: 'other',
};

/**
 * After `acceptRequest` resolved, records the request's verification state (what the status page
 * and the confirmation need) and gives the signed status link. Every channel calls this (form,
 * API, SMTP, SES inbound); a retried idempotency key finds the state there and changes nothing.
 *
 * The mails to the requester do not go from here: `mailAcknowledgement` sends them from the
 * received event, so they are as durable as the request and paced to what SES allows.
 *
 * Rejects only when the state cannot be stored (a retriable database error): the caller answers
 * 503 / 451 and the client's retry (same key) completes it.
 */
export async function acknowledgeToRequester(
  deps: AcknowledgeDeps,
  accepted: AcceptedRequest,
  incoming: IncomingRequest,
): Promise<Acknowledgement> {
  const { requestId, reference, receivedAt } = accepted;
  const pending = incoming.verification.status === 'pending';
  await deps.verifications.create({
    requestId,
    reference,
    channel: incoming.channel,
    rights: incoming.request.rights,
    receivedAt,
    status: pending ? 'pending' : 'verified',
    ...(incoming.verification.status === 'verified'
      ? { method: incoming.verification.method, verifiedAt: receivedAt, verifiedEventPublishedAt: receivedAt }
      : {}),
    ...(pending
      ? { codeHash: hashVerificationCode(deps.secret, requestId, verificationCodeFor(deps.secret, requestId)) }
      : {}),
    codeAttempts: 0,
    expiresAt: verificationExpiry(receivedAt, deps.verificationTtlMs),
  });
  return { statusUrl: deps.links.statusUrl(requestId, receivedAt) };
}

/**
 * Tells the requester, from their `privacy.request.received.v1`: a receipt with the reference and
 * the status link, and, while the address is unverified, a mail with the signed, expiring
 * confirmation link and the code. Runs in intake's mail consumer, at least once per event: a
 * request whose mails were sent is skipped; a failed send rejects (SES down or throttling:
 * retriable, so the consumer tries again; a rejected address: not, so it goes to the dead letters).
 * Resolves with the mails sent.
 */
export async function mailAcknowledgement(
  deps: MailAcknowledgementDeps,
  event: RequestReceivedV1,
): Promise<AcknowledgementMail[]> {
  const { requestId, reference, requester, rights } = event.payload;
  if (await deps.sentMails.wasSent(requestId)) return [];
  const receivedAt = new Date(event.payload.receivedAt);
  const pending = event.payload.verification.status === 'pending';
  const statusUrl = deps.links.statusUrl(requestId, receivedAt);
  const mails: Array<[AcknowledgementMail, OutgoingMail]> = [
    ['receipt', receiptMail({ to: requester.email, name: requester.name, reference, rights, statusUrl, pending })],
  ];
  if (pending) {
    const expiresAt = verificationExpiry(receivedAt, deps.verificationTtlMs);
    mails.push([
      'verification',
      verificationMail({
        to: requester.email,
        name: requester.name,
        reference,
        code: verificationCodeFor(deps.secret, requestId),
        url: deps.links.verifyUrl(requestId, expiresAt),
        expiresAt,
      }),
    ]);
  }
  // In order, on purpose: the receipt (with the reference) should arrive first.
  for (const [kind, mail] of mails) {
    await deps.mailer.send(mail);
    deps.onMailSent?.(kind);
  }
  await deps.sentMails.recordSent(requestId, deps.clock.now());
  return mails.map(([kind]) => kind);
}

function verificationExpiry(receivedAt: Date, ttlMs: number): Date {
  return new Date(receivedAt.getTime() + ttlMs);
}

function receiptMail(input: {
  to: string;
  name: string;
  reference: string;
  rights: readonly string[];
  statusUrl: string;
  pending: boolean;
}): OutgoingMail {
  const rights = input.rights.map((right) => `  - ${RIGHT_LABELS[right] ?? right}`).join('\n');
  return {
    to: input.to,
    subject: `We received your privacy request ${input.reference}`,
    text: [
      `Hello ${input.name},`,
      '',
      `we received your data-protection request. Your reference is ${input.reference}.`,
      '',
      'You asked for:',
      rights,
      '',
      input.pending
        ? 'Before we pass it on, please confirm that this email address is yours: we are sending you a separate email with a link and a code.'
        : 'We will pass it on to the company that holds your data and tell you who that is.',
      '',
      `You can follow your request here: ${input.statusUrl}`,
      '',
      'If you did not make this request, you can ignore this email.',
    ].join('\n'),
  };
}

function verificationMail(input: {
  to: string;
  name: string;
  reference: string;
  code: string;
  url: string;
  expiresAt: Date;
}): OutgoingMail {
  return {
    to: input.to,
    subject: `Confirm your privacy request ${input.reference}`,
    text: [
      `Hello ${input.name},`,
      '',
      `please confirm that you made the request ${input.reference} by opening this link and pressing "Confirm":`,
      '',
      input.url,
      '',
      `Or enter this code on your request's status page: ${input.code}`,
      '',
      `The link and the code work until ${input.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
      'If you did not make this request, ignore this email and nothing will be passed on.',
    ].join('\n'),
  };
}
