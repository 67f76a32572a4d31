import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { testLogger } from '../../../test/support/test-env';
import { startEmailHarness, startSesInboundServer, type EmailHarness } from './email-harness';
import {
  TEST_CERT_URL,
  createTestSnsPki,
  sesReceivedMessage,
  signedSnsMessage,
  type TestSnsPki,
} from './email-sns-signer';

const ROGUE_CERT_URL = 'https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-rogue.pem';

const mime = (messageId: string, overrides: { from?: string; subject?: string; text?: string } = {}) =>
  [
    `From: ${overrides.from ?? 'Ada Lovelace <ada@signer.example>'}`,
    'To: privacy@relay.example',
    `Subject: ${overrides.subject ?? 'Please delete my data'}`,
    `Message-ID: <${messageId}>`,
    'Date: Wed, 25 Nov 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    overrides.text ?? 'I want you to erase my data. Company: Acme Widgets Ltd',
    '',
  ].join('\r\n');

describe('Email intake over SES inbound (SNS HTTP): signed notifications into real Kafka', () => {
  let harness: EmailHarness;
  let pki: TestSnsPki;
  let app: FastifyInstance;
  let base: string;
  const fetched: string[] = [];

  beforeAll(async () => {
    [harness, pki] = await Promise.all([startEmailHarness('emailses'), createTestSnsPki()]);
    const logger = testLogger('ses-inbound');
    ({ app, baseUrl: base } = await startSesInboundServer({
      accept: harness.accept,
      logger,
      pki,
      privacyAddresses: ['privacy@relay.example'],
      bodyLimitBytes: 1024 * 1024,
      maxMessageBytes: 512 * 1024,
      fetchText: async (url) => {
        fetched.push(url.href);
        if (url.href === TEST_CERT_URL) return pki.certPem;
        if (url.href === ROGUE_CERT_URL) return pki.rogueCertPem;
        if (url.searchParams.get('Action') === 'ConfirmSubscription') return '<ConfirmSubscriptionResponse/>';
        throw new Error('not found');
      },
    }));
  });

  afterAll(async () => {
    await app?.close();
    await harness?.close();
  });

  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}/v1/inbound/ses`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=UTF-8', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const eventsFor = async (messageId: string) =>
    (await harness.receivedEvents()).filter((event) => event.payload.idempotencyKey === `email:${messageId}`);

  it('When SES delivers a signed Received notification whose DMARC passes, then it is answered 200 and exactly one verified schema-valid event is on Kafka', async () => {
    const messageId = `${randomUUID()}@mail.signer.example`;
    const response = await post(
      signedSnsMessage(pki.keyPem, {
        message: sesReceivedMessage(mime(messageId), { dmarc: 'PASS' }),
        subject: 'Amazon SES Email Receipt Notification',
      }),
    );
    expect(response).toMatchObject({ status: 200, body: { status: 'accepted', duplicate: false } });

    const events = await eventsFor(messageId);
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({
      channel: 'email-ses',
      reference: response.body.reference,
      requester: { name: 'Ada Lovelace', email: 'ada@signer.example' },
      rights: ['erasure'],
      verification: { status: 'verified', method: 'ses-verdicts' },
    });
    // The company named in the body is the relay's to find (the same way for every channel).
    expect(events[0]!.payload.company).toBeUndefined();
    expect(events[0]!.payload.text).toContain('Company: Acme Widgets Ltd');
  });

  it('When the same mail arrives twice (SignatureVersion 1, Base64 content), then the second is a duplicate and one event exists', async () => {
    const messageId = `${randomUUID()}@mail.signer.example`;
    const message = sesReceivedMessage(
      mime(messageId, { subject: 'SAR', text: 'What do you hold on me?' }),
      { dmarc: 'PASS', spf: 'FAIL' },
      'BASE64',
    );
    const first = await post(signedSnsMessage(pki.keyPem, { message, signatureVersion: '1' }));
    const second = await post(signedSnsMessage(pki.keyPem, { message, signatureVersion: '1' }));
    expect(first).toMatchObject({ status: 200, body: { duplicate: false } });
    expect(second).toMatchObject({ status: 200, body: { duplicate: true, reference: first.body.reference } });

    const events = await eventsFor(messageId);
    expect(events).toHaveLength(1);
    expect(events[0]!.payload.rights).toEqual(['access']);
    expect(events[0]!.payload.verification).toEqual({ status: 'verified', method: 'ses-verdicts' });
  });

  // SPF and DKIM can pass for the sending domain while From names anyone: a forged From stays
  // unverified and is confirmed by link, mailed to the From address, like a form request.
  it.each(['FAIL', 'GRAY', 'PROCESSING_FAILED'])(
    'When SPF and DKIM pass but the DMARC verdict is %s, then the request is accepted for the From address but stays pending',
    async (dmarc) => {
      const messageId = `${randomUUID()}@mail.signer.example`;
      const message = sesReceivedMessage(mime(messageId, { from: 'Bank Customer <victim@bank.example>' }), {
        spf: 'PASS',
        dkim: 'PASS',
        dmarc,
      });
      expect((await post(signedSnsMessage(pki.keyPem, { message }))).status).toBe(200);
      const [event] = await eventsFor(messageId);
      expect(event!.payload.requester.email).toBe('victim@bank.example');
      expect(event!.payload.verification).toEqual({ status: 'pending' });
    },
  );

  it('When SPF fails and DMARC does not pass, then the request is accepted but stays pending', async () => {
    const messageId = `${randomUUID()}@mail.signer.example`;
    const message = sesReceivedMessage(mime(messageId), { spf: 'FAIL', dkim: 'PASS', dmarc: 'GRAY' });
    expect((await post(signedSnsMessage(pki.keyPem, { message }))).status).toBe(200);
    expect((await eventsFor(messageId))[0]!.payload.verification).toEqual({ status: 'pending' });
  });

  it.each([
    [
      'signed with a key that is not the certificate’s',
      () => signedSnsMessage(pki.rogueKeyPem, { message: sesReceivedMessage(mime(forgedId)) }),
      'signature',
    ],
    [
      'altered after signing',
      () => {
        const genuine = signedSnsMessage(pki.keyPem, {
          message: sesReceivedMessage(mime(`${randomUUID()}@x.example`)),
        });
        return { ...genuine, Message: sesReceivedMessage(mime(forgedId)) };
      },
      'signature',
    ],
    [
      'signed by a certificate from another CA',
      () =>
        signedSnsMessage(pki.rogueKeyPem, {
          message: sesReceivedMessage(mime(forgedId)),
          certUrl: ROGUE_CERT_URL,
        }),
      'cert-untrusted',
    ],
    [
      'pointing SigningCertURL at a host that is not SNS',
      () =>
        signedSnsMessage(pki.keyPem, {
          message: sesReceivedMessage(mime(forgedId)),
          certUrl: 'https://sns.eu-west-2.amazonaws.com.evil.example/cert.pem',
        }),
      'cert-url',
    ],
  ])('When a notification is %s, then it is refused 403 and no event is published', async (_what, build, failure) => {
    const response = await post(build());
    expect(response).toEqual({
      status: 403,
      body: { error: { code: 'SNS_SIGNATURE_INVALID', message: expect.any(String), details: { failure } } },
    });
    expect(await eventsFor(forgedId)).toHaveLength(0);
  });

  it('When a validly signed notification comes from a topic that is not allowed, then it is refused 403 and no event is published', async () => {
    const messageId = `${randomUUID()}@mail.signer.example`;
    const response = await post(
      signedSnsMessage(pki.keyPem, {
        message: sesReceivedMessage(mime(messageId)),
        topicArn: 'arn:aws:sns:eu-west-2:123456789012:someone-elses-topic',
      }),
    );
    expect(response).toMatchObject({ status: 403, body: { error: { code: 'SNS_TOPIC_NOT_ALLOWED' } } });
    expect(await eventsFor(messageId)).toHaveLength(0);
  });

  it('When SNS asks to confirm a subscription, then the SubscribeURL is fetched; one that is not on an SNS host is refused and never fetched', async () => {
    const confirmation = signedSnsMessage(pki.keyPem, {
      type: 'SubscriptionConfirmation',
      message: 'You have chosen to subscribe',
    });
    expect(await post(confirmation, { 'x-amz-sns-message-type': 'SubscriptionConfirmation' })).toEqual({
      status: 200,
      body: { status: 'subscribed' },
    });
    expect(fetched).toContain(confirmation.SubscribeURL);

    const elsewhere = 'https://attacker.example/?Action=ConfirmSubscription';
    const hostile = signedSnsMessage(pki.keyPem, {
      type: 'SubscriptionConfirmation',
      message: 'You have chosen to subscribe',
      subscribeUrl: elsewhere,
    });
    expect(await post(hostile)).toMatchObject({ status: 400, body: { error: { code: 'SNS_SUBSCRIBE_URL_INVALID' } } });
    expect(fetched).not.toContain(elsewhere);
  });
});

const forgedId = `${randomUUID()}@forged.example`;
