import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { createLogger } from '@privacy-relay/shared/logger';
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

describe('Admin links under attack: HEAD, concurrent POSTs, a case that moved on', () => {
  const ns = testNamespace('linkattack');
  const endpoints = stackEndpoints();
  const logger = testLogger('relay-forward-test');
  const unique = Math.random().toString(36).slice(2, 10);
  const tenantId = `tenant-atk-${unique}`;
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

  const linksOf = async (caseId: string, contact = firstPrivacy) => {
    const [mail] = await eventually(async () => {
      const mails = (await mailsTo(contact)).filter((m) => (m.body.text ?? '').includes(`/case-links/${caseId}/`));
      return mails.length > 0 ? mails : undefined;
    });
    const text = mail!.body.text ?? '';
    const find = (action: string) =>
      local([...text.matchAll(new RegExp(`https://relay\\.example/case-links/${caseId}/${action}/\\S+`, 'g'))][0]![0]);
    await eventually(async () => ((await storedCase(caseId))?.data.state === 'forwarded' ? true : undefined));
    return { acknowledge: find('acknowledge'), done: find('done'), notOurs: find('not-ours') };
  };

  it('When a valid link is fetched with HEAD, then nothing changes and the answer is not cached', async () => {
    const { caseId } = await matchedCase(new Date().toISOString());
    const links = await linksOf(caseId);
    const before = await storedCase(caseId);
    for (const link of [links.acknowledge, links.done, links.notOurs]) {
      const head = await fetch(link, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('cache-control')).toBe('no-store');
      expect(head.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const after = await storedCase(caseId);
    expect(after?.version).toBe(before?.version);
    expect(after?.data.state).toBe('forwarded');
  });

  it('When done and not-ours are posted at the same moment, then exactly one wins and the audit has one end', async () => {
    const { caseId } = await matchedCase(new Date().toISOString());
    const links = await linksOf(caseId);
    const answers = await Promise.all(
      [links.done, links.notOurs, links.done, links.notOurs].map((link) => fetch(link, { method: 'POST' })),
    );
    const statuses = answers.map((a) => a.status);
    const after = await storedCase(caseId);
    const ends = after!.data.audit.filter((line) => line.what === 'done' || line.what === 'not-ours');
    expect(ends).toHaveLength(1);
    const winner = ends[0]!.what;
    // The winner's two posts: one acted, one found it already done; the loser's two: refused.
    expect(statuses.filter((s) => s === 409)).toHaveLength(2);
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(after!.data.state).toBe(winner);
  });

  it('When a done case gets acknowledge and not-ours, then both are refused and nothing changes', async () => {
    const { caseId } = await matchedCase(new Date().toISOString());
    const links = await linksOf(caseId);
    expect((await fetch(links.done, { method: 'POST' })).status).toBe(200);
    const done = await storedCase(caseId);
    for (const link of [links.acknowledge, links.notOurs]) {
      const response = await fetch(link, { method: 'POST' });
      expect(response.status).toBe(409);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const html = await response.text();
      expect(html).toContain('Nothing was changed');
      // The page names nothing of the requester.
      expect(html).not.toContain('Ada');
      expect(html).not.toContain(`ada-${unique}`);
    }
    expect((await fetch(links.done, { method: 'POST' })).status).toBe(200);
    const after = await storedCase(caseId);
    expect(after?.version).toBe(done?.version);
    expect(after?.data.state).toBe('done');
  });
});
