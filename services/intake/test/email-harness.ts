import { randomUUID } from 'node:crypto';
import { EVENTS, topicName, type RequestReceivedV1 } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { KafkaReceivedRequestPublisher } from '@privacy-relay/intake/adapters/kafka/kafka-received-request-publisher';
import { MongoRequestLedger } from '@privacy-relay/intake/adapters/mongo/mongo-request-ledger';
import { MongoVerificationStore } from '@privacy-relay/intake/adapters/mongo/mongo-verification-store';
import { acceptRequest } from '@privacy-relay/intake/application/accept-request';
import { WriteBehindVerificationStore } from '@privacy-relay/intake/application/write-behind-states';
import type { AcceptIncoming, EmailLimits } from '@privacy-relay/intake/entry-points/smtp/receive-email';
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '@privacy-relay/shared/http';
import type { Logger } from '@privacy-relay/shared/logger';
import { registerSesInboundRoutes } from '@privacy-relay/intake/entry-points/http/ses-inbound';
import type { FastifyInstance } from 'fastify';
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import type { Connection } from 'mongoose';
import {
  connectTestDatabase,
  createTestTopics,
  discardTestDatabase,
  eventually,
  readTopic,
  testKafka,
  testLogger,
  testNamespace,
} from '../../../test/support/test-env';
import { TEST_CERT_URL, TEST_TOPIC_ARN, type TestSnsPki } from './email-sns-signer';

/**
 * The real acceptance path behind the email entry points, on a namespace of its own: the Mongo
 * ledger and request states, the Kafka publisher (acks=all) and `acceptRequest`, as the intake
 * wiring builds them.
 */
export interface EmailHarness {
  accept: AcceptIncoming;
  kafka: Kafka;
  topicPrefix: string;
  /** Every `privacy.request.received.v1` on the topic, each parsed with the shared contract. */
  receivedEvents(options?: { atLeast?: number }): Promise<RequestReceivedV1[]>;
  close(): Promise<void>;
}

export async function startEmailHarness(
  label: string,
  options: { kafkaBrokers?: string[]; sendTimeoutMs?: number } = {},
): Promise<EmailHarness> {
  const ns = testNamespace(label);
  const logger = testLogger(`${label}-harness`);
  const kafka = testKafka(options.kafkaBrokers);
  await createTestTopics(kafka, ns.topicPrefix);
  const connection: Connection = await connectTestDatabase(ns.dbName, logger);
  const publisher = new KafkaEventPublisher(kafka, {
    topicPrefix: ns.topicPrefix,
    logger,
    ...(options.sendTimeoutMs ? { sendTimeoutMs: options.sendTimeoutMs } : {}),
  });
  await publisher.connect();
  const states = new WriteBehindVerificationStore(new MongoVerificationStore(connection), (error) => {
    logger.error({ err: error }, 'request state not stored');
  });
  const deps = {
    ledger: new MongoRequestLedger(connection, 'email-harness-link-secret-0123456789abcdef'),
    publisher: new KafkaReceivedRequestPublisher(publisher),
    clock: { now: () => new Date() },
    ids: { newRequestId: () => randomUUID() },
    states,
    secret: 'email-harness-link-secret-0123456789abcdef',
    verificationTtlMs: 72 * 60 * 60 * 1000,
  };
  const topic = topicName(EVENTS.requestReceivedV1, ns.topicPrefix);
  return {
    accept: (incoming, admission) => acceptRequest(deps, incoming, admission),
    kafka,
    topicPrefix: ns.topicPrefix,
    async receivedEvents(read = {}) {
      // Right after topic creation a broker may still answer "not the leader": read again until it settles.
      const messages = await eventually(
        () => readTopic(kafka, topic, { atLeast: read.atLeast ?? 0, timeoutMs: 10_000 }),
        30_000,
        `the messages of ${topic}`,
      );
      return messages.map((message) => EVENTS.requestReceivedV1.parse(JSON.parse(message.value)));
    },
    async close() {
      await states.flush();
      await publisher.disconnect().catch(() => undefined);
      await discardTestDatabase(connection);
    },
  };
}

/**
 * The SES inbound route on a server of its own, trusting the test CA. By default the only
 * certificate it can fetch is the test signer's; pass `fetchText` to serve more (or record).
 */
export async function startSesInboundServer(options: {
  accept: AcceptIncoming;
  limits?: EmailLimits;
  logger: Logger;
  pki: TestSnsPki;
  privacyAddresses: string[];
  bodyLimitBytes: number;
  maxMessageBytes: number;
  fetchText?: (url: URL) => Promise<string>;
}): Promise<{ app: FastifyInstance; baseUrl: string }> {
  const app = createHttpServer({ logger: options.logger, readiness: [], metrics: new Registry() });
  registerSesInboundRoutes(app, {
    config: {
      sesInboundTopicArns: [TEST_TOPIC_ARN],
      snsTrustedCaFile: undefined,
      sesInboundBodyLimitBytes: options.bodyLimitBytes,
      privacyAddresses: options.privacyAddresses,
      smtpMaxMessageBytes: options.maxMessageBytes,
    },
    accept: options.accept,
    ...(options.limits ? { limits: options.limits } : {}),
    logger: options.logger,
    trustedCaPem: options.pki.caPem,
    fetchText:
      options.fetchText ??
      (async (url) => {
        if (url.href === TEST_CERT_URL) return options.pki.certPem;
        throw new Error('not found');
      }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, baseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}
