import type { Logger } from '../logger';
import { daysToSweep, utcDay } from './retention-days';

/** Minimise a document's personal data, or delete the document. */
export type RetentionPhase = 'minimise' | 'delete';

/**
 * One collection under retention: finds the documents due on a day by equality on their stored
 * day (`retention.minimiseOn` / `retention.deleteOn`) and acts on one, conditionally.
 */
export interface RetentionTarget {
  /** The collection's name: names its cursors and its log lines. */
  readonly name: string;
  /** The phases this collection has (a collection without personal data is only deleted). */
  readonly phases: readonly RetentionPhase[];
  /** Ids of up to `limit` documents whose `phase` is due on `day` (an equality read, nothing else fetched). */
  due(phase: RetentionPhase, day: string, limit: number): Promise<string[]>;
  /**
   * Minimises or deletes the document if it is still due on `day` (a conditional single-document
   * write): `done`, or `skipped` when it changed meanwhile (activity moved its day, another
   * instance did it, it was postponed). Safe to call twice.
   */
  apply(phase: RetentionPhase, day: string, id: string, now: Date): Promise<'done' | 'skipped'>;
}

/** The durable cursor of one (collection, phase): the last day swept completely. */
export interface RetentionCursorStore {
  lastSwept(key: string): Promise<string | undefined>;
  /** Moves the cursor from `from` (undefined: none yet) to `to`; false when another instance moved it first. */
  advance(key: string, from: string | undefined, to: string): Promise<boolean>;
}

export interface RetentionSweepOptions {
  targets: readonly RetentionTarget[];
  cursors: RetentionCursorStore;
  clock: { now(): Date };
  logger: Logger;
  /** Most days one sweep covers per collection and phase (catching up after downtime is bounded). */
  maxDaysPerSweep?: number;
  /** Documents read per query. */
  batchSize?: number;
}

/** What one sweep did, per collection and phase. */
export interface RetentionSweepReport {
  target: string;
  phase: RetentionPhase;
  daysSwept: number;
  /** Documents the store returned as due (the sweep reads nothing else). */
  examined: number;
  applied: number;
  /** The day the sweep stopped at (documents still due that it could not do: the next sweep tries again). */
  stoppedAt?: string;
}

export const DEFAULT_MAX_RETENTION_DAYS_PER_SWEEP = 400;

/**
 * Sweeps each collection day by day, from the day after its cursor through today, and moves the
 * cursor past each day only once nothing due on it is left. Running it twice, or on several
 * instances at once, gives the same result: every write is conditional on the document still
 * being due, and a cursor moves only from the value read.
 */
export class RetentionSweep {
  private readonly maxDays: number;
  private readonly batchSize: number;

  constructor(private readonly options: RetentionSweepOptions) {
    this.maxDays = options.maxDaysPerSweep ?? DEFAULT_MAX_RETENTION_DAYS_PER_SWEEP;
    this.batchSize = options.batchSize ?? 200;
  }

  async sweepOnce(): Promise<RetentionSweepReport[]> {
    const reports: RetentionSweepReport[] = [];
    for (const target of this.options.targets) {
      for (const phase of target.phases) reports.push(await this.sweepPhase(target, phase));
    }
    const acted = reports.filter((r) => r.applied > 0 || r.stoppedAt !== undefined);
    if (acted.length > 0) this.options.logger.info({ retention: acted }, 'retention sweep');
    return reports;
  }

  private async sweepPhase(target: RetentionTarget, phase: RetentionPhase): Promise<RetentionSweepReport> {
    const key = `${target.name}.${phase}`;
    const report: RetentionSweepReport = { target: target.name, phase, daysSwept: 0, examined: 0, applied: 0 };
    const cursor = await this.options.cursors.lastSwept(key);
    let lastComplete: string | undefined;
    for (const day of daysToSweep(cursor, utcDay(this.options.clock.now()), this.maxDays)) {
      if (!(await this.sweepDay(target, phase, day, report))) {
        report.stoppedAt = day;
        break;
      }
      lastComplete = day;
      report.daysSwept += 1;
    }
    // One cursor write per sweep, past the last day done completely. A crash before it only means
    // those days are swept again (harmless); another instance having moved it first: it swept them too.
    if (lastComplete !== undefined) await this.options.cursors.advance(key, cursor, lastComplete);
    return report;
  }

  /** True once no document is due on `day` any more (or those left made no progress twice). */
  private async sweepDay(
    target: RetentionTarget,
    phase: RetentionPhase,
    day: string,
    report: RetentionSweepReport,
  ): Promise<boolean> {
    let previous: string | undefined;
    for (;;) {
      const ids = await target.due(phase, day, this.batchSize);
      report.examined += ids.length;
      if (ids.length === 0) return true;
      let applied = 0;
      for (const id of ids) {
        if ((await target.apply(phase, day, id, this.options.clock.now())) === 'done') applied += 1;
      }
      report.applied += applied;
      // The same documents due again and none done: they keep changing under us; the next sweep retries.
      const seen = [...ids].sort().join(',');
      if (applied === 0 && seen === previous) return false;
      previous = seen;
    }
  }
}

export interface RetentionSweeperOptions {
  sweep: RetentionSweep;
  intervalMs: number;
  logger: Logger;
}

/** Runs the sweep every `intervalMs` until stopped (each instance; the sweep is safe side by side). */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly options: RetentionSweeperOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.options.sweep
        .sweepOnce()
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error }, 'retention sweep failed; the next one retries'),
        )
        .finally(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }
}
