import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka, ProducerRecord } from 'kafkajs';
import { EVENTS } from '../events';
import { createLogger } from '../logger';
import { KafkaEventPublisher } from './event-publisher';

/** A KafkaJS producer whose sends stay pending until the test settles them. */
function controllableKafka() {
  const sends: Array<{ record: ProducerRecord; resolve: () => void; reject: (error: Error) => void }> = [];
  const producer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    send: (record: ProducerRecord) =>
      new Promise((resolve, reject) => sends.push({ record, resolve: () => resolve([]), reject })),
  };
  return { kafka: { producer: () => producer } as unknown as Kafka, sends };
}

const receivedFixture = () =>
  EVENTS.requestReceivedV1.parse(
    JSON.parse(readFileSync(join(__dirname, '../events/request-received/fixtures/v1.json'), 'utf8')),
  );

describe('KafkaEventPublisher', () => {
  const logger = createLogger({ name: 'test', level: 'silent' });

  it('When a send outlives the timeout and the caller retries, then the retry joins that send: one record, not two', async () => {
    const { kafka, sends } = controllableKafka();
    const publisher = new KafkaEventPublisher(kafka, { logger, sendTimeoutMs: 20 });
    const envelope = receivedFixture();

    await expect(publisher.publish(EVENTS.requestReceivedV1, envelope)).rejects.toMatchObject({
      code: 'KAFKA_UNAVAILABLE',
      retriable: true,
    });
    const retry = publisher.publish(EVENTS.requestReceivedV1, envelope);
    sends[0]?.resolve();
    await expect(retry).resolves.toBeUndefined();
    expect(sends).toHaveLength(1);
  });

  it('When a timed-out send lands before the caller retries, then the retry sends nothing more', async () => {
    const { kafka, sends } = controllableKafka();
    const publisher = new KafkaEventPublisher(kafka, { logger, sendTimeoutMs: 20 });
    const envelope = receivedFixture();

    await expect(publisher.publish(EVENTS.requestReceivedV1, envelope)).rejects.toMatchObject({
      code: 'KAFKA_UNAVAILABLE',
    });
    sends[0]?.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    await expect(publisher.publish(EVENTS.requestReceivedV1, envelope)).resolves.toBeUndefined();
    expect(sends).toHaveLength(1);
  });

  it('When the earlier send failed for good, then the retry sends again', async () => {
    const { kafka, sends } = controllableKafka();
    const publisher = new KafkaEventPublisher(kafka, { logger, sendTimeoutMs: 1_000 });
    const envelope = receivedFixture();

    const first = publisher.publish(EVENTS.requestReceivedV1, envelope);
    sends[0]?.reject(new Error('broker gone'));
    await expect(first).rejects.toMatchObject({ code: 'KAFKA_UNAVAILABLE' });
    const retry = publisher.publish(EVENTS.requestReceivedV1, envelope);
    sends[1]?.resolve();
    await expect(retry).resolves.toBeUndefined();
    expect(sends).toHaveLength(2);
    expect(sends[1]?.record.messages[0]?.headers).toMatchObject({ 'event-id': envelope.id });
  });

  it('When two different events are sent at once, then each gets its own send', async () => {
    const { kafka, sends } = controllableKafka();
    const publisher = new KafkaEventPublisher(kafka, { logger });
    const one = receivedFixture();
    const other = EVENTS.requestReceivedV1.create(one.payload, { correlationId: one.correlationId });

    const both = Promise.all([
      publisher.publish(EVENTS.requestReceivedV1, one),
      publisher.publish(EVENTS.requestReceivedV1, other),
    ]);
    sends.forEach((send) => send.resolve());
    await both;
    expect(sends).toHaveLength(2);
  });
});
