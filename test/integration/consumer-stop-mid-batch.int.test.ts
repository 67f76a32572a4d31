import { randomUUID } from 'node:crypto';
import { EVENTS, topicName } from '@privacy-relay/shared/events';
import { KafkaEventPublisher, runConsumer, route, type ConsumerHandle } from '@privacy-relay/shared/kafka';
import type { Connection } from 'mongoose';
import type { Kafka } from 'kafkajs';
import { receivedRequestEvent } from '../support/fixtures';
import {
  connectTestDatabase,
  discardTestDatabase,
  createTestTopics,
  eventually,
  testKafka,
  testLogger,
  testNamespace,
} from '../support/test-env';

describe('Consumer runner: stop in the middle of a batch, start again', () => {
  const ns = testNamespace('stopmidbatch');
  const logger = testLogger('runner-test');
  const total = 120;
  let kafka: Kafka;
  let connection: Connection;

  beforeAll(async () => {
    kafka = testKafka();
    await createTestTopics(kafka, ns.topicPrefix);
    connection = await connectTestDatabase(ns.dbName, logger);
  });

  afterAll(async () => {
    await discardTestDatabase(connection);
  });

  // The sink is deliberately NOT idempotent (a fresh _id per handling): a message handled twice
  // would show up twice. What the runner commits must be exactly what was handled.
  function startSinkConsumer(onHandled: () => void): Promise<ConsumerHandle> {
    return runConsumer({
      kafka,
      groupId: ns.groupId,
      topicPrefix: ns.topicPrefix,
      logger,
      routes: [
        route(EVENTS.requestReceivedV1, async (event, context) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          await connection.collection('handled').insertOne({
            _id: randomUUID() as never,
            eventId: event.id,
            partition: context.partition,
            offset: context.offset,
          });
          onHandled();
        }),
      ],
    });
  }

  it('When the consumer stops mid-batch and starts again, then no message is lost and none is stored twice', async () => {
    const publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
    await publisher.connect();
    const events = Array.from({ length: total }, () => receivedRequestEvent());
    for (const event of events) await publisher.publish(EVENTS.requestReceivedV1, event);
    await publisher.disconnect();

    let handledBeforeStop = 0;
    let reached25: () => void = () => undefined;
    const twentyFiveHandled = new Promise<void>((resolve) => (reached25 = resolve));
    const first = await startSinkConsumer(() => {
      handledBeforeStop += 1;
      if (handledBeforeStop === 25) reached25();
    });
    await twentyFiveHandled;
    // The batch in hand is far from finished: 120 messages were waiting.
    await first.stop();
    const countAfterStop = await connection.collection('handled').countDocuments();
    expect(countAfterStop).toBeGreaterThanOrEqual(25);
    expect(countAfterStop).toBeLessThan(total);

    const second = await startSinkConsumer(() => undefined);
    try {
      await eventually(
        async () => ((await connection.collection('handled').countDocuments()) >= total ? true : undefined),
        60_000,
        `all ${total} messages handled`,
      );
      // Give a redelivery, if there were one, time to show up.
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } finally {
      await second.stop();
    }

    const handled = await connection.collection('handled').find().toArray();
    const ids = handled.map((doc) => doc.eventId as string);
    expect(new Set(ids).size).toBe(total);
    expect(ids).toHaveLength(total);
    expect(new Set(ids)).toEqual(new Set(events.map((event) => event.id)));
    expect(topicName(EVENTS.requestReceivedV1, ns.topicPrefix)).toContain(ns.topicPrefix);
  });
});
