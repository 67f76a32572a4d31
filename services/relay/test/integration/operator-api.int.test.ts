import { createHash, randomUUID } from 'node:crypto';
import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS, topicName } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { createLogger } from '@privacy-relay/shared/logger';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import { createRelayService, type RelayService } from '@privacy-relay/relay/relay-service';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import { publishVerifiedRequest } from '../../../../test/support/fixtures';
import {
  connectTestDatabase,
  createTestTopics,
  discardTestDatabase,
  eventually,
  readTopic,
  testKafka,
  testLogger,
  testNamespace,
} from '../../../../test/support/test-env';
import { DEV_OPERATOR_TOKEN, operatorTokenEntry, relayTestEnv } from '../../../../test/support/relay-env';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const DEV_TOKEN = DEV_OPERATOR_TOKEN;
const SECOND_TOKEN = 'second-operator-token-0123456789abcdef';

describe('Relay operator API: authenticated operators, one resolution per triage', () => {
  const ns = testNamespace('operatorapi');
  const logLines: string[] = [];
  const env = relayTestEnv(ns, {
    RELAY_OPERATOR_TOKENS: `${operatorTokenEntry('dev-operator', DEV_TOKEN)},${operatorTokenEntry('second-operator', SECOND_TOKEN)}`,
  });
  const logger = testLogger('operator-api-test');
  let kafka: Kafka;
  let relay: RelayService;
  let publisher: KafkaEventPublisher;
  let connection: Connection;
  const matchedTopic = topicName(EVENTS.caseMatchedV1, ns.topicPrefix);
  const triageTopic = topicName(EVENTS.caseTriageV1, ns.topicPrefix);
  const closedTopic = topicName(EVENTS.caseClosedV1, ns.topicPrefix);

  const call = async (method: string, path: string, options: { token?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`http://127.0.0.1:${relay.port}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> & {
        events?: { id: string; payload: Record<string, unknown> }[];
        error?: { code: string };
      },
    };
  };
  const resolve = (requestId: string, body: unknown, token = DEV_TOKEN) =>
    call('POST', `/triage/${requestId}/resolve`, { token, body });

  const payloadsOn = async (topic: string, requestId: string) =>
    (await readTopic(kafka, topic, { timeoutMs: 1_000 }))
      .map((m) => JSON.parse(m.value) as { id: string; payload: Record<string, unknown> })
      .filter((e) => e.payload.requestId === requestId);

  /** A verified request naming a company absent from the directory: it ends in triage. */
  const triagedRequest = () =>
    publishVerifiedRequest(publisher, {
      company: { name: 'Contoso Pharmaceuticals AG' },
      requester: { name: 'Ada Example', email: 'someone@gmail.com' },
    });
  const triaged: string[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    await createTestTopics(kafka, ns.topicPrefix);
    publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
    await publisher.connect();
    connection = await connectTestDatabase(ns.dbName, logger);
    const relayLogger = createLogger({
      name: 'relay',
      level: 'info',
      destination: { write: (line: string) => void logLines.push(line) },
    });
    relay = createRelayService(loadConfig(relayConfigSpec, env), relayLogger);
    await relay.start();
    const changedAt = new Date().toISOString();
    for (const [tenantId, legalName] of [
      ['tenant-juro', 'Juro Online Limited'],
      ['tenant-joro', 'Joro Home Ltd'],
    ] as const) {
      await publisher.publish(
        EVENTS.tenantDirectoryChangedV1,
        EVENTS.tenantDirectoryChangedV1.create(
          { tenantId, changedAt, change: 'upserted', tenant: { legalName, aliases: [], domains: [] } },
          { correlationId: tenantId },
        ),
      );
    }
    await eventually(
      async () => (relay.tenantIndex.has('tenant-juro') && relay.tenantIndex.has('tenant-joro') ? true : undefined),
      30_000,
      'the directory in the index',
    );
    triaged.push(...(await Promise.all(Array.from({ length: 5 }, triagedRequest))));
    await eventually(
      async () => {
        const keys = new Set((await readTopic(kafka, triageTopic, { timeoutMs: 1_000 })).map((m) => m.key));
        return triaged.every((id) => keys.has(id)) ? true : undefined;
      },
      30_000,
      'every request in triage',
    );
  });

  afterAll(async () => {
    await relay?.stop();
    await publisher?.disconnect();
    await discardTestDatabase(connection);
  });

  it('When the operator API is called without a credential, then it answers 401 with WWW-Authenticate and changes nothing', async () => {
    const requestId = triaged[0] as string;
    for (const response of [
      await call('GET', `/triage/${requestId}`),
      await call('GET', `/triage/${randomUUID()}`),
      await call('POST', `/triage/${requestId}/resolve`, { body: { action: 'reject-as-spam' } }),
      await call('POST', `/triage/${requestId}/resolve`, {
        body: { action: 'assign', tenantIds: ['tenant-juro'], operatorId: 'someone' },
      }),
    ]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="privacy-relay-operator"/);
      expect(response.body.error?.code).toBe('UNAUTHENTICATED');
    }
    const stored = await call('GET', `/triage/${requestId}`, { token: DEV_TOKEN });
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ decision: 'triage', decidedBy: 'matcher' });
  });

  it('When the bearer token is wrong, then it answers 401 and the log line names neither the token nor its hash', async () => {
    const wrong = 'wrong-operator-token-that-nobody-configured';
    for (const token of [wrong, `${DEV_TOKEN}x`, DEV_TOKEN.toUpperCase(), '']) {
      const response = await call('GET', `/triage/${triaged[0]}`, { token });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="privacy-relay-operator"/);
    }
    const basic = await fetch(`http://127.0.0.1:${relay.port}/triage/${triaged[0]}`, {
      headers: { authorization: `Basic ${Buffer.from(`dev-operator:${DEV_TOKEN}`).toString('base64')}` },
    });
    expect(basic.status).toBe(401);
    const log = logLines.join('');
    expect(log).toMatch(/operator authentication failed/);
    expect(log).not.toContain(wrong);
    expect(log).not.toContain(sha256(wrong));
    expect(log).not.toContain(DEV_TOKEN);
  });

  it('When an operator resolves a triage, then the operator id comes from the token, and a body operatorId is refused', async () => {
    const requestId = triaged[1] as string;
    const forged = await resolve(requestId, { action: 'assign', tenantIds: ['tenant-joro'], operatorId: 'mallory' });
    expect(forged.status).toBe(400);
    expect(forged.body.error?.code).toBe('UNKNOWN_FIELD');

    const response = await resolve(requestId, { action: 'assign', tenantIds: ['tenant-joro'] });
    expect(response.status).toBe(200);
    expect(response.body.events?.[0]?.payload).toMatchObject({ tenantId: 'tenant-joro', operatorId: 'dev-operator' });
    const [matched] = await eventually(
      async () => {
        const found = await payloadsOn(matchedTopic, requestId);
        return found.length > 0 ? found : undefined;
      },
      30_000,
      'case.matched by the operator',
    );
    expect(matched?.payload).toMatchObject({ matchedBy: 'operator', operatorId: 'dev-operator' });
    const stored = await call('GET', `/triage/${requestId}`, { token: SECOND_TOKEN });
    expect(stored.body).toMatchObject({
      decidedBy: 'operator',
      resolution: { action: 'assign', tenantIds: ['tenant-joro'], operatorId: 'dev-operator' },
    });
  });

  it('When a resolved triage is resolved again differently, then 409; the same resolution again answers 200 with the first answer', async () => {
    const requestId = triaged[2] as string;
    const first = await resolve(requestId, { action: 'reject-as-spam' });
    expect(first.status).toBe(200);
    expect(first.body.events?.[0]?.payload).toMatchObject({ outcome: 'rejected-as-spam', operatorId: 'dev-operator' });

    const other = await resolve(requestId, { action: 'assign', tenantIds: ['tenant-juro'] }, SECOND_TOKEN);
    expect(other.status).toBe(409);
    expect(other.body.error?.code).toBe('TRIAGE_ALREADY_RESOLVED');

    const again = await resolve(requestId, { action: 'reject-as-spam' }, SECOND_TOKEN);
    expect(again.status).toBe(200);
    expect(again.body.events).toEqual(first.body.events);
    expect(await payloadsOn(matchedTopic, requestId)).toEqual([]);
    const stored = await call('GET', `/triage/${requestId}`, { token: DEV_TOKEN });
    expect(stored.body).toMatchObject({ resolution: { action: 'reject-as-spam', operatorId: 'dev-operator' } });
  });

  it('When two different resolutions arrive at once, then exactly one wins and only its events are published', async () => {
    const requestId = triaged[3] as string;
    const contenders = [
      { action: 'assign', tenantIds: ['tenant-juro'] },
      { action: 'assign', tenantIds: ['tenant-joro'] },
      { action: 'assign', tenantIds: ['tenant-juro', 'tenant-joro'] },
      { action: 'reject-as-spam' },
    ];
    const answers = await Promise.all(
      contenders.map((body, i) => resolve(requestId, body, i % 2 === 0 ? DEV_TOKEN : SECOND_TOKEN)),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409]);
    const winner = answers.find((a) => a.status === 200);
    const winnerEvents = (winner?.body.events ?? []).map((e) => e.payload);
    // Each answer came after its own publish, so the topics already hold all there will be.
    const published = [
      ...(await payloadsOn(matchedTopic, requestId)),
      ...(await payloadsOn(closedTopic, requestId)),
    ].map((e) => e.payload);
    expect(published).toEqual(winnerEvents);
  });

  it('When the same resolution arrives twice at once, then both answer 200 with the same events', async () => {
    const requestId = triaged[4] as string;
    const answers = await Promise.all([
      resolve(requestId, { action: 'assign', tenantIds: ['tenant-juro'] }),
      resolve(requestId, { action: 'assign', tenantIds: ['tenant-juro'] }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers[1]?.body.events).toEqual(answers[0]?.body.events);
  });

  it('When /healthz, /readyz and /metrics are asked for without a credential, then they answer (internal network)', async () => {
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('GET', '/readyz')).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${relay.port}/metrics`)).status).toBe(200);
  });
});
