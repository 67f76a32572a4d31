import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS, topicName } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import { createRelayService, type RelayService } from '@privacy-relay/relay/relay-service';
import { runDirectoryImport } from '@privacy-relay/relay/cli/directory-import';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import { verifiedRequestEvents } from '../../../../test/support/fixtures';
import {
  connectTestDatabase,
  discardTestDatabase,
  createTestTopics,
  eventually,
  readTopic,
  testKafka,
  testLogger,
  testNamespace,
} from '../../../../test/support/test-env';
import { relayTestEnv } from '../../../../test/support/relay-env';

describe('Relay matching through real Kafka and the database', () => {
  const ns = testNamespace('relaymatch');
  const logger = testLogger('relay-match-test');
  const env = relayTestEnv(ns);
  let kafka: Kafka;
  let relay: RelayService;
  let publisher: KafkaEventPublisher;
  let connection: Connection;
  const matchedTopic = topicName(EVENTS.caseMatchedV1, ns.topicPrefix);
  const triageTopic = topicName(EVENTS.caseTriageV1, ns.topicPrefix);

  const startRelay = async () => {
    relay = createRelayService(loadConfig(relayConfigSpec, env), logger);
    await relay.start();
  };

  /** Intake's two events for one request: received (pending), then verified — or the other way round. */
  const submitVerified = async (
    company: { name?: string; email?: string },
    requesterEmail = 'ada@example.org',
    order: 'received-first' | 'verified-first' = 'received-first',
  ) => {
    const { received, verified } = verifiedRequestEvents({
      company,
      requester: { name: 'Ada Example', email: requesterEmail },
    });
    const requestId = received.payload.requestId;
    if (order === 'verified-first') await publisher.publish(EVENTS.requestVerifiedV1, verified);
    await publisher.publish(EVENTS.requestReceivedV1, received);
    if (order === 'received-first') await publisher.publish(EVENTS.requestVerifiedV1, verified);
    return requestId;
  };

  const eventsFor = async (topic: string, requestId: string, atLeast = 1) =>
    eventually(
      async () => {
        const messages = await readTopic(kafka, topic, { timeoutMs: 1_000 });
        const found = messages
          .map((m) => JSON.parse(m.value) as { payload: Record<string, unknown> })
          .filter((e) => e.payload.requestId === requestId);
        return found.length >= atLeast ? found : undefined;
      },
      30_000,
      `${topic} events for ${requestId}`,
    );

  beforeAll(async () => {
    kafka = testKafka();
    await createTestTopics(kafka, ns.topicPrefix);
    publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
    await publisher.connect();
    connection = await connectTestDatabase(ns.dbName, logger);
    await startRelay();

    const changedAt = new Date().toISOString();
    for (const [tenantId, tenant, counterparties] of [
      [
        'tenant-juro',
        { legalName: 'Juro Online Limited', aliases: ['Juro'], domains: ['juro.example'] },
        ['cp@example.org'],
      ],
      ['tenant-joro', { legalName: 'Joro Home Ltd', domains: ['joro.example'] }, []],
    ] as const) {
      await publisher.publish(
        EVENTS.tenantDirectoryChangedV1,
        EVENTS.tenantDirectoryChangedV1.create(
          {
            tenantId,
            changedAt,
            change: 'upserted',
            tenant: { ...tenant, aliases: [...(tenant.aliases ?? [])], domains: [...tenant.domains] },
            counterpartyEmailsAdded: [...counterparties],
          },
          { correlationId: tenantId },
        ),
      );
    }
    const dir = mkdtempSync(join(tmpdir(), 'relay-import-'));
    const file = join(dir, 'tenants.csv');
    writeFileSync(
      file,
      'tenantId,legalName,aliases,domains,contacts\n' +
        'tenant-brightwater,Brightwater Logistics Limited,,brightwater.example,privacy@brightwater.example\n',
    );
    const output: string[] = [];
    expect(await runDirectoryImport(file, { env, asOf: changedAt, out: (line) => output.push(line) })).toBe(0);
    expect(output.join('\n')).toMatch(/Imported 1 tenant/);
    await eventually(
      async () =>
        ['tenant-juro', 'tenant-joro', 'tenant-brightwater'].every((id) => relay.tenantIndex.has(id))
          ? true
          : undefined,
      30_000,
      'the directory in the index',
    );
  });

  afterAll(async () => {
    await relay?.stop();
    await publisher?.disconnect();
    await discardTestDatabase(connection);
  });

  it('When the directory holds counterparties, then the database holds only their keyed hashes', async () => {
    const stored = await connection.collection('tenant_counterparties').find().toArray();
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain('cp@example.org');
  });

  it('When an import file has a bad row, then nothing is imported and the line is named', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'relay-import-')), 'bad.jsonl');
    writeFileSync(file, '{"id":"tenant-new","legalName":"New Co Ltd"}\n{"id":"tenant-bad"}\n');
    const output: string[] = [];
    expect(
      await runDirectoryImport(file, { env, asOf: new Date().toISOString(), out: (line) => output.push(line) }),
    ).toBe(1);
    expect(output.join('\n')).toMatch(/bad\.jsonl:2: legalName/);
    expect(await connection.collection('tenants').countDocuments({ _id: 'tenant-new' as never })).toBe(0);
  });

  it('When a verified request names "Juro", then one case.matched goes to Juro and none to Joro', async () => {
    const requestId = await submitVerified({ name: 'Juro' }, 'someone@gmail.com');
    const matched = await eventsFor(matchedTopic, requestId);
    expect(matched.map((e) => e.payload.tenantId)).toEqual(['tenant-juro']);
    expect(matched[0]?.payload).toMatchObject({ requestId, matchedBy: 'matcher' });
    expect(await readTopic(kafka, triageTopic, { timeoutMs: 500 })).not.toContainEqual(
      expect.objectContaining({ key: requestId }),
    );
  });

  it('When a verified request names an imported tenant by email domain, then it is matched to it', async () => {
    const requestId = await submitVerified({ email: 'hello@brightwater.example' }, 'someone@gmail.com');
    const [matched] = await eventsFor(matchedTopic, requestId);
    expect(matched?.payload).toMatchObject({ tenantId: 'tenant-brightwater' });
  });

  it('When a verified request names a company not in the directory, then it goes to triage, and an operator assigns it', async () => {
    const requestId = await submitVerified({ name: 'Contoso Pharmaceuticals AG' }, 'someone@gmail.com');
    const [triage] = await eventsFor(triageTopic, requestId);
    expect(triage?.payload).toMatchObject({ requestId, reason: 'no-candidate' });

    const response = await fetch(`http://127.0.0.1:${relay.port}/triage/${requestId}/resolve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer dev-operator-token' },
      body: JSON.stringify({ action: 'assign', tenantIds: ['tenant-joro'] }),
    });
    expect(response.status).toBe(200);
    const [assigned] = await eventsFor(matchedTopic, requestId);
    expect(assigned?.payload).toMatchObject({
      tenantId: 'tenant-joro',
      matchedBy: 'operator',
      operatorId: 'dev-operator',
    });
  });

  it('When the verified event is on Kafka before the received one (two topics, no order), then the request is still matched', async () => {
    const requestId = await submitVerified({ name: 'Juro' }, 'someone@gmail.com', 'verified-first');
    const matched = await eventsFor(matchedTopic, requestId);
    expect(matched.map((e) => e.payload.tenantId)).toEqual(['tenant-juro']);
  });

  it('When the relay restarts, then the index is rebuilt from the database and matching goes on', async () => {
    await relay.stop();
    await startRelay();
    expect(relay.tenantIndex.size).toBe(3);
    const requestId = await submitVerified({}, 'CP@example.org');
    const [matched] = await eventsFor(matchedTopic, requestId);
    expect(matched?.payload).toMatchObject({
      tenantId: 'tenant-juro',
      reasons: [{ signal: 'requester-is-counterparty' }],
    });
  });
});
