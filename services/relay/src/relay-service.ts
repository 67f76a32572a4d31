import type { Logger } from '@privacy-relay/shared/logger';
import { ServiceRuntime, type Service } from '@privacy-relay/shared/runtime';
import { MongoRelayRequestRepository } from './adapters/mongo/relay-request-repository';
import type { RelayConfig } from './config';
import { startRequestEventsConsumer } from './entry-points/kafka/request-events-consumer';

export interface RelayService extends Service {
  /** The HTTP port actually bound, once started. */
  readonly port: number;
}

/** Wires the relay: adapters around the use cases, the Kafka consumers and the HTTP server. */
export function createRelayService(config: RelayConfig, logger: Logger): RelayService {
  const runtime = new ServiceRuntime({
    name: 'relay',
    config,
    logger,
    http: { host: config.host, port: config.port },
    dbName: config.mongodbDatabase,
  });

  return {
    get port() {
      return runtime.port;
    },
    async start() {
      await runtime.connect();
      const requests = new MongoRelayRequestRepository(runtime.mongo);
      const consumer = await startRequestEventsConsumer(
        {
          kafka: runtime.kafka,
          groupId: config.kafkaGroupId,
          topicPrefix: config.kafkaTopicPrefix,
          logger,
          metrics: runtime.metrics,
        },
        requests,
      );
      runtime.onStop(() => consumer.stop());
      await runtime.listen();
    },
    stop: () => runtime.stop(),
  };
}
