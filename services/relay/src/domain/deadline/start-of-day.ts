import { toParts, type PlainDate } from './plain-date';

/** How far the wall clock in `timeZone` is ahead of UTC at `instant`, in milliseconds. */
function zoneOffsetMs(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a date begins in an IANA time zone (its local midnight; where a clock change skips
 * midnight, the first instant of the day). What "the deadline has passed" is measured against.
 */
export function startOfDayIn(date: PlainDate, timeZone: string): Date {
  const { year, month, day } = toParts(date);
  const midnightAsUtc = Date.UTC(year, month - 1, day);
  const first = midnightAsUtc - zoneOffsetMs(midnightAsUtc, timeZone);
  const second = midnightAsUtc - zoneOffsetMs(first, timeZone);
  return new Date(Math.min(first, second));
}
