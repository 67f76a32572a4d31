import { randomUUID } from 'node:crypto';
import { startSmtpIntake, type SmtpIntake } from '@privacy-relay/intake/entry-points/smtp/smtp-intake';
import type { AcceptIncoming } from '@privacy-relay/intake/entry-points/smtp/receive-email';
import { testLogger } from '../../../test/support/test-env';
import { RawSmtpClient } from './email-raw-smtp';

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
