import type { Kafka } from 'kafkajs';
import { allTopicNames } from '../events';

export interface EnsureTopicsOptions {
  prefix?: string;
  numPartitions?: number;
  replicationFactor?: number;
  /** Extra topics beyond the catalog (tests). */
  extraTopics?: readonly string[];
}

/**
 * Creates every catalog topic and its dead-letter twin that does not exist yet. Idempotent.
 * Topics are created explicitly: broker-side auto-creation would pick defaults silently.
 */
export async function ensureTopics(kafka: Kafka, options: EnsureTopicsOptions = {}): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const wanted = [...allTopicNames(options.prefix ?? ''), ...(options.extraTopics ?? [])];
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: options.numPartitions ?? 3,
          replicationFactor: options.replicationFactor ?? 1,
        })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
