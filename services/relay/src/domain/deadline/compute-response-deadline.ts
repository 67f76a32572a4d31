import type { Regime } from '@privacy-relay/shared/events';
import { addCalendarMonths, addDays, isWeekend, type PlainDate } from './plain-date';

/** The public holidays of one jurisdiction (port; the adapter reads a maintained holiday library). */
export interface HolidayCalendar {
  /** True when the whole date is a public (or bank) holiday there; weekends are the caller's concern. */
  isPublicHoliday(date: PlainDate): boolean;
}

export interface ResponseDeadline {
  /** The last day to answer. */
  deadline: PlainDate;
  /** The last day where the controller (business) extends the period as the law allows. */
  extendedDeadline: PlainDate;
}

/** A year of weekends and holidays back to back does not exist; more means the calendar is broken. */
const MAX_DAYS_ROLLED = 31;

/** The date itself when it is a working day there, else the next working day. */
function onOrAfterNextWorkingDay(date: PlainDate, holidays: HolidayCalendar): PlainDate {
  let day = date;
  for (let rolled = 0; rolled <= MAX_DAYS_ROLLED; rolled++) {
    if (!isWeekend(day) && !holidays.isPublicHoliday(day)) return day;
    day = addDays(day, 1);
  }
  throw new Error(`no working day within ${MAX_DAYS_ROLLED} days after ${date}: the holiday calendar is wrong`);
}

/**
 * The response deadline of a request received on `received` (the day of receipt, in the
 * jurisdiction's own calendar).
 *
 * - GDPR and UK GDPR (Art. 12(3); EU Regulation 1182/71 Art. 3; the ICO's guidance): the
 *   corresponding date of the next month, the month's last day where that date does not exist,
 *   moved to the next working day where it falls on a weekend or public holiday. Extended by two
 *   further months: receipt + 3 months, clamped and moved the same way. Both are counted from the
 *   date of receipt, never one from the other: clamping does not compose (31 Jan 2025 + 1 month is
 *   28 Feb, and 28 Feb + 2 months is 28 Apr, but 31 Jan + 3 months is 30 Apr).
 * - CCPA (Cal. Code Regs. tit. 11 § 7021(b)): 45 calendar days from receipt, extended once by 45
 *   (90 days from receipt). The regulation counts calendar days, so a deadline on a weekend or
 *   holiday stays where it is: the earlier date is the one that can never be late.
 */
export function computeResponseDeadline(
  received: PlainDate,
  regime: Regime,
  holidays: HolidayCalendar,
): ResponseDeadline {
  switch (regime) {
    case 'eu-gdpr':
    case 'uk-gdpr':
      return {
        deadline: onOrAfterNextWorkingDay(addCalendarMonths(received, 1), holidays),
        extendedDeadline: onOrAfterNextWorkingDay(addCalendarMonths(received, 3), holidays),
      };
    case 'ccpa':
      return { deadline: addDays(received, 45), extendedDeadline: addDays(received, 90) };
  }
}
