import { addWorkingDays } from './working-days';
import type { PlainDate } from './plain-date';

const englishBankHolidays2026 = new Set(['2026-04-03', '2026-04-06', '2026-05-04', '2026-12-25', '2026-12-28']);
const england = { isPublicHoliday: (date: PlainDate) => englishBankHolidays2026.has(date) };
const d = (text: string) => text as PlainDate;

describe('Working days', () => {
  it.each([
    ['2026-03-02', 3, '2026-03-05'], // Monday + 3 → Thursday
    ['2026-03-05', 3, '2026-03-10'], // Thursday + 3 → over the weekend to Tuesday
    ['2026-03-07', 1, '2026-03-09'], // from a Saturday: Monday is the first working day after it
    ['2026-04-01', 3, '2026-04-08'], // Good Friday and Easter Monday are skipped in England
    ['2026-12-23', 3, '2026-12-30'], // Christmas Day and the Boxing Day substitute skipped
    ['2026-03-10', 0, '2026-03-10'],
    ['2026-04-09', -5, '2026-03-31'], // backwards over Easter
  ])('When %s plus %i working days are counted in England, then the date is %s', (from, days, expected) => {
    expect(addWorkingDays(d(from), days, england)).toBe(expected);
  });
});
