import Holidays from 'date-holidays';
import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS, topicName } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { intakeConfigSpec } from '@privacy-relay/intake/config';
import { createIntakeService, type IntakeService } from '@privacy-relay/intake/intake-service';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import { createRelayService, type RelayService } from '@privacy-relay/relay/relay-service';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import {
  TEST_CERT_URL,
  TEST_TOPIC_ARN,
  createTestSnsPki,
  signedSnsMessage,
  type TestSnsPki,
} from '../../services/intake/test/email-sns-signer';
import { relayTestEnv, intakeTestEnv } from '../support/relay-env';
import { linkIn, mailsTo, mailTo } from '../support/ses-store';
import {
  connectTestDatabase,
  createTestTopics,
  discardTestDatabase,
  eventually,
  readTopic,
  testKafka,
  testLogger,
  testNamespace,
} from '../support/test-env';

interface StoredCase {
  version: number;
  requestId: string;
  data: {
    state: string;
    tenantName?: string;
    deadline: string;
    extendedDeadline: string;
    audit: { what: string; sesMessageId?: string; snsMessageId?: string; by: { kind: string } }[];
  };
}

const INTAKE_URL = 'https://intake.example';
const RELAY_URL = 'https://relay.example';

/** A plain date `months` after `received`, clamped at the month's end (never derived from another deadline). */
function addMonthsClamped(received: string, months: number): string {
  const [y, m, d] = received.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  return target.toISOString().slice(0, 10);
}

/** Moved past weekends and England and Wales public holidays (date-holidays, the data the relay uses). */
function nextWorkingDay(day: string): string {
  const holidays = new Holidays('GB', 'ENG');
  const date = new Date(`${day}T12:00:00Z`);
  const isHoliday = (at: Date) =>
    (holidays.isHoliday(at) || []).some(
      (h) => h.type === 'public' && h.date.slice(0, 10) === at.toISOString().slice(0, 10),
    );
  while (date.getUTCDay() === 0 || date.getUTCDay() === 6 || isHoliday(date)) date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

/**
 * The whole hand-off through real Kafka, the database and the SES endpoint, intake and relay both
 * running here: a form request, its confirmation, the match, the forward, an SNS-signed permanent
 * bounce, the second contact, the tenant's acknowledgement, the requester's notice, the audit trail.
 */
describe('Forwarding end to end: form request to acknowledged case, the requester told', () => {
  const ns = testNamespace('e2efwd');
  const logger = testLogger('e2e');
  const unique = Math.random().toString(36).slice(2, 10);
  const tenantId = `tenant-e2e-${unique}`;
  const tenantName = `Acme E2E ${unique} Widgets Ltd`;
  const domain = `acme-e2e-${unique}.example`;
  const contacts = { first: `privacy-${unique}@${domain}`, second: `dpo-${unique}@${domain}` };
  const requester = `ada-${unique}@requester.example`;
  let kafka: Kafka;
  let publisher: KafkaEventPublisher;
  let pki: TestSnsPki;
  let intake: IntakeService;
  let relay: RelayService;
  let relayDb: Connection;

  const intakeBase = () => `http://127.0.0.1:${intake.port}`;
  const local = (link: string) =>
    link.replace(INTAKE_URL, intakeBase()).replace(RELAY_URL, `http://127.0.0.1:${relay.port}`);

  const storedCase = (caseId: string) =>
    relayDb.collection<{ _id: string }>('cases').findOne({ _id: caseId }) as Promise<StoredCase | null>;

  beforeAll(async () => {
    kafka = testKafka();
    [pki] = await Promise.all([createTestSnsPki(), createTestTopics(kafka, ns.topicPrefix)]);
    publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
    await publisher.connect();
    relayDb = await connectTestDatabase(ns.dbName, logger);
    // The tenant first: the relay matches only once its directory has caught up.
    await publisher.publish(
      EVENTS.tenantDirectoryChangedV1,
      EVENTS.tenantDirectoryChangedV1.create(
        {
          tenantId,
          changedAt: new Date().toISOString(),
          change: 'upserted',
          tenant: {
            legalName: tenantName,
            aliases: [],
            domains: [domain],
            contacts: [
              { email: contacts.first, role: 'privacy' },
              { email: contacts.second, role: 'privacy' },
            ],
            regime: 'uk-gdpr',
            jurisdiction: 'GB-ENG',
          },
        },
        { correlationId: tenantId },
      ),
    );
    relay = createRelayService(
      loadConfig(
        relayConfigSpec,
        relayTestEnv(ns, {
          RELAY_PUBLIC_URL: RELAY_URL,
          RELAY_MAIL_FROM: 'relay@relay.test',
          RELAY_SES_CONFIGURATION_SET: 'privacy-relay-forwards',
        }),
      ),
      testLogger('relay'),
    );
    await relay.start();
    intake = createIntakeService(
      loadConfig(
        intakeConfigSpec,
        intakeTestEnv(ns, {
          INTAKE_PUBLIC_URL: INTAKE_URL,
          INTAKE_MAIL_FROM: 'privacy@relay.test',
          INTAKE_LINK_SECRET: 'e2e-intake-link-secret-0123456789abcdef0123',
          INTAKE_SES_EVENTS_TOPIC_ARNS: TEST_TOPIC_ARN,
        }),
      ),
      testLogger('intake'),
      {
        sns: {
          trustedCaPem: pki.caPem,
          fetchText: async (url) => {
            if (url.href === TEST_CERT_URL) return pki.certPem;
            throw new Error(`unexpected fetch of ${url.href}`);
          },
        },
      },
    );
    await intake.start();
  });

  afterAll(async () => {
    await intake?.stop();
    await relay?.stop();
    await publisher?.disconnect();
    if (relayDb)
      await relayDb
        .useDb(`${ns.dbName}_intake`)
        .dropDatabase()
        .catch(() => undefined);
    await discardTestDatabase(relayDb);
  });

  it('When a form request is confirmed, matched, bounced by the first contact and acknowledged by the second, then every step is in the SES store, the case and its audit trail, and the requester is told the customer and the deadline', async () => {
    // 1. The form, as a browser sends it.
    const form = await fetch(`${intakeBase()}/request`);
    const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const formToken = /name="formToken" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const posted = await fetch(`${intakeBase()}/request`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams([
        ['formToken', formToken],
        ['name', 'Ada Example'],
        ['email', requester],
        ['rights', 'access'],
        ['rights', 'erasure'],
        ['companyName', tenantName],
        ['companyEmail', `privacy@${domain}`],
        ['text', 'Please send me a copy of my data, then delete it.'],
      ]).toString(),
    });
    expect(posted.status).toBe(202);
    // The tenant is in England: the day of receipt is the date in London.
    const receivedOn = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());

    // 2. Verified: the link from the mail; its GET changes nothing, its POST confirms.
    const verification = await mailTo(requester, /^Confirm your privacy request/, 'the verification mail');
    const verifyLink = local(linkIn(verification.body.text, /https:\/\/intake\.example\/verify\/\S+/));
    expect((await fetch(verifyLink)).status).toBe(200);
    const receipt = await mailTo(requester, /^We received your privacy request/, 'the receipt');
    const statusLink = local(linkIn(receipt.body.text, /https:\/\/intake\.example\/status\/\S+/));
    expect(await (await fetch(statusLink)).text()).toContain('Waiting for you to confirm');
    expect((await fetch(verifyLink, { method: 'POST' })).status).toBe(200);

    // 3. Matched and forwarded to the first privacy contact, with the legal deadline and links.
    const firstForward = await mailTo(contacts.first, /./, 'the forward to the first privacy contact');
    const deadline = nextWorkingDay(addMonthsClamped(receivedOn, 1));
    const extendedDeadline = nextWorkingDay(addMonthsClamped(receivedOn, 3));
    expect(firstForward.body.text).toContain(deadline);
    expect(firstForward.body.text).toContain(extendedDeadline);
    const firstAck = linkIn(
      firstForward.body.text,
      /https:\/\/relay\.example\/case-links\/[0-9a-f-]{36}\/acknowledge\/\S+/,
    );
    const caseId = /case-links\/([0-9a-f-]{36})\//.exec(firstAck)?.[1] ?? '';
    // SES holds the mail a moment before the relay has recorded its message id (the case is still matched).
    const forwarded = await eventually(async () => {
      const found = await storedCase(caseId);
      return found?.data.state === 'forwarded' ? found : undefined;
    });
    expect(forwarded.data).toMatchObject({ deadline, extendedDeadline, tenantName });
    for (const action of ['acknowledge', 'done', 'not-ours']) {
      const link = linkIn(
        firstForward.body.text,
        new RegExp(`https://relay\\.example/case-links/${caseId}/${action}/\\S+`),
      );
      const page = await fetch(local(link));
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<form method="post"');
    }

    // 4. SES reports a permanent bounce of the first contact's mail over SNS, signed, to intake.
    const bounce = signedSnsMessage(pki.keyPem, {
      message: JSON.stringify({
        eventType: 'Bounce',
        mail: {
          timestamp: new Date().toISOString(),
          source: 'relay@relay.test',
          messageId: firstForward.messageId,
          destination: [contacts.first],
          headersTruncated: false,
          tags: { 'ses:configuration-set': ['privacy-relay-forwards'], caseId: [caseId], contactIndex: ['0'] },
        },
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: [{ emailAddress: contacts.first, action: 'failed', status: '5.1.1' }],
          timestamp: new Date().toISOString(),
          feedbackId: `feedback-${unique}`,
        },
      }),
    });
    const snsPost = await fetch(`${intakeBase()}/v1/ses/events`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
      body: JSON.stringify(bounce),
    });
    expect(snsPost.status).toBe(200);

    // 5. The second privacy contact gets the case.
    const secondForward = await mailTo(contacts.second, /./, 'the forward to the second privacy contact');
    expect(secondForward.messageId).not.toBe(firstForward.messageId);
    expect(secondForward.body.text).toContain(deadline);

    // 6. Its acknowledge link: GET shows a button and changes nothing; POST acknowledges.
    const secondAck = local(
      linkIn(secondForward.body.text, new RegExp(`https://relay\\.example/case-links/${caseId}/acknowledge/\\S+`)),
    );
    const beforeGet = await eventually(async () => {
      const found = await storedCase(caseId);
      return found?.data.audit.some((l) => l.what === 'forwarded' && l.sesMessageId === secondForward.messageId)
        ? found
        : undefined;
    });
    expect((await fetch(secondAck)).status).toBe(200);
    const afterGet = await storedCase(caseId);
    expect(afterGet?.version).toBe(beforeGet.version);
    expect(afterGet?.data.state).toBe('forwarded');
    expect((await fetch(secondAck, { method: 'POST' })).status).toBe(200);
    expect((await storedCase(caseId))?.data.state).toBe('acknowledged');
    const acknowledged = await eventually(async () => {
      const events = await readTopic(kafka, topicName(EVENTS.caseAcknowledgedV1, ns.topicPrefix), { timeoutMs: 1_000 });
      return events.find((m) => m.value.includes(caseId));
    });
    expect(JSON.parse(acknowledged.value)).toMatchObject({ payload: { caseId, tenantId, via: 'admin-link' } });

    // 7. The requester is told: a mail and the status page name the customer and the deadline.
    const notice = await mailTo(requester, / went to /, "the requester's notice");
    const today = new Date().toISOString().slice(0, 10);
    expect(notice.subject).toContain(tenantName);
    expect(notice.body.text).toContain(`to ${tenantName} on ${today}.`);
    expect(notice.body.text).toContain(`they must answer you by ${deadline}.`);
    expect(notice.body.text).toContain(`They may extend that to ${extendedDeadline}`);
    expect(await (await fetch(statusLink)).text()).toContain(
      `Forwarded to <strong>${tenantName}</strong> on ${today}; they must answer by <strong>${deadline}</strong> (extendable to ${extendedDeadline})`,
    );
    expect((await mailsTo(requester)).filter((m) => / went to /.test(m.subject))).toHaveLength(1);

    // 8. The audit trail lists every step, with the SES message ids (and the SNS id of the bounce).
    const final = await storedCase(caseId);
    expect(final?.data.audit.map((l) => [l.what, l.by.kind, l.sesMessageId, l.snsMessageId])).toEqual([
      ['matched', 'matcher', undefined, undefined],
      ['forwarded', 'relay', firstForward.messageId, undefined],
      ['delivery bounced Permanent/General', 'mail-event', firstForward.messageId, bounce.MessageId],
      ['forwarded', 'relay', secondForward.messageId, undefined],
      ['acknowledged', 'admin-link', undefined, undefined],
    ]);
    expect(await mailsTo(contacts.first)).toHaveLength(1);
    expect(await mailsTo(contacts.second)).toHaveLength(1);
  });
});
