import { AppError } from '@privacy-relay/shared/errors';
import { EVENTS, type RequestVerifiedV1 } from '@privacy-relay/shared/events';
import { intakeRequestSchema, type IncomingRequest } from '../domain/intake-request';
import { referenceFor } from '../domain/reference';
import { verificationCodeFor } from '@privacy-relay/shared/tokens';
import { mailAcknowledgement, type MailAcknowledgementDeps } from './mail-acknowledgement';
import { receivedEvent, requestStateFor, type AcceptedRequest } from './accept-request';
import { InMemoryVerificationStore } from './testing/in-memory-verification-store';
import type { AcknowledgementMail, OutgoingMail } from './ports';
import { RequesterLinks } from './requester-links';
import { MAX_CODE_ATTEMPTS, requestStatus, verifyByCode, verifyByLink, type VerifyDeps } from './verify-request';

const SECRET = 'unit-test-secret-0123456789abcdef012345';
const requestId = '0193a1c2-7d4e-4a10-9b7c-000000000001';
const receivedAt = new Date('2026-03-02T09:00:00Z');
const accepted: AcceptedRequest = { requestId, reference: 'PR-AAAA-BBBB', receivedAt, duplicate: false };
const CODE = verificationCodeFor(SECRET, requestId);
const incoming = (verification: IncomingRequest['verification'] = { status: 'pending' }): IncomingRequest => ({
  channel: 'api',
  idempotencyKey: 'api:k',
  verification,
  request: intakeRequestSchema.parse({
    requester: { name: 'Ada Example', email: 'ada@example.org' },
    rights: ['access', 'erasure'],
    text: 'Please.',
  }),
});

function harness() {
  let now = receivedAt;
  const clock = { now: () => now };
  const links = new RequesterLinks(SECRET, 'https://intake.example');
  const verifications = new InMemoryVerificationStore();
  const sent: OutgoingMail[] = [];
  const mailedRequests = new Map<string, Set<AcknowledgementMail>>();
  const published: RequestVerifiedV1[] = [];
  let mailUp = true;
  let kafkaUp = true;
  const keys = { secret: SECRET, verificationTtlMs: 72 * 3600_000 };
  /** What `acceptRequest` stores once the event is on Kafka. */
  const recordState = (request = incoming(), acceptedAs = accepted) =>
    verifications.create(requestStateFor(receivedEvent(request, acceptedAs), keys));
  const mail: MailAcknowledgementDeps = {
    clock,
    links,
    secret: SECRET,
    verificationTtlMs: 72 * 3600_000,
    mailer: {
      async send(outgoing) {
        if (!mailUp) throw new AppError('MAIL_UNAVAILABLE', 'SES down', { retriable: true });
        sent.push(outgoing);
        return { messageId: `m${sent.length}` };
      },
    },
    states: verifications,
    sentMails: {
      sentOf: async (id) => new Set(mailedRequests.get(id)),
      recordSent: async (id, kind) => void mailedRequests.set(id, new Set([...(mailedRequests.get(id) ?? []), kind])),
    },
  };
  const verify: VerifyDeps = {
    verifications,
    clock,
    links,
    secret: SECRET,
    publisher: {
      async publishVerified(event) {
        await new Promise((resolve) => setImmediate(resolve));
        if (!kafkaUp) throw new AppError('KAFKA_UNAVAILABLE', 'down', { retriable: true, httpStatus: 503 });
        published.push(event);
      },
    },
  };
  const verifyLink = () => {
    const url = /https:\/\/intake\.example\/verify\/(\S+)/.exec(
      sent.find((m) => m.subject.startsWith('Confirm'))!.text,
    );
    return url![1]!;
  };
  /** What intake does for a keyed request: record its state behind the answer, mail from its event. */
  const acknowledgeAndMail = async (request = incoming(), acceptedAs = accepted) => {
    await recordState(request, acceptedAs);
    const mailed = await mailAcknowledgement(mail, receivedEvent(request, acceptedAs));
    return { statusUrl: links.statusUrl(acceptedAs.requestId, acceptedAs.receivedAt), mailed };
  };
  return {
    recordState,
    acknowledgeAndMail,
    mail,
    verify,
    sent,
    published,
    verifications,
    links,
    verifyLink,
    setMail: (up: boolean) => (mailUp = up),
    setKafka: (up: boolean) => (kafkaUp = up),
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
    now: () => now,
  };
}

describe('acknowledging a request (mails from the event, state stored before them)', () => {
  it('When a pending request is acknowledged, then a receipt and a verification mail go to the requester', async () => {
    const h = harness();
    const ack = await h.acknowledgeAndMail();
    expect(ack.mailed).toEqual(['receipt', 'verification']);
    expect(h.sent.map((mail) => [mail.to, mail.subject])).toEqual([
      ['ada@example.org', 'We received your privacy request PR-AAAA-BBBB'],
      ['ada@example.org', 'Confirm your privacy request PR-AAAA-BBBB'],
    ]);
    expect(h.sent[0]?.text).toContain(ack.statusUrl);
    expect(h.sent[1]?.text).toContain(CODE);
    // Neither the code nor any personal data is stored.
    const stored = JSON.stringify(await h.verifications.find(requestId));
    expect(stored).not.toContain(CODE);
    expect(stored).not.toContain('ada@example.org');
  });

  it('When no state was stored for the event (an API call without Idempotency-Key, or a caller that had answered 503), then it is stored before the first mail goes, so the mailed link and code work', async () => {
    const h = harness();
    const storedWhenMailed: boolean[] = [];
    const mailer = h.mail.mailer;
    h.mail.mailer = {
      send: async (outgoing) => {
        storedWhenMailed.push((await h.verifications.find(requestId)) !== undefined);
        return mailer.send(outgoing);
      },
    };
    const keyless = { ...incoming(), idempotencyKey: 'api:x:generated:1', idempotencyKeyGenerated: true };
    await mailAcknowledgement(h.mail, receivedEvent(keyless, accepted));
    expect(storedWhenMailed).toEqual([true, true]);
    expect(await h.verifications.find(requestId)).toMatchObject({ status: 'pending', reference: 'PR-AAAA-BBBB' });
    expect(await verifyByLink(h.verify, h.verifyLink())).toMatchObject({ outcome: 'verified' });
  });

  it('When the received event is delivered again, then nothing more is mailed', async () => {
    const h = harness();
    await h.acknowledgeAndMail();
    expect(await mailAcknowledgement(h.mail, receivedEvent(incoming(), accepted))).toEqual([]);
    expect(h.sent).toHaveLength(2);
  });

  it('When SES fails, then mailing rejects retriably and is not recorded as done; the next delivery sends', async () => {
    const h = harness();
    await h.recordState();
    h.setMail(false);
    await expect(mailAcknowledgement(h.mail, receivedEvent(incoming(), accepted))).rejects.toMatchObject({
      retriable: true,
    });
    h.setMail(true);
    expect(await mailAcknowledgement(h.mail, receivedEvent(incoming(), accepted))).toEqual(['receipt', 'verification']);
  });

  it('When the event is older than the verification window (a new consumer group reading history), then nothing is mailed, but its state is stored for the status page', async () => {
    const h = harness();
    h.advance(72 * 3600_000 + 1);
    expect(await mailAcknowledgement(h.mail, receivedEvent(incoming(), accepted))).toEqual([]);
    expect(h.sent).toEqual([]);
    expect(await h.verifications.find(requestId)).toMatchObject({ reference: 'PR-AAAA-BBBB', status: 'pending' });
  });

  it('When an email-channel request is verified at intake, then only the receipt is sent and nothing awaits confirmation', async () => {
    const h = harness();
    const ack = await h.acknowledgeAndMail(incoming({ status: 'verified', method: 'ses-verdicts' }));
    expect(ack.mailed).toEqual(['receipt']);
    expect(await h.verifications.find(requestId)).toMatchObject({ status: 'verified', method: 'ses-verdicts' });
  });

  it('When two requests are mailed, then each has its own code, and the code is the one the status page accepts', () => {
    const other = '0193a1c2-7d4e-4a10-9b7c-000000000002';
    expect(CODE).toMatch(/^\d{6}$/);
    expect(verificationCodeFor(SECRET, other)).not.toBe(CODE);
    expect(verificationCodeFor('another-secret-0123456789abcdef0123456', requestId)).not.toBe(CODE);
  });
});

describe('verification', () => {
  it('When the link is confirmed several times at once, then privacy.request.verified.v1 is published exactly once', async () => {
    const h = harness();
    await h.acknowledgeAndMail();
    const token = h.verifyLink();
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => verifyByLink(h.verify, token)));
    expect(outcomes.every((o) => o.outcome === 'verified')).toBe(true);
    expect(h.published).toHaveLength(1);
    expect(EVENTS.requestVerifiedV1.parse(h.published[0]).payload).toEqual({
      requestId,
      verifiedAt: h.now().toISOString(),
      method: 'email-link',
    });
    await verifyByLink(h.verify, token);
    expect(h.published).toHaveLength(1);
  });

  it('When Kafka is down at confirmation, then the confirmation is stored with its event in the outbox, not called published, and a later click publishes nothing of its own', async () => {
    const h = harness();
    await h.acknowledgeAndMail();
    const token = h.verifyLink();
    h.setKafka(false);
    expect(await verifyByLink(h.verify, token)).toMatchObject({ outcome: 'verified', published: false });
    const clickedAt = h.now();
    h.setKafka(true);
    h.advance(1000);
    expect(await verifyByLink(h.verify, token)).toMatchObject({ outcome: 'verified', published: false });
    expect(h.published).toHaveLength(0);
    // What the sweeper will publish: the event says when the requester confirmed.
    expect(h.verifications.records.get(requestId)?.outbox?.payload.verifiedAt).toBe(clickedAt.toISOString());
  });

  it('When the link has expired, then nothing is verified', async () => {
    const h = harness();
    await h.acknowledgeAndMail();
    const token = h.verifyLink();
    h.advance(73 * 3600_000);
    expect(await verifyByLink(h.verify, token)).toEqual({ outcome: 'expired' });
    expect(h.published).toHaveLength(0);
  });

  it('When the right code is typed, then the request is verified; wrong codes lock after the limit', async () => {
    const h = harness();
    await h.acknowledgeAndMail();
    const statusToken = h.links.statusToken(requestId, h.now());
    expect(await verifyByCode(h.verify, statusToken, '000000')).toEqual({ outcome: 'wrong-code' });
    expect(await verifyByCode(h.verify, statusToken, `${CODE.slice(0, 3)} ${CODE.slice(3)}`)).toMatchObject({
      outcome: 'verified',
    });
    expect(h.published).toHaveLength(1);

    const other = harness();
    await other.acknowledgeAndMail();
    const token = other.links.statusToken(requestId, other.now());
    for (let i = 1; i < MAX_CODE_ATTEMPTS; i += 1) await verifyByCode(other.verify, token, '000000');
    expect(await verifyByCode(other.verify, token, '000000')).toEqual({ outcome: 'locked' });
    expect(await verifyByCode(other.verify, token, CODE)).toEqual({ outcome: 'locked' });
    expect(other.published).toHaveLength(0);
  });

  it('When a status token is used as a verification link, then it verifies nothing', async () => {
    const h = harness();
    await h.acknowledgeAndMail();
    expect(await verifyByLink(h.verify, h.links.statusToken(requestId, h.now()))).toEqual({ outcome: 'invalid-link' });
  });

  it('When the status page is read before verification, then it shows reference, date, rights and state only (no customer)', async () => {
    const h = harness();
    await h.acknowledgeAndMail();
    const view = await requestStatus(h.verify, h.links.statusToken(requestId, h.now()));
    expect(view).toEqual({
      stored: true,
      reference: 'PR-AAAA-BBBB',
      receivedAt: h.now(),
      rights: ['access', 'erasure'],
      verification: 'pending',
      canEnterCode: true,
      forwards: [],
    });
  });

  it('When the status page is read before the state is stored, then it shows only the reference; a forged link shows nothing', async () => {
    const h = harness();
    const view = await requestStatus(h.verify, h.links.statusToken(requestId, h.now()));
    expect(view).toEqual({ stored: false, reference: referenceFor(requestId) });
    const forged = new RequesterLinks('another-secret-0123456789abcdef0123456789', 'https://intake.example');
    expect(await requestStatus(h.verify, forged.statusToken(requestId, h.now()))).toBeUndefined();
  });
});
