import type { Admin, Kafka } from 'kafkajs';
import { withTimeout } from './with-timeout';

/**
 * Asks the cluster for its metadata with a short deadline. A dedicated admin client that does
 * not retry, so that a stopped broker turns readiness red within the timeout.
 */
export class KafkaHealthCheck {
  private admin: Admin | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly timeoutMs = 2000,
  ) {}

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
