import type { VerificationMethod, VerificationRecord, VerificationStore } from './ports';

/**
 * The request states, with the one write on the answer path moved behind the answer:
 * `storeBehind` starts the insert and returns at once. Whatever this process reads or changes of
 * a request waits first for that request's insert (read-your-writes), so the status page opened
 * from the answer, a retried key and a confirmation see the state.
 *
 * Why it may lag: the request itself is on Kafka before the answer, and the state is built from
 * the event; the mail consumer stores the same state from the event before it mails. A write that
 * fails (or dies with the process) is reported to `onFailure` and made good there, so a lost write
 * delays the status page, it never loses a request. Another instance may briefly not see a state
 * this one is still writing: a retried key arriving there in that window sends the same event
 * (same event id) once more, which consumers take as the duplicate it is.
 */
export class WriteBehindVerificationStore implements VerificationStore {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly store: VerificationStore,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  storeBehind(record: VerificationRecord): void {
    const { requestId } = record;
    const before = this.running.get(requestId);
    const write: Promise<void> = (before ? before.then(() => this.store.create(record)) : this.store.create(record))
      .then(
        () => undefined,
        (error: unknown) => this.onFailure(error),
      )
      .finally(() => {
        if (this.running.get(requestId) === write) this.running.delete(requestId);
      });
    this.running.set(requestId, write);
  }

  /** Resolves once every write started so far has ended (stop waits for it before closing the database). */
  async flush(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
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

  async confirm(requestId: string, at: Date, method: VerificationMethod, leaseUntil: Date): Promise<boolean> {
    await this.settled(requestId);
    return this.store.confirm(requestId, at, method, leaseUntil);
  }

  async takePublishLease(requestId: string, now: Date, leaseUntil: Date): Promise<boolean> {
    await this.settled(requestId);
    return this.store.takePublishLease(requestId, now, leaseUntil);
  }

  async releasePublishLease(requestId: string): Promise<void> {
    await this.settled(requestId);
    return this.store.releasePublishLease(requestId);
  }

  async markVerifiedPublished(requestId: string, at: Date): Promise<void> {
    await this.settled(requestId);
    return this.store.markVerifiedPublished(requestId, at);
  }

  async countWrongCode(requestId: string): Promise<number> {
    await this.settled(requestId);
    return this.store.countWrongCode(requestId);
  }

  private async settled(requestId: string): Promise<void> {
    await this.running.get(requestId);
  }
}
