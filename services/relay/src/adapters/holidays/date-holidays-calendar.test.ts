import { addDays, isWeekend, parsePlainDate, type HolidayCalendar, type PlainDate } from '../../domain/deadline';
import { dateHolidaysCalendar, jurisdictionTimeZones, UnknownJurisdictionError } from './date-holidays-calendar';

// The library's data is pinned (package.json: exact version). These are the days the deadline
// tables rely on, copied by hand from the published bank-holiday lists (gov.uk) and weekdays
// checked with `date -d`; a library upgrade that changes one of them fails here first.

/** The weekdays of a year that the calendar calls public holidays (weekend holidays matter only through their substitutes). */
function weekdayHolidays(calendar: HolidayCalendar, year: number): string[] {
  const days: string[] = [];
  for (let day = parsePlainDate(`${year}-01-01`) as PlainDate; day.startsWith(String(year)); day = addDays(day, 1))
    if (!isWeekend(day) && calendar.isPublicHoliday(day)) days.push(day);
  return days;
}

describe('dateHolidaysCalendar: UK bank holidays (pinned data)', () => {
  it.each([
    // prettier-ignore
    ['GB-ENG', 2021, ['2021-01-01', '2021-04-02', '2021-04-05', '2021-05-03', '2021-05-31', '2021-08-30', '2021-12-27', '2021-12-28']],
    // prettier-ignore
    ['GB-ENG', 2022, ['2022-01-03', '2022-04-15', '2022-04-18', '2022-05-02', '2022-06-02', '2022-06-03', '2022-08-29', '2022-09-19', '2022-12-26', '2022-12-27']],
    // prettier-ignore
    ['GB-WLS', 2022, ['2022-01-03', '2022-04-15', '2022-04-18', '2022-05-02', '2022-06-02', '2022-06-03', '2022-08-29', '2022-09-19', '2022-12-26', '2022-12-27']],
    // prettier-ignore
    ['GB-SCT', 2022, ['2022-01-03', '2022-01-04', '2022-04-15', '2022-05-02', '2022-06-02', '2022-06-03', '2022-08-01', '2022-09-19', '2022-11-30', '2022-12-26', '2022-12-27']],
    // prettier-ignore
    ['GB-NIR', 2022, ['2022-01-03', '2022-03-17', '2022-04-15', '2022-04-18', '2022-05-02', '2022-06-02', '2022-06-03', '2022-07-12', '2022-08-29', '2022-09-19', '2022-12-26', '2022-12-27']],
    // prettier-ignore
    ['GB-ENG', 2023, ['2023-01-02', '2023-04-07', '2023-04-10', '2023-05-01', '2023-05-08', '2023-05-29', '2023-08-28', '2023-12-25', '2023-12-26']],
    // prettier-ignore
    ['GB-ENG', 2024, ['2024-01-01', '2024-03-29', '2024-04-01', '2024-05-06', '2024-05-27', '2024-08-26', '2024-12-25', '2024-12-26']],
    // prettier-ignore
    ['GB-SCT', 2024, ['2024-01-01', '2024-01-02', '2024-03-29', '2024-05-06', '2024-05-27', '2024-08-05', '2024-12-02', '2024-12-25', '2024-12-26']],
    // prettier-ignore
    ['GB-NIR', 2024, ['2024-01-01', '2024-03-18', '2024-03-29', '2024-04-01', '2024-05-06', '2024-05-27', '2024-07-12', '2024-08-26', '2024-12-25', '2024-12-26']],
    // prettier-ignore
    ['GB-ENG', 2026, ['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-04', '2026-05-25', '2026-08-31', '2026-12-25', '2026-12-28']],
  ] as const)(
    'When %s %i is listed, then its weekday bank holidays are exactly the published ones',
    (code, year, expected) => {
      expect(weekdayHolidays(dateHolidaysCalendar(code), year)).toEqual(expected);
    },
  );

  it('When a day is only an observance (Mother’s Day, Valentine’s Day) or optional (Christmas Eve in California), then it is a working day', () => {
    expect(dateHolidaysCalendar('GB-ENG').isPublicHoliday('2024-03-10' as PlainDate)).toBe(false); // Mothering Sunday
    expect(dateHolidaysCalendar('US-CA').isPublicHoliday('2025-02-14' as PlainDate)).toBe(false); // Fri, observance
    expect(dateHolidaysCalendar('US-CA').isPublicHoliday('2025-12-24' as PlainDate)).toBe(false); // Wed, optional
    expect(dateHolidaysCalendar('US-CA').isPublicHoliday('2025-07-04' as PlainDate)).toBe(true);
  });

  it('When a holiday starts in the afternoon (Christmas Eve from 14:00 in Germany), then the day still counts as a working day', () => {
    expect(dateHolidaysCalendar('DE').isPublicHoliday('2025-12-24' as PlainDate)).toBe(false);
    expect(dateHolidaysCalendar('DE').isPublicHoliday('2025-12-25' as PlainDate)).toBe(true);
  });

  it('When the library marks a day as a bank holiday but no law makes it one (Good Friday in Ireland), then it is a working day', () => {
    expect(dateHolidaysCalendar('IE').isPublicHoliday('2025-04-18' as PlainDate)).toBe(false);
    expect(dateHolidaysCalendar('IE').isPublicHoliday('2025-04-21' as PlainDate)).toBe(true);
  });

  it('When a holiday lasts two days (New Year in Romania), then both days count', () => {
    const ro = dateHolidaysCalendar('RO');
    expect(['2025-01-01', '2025-01-02'].map((x) => ro.isPublicHoliday(x as PlainDate))).toEqual([true, true]);
  });

  it('When the machine runs in another time zone, then the holidays are the same dates', () => {
    const saved = process.env.TZ;
    try {
      const seen = ['Pacific/Kiritimati', 'America/Los_Angeles', 'UTC'].map((tz) => {
        process.env.TZ = tz;
        return weekdayHolidays(dateHolidaysCalendar('GB-SCT'), 2024);
      });
      expect(seen[0]).toEqual(seen[2]);
      expect(seen[1]).toEqual(seen[2]);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});

describe('dateHolidaysCalendar: jurisdiction codes', () => {
  it('When a country and region are given in any case, then they are accepted', () => {
    expect(dateHolidaysCalendar('gb-sct').isPublicHoliday('2024-01-02' as PlainDate)).toBe(true);
    expect(dateHolidaysCalendar('DE-BY').isPublicHoliday('2025-01-06' as PlainDate)).toBe(true); // Epiphany, Bavaria only
    expect(dateHolidaysCalendar('DE').isPublicHoliday('2025-01-06' as PlainDate)).toBe(false);
  });

  it.each([
    ['ZZ', /unknown jurisdiction ZZ/],
    ['GB-XXX', /unknown region XXX of GB; known: ALD, ENG, NIR, SCT, WLS/],
    ['GB', /GB needs a region: GB-ALD, GB-ENG, GB-NIR, GB-SCT, GB-WLS/],
    ['GB-ENG-X', /unknown jurisdiction/],
    ['', /unknown jurisdiction/],
  ])('When the code is %p, then it is refused with a clear message', (code, message) => {
    expect(() => dateHolidaysCalendar(code)).toThrow(UnknownJurisdictionError);
    expect(() => dateHolidaysCalendar(code)).toThrow(message);
  });
});

describe('Time zones of a jurisdiction', () => {
  it.each([
    ['GB-ENG', ['Europe/London']],
    ['GB-SCT', ['Europe/London']],
    ['US-CA', ['America/Los_Angeles']],
    ['DE', ['Europe/Berlin']],
  ])('When asked for %s, then the library lists %j', (code, zones) => {
    expect(jurisdictionTimeZones(code)).toEqual(zones);
  });

  it('When a country spans several zones (PT), then all are listed, mainland first', () => {
    expect(jurisdictionTimeZones('PT')).toEqual(expect.arrayContaining(['Europe/Lisbon', 'Atlantic/Azores']));
  });
});
