import type { HolidayCalendar } from './compute-response-deadline';
import { addDays, isWeekend, type PlainDate } from './plain-date';

/** Neither a weekend nor a whole-day public holiday there. */
export function isWorkingDay(date: PlainDate, holidays: HolidayCalendar): boolean {
  return !isWeekend(date) && !holidays.isPublicHoliday(date);
}

/**
 * The date `days` working days after `date` (before it for a negative count): weekends and the
 * jurisdiction's public holidays are skipped; `date` itself is not counted. Zero gives `date`.
 */
export function addWorkingDays(date: PlainDate, days: number, holidays: HolidayCalendar): PlainDate {
  if (!Number.isInteger(days)) throw new RangeError(`a whole number of working days, not ${days}`);
  const step = days < 0 ? -1 : 1;
  let day = date;
  for (let left = Math.abs(days); left > 0;) {
    day = addDays(day, step);
    if (isWorkingDay(day, holidays)) left -= 1;
  }
  return day;
}

/** The date itself when it is a working day there, else the next working day. */
export function onOrNextWorkingDay(date: PlainDate, holidays: HolidayCalendar): PlainDate {
  return isWorkingDay(date, holidays) ? date : addWorkingDays(date, 1, holidays);
}
