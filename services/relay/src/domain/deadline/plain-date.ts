/**
 * A calendar date with no time of day and no time zone, written `YYYY-MM-DD`. Legal periods are
 * counted in such dates; a `Date` would bring the machine's zone in at every step.
 */
export type PlainDate = string & { readonly __plainDate: unique symbol };

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;
// Date.UTC reads years below 100 as 19xx; no request is received outside this range anyway.
const MIN_YEAR = 1900;
const MAX_YEAR = 2999;

/** The date's parts; months 1-12. */
export interface DateParts {
  year: number;
  month: number;
  day: number;
}

/** Days in a month of the proleptic Gregorian calendar (month 1-12). */
export function daysInMonth(year: number, month: number): number {
  // Day 0 of the following month is this month's last day; UTC so that no zone can shift it.
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Reads `YYYY-MM-DD` (years 1900-2999), or undefined when the text is not a real date (2025-02-29, 2025-13-01, 2025-1-1). */
export function parsePlainDate(text: string): PlainDate | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month))
    return undefined;
  return text as PlainDate;
}

export function toParts(date: PlainDate): DateParts {
  return { year: Number(date.slice(0, 4)), month: Number(date.slice(5, 7)), day: Number(date.slice(8, 10)) };
}

export function fromParts({ year, month, day }: DateParts): PlainDate {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}` as PlainDate;
}

/**
 * The same day of the month `months` later; the month's last day where that day does not exist
 * (31 January + 1 month = 28 or 29 February). Clamping does not compose: add to the original date.
 */
export function addCalendarMonths(date: PlainDate, months: number): PlainDate {
  const { year, month, day } = toParts(date);
  const index = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(index / 12);
  const targetMonth = (index % 12) + 1;
  return fromParts({ year: targetYear, month: targetMonth, day: Math.min(day, daysInMonth(targetYear, targetMonth)) });
}

function toEpochDay(date: PlainDate): number {
  const { year, month, day } = toParts(date);
  return Date.UTC(year, month - 1, day) / MS_PER_DAY;
}

function fromEpochDay(epochDay: number): PlainDate {
  const d = new Date(epochDay * MS_PER_DAY);
  return fromParts({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
}

/** Days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: PlainDate, to: PlainDate): number {
  return toEpochDay(to) - toEpochDay(from);
}

export function addDays(date: PlainDate, days: number): PlainDate {
  return fromEpochDay(toEpochDay(date) + days);
}

/** Saturday or Sunday. */
export function isWeekend(date: PlainDate): boolean {
  const weekday = new Date(toEpochDay(date) * MS_PER_DAY).getUTCDay();
  return weekday === 0 || weekday === 6;
}

/** The calendar date of an instant in an IANA time zone (`Europe/London`, `America/Los_Angeles`). */
export function plainDateIn(instant: Date, timeZone: string): PlainDate {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return fromParts({ year: part('year'), month: part('month'), day: part('day') });
}

/**
 * The day a request was received where the tenant's period is counted: its local date there. Over
 * several zones (Portugal with the Azores), the earliest of their dates, so that the deadline never
 * falls later than the law allows anywhere in the jurisdiction; UTC when no zone is known.
 */
export function dayOfReceipt(receivedAt: Date, timeZones: readonly string[]): PlainDate {
  const dates = (timeZones.length > 0 ? timeZones : ['UTC']).map((zone) => plainDateIn(receivedAt, zone));
  return dates.reduce((earliest, date) => (date < earliest ? date : earliest));
}
