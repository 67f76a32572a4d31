import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs an admin call again while Kafka answers with a retriable error. KafkaJS's admin gives up at
 * once on errors a broker answers for seconds after it (or a topic, or a group coordinator) came
 * up: NOT_LEADER_FOR_PARTITION, COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR.
 */
export async function retryKafkaAdmin<T>(
  call: () => Promise<T>,
  options: { attempts?: number; signal?: AbortSignal } = {},
): Promise<T> {
  const attempts = options.attempts ?? 10;
  for (let attempt = 1, delayMs = 100; ; attempt++, delayMs = Math.min(delayMs * 2, 2000)) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || (error as { retriable?: boolean }).retriable !== true) throw error;
      await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : undefined);
    }
  }
}
