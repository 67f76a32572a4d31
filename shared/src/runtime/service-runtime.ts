import type { FastifyInstance } from 'fastify';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import { Registry } from 'prom-client';
import type { ConfigOf } from '../config';
import type { commonConfigSpec } from '../config/common-spec';
import { createHttpServer, type ReadinessCheck } from '../http';
import { KafkaHealthCheck, createKafkaClient, ensureTopics } from '../kafka';
import type { Logger } from '../logger';
import { closeMongo, connectMongo, pingMongo } from '../mongo';

export type CommonConfig = ConfigOf<typeof commonConfigSpec>;

export interface ServiceRuntimeOptions {
  name: string;
  config: CommonConfig;
  logger: Logger;
  http: { host: string; port: number; bodyLimit?: number; trustProxy?: boolean };
  dbName: string;
  /** Readiness beyond Kafka and the database (e.g. a consumer that must catch up first). */
  readiness?: readonly ReadinessCheck[];
}

/**
 * What both services share around their own logic: a Kafka client, the database connection,
 * the HTTP server with health, readiness and metrics, and an orderly stop. Each service adds its
 * routes, publishers and consumers between `connect()` and `listen()`, and registers what must be
 * closed with `onStop`, which runs in reverse order of registration.
 */
export class ServiceRuntime {
  readonly kafka: Kafka;
  readonly metrics = new Registry();
  readonly http: FastifyInstance;
  private connection: Connection | undefined;
  private readonly kafkaHealth: KafkaHealthCheck;
  private readonly stopHooks: Array<() => Promise<void>> = [];

  constructor(private readonly options: ServiceRuntimeOptions) {
    this.kafka = createKafkaClient({
      brokers: options.config.kafkaBrokers,
      clientId: options.name,
      logger: options.logger,
    });
    this.kafkaHealth = new KafkaHealthCheck(options.config.kafkaBrokers);
    this.metrics.setDefaultLabels({ service: options.name });
    this.http = createHttpServer({
      logger: options.logger,
      metrics: this.metrics,
      bodyLimit: options.http.bodyLimit,
      trustProxy: options.http.trustProxy,
      readiness: [
        { name: 'kafka', check: () => this.kafkaHealth.check() },
        { name: 'database', check: () => pingMongo(this.mongo) },
        ...(options.readiness ?? []),
      ],
    });
  }

  get mongo(): Connection {
    if (!this.connection) throw new Error('ServiceRuntime.connect() has not run');
    return this.connection;
  }

  /** Creates missing topics (when configured) and connects to the database. */
  async connect(): Promise<void> {
    const { config, logger } = this.options;
    if (config.kafkaCreateTopics) {
      const created = await ensureTopics(this.kafka, {
        prefix: config.kafkaTopicPrefix,
        numPartitions: config.kafkaPartitions,
        replicationFactor: config.kafkaReplicationFactor,
      });
      if (created.length > 0) logger.info({ created: created.length }, 'created missing topics');
    }
    this.connection = await connectMongo({ uri: config.mongodbUri, dbName: this.options.dbName, logger });
  }

  onStop(hook: () => Promise<void>): void {
    this.stopHooks.push(hook);
  }

  async listen(): Promise<string> {
    const address = await this.http.listen({ host: this.options.http.host, port: this.options.http.port });
    this.options.logger.info({ address }, 'listening');
    return address;
  }

  /** The port actually bound (differs from the configured one when that was 0). */
  get port(): number {
    const address = this.http.server.address();
    return typeof address === 'object' && address ? address.port : this.options.http.port;
  }

  /** Stops taking requests first, then consumers and producers, then the database. Idempotent. */
  async stop(): Promise<void> {
    await this.http.close();
    while (this.stopHooks.length > 0) {
      const hook = this.stopHooks.pop();
      await hook?.().catch((error: unknown) => this.options.logger.error({ err: error }, 'stop step failed'));
    }
    await this.kafkaHealth.close();
    if (this.connection) await closeMongo(this.connection);
    this.connection = undefined;
  }
}
