import { startLocalKafka, type LocalKafka } from '@privacy-relay/infra';
import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS, topicName } from '@privacy-relay/shared/events';
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

// Stopping Kafka must not disturb the other test files, so this file runs a broker of its own.
// That needs the local (no-Docker) stack's Java and Maven; elsewhere the file is skipped
// (TEST_KAFKA_OF_ITS_OWN=1 runs it where the stack comes from the environment but Java is here).
const describeLocal =
  process.env.TEST_STACK_SOURCE === 'local' || process.env.TEST_KAFKA_OF_ITS_OWN === '1' ? describe : describe.skip;

describeLocal(
  'Relay triage resolutions while Kafka is away: stored with their events, published once it is back',
  () => {
    const ns = testNamespace('triageoutbox');
    const logger = testLogger('triage-outbox');
    let localKafka: LocalKafka;
    let kafka: Kafka;
    let publisher: KafkaEventPublisher;
    let relay: RelayService;
    let connection: Connection;

    beforeAll(async () => {
      localKafka = await startLocalKafka({ log: () => undefined });
      kafka = testKafka(localKafka.brokers.split(','));
      await createTestTopics(kafka, ns.topicPrefix);
      publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
      await publisher.connect();
      connection = await connectTestDatabase(ns.dbName, logger);
      relay = createRelayService(
        loadConfig(
          relayConfigSpec,
          relayTestEnv(ns, { KAFKA_BROKERS: localKafka.brokers, RELAY_OUTBOX_SWEEP_INTERVAL_MS: '200' }),
        ),
        logger,
      );
      await relay.start();
    });

    afterAll(async () => {
      await relay?.stop();
      await publisher?.disconnect();
      await discardTestDatabase(connection);
      await localKafka?.close();
    });

    it('When Kafka is down as an operator resolves a triage, then the resolution is stored and, once Kafka is back, its case.matched is published with no further request', async () => {
      const changedAt = new Date().toISOString();
      await publisher.publish(
        EVENTS.tenantDirectoryChangedV1,
        EVENTS.tenantDirectoryChangedV1.create(
          {
            tenantId: 'tenant-joro',
            changedAt,
            change: 'upserted',
            tenant: { legalName: 'Joro Home Ltd', aliases: [], domains: ['joro.example'] },
          },
          { correlationId: 'tenant-joro' },
        ),
      );
      await eventually(async () => (relay.tenantIndex.has('tenant-joro') ? true : undefined), 30_000, 'the tenant');

      const requestId = await publishVerifiedRequest(publisher, {
        company: { name: 'Contoso Pharmaceuticals AG' },
        requester: { name: 'Ada Example', email: 'someone@gmail.com' },
      });
      const decisions = connection.collection<{ _id: string; decision?: string; outboxPending?: boolean }>(
        'match_decisions',
      );
      await eventually(
        async () => ((await decisions.findOne({ _id: requestId }))?.decision === 'triage' ? true : undefined),
        30_000,
        'the triage decision',
      );

      await localKafka.stop();
      const response = await fetch(`http://127.0.0.1:${relay.port}/triage/${requestId}/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer dev-operator-token' },
        body: JSON.stringify({ action: 'assign', tenantIds: ['tenant-joro'] }),
      });
      // Stored, its event not yet on Kafka: accepted, not claimed as published.
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ published: false });

      await localKafka.start();
      const matchedTopic = topicName(EVENTS.caseMatchedV1, ns.topicPrefix);
      const assigned = await eventually(
        async () => {
          const found = (await readTopic(kafka, matchedTopic, { timeoutMs: 1_000 }))
            .map((message) => JSON.parse(message.value) as { id: string; payload: Record<string, unknown> })
            .filter((event) => event.payload.requestId === requestId);
          return found.length > 0 ? found : undefined;
        },
        60_000,
        'the stored resolution to be published',
      );
      expect(assigned.map((event) => event.payload)).toEqual([
        expect.objectContaining({ tenantId: 'tenant-joro', matchedBy: 'operator' }),
      ]);
      await eventually(
        async () => ((await decisions.findOne({ _id: requestId }))?.outboxPending === false ? true : undefined),
        30_000,
        'the resolution marked published',
      );
    });
  },
);
