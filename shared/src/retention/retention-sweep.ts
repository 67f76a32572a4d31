import type { Logger } from '../logger';
import { PeriodicTask } from '../runtime/periodic-task';
import type { RetentionDayLists } from './retention-day-lists';
import { daysToSweep, utcDay } from './retention-days';

/** Minimise a document's personal data, or delete the document. */
export type RetentionPhase = 'minimise' | 'delete';

/**
 * One collection under retention. The sweep finds the ids due on a day from the day's list
 * (`RetentionDayLists`, read by `_id`) and asks the collection to act on each, conditionally.
 */
export interface RetentionTarget {
  /** The collection's name: names its cursors, its day lists and its log lines. */
  readonly name: string;
  /** The phases this collection has (a collection without personal data is only deleted). */
  readonly phases: readonly RetentionPhase[];
  /** Whether the document is (still) due for `phase` on `day`: one read by `_id`. */
  isDue(phase: RetentionPhase, day: string, id: string): Promise<boolean>;
  /**
   * Minimises or deletes the document if it is still due on `day` (a conditional single-document
   * write): `done`, or `skipped` when it is not (activity moved its day, another instance did it,
   * a listed id whose write never happened) or lost a race. Safe to call twice.
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
  /** The ids due per day, written by the collections' stores before each due day is set. */
  lists: RetentionDayLists;
  clock: { now(): Date };
  logger: Logger;
  /** Most days one sweep covers per collection and phase (catching up after downtime is bounded). */
  maxDaysPerSweep?: number;
}

/** What one sweep did, per collection and phase. */
export interface RetentionSweepReport {
  target: string;
  phase: RetentionPhase;
  daysSwept: number;
  /** Ids the days' lists held (each looked at by `_id`; the sweep reads nothing else). */
  examined: number;
  applied: number;
  /** The day the sweep stopped at (documents still due that it could not do: the next sweep tries again). */
  stoppedAt?: string;
}

export const DEFAULT_MAX_RETENTION_DAYS_PER_SWEEP = 400;
/** Reads of one day's list in one sweep (it grows only when written to while swept). */
const MAX_ROUNDS_PER_DAY = 3;

/**
 * Sweeps each collection day by day, from the day after its cursor through today, and moves the
 * cursor past each day only once nothing due on it is left. Running it twice, or on several
 * instances at once, gives the same result: every write is conditional on the document still
 * being due, and a cursor moves only from the value read.
 */
export class RetentionSweep {
  private readonly maxDays: number;

  constructor(private readonly options: RetentionSweepOptions) {
    this.maxDays = options.maxDaysPerSweep ?? DEFAULT_MAX_RETENTION_DAYS_PER_SWEEP;
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

  /**
   * True once no listed document is due on `day` any more and the day's list is gone; false when
   * some stay due after a second try (they keep changing under the sweep) or the list keeps
   * growing: the next sweep retries the day.
   */
  private async sweepDay(
    target: RetentionTarget,
    phase: RetentionPhase,
    day: string,
    report: RetentionSweepReport,
  ): Promise<boolean> {
    const { lists, clock } = this.options;
    for (let round = 0; round < MAX_ROUNDS_PER_DAY; round += 1) {
      const parts = await lists.read(target.name, phase, day);
      if (parts.length === 0) return true;
      let stuck = false;
      for (const part of parts) {
        for (const id of part.ids) {
          report.examined += 1;
          const outcome = await this.applyOnce(target, phase, day, id, clock.now());
          if (outcome === 'still-due') stuck = true;
          if (outcome === 'done') report.applied += 1;
        }
      }
      // The list stays for the next sweep, which tries those again.
      if (stuck) return false;
      // Last part first: a day's parts stay a run from part 0, so a later read finds every one left.
      let dropped = true;
      for (const part of [...parts].reverse()) {
        if (!(await lists.drop(part))) {
          dropped = false;
          break;
        }
      }
      if (dropped) return true;
      // Something was listed on this day while it was swept (a writer whose clock lags): once more.
    }
    return false;
  }

  /** Acts on one listed id; a write that lost while the document is still due gets one more try. */
  private async applyOnce(
    target: RetentionTarget,
    phase: RetentionPhase,
    day: string,
    id: string,
    now: Date,
  ): Promise<'done' | 'not-due' | 'still-due'> {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      if ((await target.apply(phase, day, id, now)) === 'done') return 'done';
      // A stale entry (moved, done already, never written) is not due any more: the list may go.
      if (!(await target.isDue(phase, day, id))) return 'not-due';
    }
    return 'still-due';
  }
}

export interface RetentionSweeperOptions {
  sweep: RetentionSweep;
  intervalMs: number;
  logger: Logger;
}

/** Runs the sweep every `intervalMs` until stopped (each instance; the sweep is safe side by side). */
export class RetentionSweeper {
  private readonly task: PeriodicTask;

  constructor(options: RetentionSweeperOptions) {
    this.task = new PeriodicTask({
      intervalMs: options.intervalMs,
      run: () => options.sweep.sweepOnce(),
      onError: (error) => options.logger.warn({ err: error }, 'retention sweep failed; the next one retries'),
    });
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }
}
