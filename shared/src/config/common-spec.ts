import { z } from 'zod';
import type { ConfigSpec } from './load-config';
import { envSchemas } from './schemas';

/** Variables every service reads: where Kafka, MongoDB and SES are, and how to log. */
export const commonConfigSpec = {
  logLevel: { env: 'LOG_LEVEL', schema: envSchemas.logLevel, default: 'info', doc: 'pino log level.' },
  kafkaBrokers: {
    env: 'KAFKA_BROKERS',
    schema: envSchemas.brokerList,
    default: '127.0.0.1:9092',
    doc: 'Kafka bootstrap brokers, comma-separated host:port.',
  },
  kafkaTopicPrefix: {
    env: 'KAFKA_TOPIC_PREFIX',
    schema: envSchemas.topicPrefix,
    default: '',
    doc: 'Prefix put before every topic name (separates environments sharing one cluster).',
  },
  kafkaCreateTopics: {
    env: 'KAFKA_CREATE_TOPICS',
    schema: envSchemas.boolean,
    default: 'true',
    doc: 'Create missing topics of the event catalog (and their dead-letter twins) at start.',
  },
  kafkaReplicationFactor: {
    env: 'KAFKA_REPLICATION_FACTOR',
    schema: envSchemas.positiveInt,
    default: '1',
    doc: 'Replication factor for topics this service creates (3 in production).',
  },
  kafkaPartitions: {
    env: 'KAFKA_PARTITIONS',
    schema: envSchemas.positiveInt,
    default: '3',
    doc: 'Partitions for topics this service creates.',
  },
  mongodbUri: {
    env: 'MONGODB_URI',
    schema: envSchemas.mongoUri,
    default: 'mongodb://127.0.0.1:27017/',
    doc: 'MongoDB (or FerretDB) connection string.',
  },
  sesEndpoint: {
    env: 'SES_ENDPOINT',
    schema: envSchemas.url.optional(),
    doc: 'SES API endpoint override (the local aws-ses-v2-local in development); unset uses AWS.',
  },
  awsRegion: { env: 'AWS_REGION', schema: z.string().min(1), default: 'eu-west-2', doc: 'AWS region for SES.' },
  shutdownTimeoutMs: {
    env: 'SHUTDOWN_TIMEOUT_MS',
    schema: envSchemas.positiveInt,
    default: '15000',
    doc: 'How long a graceful stop may take before the process exits anyway.',
  },
} satisfies ConfigSpec;
