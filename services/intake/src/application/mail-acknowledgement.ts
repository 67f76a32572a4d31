import type { RequestReceivedV1 } from '@privacy-relay/shared/events';
import { verificationCodeFor } from '@privacy-relay/shared/tokens';
import { requestStateFor, verificationExpiry } from './accept-request';
import type {
  AcknowledgementMail,
  AcknowledgementMailLog,
  Clock,
  Mailer,
  OutgoingMail,
  VerificationStore,
} from './ports';
import type { RequesterLinks } from './requester-links';

export type { AcknowledgementMail } from './ports';

export interface MailAcknowledgementDeps {
  mailer: Mailer;
  sentMails: AcknowledgementMailLog;
  /** Where the request's state is written unless it is there (the insert keeps what is there). */
  states: Pick<VerificationStore, 'find' | 'create'>;
  clock: Clock;
  links: RequesterLinks;
  /** The link secret: signs the links and derives the code. */
  secret: string;
  verificationTtlMs: number;
  onMailSent?(kind: AcknowledgementMail): void;
  /** An event too old to mail was skipped. */
  onStaleEvent?(): void;
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
 * Tells the requester, from their `privacy.request.received.v1`: a receipt with the reference and
 * the status link, and, while the address is unverified, a mail with the signed, expiring
 * confirmation link and the code. Runs in intake's mail consumer, at least once per event: each
 * mail is noted as sent once SES took it, before the next one goes, so a redelivered event sends
 * only what had not gone out; a failed send rejects (SES down or throttling: retriable, so the
 * consumer tries again; a rejected address: not, so it goes to the dead letters). An event older
 * than the verification window is not mailed. Every event leaves its request's state stored.
 * Resolves with the mails sent.
 *
 * The mails go to an address nobody has verified yet, so they carry nothing the sender chose (no
 * name, subject, company or free text): only our wording, the reference, the rights asked for
 * (our labels), the links and the code. Otherwise anyone could mail anyone text of their own
 * through us.
 */
export async function mailAcknowledgement(
  deps: MailAcknowledgementDeps,
  event: RequestReceivedV1,
): Promise<AcknowledgementMail[]> {
  const { requestId, reference, requester, rights } = event.payload;
  const receivedAt = new Date(event.payload.receivedAt);
  const pending = event.payload.verification.status === 'pending';
  const alreadySent = await deps.sentMails.sentOf(requestId);
  if (alreadySent.has('receipt') && (!pending || alreadySent.has('verification'))) return [];
  // Written here for an API call without Idempotency-Key (the answer path writes none), and when
  // the send landed after its caller had answered 503 and the client never retried; else there
  // already (looked up first: a read by id is cheaper than an insert that finds a duplicate). The
  // links in the mails, and the status link, need it.
  if (!(await deps.states.find(requestId))) await deps.states.create(requestStateFor(event, deps));
  // Past the verification window the link and code are dead and a receipt is news to nobody; this
  // also keeps a new consumer group (reading the topic from the start) from mailing old requests.
  // Such a replay still reads each request (and stores the states that are missing).
  // Over its allowance when it came (a channel that cannot be refused): kept, and not mailed.
  if (event.payload.acknowledgementMails === 'withheld') return [];
  if (deps.clock.now().getTime() > verificationExpiry(receivedAt, deps.verificationTtlMs).getTime()) {
    deps.onStaleEvent?.();
    return [];
  }
  const statusUrl = deps.links.statusUrl(requestId, receivedAt);
  const mails: Array<[AcknowledgementMail, OutgoingMail]> = [
    ['receipt', receiptMail({ to: requester.email, reference, rights, statusUrl, pending })],
  ];
  if (pending) {
    const expiresAt = verificationExpiry(receivedAt, deps.verificationTtlMs);
    mails.push([
      'verification',
      verificationMail({
        to: requester.email,
        reference,
        code: verificationCodeFor(deps.secret, requestId),
        url: deps.links.verifyUrl(requestId, expiresAt),
        expiresAt,
      }),
    ]);
  }
  // In order, on purpose: the receipt (with the reference) should arrive first. Each is noted
  // before the next goes, so a failure of the second does not send the first again.
  const sent: AcknowledgementMail[] = [];
  for (const [kind, mail] of mails) {
    if (alreadySent.has(kind)) continue;
    await deps.mailer.send(mail);
    deps.onMailSent?.(kind);
    await deps.sentMails.recordSent(requestId, kind, deps.clock.now());
    sent.push(kind);
  }
  return sent;
}

function receiptMail(input: {
  to: string;
  reference: string;
  rights: readonly string[];
  statusUrl: string;
  pending: boolean;
}): OutgoingMail {
  // Our labels only; "other" stays "other" (its text is the sender's).
  const rights = input.rights.map((right) => `  - ${RIGHT_LABELS[right] ?? 'other'}`).join('\n');
  return {
    to: input.to,
    subject: `We received your privacy request ${input.reference}`,
    text: [
      'Hello,',
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
  reference: string;
  code: string;
  url: string;
  expiresAt: Date;
}): OutgoingMail {
  return {
    to: input.to,
    subject: `Confirm your privacy request ${input.reference}`,
    text: [
      'Hello,',
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
