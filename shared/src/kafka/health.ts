import { Kafka, logLevel, type Admin } from 'kafkajs';
import { withTimeout } from './with-timeout';

/**
 * Asks the cluster for its metadata with a short deadline, through a client of its own that
 * never retries: a probe that timed out must not leave a connect loop running behind it (the
 * service's own client retries for minutes while a broker is away, which is right for work and
 * wrong for a probe).
 */
export class KafkaHealthCheck {
  private readonly kafka: Kafka;
  private admin: Admin | undefined;

  constructor(
    brokers: readonly string[],
    private readonly timeoutMs = 2000,
  ) {
    this.kafka = new Kafka({
      clientId: 'health-check',
      brokers: [...brokers],
      connectionTimeout: Math.min(timeoutMs, 1000),
      requestTimeout: timeoutMs,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
  }

  async check(): Promise<void> {
    this.admin ??= this.kafka.admin({ retry: { retries: 0 } });
    const admin = this.admin;
    try {
      await withTimeout(
        (async () => {
          await admin.connect();
          await admin.describeCluster();
        })(),
        this.timeoutMs,
        'Kafka health check',
      );
    } catch (error) {
      // Start from a clean connection next time; a half-open one would keep failing.
      this.admin = undefined;
      await admin.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }
}
