import type { IncomingRequest } from '../domain/intake-request';
import { hashVerificationCode } from '../domain/signed-token';
import type { AcceptedRequest } from './accept-request';
import type { Clock, CodeGenerator, Mailer, OutgoingMail, VerificationStore } from './ports';
import type { RequesterLinks } from './requester-links';

export type AcknowledgementMail = 'receipt' | 'verification';

export interface AcknowledgeDeps {
  verifications: VerificationStore;
  mailer: Mailer;
  clock: Clock;
  codes: CodeGenerator;
  links: RequesterLinks;
  /** Key for the stored code hash (the link secret). */
  secret: string;
  /** How long the verification link and code work. */
  verificationTtlMs: number;
  /** A mail could not be sent. The request is on Kafka already: report, never fail the answer. */
  onMailFailure(kind: AcknowledgementMail, error: unknown): void;
  onMailSent?(kind: AcknowledgementMail): void;
}

export interface Acknowledgement {
  /** Signed link to the status page (also in the receipt). */
  statusUrl: string;
  /**
   * Settles once the mails are handed to SES: the mails sent (none for a repeated idempotency key).
   * Never rejects. Entry points need not wait for it: the answer to the client does not depend on SES.
   */
  mailed: Promise<AcknowledgementMail[]>;
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
 * After `acceptRequest` resolved, records the request's verification state and tells the requester:
 * a receipt with the reference and the status link, and, while the address is unverified, a mail
 * with a signed, expiring confirmation link and a short code. Every channel calls this (form, API,
 * SMTP, SES inbound).
 *
 * Resolves once the verification state is stored; the mails go on in the background (`mailed`).
 * Only the first call for a request sends mail (a retried idempotency key sends nothing again).
 * Rejects only when the verification state cannot be stored (a retriable database error): the caller
 * answers 503 / 451 and the client's retry (same key) completes it. Mail failures never reject:
 * they are reported through `onMailFailure` and the request stands.
 */
export async function acknowledgeToRequester(
  deps: AcknowledgeDeps,
  accepted: AcceptedRequest,
  incoming: IncomingRequest,
): Promise<Acknowledgement> {
  const now = deps.clock.now();
  const { requestId, reference } = accepted;
  const statusUrl = deps.links.statusUrl(requestId, now);
  const pending = incoming.verification.status === 'pending';
  const code = pending ? deps.codes.newVerificationCode() : undefined;
  const expiresAt = new Date(now.getTime() + deps.verificationTtlMs);

  const { created } = await deps.verifications.create({
    requestId,
    reference,
    channel: incoming.channel,
    rights: incoming.request.rights,
    receivedAt: now,
    status: pending ? 'pending' : 'verified',
    ...(incoming.verification.status === 'verified'
      ? { method: incoming.verification.method, verifiedAt: now, verifiedEventPublishedAt: now }
      : {}),
    ...(code ? { codeHash: hashVerificationCode(deps.secret, requestId, code) } : {}),
    codeAttempts: 0,
    expiresAt,
  });
  if (!created) return { statusUrl, mailed: Promise.resolve([]) };

  const to = incoming.request.requester.email;
  const name = incoming.request.requester.name;
  const mails: Array<[AcknowledgementMail, OutgoingMail]> = [
    ['receipt', receiptMail({ to, name, reference, rights: incoming.request.rights, statusUrl, pending })],
  ];
  if (code) {
    mails.push([
      'verification',
      verificationMail({ to, name, reference, code, url: deps.links.verifyUrl(requestId, expiresAt), expiresAt }),
    ]);
  }
  return { statusUrl, mailed: sendAll(deps, mails) };
}

async function sendAll(
  deps: AcknowledgeDeps,
  mails: Array<[AcknowledgementMail, OutgoingMail]>,
): Promise<AcknowledgementMail[]> {
  const mailed: AcknowledgementMail[] = [];
  // Sequential on purpose: the receipt (with the reference) should arrive first.
  for (const [kind, mail] of mails) {
    try {
      await deps.mailer.send(mail);
      mailed.push(kind);
      deps.onMailSent?.(kind);
    } catch (error) {
      deps.onMailFailure(kind, error);
    }
  }
  return mailed;
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
        ? 'Before we pass it on, please confirm that this email address is yours: we have sent you a separate email with a link and a code.'
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
