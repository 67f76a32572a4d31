import { addDays, daysToSweep, retentionDaysAfter, utcDay } from './retention-days';

describe('Retention due days', () => {
  const policy = { minimiseAfterDays: 183, deleteAfterDays: 2192 };

  it('When a document was last active, then it is minimised 183 and deleted 2192 UTC days after that day', () => {
    expect(retentionDaysAfter(new Date('2026-01-31T23:59:59.999Z'), policy)).toEqual({
      minimiseOn: '2026-08-02',
      deleteOn: '2032-02-01',
    });
  });

  it('When the activity is late in the evening east of UTC, then the UTC day counts (not the local one)', () => {
    // 00:30 in Berlin on 1 March is still 28 February in UTC.
    expect(
      retentionDaysAfter(new Date('2026-03-01T00:30:00+01:00'), { minimiseAfterDays: 1, deleteAfterDays: 2 }),
    ).toEqual({
      minimiseOn: '2026-03-01',
      deleteOn: '2026-03-02',
    });
  });

  it('When days are added across a leap day or a month end, then the calendar is followed', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2028-02-29', 1)).toBe('2028-03-01');
    expect(addDays('2027-12-31', 1)).toBe('2028-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(() => addDays('1 March', 1)).toThrow(/not a day/);
  });

  it('When the activity moves, then the due days move with it', () => {
    const first = retentionDaysAfter(new Date('2026-01-10T10:00:00Z'), policy);
    const later = retentionDaysAfter(new Date('2026-04-10T10:00:00Z'), policy);
    expect(later.minimiseOn > first.minimiseOn).toBe(true);
    expect(later.deleteOn > first.deleteOn).toBe(true);
  });

  it('When the cursor is days behind, then the sweep covers each missed day through today, bounded', () => {
    expect(daysToSweep('2026-05-28', '2026-06-02', 400)).toEqual([
      '2026-05-29',
      '2026-05-30',
      '2026-05-31',
      '2026-06-01',
      '2026-06-02',
    ]);
    expect(daysToSweep('2026-05-28', '2026-06-02', 2)).toEqual(['2026-05-29', '2026-05-30']);
    expect(daysToSweep('2026-06-02', '2026-06-02', 400)).toEqual([]);
    expect(daysToSweep(undefined, '2026-06-02', 3)).toEqual(['2026-06-02']);
    expect(utcDay(new Date('2026-06-02T23:59:59Z'))).toBe('2026-06-02');
  });
});
