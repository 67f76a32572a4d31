import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import type { Logger } from '@privacy-relay/shared/logger';
import { ServiceRuntime, type Service } from '@privacy-relay/shared/runtime';
import type { IntakeConfig } from './config';

export interface IntakeService extends Service {
  /** The HTTP port actually bound, once started. */
  readonly port: number;
}

/** Wires intake: the event publisher, the database and the HTTP server. */
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
      await runtime.listen();
    },
    stop: () => runtime.stop(),
  };
}
