import type { Logger } from '@privacy-relay/shared/logger';
import { PeriodicTask } from '@privacy-relay/shared/runtime';
import { CheckpointExistsError } from '../adapters/evidence/checkpoint-directory';
import { writeCheckpoints, type CheckpointDeps } from '../application/evidence-checkpoint';

/**
 * Signs a checkpoint of the case chains that grew, every `intervalMs`, until stopped (a stop
 * waits for the run under way). A run that fails is logged and the next one tries again.
 */
export class EvidenceCheckpointer {
  private readonly task: PeriodicTask;

  constructor(
    private readonly deps: CheckpointDeps,
    private readonly options: { intervalMs: number; logger: Logger },
  ) {
    this.task = new PeriodicTask({
      intervalMs: options.intervalMs,
      run: () => this.runOnce(),
      onError: (error) => options.logger.warn({ err: error }, 'evidence checkpoint failed; the next run tries again'),
    });
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  private async runOnce(): Promise<void> {
    try {
      const written = await writeCheckpoints(this.deps);
      for (const checkpoint of written) {
        this.options.logger.info(
          { seq: checkpoint.body.seq, cases: checkpoint.body.cases.length },
          'evidence checkpoint signed',
        );
      }
    } catch (error) {
      if (error instanceof CheckpointExistsError) {
        this.options.logger.info({ seq: error.seq }, 'evidence checkpoint written by another instance; next run');
        return;
      }
      this.options.logger.warn({ err: error }, 'evidence checkpoint failed; the next run tries again');
    }
  }
}
