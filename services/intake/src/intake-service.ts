import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import type { Logger } from '@privacy-relay/shared/logger';
import { ServiceRuntime, type Service } from '@privacy-relay/shared/runtime';
import { v4 as uuidv4 } from 'uuid';
import { KafkaReceivedRequestPublisher } from './adapters/kafka/kafka-received-request-publisher';
import { MongoRequestLedger } from './adapters/mongo/mongo-request-ledger';
import type { AcceptRequestDeps } from './application/accept-request';
import type { IntakeConfig } from './config';

export interface IntakeService extends Service {
  /** The HTTP port actually bound, once started. */
  readonly port: number;
}

/** Wires intake: the ledger and publisher behind `acceptRequest`, and the entry points in front of it. */
export function createIntakeService(config: IntakeConfig, logger: Logger): IntakeService {
  const runtime = new ServiceRuntime({
    name: 'intake',
    config,
    logger,
    http: { host: config.host, port: config.port, bodyLimit: config.bodyLimitBytes, trustProxy: config.trustProxy },
    dbName: config.mongodbDatabase,
  });

  return {
    get port() {
      return runtime.port;
    },
    async start() {
      await runtime.connect();
      const publisher = new KafkaEventPublisher(runtime.kafka, { topicPrefix: config.kafkaTopicPrefix, logger });
      await publisher.connect();
      runtime.onStop(() => publisher.disconnect());
      const accept: AcceptRequestDeps = {
        ledger: new MongoRequestLedger(runtime.mongo),
        publisher: new KafkaReceivedRequestPublisher(publisher),
        clock: { now: () => new Date() },
        // Random (v4), not time-ordered: a request id must not tell when or in what order requests came.
        ids: { newRequestId: () => uuidv4() },
      };
      void accept; // entry points (HTTP routes, SMTP listener, SES inbound) are registered here next
      await runtime.listen();
    },
    stop: () => runtime.stop(),
  };
}
