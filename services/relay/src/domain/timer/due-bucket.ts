/**
 * Due buckets: a timer's due time rounded down to its UTC minute, as text (`2026-11-30T10:05`).
 * The sweep finds what is due by looking buckets up by equality, one ended minute after another,
 * so its cost follows the timers due, never the timers open (docs/escalation.md).
 */

/** A bucket's width: timers fire at most about this much (plus the sweep interval) after their due time. */
export const BUCKET_MS = 60_000;

const BUCKET_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

/** The bucket a due time falls in. */
export function dueBucketOf(at: Date): string {
  if (Number.isNaN(at.getTime())) throw new RangeError('dueBucketOf: invalid date');
  return at.toISOString().slice(0, 16);
}

/** The first instant of a bucket. */
export function bucketStart(bucket: string): Date {
  if (!BUCKET_PATTERN.test(bucket)) throw new RangeError(`not a due bucket: ${bucket}`);
  const start = new Date(`${bucket}:00.000Z`);
  if (Number.isNaN(start.getTime()) || dueBucketOf(start) !== bucket)
    throw new RangeError(`not a due bucket: ${bucket}`);
  return start;
}

/** The bucket `count` minutes after (or before, when negative) this one. */
export function bucketAfter(bucket: string, count = 1): string {
  return dueBucketOf(new Date(bucketStart(bucket).getTime() + count * BUCKET_MS));
}

/** The newest bucket that has fully ended at `now` (every due time in it is in the past). */
export function lastEndedBucket(now: Date): string {
  return dueBucketOf(new Date(now.getTime() - BUCKET_MS));
}

export interface SweepWindowOptions {
  /** Most buckets one sweep takes: a long downtime is caught up over several sweeps, none skipped. */
  maxBuckets: number;
  /** Where a store that was never swept starts: this many buckets before the last ended one. */
  firstSweepLookback: number;
}

/**
 * The buckets a sweep takes, oldest first: every ended bucket after the last one swept in full,
 * at most `maxBuckets` of them. Bucket names sort as their times do (fixed-width ISO text).
 */
export function bucketsToSweep(lastSwept: string | undefined, now: Date, options: SweepWindowOptions): string[] {
  const last = lastEndedBucket(now);
  let next = lastSwept === undefined ? bucketAfter(last, -options.firstSweepLookback) : bucketAfter(lastSwept);
  const buckets: string[] = [];
  while (next <= last && buckets.length < options.maxBuckets) {
    buckets.push(next);
    next = bucketAfter(next);
  }
  return buckets;
}
