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
  http: {
    host: string;
    port: number;
    bodyLimit?: number;
    trustProxy?: boolean;
    /**
     * A listener of its own for /metrics and readiness with detail. With it, the main port (public)
     * keeps /healthz and a /readyz that answers only its status; without it, the main port serves all.
     */
    admin?: { host: string; port: number };
  };
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
  /** The admin listener (metrics, readiness detail), when `http.admin` is configured. */
  readonly admin: FastifyInstance | undefined;
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
    const readiness = [
      { name: 'kafka', check: () => this.kafkaHealth.check() },
      { name: 'database', check: () => pingMongo(this.mongo) },
      ...(options.readiness ?? []),
    ];
    this.http = createHttpServer({
      logger: options.logger,
      metrics: this.metrics,
      bodyLimit: options.http.bodyLimit,
      trustProxy: options.http.trustProxy,
      readiness,
      exposure: options.http.admin ? 'public' : 'internal',
    });
    this.admin = options.http.admin
      ? createHttpServer({ logger: options.logger, metrics: this.metrics, readiness, exposure: 'internal' })
      : undefined;
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
    const admin = this.options.http.admin;
    if (this.admin && admin) {
      const adminAddress = await this.admin.listen({ host: admin.host, port: admin.port });
      this.options.logger.info({ listenUrl: adminAddress }, 'admin listening (metrics, readiness detail)');
    }
    const address = await this.http.listen({ host: this.options.http.host, port: this.options.http.port });
    this.options.logger.info({ listenUrl: address }, 'listening');
    return address;
  }

  /** The port actually bound (differs from the configured one when that was 0). */
  get port(): number {
    const address = this.http.server.address();
    return typeof address === 'object' && address ? address.port : this.options.http.port;
  }

  /** The admin listener's port actually bound (0 when there is none or it is not listening). */
  get adminPort(): number {
    const address = this.admin?.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** Stops taking requests first, then consumers and producers, then the database. Idempotent. */
  async stop(): Promise<void> {
    await this.http.close();
    while (this.stopHooks.length > 0) {
      const hook = this.stopHooks.pop();
      await hook?.().catch((error: unknown) => this.options.logger.error({ err: error }, 'stop step failed'));
    }
    // Last of the HTTP side: metrics and readiness stay visible while the rest stops.
    await this.admin?.close();
    await this.kafkaHealth.close();
    if (this.connection) await closeMongo(this.connection);
    this.connection = undefined;
  }
}
