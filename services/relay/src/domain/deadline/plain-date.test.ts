import { addCalendarMonths, addDays, isWeekend, parsePlainDate, type PlainDate } from './plain-date';

const d = (text: string): PlainDate => {
  const date = parsePlainDate(text);
  if (!date) throw new Error(`bad test date ${text}`);
  return date;
};

describe('parsePlainDate', () => {
  it('When the text is a real date, then it is read as is', () => {
    expect(parsePlainDate('2024-02-29')).toBe('2024-02-29');
    expect(parsePlainDate('2025-12-31')).toBe('2025-12-31');
  });

  it.each([
    '2025-02-29',
    '2025-04-31',
    '2025-13-01',
    '2025-00-10',
    '2025-1-1',
    '2025-01-01T00:00:00Z',
    '0099-01-01',
    '',
  ])('When the text is %p, then it is not a date', (text) => {
    expect(parsePlainDate(text)).toBeUndefined();
  });
});

describe('addCalendarMonths', () => {
  it.each([
    ['2024-01-31', 1, '2024-02-29'],
    ['2025-01-31', 1, '2025-02-28'],
    ['2025-03-31', 1, '2025-04-30'],
    ['2025-04-30', 1, '2025-05-30'],
    ['2025-01-31', 3, '2025-04-30'],
    ['2023-11-30', 3, '2024-02-29'],
    ['2025-12-15', 1, '2026-01-15'],
  ])('When %s gets %i month(s), then it is %s', (from, months, expected) => {
    expect(addCalendarMonths(d(from), months)).toBe(expected);
  });
});

describe('addDays and isWeekend', () => {
  it('When days cross a month, a leap day and a year end, then the calendar is followed', () => {
    expect(addDays(d('2024-01-15'), 45)).toBe('2024-02-29');
    expect(addDays(d('2025-12-31'), 1)).toBe('2026-01-01');
  });

  it('When a date is a Saturday or Sunday, then it is a weekend, and a Friday or Monday is not', () => {
    // 2025-06-13 Fri, 14 Sat, 15 Sun, 16 Mon (checked with date -d)
    expect(['2025-06-13', '2025-06-14', '2025-06-15', '2025-06-16'].map((x) => isWeekend(d(x)))).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });
});
