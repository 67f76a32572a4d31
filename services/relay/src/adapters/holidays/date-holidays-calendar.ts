import Holidays, { type HolidaysTypes } from 'date-holidays';
import {
  addDays,
  parsePlainDate,
  type HolidayCalendar,
  type JurisdictionCode,
  type PlainDate,
} from '../../domain/deadline';

/**
 * Days off by law only (the UK's bank holidays are 'public' in the library). Days it marks 'bank'
 * (Good Friday in Ireland, Christmas Eve in the Nordics: offices often closed, not by law),
 * observances, school and optional holidays count as working days: when in doubt a deadline falls
 * earlier, never later than the law allows.
 */
const COUNTED_TYPES: ReadonlySet<HolidaysTypes.HolidayType> = new Set(['public']);
/** `date` is the holiday's local start, "YYYY-MM-DD hh:mm:ss" with an optional offset. */
const LOCAL_START = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})/;
const HOUR_MS = 3_600_000;

/** A jurisdiction code the holiday library does not know, or knows only with a region. */
export class UnknownJurisdictionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownJurisdictionError';
  }
}

let catalogue: Holidays | undefined;
function libraryCatalogue(): Holidays {
  catalogue ??= new Holidays();
  return catalogue;
}

/** Countries whose holidays differ so much by region that the country alone would mislead. */
const REGION_REQUIRED = new Set(['GB']);

/**
 * The public holidays of a jurisdiction (`GB-ENG`, `GB-SCT`, `DE`, `US-CA`...) from `date-holidays`,
 * substitute days included. Each year is read from the library once and kept.
 * @throws UnknownJurisdictionError for a country or region the library does not have.
 */
export function dateHolidaysCalendar(code: JurisdictionCode): HolidayCalendar {
  const [country = '', region, ...rest] = code.toUpperCase().split('-');
  const countries = libraryCatalogue().getCountries();
  if (!countries[country] || rest.length > 0) throw new UnknownJurisdictionError(`unknown jurisdiction ${code}`);
  const regions = libraryCatalogue().getStates(country) ?? {};
  if (region === undefined && REGION_REQUIRED.has(country))
    throw new UnknownJurisdictionError(
      `${country} needs a region: ${Object.keys(regions)
        .map((r) => `${country}-${r}`)
        .join(', ')}`,
    );
  // The library falls back to the country's holidays for a region it does not know: check first.
  if (region !== undefined && !regions[region])
    throw new UnknownJurisdictionError(
      `unknown region ${region} of ${country}; known: ${Object.keys(regions).join(', ') || 'none'}`,
    );
  const library = region === undefined ? new Holidays(country) : new Holidays(country, region);
  const byYear = new Map<number, ReadonlySet<string>>();
  const holidaysOf = (year: number): ReadonlySet<string> => {
    let days = byYear.get(year);
    if (!days) {
      days = wholeDaysOff(library.getHolidays(year));
      byYear.set(year, days);
    }
    return days;
  };
  return {
    isPublicHoliday: (date: PlainDate) => holidaysOf(Number(date.slice(0, 4))).has(date),
  };
}

/**
 * The dates that are off all day. A holiday from 14:00 (Christmas Eve in Germany) leaves a
 * working morning, so it does not count; one that lasts 48 hours counts both days.
 */
function wholeDaysOff(holidays: HolidaysTypes.Holiday[]): ReadonlySet<string> {
  const days = new Set<string>();
  for (const h of holidays) {
    if (!COUNTED_TYPES.has(h.type)) continue;
    const start = LOCAL_START.exec(h.date);
    const first = parsePlainDate(start?.[1] ?? '');
    if (!first || start?.[2] !== '00:00:00') continue;
    // Rounded: a day on which the clocks change lasts 23 or 25 hours.
    const length = Math.max(1, Math.round((h.end.getTime() - h.start.getTime()) / (24 * HOUR_MS)));
    for (let i = 0; i < length; i++) days.add(addDays(first, i));
  }
  return days;
}

/** The jurisdiction's IANA time zones as the holiday library lists them (GB-ENG: Europe/London; PT: three). */
export function jurisdictionTimeZones(code: JurisdictionCode): readonly string[] {
  const [country = '', region] = code.toUpperCase().split('-');
  const library = region === undefined ? new Holidays(country) : new Holidays(country, region);
  return library.getTimezones();
}
