/**
 * Retention's due days (docs/retention.md). A document carries the UTC days (`YYYY-MM-DD`) on
 * which its personal data is to be minimised and the document deleted, set in the same write that
 * records its activity, so a sweep finds what is due by equality on one day at a time (FerretDB v1
 * pushes only equality filters down; real MongoDB serves them from an index).
 */
export interface RetentionPolicy {
  /** Days after the last activity at which personal data is minimised. */
  minimiseAfterDays: number;
  /** Days after the last activity at which the document is deleted. */
  deleteAfterDays: number;
}

/** The default of both services: minimise after six months, delete after six years. */
export const DEFAULT_RETENTION_POLICY: RetentionPolicy = { minimiseAfterDays: 183, deleteAfterDays: 2192 };

/** The due days stored on a document (`retention`); `minimiseOn` is gone once it is minimised. */
export interface RetentionDays {
  minimiseOn?: string;
  deleteOn: string;
  /** When retention minimised the document (absent until then). */
  minimisedAt?: Date;
}

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC day of an instant, `YYYY-MM-DD`. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The day `days` after `day` (negative: before), in UTC. */
export function addDays(day: string, days: number): string {
  if (!DAY_PATTERN.test(day)) throw new Error(`not a day (YYYY-MM-DD): ${day}`);
  return utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));
}

/**
 * The due days of a document whose last activity is `lastActivity`: minimised on the UTC day
 * `minimiseAfterDays` after that activity's UTC day, deleted `deleteAfterDays` after it.
 */
export function retentionDaysAfter(
  lastActivity: Date,
  policy: RetentionPolicy,
): Required<Omit<RetentionDays, 'minimisedAt'>> {
  const day = utcDay(lastActivity);
  return { minimiseOn: addDays(day, policy.minimiseAfterDays), deleteOn: addDays(day, policy.deleteAfterDays) };
}

/**
 * The days a sweep covers: from the day after `lastSwept` (the cursor) through `today`, at most
 * `maxDays` of them (the rest are left for the next sweep). Without a cursor (the first sweep of a
 * collection), today only: every due day is set at least a day after the write that set it, so no
 * document stored since retention exists is due before its first sweep.
 */
export function daysToSweep(lastSwept: string | undefined, today: string, maxDays: number): string[] {
  const first = lastSwept === undefined ? today : addDays(lastSwept, 1);
  const days: string[] = [];
  for (let day = first; day <= today && days.length < maxDays; day = addDays(day, 1)) days.push(day);
  return days;
}
