import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS, topicName } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { createLogger } from '@privacy-relay/shared/logger';
import { signToken } from '@privacy-relay/shared/tokens';
import { caseIdFor } from '@privacy-relay/relay/domain/matching/case-id';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import { createRelayService, type RelayService } from '@privacy-relay/relay/relay-service';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import { receivedRequestEvent } from '../../../../test/support/fixtures';
import {
  connectTestDatabase,
  createTestTopics,
  discardTestDatabase,
  eventually,
  readTopic,
  stackEndpoints,
  testKafka,
  testLogger,
  testNamespace,
} from '../../../../test/support/test-env';
import { relayTestEnv } from '../../../../test/support/relay-env';

interface StoredMail {
  messageId: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

const LINK_SECRET = 'integration-test-relay-link-secret-0123456789';

describe('Forwarding a matched case through real Kafka, the database and the SES endpoint', () => {
  const ns = testNamespace('forward');
  const endpoints = stackEndpoints();
  const logger = testLogger('relay-forward-test');
  const unique = Math.random().toString(36).slice(2, 10);
  const tenantId = `tenant-fwd-${unique}`;
  const firstPrivacy = `privacy-${unique}@acme.example`;
  const env = relayTestEnv(ns, {
    RELAY_LINK_SECRET: LINK_SECRET,
    RELAY_PUBLIC_URL: 'https://relay.example',
    RELAY_MAIL_FROM: 'relay@relay.test',
    RELAY_SES_CONFIGURATION_SET: 'privacy-relay-forwards',
    LOG_LEVEL: 'info',
  });
  const logLines: string[] = [];
  let kafka: Kafka;
  let relay: RelayService;
  let publisher: KafkaEventPublisher;
  let connection: Connection;

  const mailsTo = async (address: string): Promise<StoredMail[]> => {
    const response = await fetch(`${endpoints.sesEndpoint}/store`);
    const { emails } = (await response.json()) as { emails: StoredMail[] };
    return emails.filter((mail) => mail.destination.to.includes(address));
  };
  const local = (link: string) => link.replace('https://relay.example', `http://127.0.0.1:${relay.port}`);
  const storedCase = (caseId: string) =>
    connection.collection<{ _id: string }>('cases').findOne({ _id: caseId }) as Promise<{
      version: number;
      state: string;
      data: {
        state: string;
        deadline: string;
        messages: { sesMessageId?: string; delivery: string }[];
        audit: { what: string; sesMessageId?: string; by: { kind: string } }[];
      };
    } | null>;
  const eventsOn = async (contract: { topic: string }, caseId: string, atLeast = 1) =>
    eventually(async () => {
      const found = (await readTopic(kafka, topicName(contract, ns.topicPrefix), { timeoutMs: 1_000 }))
        .map((m) => JSON.parse(m.value) as { payload: { caseId?: string } & Record<string, unknown> })
        .filter((e) => e.payload.caseId === caseId);
      return found.length >= atLeast ? found : undefined;
    });

  /** A stored, unverified request (so the matcher leaves it alone) and the case an operator matched it to. */
  const matchedCase = async (receivedAt: string) => {
    const received = receivedRequestEvent({
      receivedAt,
      requester: { name: 'Ada <b>Example</b>', email: `ada-${unique}@example.org` },
      rights: ['access', 'erasure'],
      text: 'Please send me <script>alert(1)</script> my data.',
    });
    const { requestId } = received.payload;
    await publisher.publish(EVENTS.requestReceivedV1, received);
    await eventually(() =>
      connection
        .collection('requests')
        .findOne({ _id: requestId as never })
        .then((d) => d ?? undefined),
    );
    const caseId = caseIdFor(requestId, tenantId);
    await publisher.publish(
      EVENTS.caseMatchedV1,
      EVENTS.caseMatchedV1.create(
        {
          caseId,
          requestId,
          tenantId,
          matchedAt: new Date().toISOString(),
          matchedBy: 'operator',
          operatorId: 'dev-operator',
          score: 1,
          reasons: [{ signal: 'operator', score: 1 }],
        },
        { correlationId: requestId },
      ),
    );
    return { requestId, caseId };
  };

  beforeAll(async () => {
    kafka = testKafka();
    await createTestTopics(kafka, ns.topicPrefix);
    publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
    await publisher.connect();
    connection = await connectTestDatabase(ns.dbName, logger);
    // The directory change first: the relay matches (and forwards) only once it has caught up.
    await publisher.publish(
      EVENTS.tenantDirectoryChangedV1,
      EVENTS.tenantDirectoryChangedV1.create(
        {
          tenantId,
          changedAt: new Date().toISOString(),
          change: 'upserted',
          tenant: {
            legalName: 'Acme Forwarding Ltd',
            aliases: [],
            domains: [],
            contacts: [
              { email: `admin-${unique}@acme.example`, role: 'admin' },
              { email: firstPrivacy, role: 'privacy' },
              { email: `second-${unique}@acme.example`, role: 'privacy' },
            ],
            regime: 'uk-gdpr',
            jurisdiction: 'GB-ENG',
          },
        },
        { correlationId: tenantId },
      ),
    );
    relay = createRelayService(
      loadConfig(relayConfigSpec, env),
      createLogger({
        name: 'relay',
        level: 'info',
        destination: { write: (line: string) => void logLines.push(line) },
      }),
    );
    await relay.start();
  });

  afterAll(async () => {
    await relay?.stop();
    await publisher?.disconnect();
    await discardTestDatabase(connection);
  });

  it('When a case is matched, then its forward reaches the first privacy contact with the deadline and working links; GET changes nothing, POST acknowledges once', async () => {
    // Received on Friday 19 December 2025: one month later is Monday 19 January 2026.
    const { requestId, caseId } = await matchedCase('2025-12-19T10:00:00Z');
    const [mail] = await eventually(async () => {
      const mails = await mailsTo(firstPrivacy);
      return mails.length > 0 ? mails : undefined;
    });
    expect(mail).toBeDefined();
    const text = mail!.body.text ?? '';
    const html = mail!.body.html ?? '';
    expect(mail!.subject).toContain('answer by 2026-01-19');
    expect(text).toContain('Legal deadline (uk-gdpr): 2026-01-19 (extendable to 2026-03-19)');
    expect(text).toContain(`ada-${unique}@example.org`);
    expect(text).toContain('Received: 2025-12-19');
    // Every value from the request is escaped in the HTML body.
    expect(html).toContain('Ada &lt;b&gt;Example&lt;/b&gt;');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    // No other contact got it (the admin contact is not a privacy contact; the second waits for the tracking).
    expect(await mailsTo(`admin-${unique}@acme.example`)).toEqual([]);
    expect(await mailsTo(`second-${unique}@acme.example`)).toEqual([]);

    const links = [...text.matchAll(/https:\/\/relay\.example\/case-links\/\S+/g)].map((m) => m[0]);
    const acknowledge = links.find((link) => link.includes(`/case-links/${caseId}/acknowledge/`));
    expect(acknowledge).toBeDefined();
    expect(links).toHaveLength(3);

    const forwarded = await eventually(async () => {
      const stored = await storedCase(caseId);
      return stored?.data.state === 'forwarded' ? stored : undefined;
    });
    expect(forwarded.data.deadline).toBe('2026-01-19');
    expect(forwarded.data.messages).toEqual([
      expect.objectContaining({ sesMessageId: mail!.messageId, delivery: 'sent' }),
    ]);

    // A mail scanner opens the link: a page with a button, nothing changes.
    const page = await fetch(local(acknowledge!));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<button type="submit">Acknowledge</button>');
    expect((await storedCase(caseId))?.version).toBe(forwarded.version);

    const posted = await fetch(local(acknowledge!), { method: 'POST' });
    expect(posted.status).toBe(200);
    expect(await posted.text()).toContain('the request is acknowledged');
    const again = await fetch(local(acknowledge!), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('already recorded');

    const acknowledged = await storedCase(caseId);
    expect(acknowledged?.data.state).toBe('acknowledged');
    expect(acknowledged?.data.audit.map((line) => [line.what, line.by.kind, line.sesMessageId])).toEqual([
      ['matched', 'operator', undefined],
      ['forwarded', 'relay', mail!.messageId],
      ['acknowledged', 'admin-link', undefined],
    ]);

    const [forwardedEvent] = await eventsOn(EVENTS.caseForwardedV1, caseId);
    expect(forwardedEvent?.payload).toMatchObject({
      requestId,
      tenantId,
      deadline: { regime: 'uk-gdpr', dueOn: '2026-01-19', extendableTo: '2026-03-19' },
      recipients: [{ email: firstPrivacy, role: 'privacy', sesMessageId: mail!.messageId }],
    });
    const acknowledgedEvents = await eventsOn(EVENTS.caseAcknowledgedV1, caseId);
    expect(acknowledgedEvents).toHaveLength(1);
    expect(acknowledgedEvents[0]?.payload).toMatchObject({ requestId, tenantId, via: 'admin-link' });

    // The token in the path never reaches the log: the access log names the route pattern.
    const token = acknowledge!.split('/').at(-1)!;
    expect(logLines.join('\n')).toContain('/case-links/:caseId/:action/:token');
    expect(logLines.join('\n')).not.toContain(token);
  });

  it('When a link is tampered with, expired, for another case or for another action, then a clear page says so and nothing changes', async () => {
    const { caseId } = await matchedCase(new Date().toISOString());
    const other = await matchedCase(new Date().toISOString());
    const base = `http://127.0.0.1:${relay.port}/case-links`;
    const forwarded = await eventually(async () => {
      const stored = await storedCase(caseId);
      return stored?.data.state === 'forwarded' ? stored : undefined;
    });
    const sign = (purpose: string, subject: string, expiresAt: number) =>
      signToken(LINK_SECRET, { purpose, subject, expiresAt });
    const inAnHour = Math.floor(Date.now() / 1000) + 3600;
    const valid = sign('case-acknowledge', caseId, inAnHour);
    const attempts = {
      tampered: `${base}/${caseId}/acknowledge/${valid.slice(0, -2)}${valid.endsWith('AA') ? 'BB' : 'AA'}`,
      expired: `${base}/${caseId}/acknowledge/${sign('case-acknowledge', caseId, Math.floor(Date.now() / 1000) - 60)}`,
      crossCase: `${base}/${caseId}/acknowledge/${sign('case-acknowledge', other.caseId, inAnHour)}`,
      wrongAction: `${base}/${caseId}/done/${valid}`,
      otherSecret: `${base}/${caseId}/acknowledge/${signToken('another-secret-of-at-least-32-characters!', { purpose: 'case-acknowledge', subject: caseId, expiresAt: inAnHour })}`,
    };
    for (const [what, url] of Object.entries(attempts)) {
      for (const method of ['GET', 'POST']) {
        const response = await fetch(url, { method });
        expect([what, method, response.status]).toEqual([what, method, 403]);
        expect(await response.text()).toContain('This link is not valid');
      }
    }
    const after = await storedCase(caseId);
    expect(after?.version).toBe(forwarded.version);
    expect(after?.data.state).toBe('forwarded');
    // The valid link still works afterwards: the refusals changed nothing.
    expect((await fetch(`${base}/${caseId}/acknowledge/${valid}`, { method: 'POST' })).status).toBe(200);
    expect((await storedCase(caseId))?.data.state).toBe('acknowledged');
  });
});
