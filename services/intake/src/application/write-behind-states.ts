import type { RequestVerifiedV1 } from '@privacy-relay/shared/events';
import type { VerificationMethod, VerificationRecord, VerificationStore } from './ports';

/** How a write behind the answer is retried before it is reported as failed. */
export interface WriteBehindOptions {
  /** Waits between attempts, in milliseconds; one attempt more than there are waits. */
  retryDelaysMs?: readonly number[];
  /** Most time `flush` waits for running writes (stop must end; the consumer makes good the rest). */
  flushTimeoutMs?: number;
}

/**
 * The request states, with the one write on the answer path moved behind the answer:
 * `storeBehind` starts the insert and returns at once. Whatever this process reads or changes of
 * a request waits first for that request's insert (read-your-writes), so the status page opened
 * from the answer, a retried key and a confirmation see the state.
 *
 * Why it may lag: the request itself is on Kafka before the answer, and the state is built from
 * the event; the mail consumer stores the same state from the event before it mails. A write is
 * retried a few times, then reported to `onFailure` and left to that consumer, so a lost write
 * delays the status page, it never loses a request. Another instance may briefly not see a state
 * this one is still writing: a retried key arriving there in that window sends the same event
 * (same event id) once more, which consumers take as the duplicate it is.
 */
export class WriteBehindVerificationStore implements VerificationStore {
  private readonly running = new Map<string, Promise<void>>();
  private readonly retryDelaysMs: readonly number[];
  private readonly flushTimeoutMs: number;

  constructor(
    private readonly store: VerificationStore,
    private readonly onFailure: (error: unknown) => void,
    options: WriteBehindOptions = {},
  ) {
    this.retryDelaysMs = options.retryDelaysMs ?? [100, 1_000];
    this.flushTimeoutMs = options.flushTimeoutMs ?? 10_000;
  }

  storeBehind(record: VerificationRecord): void {
    const { requestId } = record;
    const before = this.running.get(requestId);
    const write: Promise<void> = (
      before ? before.then(() => this.createWithRetries(record)) : this.createWithRetries(record)
    )
      .catch((error: unknown) => {
        try {
          this.onFailure(error);
        } catch {
          // A reporter that throws must not turn a failed write into an unhandled rejection.
        }
      })
      .finally(() => {
        if (this.running.get(requestId) === write) this.running.delete(requestId);
      });
    this.running.set(requestId, write);
  }

  /**
   * Resolves once every write started so far has ended, or after `flushTimeoutMs` (stop calls it
   * before closing the database). Resolves true when nothing was left running.
   */
  async flush(): Promise<boolean> {
    const deadline = Date.now() + this.flushTimeoutMs;
    while (this.running.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(this.running.values()),
        new Promise((resolve) => (timer = setTimeout(resolve, left))),
      ]);
      clearTimeout(timer);
    }
    return true;
  }

  /** How many requests have a write running. */
  get pendingWrites(): number {
    return this.running.size;
  }

  async create(record: VerificationRecord): Promise<{ created: boolean }> {
    await this.settled(record.requestId);
    return this.store.create(record);
  }

  async find(requestId: string): Promise<VerificationRecord | undefined> {
    await this.settled(requestId);
    return this.store.find(requestId);
  }

  async confirm(requestId: string, at: Date, method: VerificationMethod, event: RequestVerifiedV1): Promise<boolean> {
    await this.settled(requestId);
    return this.store.confirm(requestId, at, method, event);
  }

  async markVerifiedPublished(requestId: string, eventId: string, at: Date): Promise<void> {
    await this.settled(requestId);
    return this.store.markVerifiedPublished(requestId, eventId, at);
  }

  async takeCodeAttempt(requestId: string, max: number): Promise<{ attempts: number } | 'none-left' | 'verified'> {
    await this.settled(requestId);
    return this.store.takeCodeAttempt(requestId, max);
  }

  private async createWithRetries(record: VerificationRecord): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.store.create(record, { deferrable: true });
        return;
      } catch (error) {
        const delay = this.retryDelaysMs[attempt];
        if (delay === undefined) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async settled(requestId: string): Promise<void> {
    await this.running.get(requestId);
  }
}
