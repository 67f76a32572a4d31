import { createLogger } from '@privacy-relay/shared/logger';
import { Writable } from 'node:stream';
import {
  linkPath,
  mailsTo,
  openForm,
  postForm,
  postJson,
  startIntake,
  uniqueEmail,
  validBody,
  type IntakeHarness,
} from '../support/intake-harness';
import { eventually, stackEndpoints } from '../../../../test/support/test-env';

describe('Intake over HTTP: rate limits per address and per requester email', () => {
  let h: IntakeHarness;

  beforeAll(async () => {
    h = await startIntake('ratelimit', {
      INTAKE_RATE_LIMIT_PER_IP_PER_MINUTE: '5',
      INTAKE_RATE_LIMIT_PER_EMAIL_PER_HOUR: '2',
    });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('When one email submits over its allowance, then 429 RATE_LIMITED; when one address does, then 429 with Retry-After', async () => {
    const flooded = uniqueEmail('flood');
    expect((await postJson(h.baseUrl, validBody(flooded))).status).toBe(202);
    expect((await postJson(h.baseUrl, validBody(flooded))).status).toBe(202);
    const overEmail = await postJson(h.baseUrl, validBody(flooded));
    expect(overEmail.status).toBe(429);
    expect(overEmail.json).toMatchObject({ error: { code: 'RATE_LIMITED' } });

    const others = [uniqueEmail('other'), uniqueEmail('other')];
    for (const other of others) expect((await postJson(h.baseUrl, validBody(other))).status).toBe(202);
    const overIp = await postJson(h.baseUrl, validBody(uniqueEmail('other')));
    expect(overIp.status).toBe(429);
    expect(overIp.json).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(overIp.headers.get('retry-after')).toMatch(/^\d+$/);
    // Reading pages and health is not limited.
    expect((await fetch(`${h.baseUrl}/request`)).status).toBe(200);
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);

    // The refused third submission mailed nobody: it never became an event (mails are sent only
    // from events), and once the mails of the later requests are out, the flooded address has the
    // receipt and verification mail of its two accepted requests and nothing more.
    const events = await h.receivedEvents(4);
    expect(events.filter((event) => event.payload.requester.email === flooded)).toHaveLength(2);
    for (const address of [flooded, ...others]) {
      const expected = address === flooded ? 4 : 2;
      await eventually(async () => ((await mailsTo(address)).length >= expected ? true : undefined));
    }
    expect(await mailsTo(flooded)).toHaveLength(4);
  });
});

describe('Intake over HTTP: logs carry no personal data and no link tokens', () => {
  let h: IntakeHarness;
  const lines: string[] = [];

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    h = await startIntake(
      'logs',
      // An unreachable SES makes the mail consumer's failure path log too.
      { SES_ENDPOINT: 'http://127.0.0.1:9' },
      stackEndpoints().kafkaBrokers.join(','),
      createLogger({ name: 'intake', level: 'debug', destination }),
    );
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('When requests are submitted, rejected and looked up, then no log line holds a name, an address, free text or a token', async () => {
    const email = uniqueEmail('logged');
    const accepted = await postJson(h.baseUrl, validBody(email, { text: 'SECRET-FREE-TEXT' }));
    expect(accepted.status).toBe(202);
    const statusUrl = String(accepted.json.statusUrl);
    const statusToken = new URL(statusUrl).pathname.split('/')[2] ?? '';
    expect((await fetch(statusUrl.replace('http://intake.test', h.baseUrl))).status).toBe(200);
    const { cookie, formToken } = await openForm(h.baseUrl);
    await postForm(
      h.baseUrl,
      [
        ['formToken', formToken],
        ['name', 'Zebedee Loggable'],
        ['email', 'not-an-address'],
      ],
      cookie,
    );
    await postJson(h.baseUrl, { ...validBody(email), extra: 'x' });
    // The mail consumer got the event, failed on SES and logged its retry.
    await eventually(async () =>
      lines.some((line) => line.includes('acknowledgement-mails') && line.includes('retrying')) ? true : undefined,
    );

    const all = lines.join('\n');
    expect(all).toContain('"route":"/status/:token"');
    for (const secret of [email, 'Ada Example', 'SECRET-FREE-TEXT', 'Zebedee', statusToken, formToken]) {
      expect(all).not.toContain(secret);
    }
  });
});

describe('Intake over HTTP: the verification link from the SES mailbox, end to end', () => {
  let h: IntakeHarness;

  beforeAll(async () => {
    h = await startIntake('mailbox');
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('When the requester follows the link in the stored mail, then the status page says confirmed', async () => {
    const email = uniqueEmail('mailbox');
    const accepted = await postJson(h.baseUrl, validBody(email));
    expect(accepted.status).toBe(202);
    const mails = await eventually(
      async () => {
        const found = await mailsTo(email);
        return found.length === 2 ? found : undefined;
      },
      60_000,
      'the receipt and the verification mail',
    );
    const receipt = mails.find((mail) => mail.subject.startsWith('We received'));
    const verification = mails.find((mail) => mail.subject.startsWith('Confirm'));
    expect(receipt?.body.text).toContain(String(accepted.json.reference));
    const statusPath = linkPath(receipt?.body.text ?? '', 'status');
    const confirmed = await fetch(`${h.baseUrl}${linkPath(verification?.body.text ?? '', 'verify')}`, {
      method: 'POST',
    });
    expect(confirmed.status).toBe(200);
    const status = await (await fetch(`${h.baseUrl}${statusPath}`)).text();
    expect(status).toContain('Confirmed');
    expect(status).not.toContain(email);
  });
});
