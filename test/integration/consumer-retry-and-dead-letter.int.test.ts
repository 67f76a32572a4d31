import { AppError } from '@privacy-relay/shared/errors';
import { EVENTS, deadLetterTopicName, topicName } from '@privacy-relay/shared/events';
import {
  DEAD_LETTER_HEADERS,
  KafkaEventPublisher,
  route,
  runConsumer,
  type ConsumerHandle,
} from '@privacy-relay/shared/kafka';
import type { Kafka } from 'kafkajs';
import { receivedRequestEvent } from '../support/fixtures';
import { createTestTopics, eventually, readTopic, testKafka, testLogger, testNamespace } from '../support/test-env';

describe('Consumer runner: retriable failures retry in order, others go to the dead-letter topic', () => {
  const ns = testNamespace('retrydlq');
  const logger = testLogger('retry-test');
  let kafka: Kafka;
  let consumer: ConsumerHandle | undefined;

  beforeAll(async () => {
    kafka = testKafka();
    await createTestTopics(kafka, ns.topicPrefix);
  });

  afterAll(async () => {
    await consumer?.stop();
  });

  it('When a handler fails retriably twice, then it is retried until it succeeds, in order; a programmer error is dead-lettered with its reason', async () => {
    // One key: one partition, so the order of handling is the order of publishing.
    const requestId = '0193a1c2-7d4e-7a10-9b7c-000000000001';
    const flaky = receivedRequestEvent({ requestId, reference: 'PR-FLAKY' });
    const broken = receivedRequestEvent({ requestId, reference: 'PR-BROKEN' });
    const after = receivedRequestEvent({ requestId, reference: 'PR-AFTER' });
    const handled: string[] = [];
    let flakyAttempts = 0;

    consumer = await runConsumer({
      kafka,
      groupId: ns.groupId,
      topicPrefix: ns.topicPrefix,
      logger,
      retry: { initialDelayMs: 50, maxDelayMs: 200 },
      routes: [
        route(EVENTS.requestReceivedV1, async (event) => {
          if (event.payload.reference === 'PR-FLAKY' && ++flakyAttempts <= 2) {
            throw new AppError('DB_DOWN', 'database unavailable', { retriable: true });
          }
          if (event.payload.reference === 'PR-BROKEN') throw new TypeError('cannot read properties of undefined');
          handled.push(event.payload.reference);
        }),
      ],
    });
    const publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
    await publisher.connect();
    for (const event of [flaky, broken, after]) await publisher.publish(EVENTS.requestReceivedV1, event);
    await publisher.disconnect();

    await eventually(async () => (handled.length >= 2 ? true : undefined), 30_000, 'two handled events');
    expect(handled).toEqual(['PR-FLAKY', 'PR-AFTER']);
    expect(flakyAttempts).toBe(3);

    const dead = await readTopic(kafka, deadLetterTopicName(topicName(EVENTS.requestReceivedV1, ns.topicPrefix)), {
      atLeast: 1,
    });
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]?.value ?? '{}').payload.reference).toBe('PR-BROKEN');
    expect(dead[0]?.headers[DEAD_LETTER_HEADERS.errorCode]).toBe('TypeError');
    expect(dead[0]?.headers[DEAD_LETTER_HEADERS.reason]).toContain('cannot read properties of undefined');
  });
});
