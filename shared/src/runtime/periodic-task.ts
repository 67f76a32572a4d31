export interface PeriodicTaskOptions {
  /** Time from the end of one run to the start of the next. */
  intervalMs: number;
  /** Time from `start()` to the first run (default: the interval). */
  firstDelayMs?: number;
  run: () => Promise<unknown>;
  /** What `run` throws (it logs its own outcomes; this is for the unexpected). */
  onError: (error: unknown) => void;
}

/**
 * Runs a task every `intervalMs` until stopped: one run at a time, each timed from the end of the
 * last, so a slow run never overlaps the next. `stop()` starts no other run and waits for the one
 * under way. Its timer does not keep the process alive. The sweepers (outbox, retention, timers)
 * and the evidence checkpointer all run on it.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly options: PeriodicTaskOptions) {}

  start(): void {
    this.stopped = false;
    this.next(this.options.firstDelayMs ?? this.options.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private next(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.options
        .run()
        .catch(this.options.onError)
        .finally(() => this.next(this.options.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
