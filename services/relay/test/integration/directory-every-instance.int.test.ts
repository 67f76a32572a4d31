import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS, topicName, type TenantDirectoryChangedV1Payload } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
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
import { relayTestEnv } from '../../../../test/support/relay-env';

const logger = testLogger('relay-directory-test');

async function startRelay(env: Record<string, string>): Promise<RelayService> {
  const relay = createRelayService(loadConfig(relayConfigSpec, env), logger);
  await relay.start();
  return relay;
}

function upserted(tenantId: string, legalName: string, changedAt: string): TenantDirectoryChangedV1Payload {
  return {
    tenantId,
    changedAt,
    change: 'upserted',
    tenant: { legalName, aliases: [], domains: [], contacts: [], regime: 'uk-gdpr' },
  };
}

async function publishDirectoryChange(publisher: KafkaEventPublisher, payload: TenantDirectoryChangedV1Payload) {
  await publisher.publish(
    EVENTS.tenantDirectoryChangedV1,
    EVENTS.tenantDirectoryChangedV1.create(payload, { correlationId: payload.tenantId }),
  );
}

/** A verified request naming `companyName`. */
function publishVerifiedRequestNaming(publisher: KafkaEventPublisher, companyName: string): Promise<string> {
  return publishVerifiedRequest(publisher, {
    company: { name: companyName },
    requester: { name: 'Ada Example', email: 'someone@gmail.com' },
  });
}

/** The relay's decision for each request: the topic (matched or triage) and tenant it went to. */
async function decisionsFor(
  kafka: Kafka,
  prefix: string,
  requestIds: readonly string[],
): Promise<Map<string, { outcome: 'matched' | 'triage'; tenantId?: string; reason?: string }>> {
  const topics = {
    matched: topicName(EVENTS.caseMatchedV1, prefix),
    triage: topicName(EVENTS.caseTriageV1, prefix),
  } as const;
  return eventually(
    async () => {
      const found = new Map<string, { outcome: 'matched' | 'triage'; tenantId?: string; reason?: string }>();
      for (const outcome of ['matched', 'triage'] as const) {
        for (const message of await readTopic(kafka, topics[outcome], { timeoutMs: 500 })) {
          const { payload } = JSON.parse(message.value) as {
            payload: { requestId: string; tenantId?: string; reason?: string };
          };
          if (requestIds.includes(payload.requestId)) {
            found.set(payload.requestId, { outcome, tenantId: payload.tenantId, reason: payload.reason });
          }
        }
      }
      return found.size === requestIds.length ? found : undefined;
    },
    60_000,
    `decisions for ${requestIds.length} request(s)`,
  );
}

describe('Two relay instances with default settings', () => {
  const ns = testNamespace('relaydirtwo');
  const env = relayTestEnv(ns);
  let kafka: Kafka;
  let publisher: KafkaEventPublisher;
  let connection: Connection;
  const relays: RelayService[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    await createTestTopics(kafka, ns.topicPrefix);
    publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
    await publisher.connect();
    connection = await connectTestDatabase(ns.dbName, logger);
  });

  afterAll(async () => {
    for (const relay of relays) await relay.stop();
    await publisher?.disconnect();
    await discardTestDatabase(connection);
  });

  it('When a tenant is deleted by event, then neither instance matches a request naming it, and stopped instances leave no directory group behind', async () => {
    const first = await startRelay(env);
    relays.push(first);
    await publishDirectoryChange(
      publisher,
      upserted('tenant-acme', 'Acme Widgets Limited', '2026-03-01T08:00:00.000Z'),
    );
    await eventually(async () => first.tenantIndex.has('tenant-acme') || undefined, 30_000, 'Acme in the index');
    const second = await startRelay(env);
    relays.push(second);
    expect(second.tenantIndex.has('tenant-acme')).toBe(true);

    await publishDirectoryChange(publisher, {
      tenantId: 'tenant-acme',
      changedAt: '2026-03-02T08:00:00.000Z',
      change: 'deleted',
    });
    // Each instance's own index must lose the tenant, not only the one that happened to read its partition.
    await eventually(
      async () => (!first.tenantIndex.has('tenant-acme') && !second.tenantIndex.has('tenant-acme')) || undefined,
      30_000,
      'Acme gone from both indexes',
    );

    // Requests spread over the partitions, so over both instances' request consumers.
    const requestIds: string[] = [];
    for (let i = 0; i < 6; i++) requestIds.push(await publishVerifiedRequestNaming(publisher, 'Acme Widgets'));
    const decisions = await decisionsFor(kafka, ns.topicPrefix, requestIds);
    expect([...decisions.values()]).toEqual(requestIds.map(() => expect.objectContaining({ outcome: 'triage' })));

    for (const relay of relays.splice(0)) await relay.stop();
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.listGroups();
      expect(groups.map((g) => g.groupId).filter((id) => id.startsWith(`${ns.groupId}.directory`))).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('A relay starting behind the directory topic', () => {
  const ns = testNamespace('relaydircatchup');
  const env = relayTestEnv(ns);
  let kafka: Kafka;
  let publisher: KafkaEventPublisher;
  let connection: Connection;
  let relay: RelayService | undefined;

  beforeAll(async () => {
    kafka = testKafka();
    await createTestTopics(kafka, ns.topicPrefix);
    publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
    await publisher.connect();
    connection = await connectTestDatabase(ns.dbName, logger);
  });

  afterAll(async () => {
    await relay?.stop();
    await publisher?.disconnect();
    await discardTestDatabase(connection);
  });

  it('When directory changes and a request naming a new tenant are waiting at start, then the request is matched against the caught-up directory', async () => {
    // Many changes ahead of the one that matters, so a relay that matches before it caught up is seen doing so.
    const fillers = Array.from({ length: 300 }, (_, i) =>
      upserted(`tenant-filler-${i}`, `Filler Holdings ${i} Limited`, '2026-03-01T08:00:00.000Z'),
    );
    for (let i = 0; i < fillers.length; i += 50) {
      await Promise.all(fillers.slice(i, i + 50).map((payload) => publishDirectoryChange(publisher, payload)));
    }
    await publishDirectoryChange(
      publisher,
      upserted('tenant-brightwater', 'Brightwater Logistics Limited', '2026-03-01T08:00:00.000Z'),
    );
    const requestId = await publishVerifiedRequestNaming(publisher, 'Brightwater Logistics');

    relay = await startRelay(env);
    const decisions = await decisionsFor(kafka, ns.topicPrefix, [requestId]);
    expect(decisions.get(requestId)).toEqual(
      expect.objectContaining({ outcome: 'matched', tenantId: 'tenant-brightwater' }),
    );

    const readiness = await fetch(`http://127.0.0.1:${relay.port}/readyz`);
    expect(readiness.status).toBe(200);
    expect(await readiness.json()).toMatchObject({ checks: expect.arrayContaining([{ name: 'directory', ok: true }]) });
  });
});
