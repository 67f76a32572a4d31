import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Kafka, type Admin } from 'kafkajs';
import { ensureTopics } from '@privacy-relay/shared/kafka';
import { createLogger, type Logger } from '@privacy-relay/shared/logger';
import { closeMongo, connectMongo } from '@privacy-relay/shared/mongo';
import type { Connection } from 'mongoose';

/** Endpoints that test/global-setup.ts put in the environment. */
// The SES endpoint accepts any credentials; the SDK wants some (the relay forwards cases to it).
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

export function stackEndpoints(): { kafkaBrokers: string[]; mongodbUri: string; sesEndpoint: string } {
  const { KAFKA_BROKERS, MONGODB_URI, SES_ENDPOINT } = process.env;
  if (!KAFKA_BROKERS || !MONGODB_URI || !SES_ENDPOINT) {
    throw new Error('KAFKA_BROKERS, MONGODB_URI and SES_ENDPOINT must be set (test/global-setup.ts sets them)');
  }
  return { kafkaBrokers: KAFKA_BROKERS.split(','), mongodbUri: MONGODB_URI, sesEndpoint: SES_ENDPOINT };
}

/** Topics and a database of its own for one test file, so files can run side by side. */
export function testNamespace(label: string): { topicPrefix: string; dbName: string; groupId: string } {
  const id = `${label.replace(/[^a-z0-9]/gi, '').slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  return { topicPrefix: `test.${id}.`, dbName: `test_${id}`, groupId: `test-${id}` };
}

/** Silent unless TEST_LOG_LEVEL says otherwise (e.g. TEST_LOG_LEVEL=debug npm test). */
export function testLogger(name: string): Logger {
  return createLogger({ name, level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

/** A test file's own database (name from testNamespace) on the stack's MongoDB. */
export function connectTestDatabase(dbName: string, logger: Logger): Promise<Connection> {
  return connectMongo({ uri: stackEndpoints().mongodbUri, dbName, logger });
}

/** Drops a test file's database and closes its connection; a drop that fails (stack already gone) fails no test. */
export async function discardTestDatabase(connection: Connection | undefined): Promise<void> {
  if (!connection) return;
  await connection.dropDatabase().catch(() => undefined);
  await closeMongo(connection);
}

export function testKafka(brokers = stackEndpoints().kafkaBrokers): Kafka {
  return new Kafka({ clientId: 'test', brokers, logLevel: 0 });
}

export async function createTestTopics(kafka: Kafka, topicPrefix: string): Promise<void> {
  const created = await ensureTopics(kafka, { prefix: topicPrefix, numPartitions: 3, replicationFactor: 1 });
  // The controller names a leader before the broker serves the partition: on a busy machine a
  // first produce then fails with "not the leader" after the producer's retries. Listing each new
  // topic's offsets is answered by the partition leaders themselves, so it waits for exactly that.
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 60_000;
    for (const topic of created) {
      for (;;) {
        try {
          await admin.fetchTopicOffsets(topic);
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
}

export interface ReadMessage {
  key: string | null;
  value: string;
  headers: Record<string, string>;
  partition: number;
  offset: string;
}

/** Every message on a topic right now, read through the admin offsets (no consumer group). */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  options: { atLeast?: number; timeoutMs?: number } = {},
): Promise<ReadMessage[]> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  try {
    for (;;) {
      const messages = await readOnce(kafka, admin, topic);
      if (messages.length >= (options.atLeast ?? 0) || Date.now() > deadline) return messages;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

async function readOnce(kafka: Kafka, admin: Admin, topic: string): Promise<ReadMessage[]> {
  const ends = await admin.fetchTopicOffsets(topic);
  const total = ends.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  if (total === 0) return [];
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(6).toString('hex')}` });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${messages.length} of ${total} messages of ${topic}`)),
        20_000,
      );
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
          messages.push({
            key: message.key?.toString('utf8') ?? null,
            value: message.value?.toString('utf8') ?? '',
            headers,
            partition,
            offset: message.offset,
          });
          if (messages.length >= total) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** Polls until `probe` returns a value other than undefined, or fails with the last state. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
