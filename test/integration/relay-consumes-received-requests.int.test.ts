import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_EVIDENCE_SIGNING_KEY } from '../support/relay-env';
import { EVENTS, deadLetterTopicName, topicName } from '@privacy-relay/shared/events';
import { DEAD_LETTER_HEADERS, KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { loadConfig } from '@privacy-relay/shared/config';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import { createRelayService, type RelayService } from '@privacy-relay/relay/relay-service';
import { MongoRelayRequestRepository } from '@privacy-relay/relay/adapters/mongo/relay-request-repository';
import type { Connection } from 'mongoose';
import type { Kafka, Producer } from 'kafkajs';
import { receivedRequestEvent } from '../support/fixtures';
import {
  connectTestDatabase,
  discardTestDatabase,
  createTestTopics,
  eventually,
  readTopic,
  stackEndpoints,
  testKafka,
  testLogger,
  testNamespace,
} from '../support/test-env';

describe('Relay consumer: received requests through real Kafka into the database', () => {
  const ns = testNamespace('relayconsume');
  const endpoints = stackEndpoints();
  const logger = testLogger('relay-test');
  let kafka: Kafka;
  let relay: RelayService;
  let publisher: KafkaEventPublisher;
  let rawProducer: Producer;
  let connection: Connection;
  let requests: MongoRelayRequestRepository;
  const topic = topicName(EVENTS.requestReceivedV1, ns.topicPrefix);

  beforeAll(async () => {
    kafka = testKafka();
    await createTestTopics(kafka, ns.topicPrefix);
    const config = loadConfig(relayConfigSpec, {
      KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: ns.topicPrefix,
      MONGODB_URI: endpoints.mongodbUri,
      SES_ENDPOINT: endpoints.sesEndpoint,
      RELAY_MONGODB_DATABASE: ns.dbName,
      RELAY_KAFKA_GROUP_ID: ns.groupId,
      RELAY_COUNTERPARTY_HMAC_KEY: 'test-counterparty-hmac-key-0123456789abcdef',
      RELAY_LINK_SECRET: 'integration-test-relay-link-secret-0123456789',
      RELAY_EVIDENCE_SIGNING_KEY: TEST_EVIDENCE_SIGNING_KEY,
      RELAY_EVIDENCE_DIR: join(tmpdir(), 'privacy-relay-evidence', ns.dbName),
      RELAY_PLATFORM_PRIVACY_TEAM_EMAIL: 'privacy-team@platform.test',
      RELAY_PORT: '0',
      RELAY_HOST: '127.0.0.1',
    });
    relay = createRelayService(config, logger);
    await relay.start();
    publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
    await publisher.connect();
    rawProducer = kafka.producer();
    await rawProducer.connect();
    connection = await connectTestDatabase(ns.dbName, logger);
    requests = new MongoRelayRequestRepository(connection);
  });

  afterAll(async () => {
    await rawProducer?.disconnect();
    await publisher?.disconnect();
    await relay?.stop();
    await discardTestDatabase(connection);
  });

  it('When intake publishes privacy.request.received.v1 through the shared producer, then the relay stores the request through mongoose', async () => {
    const event = receivedRequestEvent({
      rights: ['access', 'erasure'],
      company: { name: 'Juro Online Limited', email: 'privacy@juro.example' },
    });
    await publisher.publish(EVENTS.requestReceivedV1, event);

    const stored = await eventually(() => requests.findById(event.payload.requestId), 20_000, 'the stored request');
    expect(stored).toMatchObject({
      requestId: event.payload.requestId,
      reference: event.payload.reference,
      rights: ['access', 'erasure'],
      requester: event.payload.requester,
      company: { name: 'Juro Online Limited', email: 'privacy@juro.example' },
      status: 'awaiting-verification',
      sourceEventId: event.id,
    });
  });

  it('When the same event is delivered twice, then it is stored once', async () => {
    const event = receivedRequestEvent();
    await publisher.publish(EVENTS.requestReceivedV1, event);
    await publisher.publish(EVENTS.requestReceivedV1, event);
    const marker = receivedRequestEvent();
    await publisher.publish(EVENTS.requestReceivedV1, marker);
    await eventually(() => requests.findById(marker.payload.requestId), 20_000, 'the marker request');
    expect(await connection.collection('requests').countDocuments({ _id: event.payload.requestId as never })).toBe(1);
  });

  it('When a malformed and a schema-invalid message arrive, then both land on the dead-letter topic with their reason and the consumer goes on', async () => {
    const invalid = receivedRequestEvent() as unknown as { payload: { rights: string[] } };
    invalid.payload.rights = ['teleportation'];
    await rawProducer.send({
      topic,
      messages: [
        { key: 'broken-1', value: '{"id": "not closed' },
        { key: 'broken-2', value: JSON.stringify(invalid) },
        // JSON.parse quotes the text around its error: the reason (and the log line) must not.
        { key: 'broken-3', value: '{"id": "x", "payload": {"requester": {"name": Jane Doe-Smith}}}' },
      ],
    });
    const after = receivedRequestEvent();
    await publisher.publish(EVENTS.requestReceivedV1, after);

    await eventually(() => requests.findById(after.payload.requestId), 20_000, 'the request after the bad ones');
    const dead = await readTopic(kafka, deadLetterTopicName(topic), { atLeast: 3 });
    const byKey = new Map(dead.map((message) => [message.key, message]));
    expect(byKey.get('broken-1')?.headers[DEAD_LETTER_HEADERS.errorCode]).toBe('MALFORMED_JSON');
    expect(byKey.get('broken-1')?.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/malformed JSON/);
    expect(byKey.get('broken-1')?.value).toBe('{"id": "not closed');
    expect(byKey.get('broken-3')?.headers[DEAD_LETTER_HEADERS.errorCode]).toBe('MALFORMED_JSON');
    expect(byKey.get('broken-3')?.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/malformed JSON/);
    expect(byKey.get('broken-3')?.headers[DEAD_LETTER_HEADERS.reason]).not.toMatch(/Jane|Doe|Smith/);
    expect(byKey.get('broken-2')?.headers[DEAD_LETTER_HEADERS.errorCode]).toBe('EVENT_INVALID');
    expect(byKey.get('broken-2')?.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/payload\.rights/);
    expect(byKey.get('broken-2')?.headers[DEAD_LETTER_HEADERS.originalTopic]).toBe(topic);
  });
});
