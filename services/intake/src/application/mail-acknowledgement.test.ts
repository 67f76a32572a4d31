import { AppError } from '@privacy-relay/shared/errors';
import { intakeRequestSchema, type IncomingRequest } from '../domain/intake-request';
import { receivedEvent, type AcceptedRequest } from './accept-request';
import { mailAcknowledgement, type AcknowledgementMail, type MailAcknowledgementDeps } from './mail-acknowledgement';
import type { AcknowledgementMailLog, OutgoingMail } from './ports';
import { RequesterLinks } from './requester-links';
import { InMemoryVerificationStore } from './testing/in-memory-verification-store';

const SECRET = 'unit-test-secret-0123456789abcdef012345';
const requestId = '0193a1c2-7d4e-4a10-9b7c-0000000000a1';
const receivedAt = new Date('2026-03-02T09:00:00Z');
const accepted: AcceptedRequest = { requestId, reference: 'PR-CCCC-DDDD', receivedAt, duplicate: false };

// Everything a sender chooses, each carrying a marker that must never reach a mail.
const SENDER_CHOSEN = {
  name: 'WIN A PRIZE at https://evil.example/claim',
  company: 'Visit evil.example now Ltd',
  text: 'Click https://evil.example/free for your prize',
  otherRightText: 'evil.example other right',
};

function incoming(overrides: Partial<IncomingRequest> = {}): IncomingRequest {
  return {
    channel: 'email-ses',
    idempotencyKey: 'email:<m1@example.org>',
    verification: { status: 'pending' },
    request: intakeRequestSchema.parse({
      requester: { name: SENDER_CHOSEN.name, email: 'victim@example.org' },
      rights: ['access', 'other'],
      otherRightText: SENDER_CHOSEN.otherRightText,
      company: { name: SENDER_CHOSEN.company },
      text: SENDER_CHOSEN.text,
    }),
    ...overrides,
  };
}

function harness() {
  const sent: OutgoingMail[] = [];
  const mailLog = new Map<string, Set<AcknowledgementMail>>();
  const sentMails: AcknowledgementMailLog = {
    sentOf: async (id) => new Set(mailLog.get(id)),
    recordSent: async (id, kind) => void mailLog.set(id, new Set([...(mailLog.get(id) ?? []), kind])),
  };
  let failNextVerification = false;
  const deps: MailAcknowledgementDeps = {
    clock: { now: () => receivedAt },
    links: new RequesterLinks(SECRET, 'https://intake.example'),
    secret: SECRET,
    verificationTtlMs: 72 * 3600_000,
    states: new InMemoryVerificationStore(),
    sentMails,
    mailer: {
      async send(mail) {
        if (failNextVerification && mail.subject.startsWith('Confirm')) {
          failNextVerification = false;
          throw new AppError('MAIL_UNAVAILABLE', 'SES did not accept the mail', { retriable: true });
        }
        sent.push(mail);
        return { messageId: `m${sent.length}` };
      },
    },
  };
  return { deps, sent, failVerificationOnce: () => (failNextVerification = true) };
}

describe('acknowledgement mails to an address nobody has verified', () => {
  it('When the requester chose a display name, a company, free text and an "other" right, then neither mail carries any of it: only fixed wording, the reference, links and the code', async () => {
    const h = harness();
    await mailAcknowledgement(h.deps, receivedEvent(incoming(), accepted));
    expect(h.sent).toHaveLength(2);
    for (const mail of h.sent) {
      const everything = `${mail.subject}\n${mail.text}\n${mail.html ?? ''}`;
      expect(everything).not.toMatch(/evil\.example|PRIZE|prize/);
      expect(everything).toContain('PR-CCCC-DDDD');
    }
  });

  it('When the verification mail fails once after the receipt went out and the event comes again, then the receipt is not sent a second time', async () => {
    const h = harness();
    h.failVerificationOnce();
    const event = receivedEvent(incoming(), accepted);
    await expect(mailAcknowledgement(h.deps, event)).rejects.toMatchObject({ retriable: true });
    expect(await mailAcknowledgement(h.deps, event)).toEqual(['verification']);
    expect(h.sent.map((mail) => mail.subject)).toEqual([
      'We received your privacy request PR-CCCC-DDDD',
      'Confirm your privacy request PR-CCCC-DDDD',
    ]);
    expect(await mailAcknowledgement(h.deps, event)).toEqual([]);
  });

  it('When the request was kept beyond its address allowance (acknowledgement mails withheld), then nothing is mailed, and its state is stored', async () => {
    const h = harness();
    const event = receivedEvent({ ...incoming(), acknowledgementMailsWithheld: true }, accepted);
    expect(event.payload.acknowledgementMails).toBe('withheld');
    expect(await mailAcknowledgement(h.deps, event)).toEqual([]);
    expect(h.sent).toEqual([]);
    expect(await h.deps.states.find(requestId)).toMatchObject({ reference: 'PR-CCCC-DDDD' });
  });
});
