import type { Logger } from '@privacy-relay/shared/logger';
import { PeriodicTask } from '@privacy-relay/shared/runtime';
import { sweepDueTimers, type SweepDueTimersDeps, type SweepDueTimersOptions } from '../application/sweep-due-timers';

export interface LadderTimerSweeperOptions extends SweepDueTimersOptions {
  intervalMs: number;
  logger: Logger;
}

/**
 * Sweeps the escalation ladder's due timers every `intervalMs` (each instance; the claims make
 * any number of sweepers safe). `stop()` lets the sweep under way finish (its fires complete and
 * their timers are marked fired) and starts no other: a SIGKILL instead leaves claims that expire
 * after the lease, and the timers fire then, once.
 */
export class LadderTimerSweeper {
  private readonly task: PeriodicTask;

  constructor(
    private readonly deps: SweepDueTimersDeps,
    private readonly options: LadderTimerSweeperOptions,
  ) {
    // The first sweep at once: timers that came due while no instance ran.
    this.task = new PeriodicTask({
      intervalMs: options.intervalMs,
      firstDelayMs: 0,
      run: () => this.sweepOnce(),
      onError: (error) => options.logger.warn({ err: error }, 'ladder timer sweep failed; the next one retries'),
    });
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One sweep now (tests, and the first one at start). */
  sweepOnce(): Promise<unknown> {
    const { logger } = this.options;
    return sweepDueTimers(this.deps, this.options)
      .then((report) => {
        if (report.fired + report.failed + report.busy + report.lostClaims > 0)
          logger.info(
            {
              buckets: report.buckets.length,
              fired: report.fired,
              failed: report.failed,
              busy: report.busy,
              lostClaims: report.lostClaims,
              lastSwept: report.lastSwept,
            },
            'ladder timers swept',
          );
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'ladder timer sweep failed; the next one retries'));
  }
}
