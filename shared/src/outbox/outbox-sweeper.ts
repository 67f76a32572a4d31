import type { EventPublisher } from '../kafka/event-publisher';
import type { Logger } from '../logger';
import { PeriodicTask } from '../runtime/periodic-task';
import { publishOutboxEvents, type OutboxSource } from './outbox';

export interface OutboxSweeperOptions {
  /** Which collection's outbox this sweeper drains; named in its log lines. */
  name: string;
  source: OutboxSource;
  publisher: EventPublisher;
  logger: Logger;
  /** Time between sweeps. */
  intervalMs: number;
  /**
   * Outboxes younger than this are left to whoever wrote them (their publish is normally under
   * way); a sweep takes them next time. Defaults to the interval.
   */
  minAgeMs?: number;
  /** Most documents one sweep takes. */
  batchSize?: number;
  now?: () => Date;
}

/**
 * Publishes what stayed pending in an outbox (a publish that failed, a crash between write and
 * publish), every `intervalMs`, until stopped. Events go out as stored, same ids; a sweep stops
 * at the first failed publish (Kafka is away: the next sweep tries again).
 */
export class OutboxSweeper {
  private readonly task: PeriodicTask;
  private readonly now: () => Date;

  constructor(private readonly options: OutboxSweeperOptions) {
    this.now = options.now ?? (() => new Date());
    this.task = new PeriodicTask({
      intervalMs: options.intervalMs,
      run: () => this.sweepOnce(),
      onError: (error) => options.logger.warn({ outbox: options.name, err: error }, 'outbox sweep failed'),
    });
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One sweep; resolves with how many documents' events it published. */
  async sweepOnce(): Promise<{ published: number; failed: boolean }> {
    const { source, publisher, batchSize = 100 } = this.options;
    const minAgeMs = this.options.minAgeMs ?? this.options.intervalMs;
    const cutoff = this.now().getTime() - minAgeMs;
    // Only the equality goes to the store; the age is checked here, on the few pending documents.
    const pending = (await source.findPending(batchSize)).filter((entry) => (entry.queuedAt?.getTime() ?? 0) <= cutoff);
    let published = 0;
    for (const entry of pending) {
      try {
        await publishOutboxEvents(publisher, entry.events);
      } catch (error) {
        this.options.logger.warn(
          { outbox: this.options.name, err: error, left: pending.length - published },
          'outbox sweep stopped: publish failed; the next sweep tries again',
        );
        return { published, failed: true };
      }
      await source.markPublished(entry.id, entry.batch, this.now());
      published += 1;
    }
    if (published > 0) this.options.logger.info({ outbox: this.options.name, published }, 'outbox events published');
    return { published, failed: false };
  }
}
