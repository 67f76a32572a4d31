import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@privacy-relay/shared/logger';
import { startSmtpIntake, type SmtpIntake } from '@privacy-relay/intake/entry-points/smtp/smtp-intake';
import type { FastifyInstance } from 'fastify';
import { startEmailHarness, startSesInboundServer, type EmailHarness } from './email-harness';
import { RawSmtpClient } from './email-raw-smtp';
import { createTestSnsPki, sesReceivedMessage, signedSnsMessage, type TestSnsPki } from './email-sns-signer';

const PRIVACY = 'privacy@relay.example';
const MAX_BYTES = 64 * 1024;
const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', 'mime', 'broken', name));

/** Bytes that are no mail at all: every byte value, over and over. */
const binaryJunk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256));
const tooManyParts = Buffer.from(
  [
    'From: ada@signer.example',
    `To: ${PRIVACY}`,
    'Subject: erase',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    ...Array.from({ length: 400 }, () => '--b\r\nContent-Type: text/plain\r\n\r\nx'),
    '--b--',
    '',
  ].join('\r\n'),
);
const manyBadAddresses = Buffer.from(
  `From: ${Array.from({ length: 500 }, (_, i) => `"n${i}" <bad${i}@@x>`).join(', ')}\r\nSubject: erase\r\n\r\nbody\r\n`,
);

describe('Email intake: broken MIME, SMTP and SNS input gets a clear refusal, never a crash', () => {
  let harness: EmailHarness;
  let smtp: SmtpIntake;
  let app: FastifyInstance;
  let pki: TestSnsPki;
  let sesUrl: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    [harness, pki] = await Promise.all([startEmailHarness('emailbroken'), createTestSnsPki()]);
    const logger = createLogger({
      name: 'email-broken',
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
          done();
        },
      }),
    });
    smtp = await startSmtpIntake({
      config: {
        smtpHost: '127.0.0.1',
        smtpPort: 0,
        privacyAddresses: [PRIVACY],
        smtpMaxMessageBytes: MAX_BYTES,
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
      privacyAddresses: [PRIVACY],
      bodyLimitBytes: 256 * 1024,
      maxMessageBytes: MAX_BYTES,
    }));
    sesUrl = `${baseUrl}/v1/inbound/ses`;
  });

  afterAll(async () => {
    await smtp?.stop();
    await app?.close();
    await harness?.close();
  });

  /** One SMTP transaction with exactly these bytes; the reply that decided it. */
  async function smtpSession(
    message: Buffer,
    options: { rcpt?: string; mailFromArgs?: string } = {},
  ): Promise<{ code: number; text: string }> {
    const { client } = await RawSmtpClient.open(smtp.port);
    try {
      await client.command('EHLO tests.example');
      const mailFrom = await client.command(`MAIL FROM:<bounce@signer.example>${options.mailFromArgs ?? ''}`);
      if (mailFrom.code !== 250) return mailFrom;
      const rcpt = await client.command(`RCPT TO:<${options.rcpt ?? PRIVACY}>`);
      if (rcpt.code !== 250) return rcpt;
      return await client.data(message);
    } finally {
      await client.close();
    }
  }

  const mimeCases: Array<[string, number, RegExp, () => Buffer]> = [
    ['no From header', 550, /sender/i, () => fixture('no-from.eml')],
    ['a From with a name but no address', 550, /sender/i, () => fixture('from-without-address.eml')],
    ['a From that is not an address', 550, /sender/i, () => fixture('from-not-an-address.eml')],
    ['a From that is an empty group', 550, /sender/i, () => fixture('from-empty-group.eml')],
    [
      'a Reply-To smuggling a Bcc line through an encoded CR LF (header injection)',
      550,
      /sender/i,
      () => fixture('header-injection-encoded-crlf.eml'),
    ],
    ['wrong and unknown charsets and no usable sender', 550, /sender/i, () => fixture('wrong-charsets-no-sender.eml')],
    ['an HTML-only body and no From', 550, /sender/i, () => fixture('html-only-no-from.eml')],
    ['a broken multipart and a malformed From', 550, /sender/i, () => fixture('broken-multipart-bad-from.eml')],
    ['NUL bytes in the headers', 554, /subject nor a text|request/i, () => fixture('nul-bytes-in-headers.eml')],
    ['neither subject nor text', 554, /subject nor a text/i, () => fixture('nothing-asked.eml')],
    ['nothing but an empty line', 554, /no headers|sender/i, () => fixture('empty.eml')],
    ['binary junk', 550, /sender/i, () => binaryJunk],
    ['more MIME parts than allowed', 554, /not parseable/i, () => tooManyParts],
    ['a From of 500 malformed addresses', 550, /sender/i, () => manyBadAddresses],
    [
      'a body over the size limit',
      552,
      /too big/i,
      () => Buffer.concat([fixture('no-from.eml'), Buffer.alloc(MAX_BYTES, 'a')]),
    ],
  ];

  it.each(mimeCases)(
    'When SMTP mail has %s, then it is refused %i and nothing is published',
    async (_what, code, text, build) => {
      const reply = await smtpSession(build());
      expect(reply.code).toBe(code);
      expect(reply.text).toMatch(text);
    },
  );

  it('When MAIL FROM announces a SIZE over the limit, then it is refused 552 before any data', async () => {
    const reply = await smtpSession(fixture('no-from.eml'), { mailFromArgs: ` SIZE=${MAX_BYTES + 1}` });
    expect(reply.code).toBe(552);
  });

  it('When RCPT TO names an address that is not a privacy address, then it is refused 550', async () => {
    const reply = await smtpSession(fixture('no-from.eml'), { rcpt: 'postmaster@relay.example' });
    expect(reply.code).toBe(550);
  });

  it('When DATA is sent before any recipient, then the client is told 503 and the session goes on', async () => {
    const { client } = await RawSmtpClient.open(smtp.port);
    try {
      await client.command('EHLO tests.example');
      expect((await client.command('DATA')).code).toBe(503);
      expect((await client.command('NOOP')).code).toBe(250);
    } finally {
      await client.close();
    }
  });

  const post = async (
    body: string | Buffer,
    contentType = 'text/plain; charset=UTF-8',
    extra: Record<string, string> = {},
  ) => {
    const response = await fetch(sesUrl, { method: 'POST', headers: { 'content-type': contentType, ...extra }, body });
    const json = (await response.json()) as { error?: { code: string; message: string } };
    return { status: response.status, code: json.error?.code, message: json.error?.message };
  };
  const signed = (message: string, extra: Parameters<typeof signedSnsMessage>[1] | object = {}) =>
    JSON.stringify(signedSnsMessage(pki.keyPem, { message, ...extra }));

  const snsCases: Array<{
    what: string;
    status: number;
    code: string;
    send: () => Promise<{ status: number; code?: string | undefined }>;
  }> = [
    { what: 'an empty body', status: 400, code: 'SNS_MALFORMED', send: () => post('') },
    {
      what: 'a body that is not JSON',
      status: 400,
      code: 'SNS_MALFORMED',
      send: () => post('{"Type": "Notification",'),
    },
    {
      what: 'JSON that is not an SNS message',
      status: 400,
      code: 'SNS_MALFORMED',
      send: () => post('[1,2,3]', 'application/json'),
    },
    {
      what: 'binary junk',
      status: 400,
      code: 'SNS_MALFORMED',
      send: () => post(binaryJunk, 'application/octet-stream'),
    },
    {
      what: 'an unknown SignatureVersion',
      status: 400,
      code: 'SNS_MALFORMED',
      send: () => post(JSON.stringify({ ...JSON.parse(signed('{}')), SignatureVersion: '3' })),
    },
    {
      what: 'a message-type header that contradicts the body',
      status: 400,
      code: 'SNS_MALFORMED',
      send: () => post(signed('{}'), undefined, { 'x-amz-sns-message-type': 'SubscriptionConfirmation' }),
    },
    {
      what: 'a signature that is not even Base64 of anything',
      status: 403,
      code: 'SNS_SIGNATURE_INVALID',
      send: () => post(JSON.stringify({ ...JSON.parse(signed('{}')), Signature: '!!!not-base64!!!' })),
    },
    {
      what: 'a certificate URL over plain http',
      status: 403,
      code: 'SNS_SIGNATURE_INVALID',
      send: () => post(signed('{}', { certUrl: 'http://sns.eu-west-2.amazonaws.com/cert.pem' })),
    },
    {
      what: 'a certificate URL that is not a .pem',
      status: 403,
      code: 'SNS_SIGNATURE_INVALID',
      send: () => post(signed('{}', { certUrl: 'https://sns.eu-west-2.amazonaws.com/?redirect=elsewhere' })),
    },
    {
      what: 'a certificate that cannot be fetched now',
      status: 503,
      code: 'SNS_CERTIFICATE_UNAVAILABLE',
      send: () => post(signed('{}', { certUrl: 'https://sns.eu-west-2.amazonaws.com/unreachable.pem' })),
    },
    {
      what: 'a signed Message that is not JSON',
      status: 400,
      code: 'SES_NOTIFICATION_MALFORMED',
      send: () => post(signed('not json')),
    },
    {
      what: 'a signed Received notification without content (S3 delivery)',
      status: 422,
      code: 'SES_CONTENT_MISSING',
      send: () => post(signed(JSON.stringify({ notificationType: 'Received', receipt: {} }))),
    },
    {
      what: 'signed content that is binary junk',
      status: 422,
      code: 'EMAIL_UNUSABLE',
      send: () => post(signed(sesReceivedMessage(binaryJunk.toString('latin1')))),
    },
    {
      what: 'signed content without a From',
      status: 422,
      code: 'EMAIL_UNUSABLE',
      send: () => post(signed(sesReceivedMessage(fixture('no-from.eml').toString('utf8')))),
    },
    {
      what: 'signed content over the mail size limit',
      status: 413,
      code: 'EMAIL_TOO_LARGE',
      send: () => post(signed(sesReceivedMessage('x'.repeat(MAX_BYTES + 1)))),
    },
    {
      what: 'a body over the route limit',
      status: 413,
      code: 'BODY_TOO_LARGE',
      send: () => post('x'.repeat(300 * 1024)),
    },
  ];

  it.each(snsCases)(
    'When POST /v1/inbound/ses gets $what, then it answers $status $code',
    async ({ send, status, code }) => {
      const response = await send();
      expect(response.status).toBe(status);
      expect(response.code).toBe(code);
    },
  );

  it('When all the broken input has been refused, then the listeners still work, nothing was published and no log line names an address', async () => {
    const messageId = `${randomUUID()}@mail.signer.example`;
    const ok = await smtpSession(
      Buffer.from(
        `From: Ada <ada@signer.example>\r\nTo: ${PRIVACY}\r\nSubject: erase\r\nMessage-ID: <${messageId}>\r\n\r\nErase it.\r\n`,
      ),
    );
    expect(ok.code).toBe(250);

    const events = await harness.receivedEvents({ atLeast: 1 });
    expect(events.map((event) => event.payload.idempotencyKey)).toEqual([`email:${messageId}`]);

    const rejections = logLines.filter((line) => line.includes('"email rejected"'));
    expect(rejections.length).toBeGreaterThanOrEqual(15);
    for (const line of logLines) {
      expect(line).not.toMatch(/signer\.example|evil\.example|relay\.example/);
      expect(line).not.toMatch(/Erase it|delete my data/i);
    }
  });
});
