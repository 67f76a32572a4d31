import type { PlainDate } from './plain-date';

const MS_PER_DAY = 86_400_000;

const epochDay = (date: string): number =>
  Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / MS_PER_DAY;

/**
 * Calendar days from `today` to `deadline` (both `YYYY-MM-DD`, today taken in the case's
 * jurisdiction): 0 on the deadline's day, negative once it has passed (-3: overdue by 3 days).
 */
export function daysLeft(deadline: PlainDate | string, today: PlainDate | string): number {
  return epochDay(deadline) - epochDay(today);
}
