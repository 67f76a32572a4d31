import { startOfDayIn } from './start-of-day';
import type { PlainDate } from './plain-date';

describe('The start of a day in a time zone', () => {
  it.each([
    ['2026-01-15', 'Europe/London', '2026-01-15T00:00:00.000Z'],
    ['2026-07-15', 'Europe/London', '2026-07-14T23:00:00.000Z'], // BST
    ['2026-07-15', 'America/Los_Angeles', '2026-07-15T07:00:00.000Z'], // PDT
    ['2026-03-29', 'Europe/Berlin', '2026-03-28T23:00:00.000Z'], // the day the clocks go forward (at 02:00)
    ['2026-10-25', 'Europe/Berlin', '2026-10-24T22:00:00.000Z'], // the day they go back
  ])('When %s begins in %s, then it is %s', (date, zone, expected) => {
    expect(startOfDayIn(date as PlainDate, zone).toISOString()).toBe(expected);
  });
});
