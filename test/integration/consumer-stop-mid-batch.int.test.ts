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
  const topic = topicName(EVENTS.requestReceivedV1, ns.topicPrefix);

  /** Messages of the test's topic that the group has committed (offsets from the topic's start). */
  async function committedCount(): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: ns.groupId, topics: [topic] });
      const starts = await admin.fetchTopicOffsets(topic);
      return (committed?.partitions ?? []).reduce((sum, { partition, offset }) => {
        const low = Number(starts.find((p) => p.partition === partition)?.low ?? 0);
        return Number(offset) < 0 ? sum : sum + Number(offset) - low;
      }, 0);
    } finally {
      await admin.disconnect();
    }
  }

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
      // The positive marker that nothing more will come: the group's committed offsets on the
      // prefixed topic reach its end (a message is committed only after it was handled, and only
      // what is uncommitted is ever delivered again).
      await eventually(
        async () => ((await committedCount()) === total ? true : undefined),
        60_000,
        `the group to commit all ${total} messages of ${topic}`,
      );
    } finally {
      await second.stop();
    }

    expect(await committedCount()).toBe(total);
    const handled = await connection.collection('handled').find().toArray();
    const ids = handled.map((doc) => doc.eventId as string);
    expect(new Set(ids).size).toBe(total);
    expect(ids).toHaveLength(total);
    expect(new Set(ids)).toEqual(new Set(events.map((event) => event.id)));
  });
});
