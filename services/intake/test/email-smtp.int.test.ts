import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSmtpIntake, type SmtpIntake } from '@privacy-relay/intake/entry-points/smtp/smtp-intake';
import nodemailer from 'nodemailer';
import { generate } from 'selfsigned';
import { testLogger } from '../../../test/support/test-env';
import { startEmailHarness, type EmailHarness } from './email-harness';

const PRIVACY_ADDRESS = 'privacy@relay.example';
/** The authserv-id our (imagined) MTA in front of the listener writes in its Authentication-Results. */
const OUR_MTA = 'mx.relay.example';

const smtpConfig = (overrides: { smtpTrustSender?: boolean } = {}) => ({
  smtpHost: '127.0.0.1',
  smtpPort: 0,
  privacyAddresses: [PRIVACY_ADDRESS, 'dpo@relay.example'],
  smtpMaxMessageBytes: 256 * 1024,
  smtpTrustSender: overrides.smtpTrustSender ?? false,
  smtpAuthservId: overrides.smtpTrustSender ? OUR_MTA : '',
  // The test client stands in for our MTA.
  smtpTrustedMtaAddresses: overrides.smtpTrustSender ? ['127.0.0.1'] : [],
});

function transportTo(port: number) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
}

describe('Email intake over SMTP: a real client, real Kafka, real ledger', () => {
  let harness: EmailHarness;
  let smtp: SmtpIntake;
  let trustingSmtp: SmtpIntake;

  beforeAll(async () => {
    harness = await startEmailHarness('emailsmtp');
    const logger = testLogger('smtp-intake');
    smtp = await startSmtpIntake({ config: smtpConfig(), accept: harness.accept, logger });
    trustingSmtp = await startSmtpIntake({
      config: smtpConfig({ smtpTrustSender: true }),
      accept: harness.accept,
      logger,
    });
  });

  afterAll(async () => {
    await smtp?.stop();
    await trustingSmtp?.stop();
    await harness?.close();
  });

  const eventsFor = async (messageId: string) =>
    (await harness.receivedEvents({ atLeast: 1 })).filter(
      (event) => event.payload.idempotencyKey === `email:${messageId}`,
    );

  it('When a signer mails a request to the privacy address, then it is answered 250 with a reference and exactly one schema-valid event is on Kafka', async () => {
    const messageId = `${randomUUID()}@mail.signer.example`;
    const info = await transportTo(smtp.port).sendMail({
      from: { name: 'Ada Lovelace', address: 'ada@signer.example' },
      to: PRIVACY_ADDRESS,
      subject: 'Subject access request',
      text: 'Hello,\n\nI would like a copy of my data and then please delete it.\nMy contract with Acme Widgets Ltd was signed through your platform.\n\nAda',
      messageId: `<${messageId}>`,
      attachments: [
        { filename: 'id-card.pdf', content: Buffer.from('%PDF-1.4 not really'), contentType: 'application/pdf' },
      ],
    });
    expect(info.response).toMatch(/^250 .*PR-[0-9A-Z]{4}-[0-9A-Z]{4}/);

    const events = await eventsFor(messageId);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(info.response).toContain(event!.payload.reference);
    expect(event!.payload).toMatchObject({
      channel: 'email-smtp',
      idempotencyKey: `email:${messageId}`,
      requester: { name: 'Ada Lovelace', email: 'ada@signer.example' },
      rights: ['access', 'erasure'],
      verification: { status: 'pending' },
      attachments: [{ filename: 'id-card.pdf', contentType: 'application/pdf', size: 19 }],
    });
    // The company named in the body is the relay's to find (the same way for every channel).
    expect(event!.payload.company).toBeUndefined();
    expect(event!.payload.text).toContain('My contract with Acme Widgets Ltd');
  });

  it('When the same mail (same Message-ID) is delivered twice, then both deliveries get 250 with the same reference and one event exists', async () => {
    const messageId = `${randomUUID()}@mail.signer.example`;
    const mail = {
      from: 'Grace Hopper <grace@signer.example>',
      to: PRIVACY_ADDRESS,
      subject: 'Please erase my data',
      text: 'Erase everything you hold about me.',
      messageId: `<${messageId}>`,
    };
    const first = await transportTo(smtp.port).sendMail(mail);
    const second = await transportTo(smtp.port).sendMail(mail);
    const reference = /PR-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(first.response)?.[0];
    expect(reference).toBeDefined();
    expect(second.response).toContain(reference);

    const events = await eventsFor(messageId);
    expect(events).toHaveLength(1);
    expect(events[0]!.payload.rights).toEqual(['erasure']);
  });

  it('When mail is addressed to anyone but the privacy addresses, then the recipient is refused with 550 and nothing is published', async () => {
    const messageId = `${randomUUID()}@mail.signer.example`;
    await expect(
      transportTo(smtp.port).sendMail({
        from: 'ada@signer.example',
        to: 'someone-else@relay.example',
        subject: 'access',
        text: 'access please',
        messageId: `<${messageId}>`,
      }),
    ).rejects.toMatchObject({ responseCode: 550 });
    expect(await eventsFor(messageId)).toHaveLength(0);
  });

  it('When an auto-responder or a bounce writes to the privacy address, then it is taken (250) and dropped: no event, no receipt loop', async () => {
    const autoReply = `${randomUUID()}@mail.signer.example`;
    const bounce = `${randomUUID()}@mail.signer.example`;
    const outOfOffice = await transportTo(smtp.port).sendMail({
      from: 'Ada Lovelace <ada@signer.example>',
      to: PRIVACY_ADDRESS,
      subject: 'Out of office: your request',
      text: 'I am away; I will delete this later.',
      headers: { 'Auto-Submitted': 'auto-replied' },
      messageId: `<${autoReply}>`,
    });
    const nullSender = await transportTo(smtp.port).sendMail({
      envelope: { from: '', to: [PRIVACY_ADDRESS] },
      from: 'Mail Delivery System <mailer-daemon@signer.example>',
      to: PRIVACY_ADDRESS,
      subject: 'Undelivered Mail Returned to Sender: erase',
      text: 'This is the mail system.',
      messageId: `<${bounce}>`,
    });
    expect(outOfOffice.response).toMatch(/^250 .*discarded/);
    expect(nullSender.response).toMatch(/^250 .*discarded/);
    expect(await eventsFor(autoReply)).toHaveLength(0);
    expect(await eventsFor(bounce)).toHaveLength(0);
  });

  it("When the listener trusts senders and our MTA's Authentication-Results says dmarc=pass for the From domain, then the From address is verified by smtp-policy; a different Reply-To stays pending", async () => {
    const trusted = `${randomUUID()}@mail.signer.example`;
    const replyTo = `${randomUUID()}@mail.signer.example`;
    const ourVerdict = {
      'Authentication-Results': `${OUR_MTA}; spf=pass smtp.mailfrom=signer.example; dkim=pass header.d=signer.example; dmarc=pass (p=reject dis=none) header.from=signer.example`,
    };
    await transportTo(trustingSmtp.port).sendMail({
      from: 'Ada Lovelace <ada@signer.example>',
      to: 'DPO@relay.example',
      subject: 'Unsubscribe',
      text: 'Unsubscribe me from everything.',
      headers: ourVerdict,
      messageId: `<${trusted}>`,
    });
    await transportTo(trustingSmtp.port).sendMail({
      from: 'Ada Lovelace <ada@signer.example>',
      replyTo: 'Ada at home <ada@home.example>',
      to: PRIVACY_ADDRESS,
      subject: 'Unsubscribe',
      text: 'Unsubscribe me from everything.',
      headers: ourVerdict,
      messageId: `<${replyTo}>`,
    });

    const [verified] = await eventsFor(trusted);
    expect(verified!.payload.verification).toEqual({ status: 'verified', method: 'smtp-policy' });
    expect(verified!.payload.rights).toEqual(['withdraw-consent']);
    const [pending] = await eventsFor(replyTo);
    expect(pending!.payload.requester).toEqual({ name: 'Ada at home', email: 'ada@home.example' });
    expect(pending!.payload.verification).toEqual({ status: 'pending' });
  });

  const forgedFromVictim = async (authenticationResults: string[]) => {
    const messageId = `${randomUUID()}@mail.attacker.example`;
    await transportTo(trustingSmtp.port).sendMail({
      from: 'Victim <victim@gmail.com>',
      to: PRIVACY_ADDRESS,
      subject: 'Erase my data',
      text: 'Please erase everything you hold about me.',
      headers: authenticationResults.map((value) => ({ key: 'Authentication-Results', value })),
      messageId: `<${messageId}>`,
    });
    const [event] = await eventsFor(messageId);
    return event!.payload.verification;
  };

  it('When the listener trusts senders and a client connects directly with a forged From and no Authentication-Results of our MTA, then the request stays pending', async () => {
    expect(await forgedFromVictim([])).toEqual({ status: 'pending' });
  });

  it('When the listener trusts senders and the mail carries a dmarc=pass Authentication-Results of another authserv-id, then the request stays pending', async () => {
    expect(await forgedFromVictim(['mx.attacker.example; dmarc=pass header.from=gmail.com'])).toEqual({
      status: 'pending',
    });
  });

  it("When the listener trusts senders and our MTA's Authentication-Results says dmarc=fail, then the request stays pending", async () => {
    expect(await forgedFromVictim([`${OUR_MTA}; spf=none; dmarc=fail (p=none) header.from=gmail.com`])).toEqual({
      status: 'pending',
    });
  });

  it("When the listener trusts senders and a dmarc=pass with our authserv-id stands below our MTA's topmost dmarc=fail, then the request stays pending", async () => {
    expect(
      await forgedFromVictim([
        `${OUR_MTA}; dmarc=fail (p=none) header.from=gmail.com`,
        `${OUR_MTA}; dmarc=pass header.from=gmail.com`,
      ]),
    ).toEqual({ status: 'pending' });
  });

  it("When the listener trusts senders and a client that is not our MTA sends our MTA's dmarc=pass, then the request stays pending", async () => {
    const elsewhere = await startSmtpIntake({
      config: { ...smtpConfig({ smtpTrustSender: true }), smtpTrustedMtaAddresses: ['192.0.2.0/24', '2001:db8::/32'] },
      accept: harness.accept,
      logger: testLogger('smtp-intake-other-mta'),
    });
    try {
      const messageId = `${randomUUID()}@mail.attacker.example`;
      await transportTo(elsewhere.port).sendMail({
        from: 'Victim <victim@gmail.com>',
        to: PRIVACY_ADDRESS,
        subject: 'Erase my data',
        text: 'Please erase everything you hold about me.',
        headers: { 'Authentication-Results': `${OUR_MTA}; dmarc=pass header.from=gmail.com` },
        messageId: `<${messageId}>`,
      });
      const [event] = await eventsFor(messageId);
      expect(event!.payload.verification).toEqual({ status: 'pending' });
    } finally {
      await elsewhere.stop();
    }
  });

  it.each([
    ['no authserv-id', { smtpAuthservId: '' }],
    ['no address of our MTA', { smtpTrustedMtaAddresses: [] }],
  ])(
    'When the listener is to trust senders but %s is configured, then it does not start and says why',
    async (_what, missing) => {
      await expect(
        startSmtpIntake({
          config: { ...smtpConfig({ smtpTrustSender: true }), ...missing },
          accept: harness.accept,
          logger: testLogger('smtp-intake-no-authserv-id'),
        }),
      ).rejects.toThrow(/INTAKE_SMTP_TRUST_SENDER.*INTAKE_SMTP_AUTHSERV_ID and INTAKE_SMTP_TRUSTED_MTA_ADDRESSES/);
    },
  );
});

describe('Email intake over SMTP with STARTTLS', () => {
  let harness: EmailHarness;
  let tlsSmtp: SmtpIntake;
  let caPem: string;
  let dir: string;

  beforeAll(async () => {
    harness = await startEmailHarness('emailsmtptls');
    // A self-signed certificate for 127.0.0.1, made at test time; the client trusts exactly it.
    const pem = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    caPem = pem.cert;
    dir = await mkdtemp(join(tmpdir(), 'smtp-tls-'));
    await writeFile(join(dir, 'cert.pem'), pem.cert);
    await writeFile(join(dir, 'key.pem'), pem.private);
    tlsSmtp = await startSmtpIntake({
      config: {
        ...smtpConfig(),
        smtpTlsCertFile: join(dir, 'cert.pem'),
        smtpTlsKeyFile: join(dir, 'key.pem'),
        smtpRequireTls: true,
      },
      accept: harness.accept,
      logger: testLogger('smtp-intake-tls'),
    });
  });

  afterAll(async () => {
    await tlsSmtp?.stop();
    await harness?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const mail = (messageId: string) => ({
    from: 'grace@signer.example',
    to: PRIVACY_ADDRESS,
    subject: 'Erasure request',
    text: 'Please erase my personal data.',
    messageId: `<${messageId}>`,
  });

  it('When a client upgrades with STARTTLS, then the mail is taken over TLS (250) and one event is on Kafka', async () => {
    const messageId = `${randomUUID()}@mail.signer.example`;
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: tlsSmtp.port,
      secure: false,
      requireTLS: true,
      tls: { ca: [caPem] },
    });
    const info = await transport.sendMail(mail(messageId));
    expect(info.response).toMatch(/^250 /);
    const events = (await harness.receivedEvents({ atLeast: 1 })).filter(
      (event) => event.payload.idempotencyKey === `email:${messageId}`,
    );
    expect(events).toHaveLength(1);
  });

  it('When TLS is required and a client sends in the clear, then it is refused with 530 and nothing is published', async () => {
    const messageId = `${randomUUID()}@mail.signer.example`;
    await expect(transportTo(tlsSmtp.port).sendMail(mail(messageId))).rejects.toMatchObject({ responseCode: 530 });
    const events = (await harness.receivedEvents()).filter(
      (event) => event.payload.idempotencyKey === `email:${messageId}`,
    );
    expect(events).toHaveLength(0);
  });

  it('When only one of the certificate and key is configured, then the listener does not start and says why', async () => {
    await expect(
      startSmtpIntake({
        config: { ...smtpConfig(), smtpTlsCertFile: join(dir, 'cert.pem') },
        accept: harness.accept,
        logger: testLogger('smtp-intake-tls-half'),
      }),
    ).rejects.toThrow(/INTAKE_SMTP_TLS_CERT_FILE and INTAKE_SMTP_TLS_KEY_FILE/);
  });
});
