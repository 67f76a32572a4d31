import type { Logger } from '@privacy-relay/shared/logger';
import { CheckpointExistsError } from '../adapters/evidence/checkpoint-directory';
import { writeCheckpoints, type CheckpointDeps } from '../application/evidence-checkpoint';

/**
 * Signs a checkpoint of the case chains that grew, every `intervalMs`, until stopped (a stop
 * waits for the run under way). A run that fails is logged and the next one tries again.
 */
export class EvidenceCheckpointer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: CheckpointDeps,
    private readonly options: { intervalMs: number; logger: Logger },
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
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

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce().finally(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }
}
