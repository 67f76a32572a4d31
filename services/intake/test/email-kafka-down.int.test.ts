import { randomUUID } from 'node:crypto';
import { startLocalKafka, type LocalKafka } from '@privacy-relay/infra';
import { startSmtpIntake, type SmtpIntake } from '@privacy-relay/intake/entry-points/smtp/smtp-intake';
import type { FastifyInstance } from 'fastify';
import nodemailer from 'nodemailer';
import { eventually, testLogger } from '../../../test/support/test-env';
import { startEmailHarness, startSesInboundServer, type EmailHarness } from './email-harness';
import { createTestSnsPki, sesReceivedMessage, signedSnsMessage, type TestSnsPki } from './email-sns-signer';

// Stopping Kafka must not disturb the other test files, so this file runs a broker of its own.
// That needs the local (no-Docker) stack's Java and Maven; elsewhere the file is skipped.
const describeLocal = process.env.TEST_STACK_SOURCE === 'local' ? describe : describe.skip;

describeLocal('Email intake while Kafka is away: nothing accepted, nothing lost', () => {
  let kafka: LocalKafka;
  let harness: EmailHarness;
  let smtp: SmtpIntake;
  let app: FastifyInstance;
  let pki: TestSnsPki;
  let sesUrl: string;

  beforeAll(async () => {
    kafka = await startLocalKafka({ log: () => undefined });
    [harness, pki] = await Promise.all([
      startEmailHarness('emailkafkadown', { kafkaBrokers: kafka.brokers.split(','), sendTimeoutMs: 5_000 }),
      createTestSnsPki(),
    ]);
    const logger = testLogger('email-kafka-down');
    smtp = await startSmtpIntake({
      config: {
        smtpHost: '127.0.0.1',
        smtpPort: 0,
        privacyAddresses: ['privacy@relay.example'],
        smtpMaxMessageBytes: 256 * 1024,
        smtpTrustSender: false,
      },
      accept: harness.accept,
      logger,
    });
    let baseUrl: string;
    ({ app, baseUrl } = await startSesInboundServer({
      accept: harness.accept,
      logger,
      pki,
      privacyAddresses: ['privacy@relay.example'],
      bodyLimitBytes: 1024 * 1024,
      maxMessageBytes: 256 * 1024,
    }));
    sesUrl = `${baseUrl}/v1/inbound/ses`;
  });

  afterAll(async () => {
    await smtp?.stop();
    await app?.close();
    await harness?.close();
    await kafka?.close();
  });

  it('When Kafka is stopped, then SMTP answers 451 and SES inbound 503; when it is back, the resends give exactly one event each', async () => {
    const smtpMessageId = `${randomUUID()}@mail.signer.example`;
    const mail = {
      from: 'Ada Lovelace <ada@signer.example>',
      to: 'privacy@relay.example',
      subject: 'Right to be forgotten',
      text: 'Please erase my data.',
      messageId: `<${smtpMessageId}>`,
    };
    const send = () =>
      nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true }).sendMail(mail);

    const sesMessageId = `${randomUUID()}@mail.signer.example`;
    const sesNotification = sesReceivedMessage(
      [
        'From: Grace Hopper <grace@signer.example>',
        'To: privacy@relay.example',
        'Subject: Subject access request',
        `Message-ID: <${sesMessageId}>`,
        '',
        'A copy of my data, please.',
        '',
      ].join('\r\n'),
    );
    const postSes = () =>
      fetch(sesUrl, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=UTF-8' },
        body: JSON.stringify(signedSnsMessage(pki.keyPem, { message: sesNotification })),
      });

    await kafka.stop();
    await expect(send()).rejects.toMatchObject({ responseCode: 451 });
    const refused = await postSes();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBeTruthy();

    await kafka.start();
    // As a sending MTA and SNS do: try again until the answer is final.
    const accepted = await eventually(
      () =>
        send().catch((error: { responseCode?: number }) =>
          error.responseCode === 451 ? undefined : Promise.reject(error),
        ),
      90_000,
      'SMTP 250 after Kafka is back',
    );
    expect(accepted.response).toMatch(/^250 /);
    await eventually(
      async () => ((await postSes()).status === 200 ? true : undefined),
      90_000,
      'SES 200 after Kafka is back',
    );

    const events = await harness.receivedEvents({ atLeast: 2 });
    const keys = events.map((event) => event.payload.idempotencyKey);
    expect(keys.filter((key) => key === `email:${smtpMessageId}`)).toHaveLength(1);
    expect(keys.filter((key) => key === `email:${sesMessageId}`)).toHaveLength(1);
    expect(events).toHaveLength(2);
  });
});
