import { randomUUID } from 'node:crypto';
import { startSmtpIntake, type SmtpIntake } from '@privacy-relay/intake/entry-points/smtp/smtp-intake';
import type { AcceptIncoming } from '@privacy-relay/intake/entry-points/smtp/receive-email';
import { EmailThrottle, SubmissionLimits } from '@privacy-relay/intake/entry-points/http/email-throttle';
import type { FastifyInstance } from 'fastify';
import nodemailer from 'nodemailer';
import { testLogger } from '../../../test/support/test-env';
import { startEmailHarness, startSesInboundServer, type EmailHarness } from './email-harness';
import { RawSmtpClient } from './email-raw-smtp';
import { createTestSnsPki, sesReceivedMessage, signedSnsMessage } from './email-sns-signer';

const PRIVACY = 'privacy@relay.example';

function mail(from: string, messageId = `${randomUUID()}@signer.example`): string {
  return [
    `From: Ada <${from}>`,
    `To: ${PRIVACY}`,
    `Message-ID: <${messageId}>`,
    'Subject: access request',
    '',
    'Hello, I would like a copy of my data, please.',
    '',
  ].join('\r\n');
}

/** A session up to DATA's 354 (and the reply to DATA when it is not 354). */
async function openData(port: number, mailFromArgs = ''): Promise<{ client: RawSmtpClient; code: number }> {
  const { client } = await RawSmtpClient.open(port);
  await client.command('EHLO tests.example');
  expect((await client.command(`MAIL FROM:<bounce@signer.example>${mailFromArgs}`)).code).toBe(250);
  expect((await client.command(`RCPT TO:<${PRIVACY}>`)).code).toBe(250);
  return { client, code: (await client.command('DATA')).code };
}

describe('SMTP listener: the memory of messages in progress is bounded', () => {
  let smtp: SmtpIntake | undefined;
  const accepted: string[] = [];
  const accept: AcceptIncoming = async (incoming) => {
    accepted.push(incoming.idempotencyKey);
    return { requestId: randomUUID(), reference: 'PR-AAAA-BBBB', receivedAt: new Date(), duplicate: false };
  };

  afterAll(async () => {
    await smtp?.stop();
  });

  it('When one message in progress holds the whole budget, then a second is refused 452 without being read, and is taken once the first is done', async () => {
    const maxBytes = 64 * 1024;
    smtp = await startSmtpIntake({
      config: {
        smtpHost: '127.0.0.1',
        smtpPort: 0,
        privacyAddresses: [PRIVACY],
        smtpMaxMessageBytes: maxBytes,
        smtpTrustSender: false,
        smtpMemoryBudgetBytes: maxBytes,
      },
      accept,
      logger: testLogger('smtp-budget'),
    });
    // The first message has started (354: its DATA is open, its memory reserved) and is not finished.
    const first = await openData(smtp.port);
    expect(first.code).toBe(354);
    first.client.write(mail('first@signer.example').slice(0, 40));

    const second = await openData(smtp.port);
    expect(second.code).toBe(354);
    second.client.write(`${mail('second@signer.example')}\r\n.\r\n`);
    const refused = await second.client.reply();
    expect(refused.code).toBe(452);
    await second.client.close();
    expect(accepted).toEqual([]);

    first.client.write(`${mail('first@signer.example').slice(40)}\r\n.\r\n`);
    expect((await first.client.reply()).code).toBe(250);
    await first.client.close();

    const third = await openData(smtp.port);
    third.client.write(`${mail('third@signer.example')}\r\n.\r\n`);
    expect((await third.client.reply()).code).toBe(250);
    await third.client.close();
    expect(accepted).toHaveLength(2);
  });

  it('When the budget is smaller than one message may be, then the listener does not start', async () => {
    await expect(
      startSmtpIntake({
        config: {
          smtpHost: '127.0.0.1',
          smtpPort: 0,
          privacyAddresses: [PRIVACY],
          smtpMaxMessageBytes: 2048,
          smtpTrustSender: false,
          smtpMemoryBudgetBytes: 1024,
        },
        accept,
        logger: testLogger('smtp-budget'),
      }),
    ).rejects.toThrow(/INTAKE_SMTP_MEMORY_BUDGET_BYTES/);
  });
});

describe('Email channels: one requester address gets its hourly allowance, retries of a Message-ID are free', () => {
  let harness: EmailHarness;
  let smtp: SmtpIntake | undefined;
  let ses: FastifyInstance | undefined;
  let sesBase = '';
  // One allowance per address across the channels, as the service wires it: one new request an hour.
  const limits = new SubmissionLimits(new EmailThrottle(1, 60 * 60 * 1000));

  beforeAll(async () => {
    const [started, pki] = await Promise.all([startEmailHarness('emaillimits'), createTestSnsPki()]);
    harness = started;
    const logger = testLogger('email-limits');
    smtp = await startSmtpIntake({
      config: {
        smtpHost: '127.0.0.1',
        smtpPort: 0,
        privacyAddresses: [PRIVACY],
        smtpMaxMessageBytes: 256 * 1024,
        smtpTrustSender: false,
      },
      accept: harness.accept,
      limits,
      logger,
    });
    const server = await startSesInboundServer({
      accept: harness.accept,
      limits,
      logger,
      pki,
      privacyAddresses: [PRIVACY],
      bodyLimitBytes: 1024 * 1024,
      maxMessageBytes: 512 * 1024,
    });
    ses = server.app;
    sesBase = server.baseUrl;
    postSes = async (raw: string) => {
      const response = await fetch(`${sesBase}/v1/inbound/ses`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=UTF-8' },
        body: JSON.stringify(signedSnsMessage(pki.keyPem, { message: sesReceivedMessage(raw) })),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
  });
  let postSes: (raw: string) => Promise<{ status: number; body: Record<string, unknown> }>;

  afterAll(async () => {
    await smtp?.stop();
    await ses?.close();
    await harness?.close();
  });

  const sendSmtp = (from: string, messageId: string) =>
    nodemailer
      .createTransport({ host: '127.0.0.1', port: smtp!.port, secure: false, ignoreTLS: true })
      .sendMail({ envelope: { from, to: PRIVACY }, raw: mail(from, messageId) })
      .then(
        (info) => ({ code: 250, response: info.response }),
        (error: { responseCode?: number; response?: string }) => ({
          code: error.responseCode,
          response: error.response ?? '',
        }),
      );

  it('When one From address mails a second new request within the hour over SMTP, then it is refused 450 (the sending MTA retries later), while the first Message-ID mailed again is still taken', async () => {
    const from = `smtp-${randomUUID()}@signer.example`;
    const first = await sendSmtp(from, `${randomUUID()}@signer.example`);
    expect(first.code).toBe(250);
    const secondId = `${randomUUID()}@signer.example`;
    const second = await sendSmtp(from, secondId);
    expect(second.code).toBe(450);
    expect(second.response).not.toContain(from);

    const firstAgainId = `${randomUUID()}@signer.example`;
    const other = `smtp-${randomUUID()}@signer.example`;
    expect((await sendSmtp(other, firstAgainId)).code).toBe(250);
    const again = await sendSmtp(other, firstAgainId);
    expect(again).toMatchObject({ code: 250 });
    expect(again.response).toBe((await sendSmtp(other, firstAgainId)).response);

    const events = await harness.receivedEvents({ atLeast: 2 });
    expect(events.filter((event) => event.payload.idempotencyKey === `email:${secondId}`)).toEqual([]);
  });

  it('When one From address sends a second new request within the hour through SES, then it is accepted and kept, but marked so that no acknowledgement mail goes to the address', async () => {
    const from = `ses-${randomUUID()}@signer.example`;
    const firstId = `${randomUUID()}@signer.example`;
    const secondId = `${randomUUID()}@signer.example`;
    expect(await postSes(mail(from, firstId))).toMatchObject({ status: 200, body: { status: 'accepted' } });
    expect(await postSes(mail(from, secondId))).toMatchObject({ status: 200, body: { status: 'accepted' } });
    // SNS delivering the first notification again: the same request, not counted, not withheld.
    expect(await postSes(mail(from, firstId))).toMatchObject({ status: 200, body: { duplicate: true } });

    const events = await harness.receivedEvents({ atLeast: 2 });
    const of = (messageId: string) => events.filter((event) => event.payload.idempotencyKey === `email:${messageId}`);
    expect(of(firstId)).toHaveLength(1);
    expect(of(firstId)[0]?.payload.acknowledgementMails).toBeUndefined();
    expect(of(secondId)).toHaveLength(1);
    expect(of(secondId)[0]?.payload.acknowledgementMails).toBe('withheld');
  });
});
