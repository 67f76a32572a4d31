import { bucketAfter, bucketStart, bucketsToSweep, dueBucketOf, lastEndedBucket } from './due-bucket';

describe('Due buckets', () => {
  it('When a due time is bucketed, then it falls in its UTC minute, whatever its seconds or time zone offset', () => {
    expect(dueBucketOf(new Date('2026-11-30T10:05:00.000Z'))).toBe('2026-11-30T10:05');
    expect(dueBucketOf(new Date('2026-11-30T10:05:59.999Z'))).toBe('2026-11-30T10:05');
    expect(dueBucketOf(new Date('2026-11-30T11:06:30+01:00'))).toBe('2026-11-30T10:06');
    expect(() => dueBucketOf(new Date('nope'))).toThrow(RangeError);
  });

  it('When buckets are stepped, then they cross hours, days, months, years and leap days', () => {
    expect(bucketAfter('2026-11-30T10:59')).toBe('2026-11-30T11:00');
    expect(bucketAfter('2026-12-31T23:59')).toBe('2027-01-01T00:00');
    expect(bucketAfter('2028-02-28T23:59')).toBe('2028-02-29T00:00');
    expect(bucketAfter('2026-03-01T00:00', -1)).toBe('2026-02-28T23:59');
    expect(bucketAfter('2026-11-30T10:05', 1440)).toBe('2026-12-01T10:05');
    expect(bucketStart('2026-11-30T10:05').toISOString()).toBe('2026-11-30T10:05:00.000Z');
    expect(() => bucketStart('2026-02-30T10:05')).toThrow(RangeError);
    expect(() => bucketStart('2026-11-30 10:05')).toThrow(RangeError);
  });

  it('When buckets are compared as text, then they sort as their times do', () => {
    const times = ['2026-11-30T10:05', '2026-11-30T09:59', '2027-01-01T00:00', '2026-12-01T00:00'];
    expect([...times].sort()).toEqual([...times].sort((a, b) => bucketStart(a).getTime() - bucketStart(b).getTime()));
  });

  it('When it is 10:06:00 or later, then the 10:05 bucket has ended; at 10:05:59.999 it has not', () => {
    expect(lastEndedBucket(new Date('2026-11-30T10:06:00.000Z'))).toBe('2026-11-30T10:05');
    expect(lastEndedBucket(new Date('2026-11-30T10:05:59.999Z'))).toBe('2026-11-30T10:04');
  });

  it('When a sweep is planned, then it takes every ended bucket after the cursor, oldest first, at most maxBuckets', () => {
    const options = { maxBuckets: 3, firstSweepLookback: 2 };
    const now = new Date('2026-11-30T10:06:10Z');
    expect(bucketsToSweep('2026-11-30T10:03', now, options)).toEqual(['2026-11-30T10:04', '2026-11-30T10:05']);
    expect(bucketsToSweep('2026-11-30T10:05', now, options)).toEqual([]);
    expect(bucketsToSweep('2026-11-30T09:00', now, options)).toEqual([
      '2026-11-30T09:01',
      '2026-11-30T09:02',
      '2026-11-30T09:03',
    ]);
    // Never swept: the lookback before the last ended bucket, then that one.
    expect(bucketsToSweep(undefined, now, options)).toEqual([
      '2026-11-30T10:03',
      '2026-11-30T10:04',
      '2026-11-30T10:05',
    ]);
  });
});
