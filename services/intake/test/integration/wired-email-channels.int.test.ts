import nodemailer from 'nodemailer';
import { eventually, freePort } from '../../../../test/support/test-env';
import { mailsTo, startIntake, uniqueEmail, type IntakeHarness } from '../support/intake-harness';

describe('Intake service wiring: the SMTP listener shares acceptance and acknowledgement with HTTP', () => {
  let h: IntakeHarness;
  let smtpPort: number;

  beforeAll(async () => {
    smtpPort = await freePort();
    h = await startIntake('wiredsmtp', {
      INTAKE_SMTP_ENABLED: 'true',
      INTAKE_SMTP_HOST: '127.0.0.1',
      INTAKE_SMTP_PORT: String(smtpPort),
      INTAKE_PRIVACY_ADDRESSES: 'privacy@relay.test',
    });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('When a request is mailed to the running service, then it is on Kafka and the requester gets a receipt with its reference', async () => {
    const email = uniqueEmail('smtp');
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    const info = await transport.sendMail({
      from: { name: 'Ada Lovelace', address: email },
      to: 'privacy@relay.test',
      subject: 'Subject access request',
      text: 'Hello,\n\nI would like a copy of my data, please.\n\nAda',
    });
    transport.close();
    const reference = /PR-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(info.response)?.[0];
    expect(reference).toBeDefined();

    const events = await h.receivedEvents(1);
    expect(events.filter((event) => event.payload.requester.email === email)).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ reference, channel: 'email-smtp' }) }),
    ]);
    const receipt = await eventually(async () =>
      (await mailsTo(email)).find((mail) => mail.subject === `We received your privacy request ${reference}`),
    );
    expect(receipt.body.text).toContain('http://intake.test/status/');
  });
});
