import type { Regime } from '@privacy-relay/shared/events';
import { computeResponseDeadline, type HolidayCalendar } from './compute-response-deadline';
import { resolveJurisdiction } from './jurisdiction';
import { parsePlainDate, type PlainDate } from './plain-date';

// Expected dates are worked out by hand from a calendar; weekdays checked with `date -d`.
const d = (text: string): PlainDate => {
  const date = parsePlainDate(text);
  if (!date) throw new Error(`bad test date ${text}`);
  return date;
};
const holidaysOn = (...dates: string[]): HolidayCalendar => ({ isPublicHoliday: (date) => dates.includes(date) });
const noHolidays = holidaysOn();

describe('computeResponseDeadline, GDPR and UK GDPR, rules alone (injected calendar)', () => {
  it.each<[Regime, string, string, string, string]>([
    ['uk-gdpr', '2024-01-31', '2024-02-29', '2024-04-30', '31 Jan in a leap year → Thu 29 Feb; +3 months Tue 30 Apr'],
    [
      'uk-gdpr',
      '2025-01-31',
      '2025-02-28',
      '2025-04-30',
      '31 Jan in another year → Fri 28 Feb; from receipt, not 28 Apr',
    ],
    ['eu-gdpr', '2025-03-31', '2025-04-30', '2025-06-30', '31 Mar → Wed 30 Apr; Mon 30 Jun'],
    ['eu-gdpr', '2025-04-30', '2025-05-30', '2025-07-30', '30 Apr → Fri 30 May (not the month end); Wed 30 Jul'],
    ['uk-gdpr', '2025-05-31', '2025-06-30', '2025-09-01', '31 May → Mon 30 Jun; Sun 31 Aug rolls to Mon 1 Sep'],
    ['uk-gdpr', '2025-06-14', '2025-07-14', '2025-09-15', 'Sun 14 Sep (extended) rolls to Mon 15 Sep'],
    ['uk-gdpr', '2025-05-14', '2025-06-16', '2025-08-14', 'Sat 14 Jun rolls to Mon 16 Jun'],
    ['uk-gdpr', '2025-05-15', '2025-06-16', '2025-08-15', 'Sun 15 Jun rolls to Mon 16 Jun'],
    ['uk-gdpr', '2025-12-31', '2026-02-02', '2026-03-31', 'Sat 31 Jan 2026 rolls to Mon 2 Feb; Tue 31 Mar'],
  ])('%s received %s → %s, extended %s (%s)', (regime, received, deadline, extendedDeadline) => {
    expect(computeResponseDeadline(d(received), regime, noHolidays)).toEqual({ deadline, extendedDeadline });
  });

  it('When the corresponding date is a holiday of the injected calendar, then the next working day is the deadline', () => {
    // 2025-03-01 + 1 month = Tue 1 Apr; 1 and 2 Apr are holidays here → Thu 3 Apr.
    expect(computeResponseDeadline(d('2025-03-01'), 'eu-gdpr', holidaysOn('2025-04-01', '2025-04-02'))).toEqual({
      deadline: '2025-04-03',
      extendedDeadline: '2025-06-02', // Sun 1 Jun → Mon 2 Jun
    });
  });

  it('When a holiday, a weekend and another holiday follow each other over a year end, then all of them are skipped', () => {
    // 2022-11-30 + 1 month = Fri 30 Dec (holiday) → Sat, Sun → Mon 2 Jan 2023 (holiday) → Tue 3 Jan.
    const calendar = holidaysOn('2022-12-30', '2023-01-02');
    expect(computeResponseDeadline(d('2022-11-30'), 'uk-gdpr', calendar).deadline).toBe('2023-01-03');
  });

  it('When a calendar says every day is a holiday, then it fails loudly instead of looping', () => {
    expect(() => computeResponseDeadline(d('2025-03-01'), 'uk-gdpr', { isPublicHoliday: () => true })).toThrow(
      /holiday calendar is wrong/,
    );
  });
});

describe('computeResponseDeadline, CCPA', () => {
  const everyDayOff: HolidayCalendar = { isPublicHoliday: () => true };
  it.each([
    ['2025-01-31', '2025-03-17', '2025-05-01', '45 days → Mon 17 Mar; 90 days → Thu 1 May'],
    ['2024-01-15', '2024-02-29', '2024-04-14', 'over a leap day; 90 days is Sun 14 Apr and stays there'],
    ['2025-01-29', '2025-03-15', '2025-04-29', '45 days is Sat 15 Mar: calendar days, no rolling'],
    ['2025-05-20', '2025-07-04', '2025-08-18', '45 days is Independence Day (Fri 4 Jul): no rolling'],
  ])('received %s → %s, extended once by 45 days to %s (%s)', (received, deadline, extendedDeadline) => {
    expect(computeResponseDeadline(d(received), 'ccpa', everyDayOff)).toEqual({ deadline, extendedDeadline });
  });
});

describe('resolveJurisdiction', () => {
  it('When none is given, then UK GDPR is counted in England and Wales, CCPA in California, and the GDPR needs one', () => {
    expect(resolveJurisdiction('uk-gdpr', undefined)).toEqual({ ok: true, code: 'GB-ENG' });
    expect(resolveJurisdiction('ccpa', undefined)).toEqual({ ok: true, code: 'US-CA' });
    expect(resolveJurisdiction('eu-gdpr', undefined)).toMatchObject({ ok: false, message: /needs a jurisdiction/ });
  });

  it('When a code fits its regime, then it is taken in upper case', () => {
    expect(resolveJurisdiction('uk-gdpr', 'gb-sct')).toEqual({ ok: true, code: 'GB-SCT' });
    expect(resolveJurisdiction('eu-gdpr', 'DE-BY')).toEqual({ ok: true, code: 'DE-BY' });
    expect(resolveJurisdiction('eu-gdpr', 'IE')).toEqual({ ok: true, code: 'IE' });
  });

  it.each([
    ['uk-gdpr', 'GB', /UK GDPR applies in GB-ENG, GB-WLS, GB-SCT, GB-NIR/],
    ['uk-gdpr', 'DE', /UK GDPR applies/],
    ['eu-gdpr', 'GB-ENG', /EEA/],
    ['eu-gdpr', 'US-CA', /EEA/],
    ['ccpa', 'GB-ENG', /US-CA/],
    ['uk-gdpr', 'England', /not a code like/],
    ['eu-gdpr', 'DE_BY', /not a code like/],
  ] as const)('When %s is asked in %s, then it is refused with a clear message', (regime, code, message) => {
    expect(resolveJurisdiction(regime, code)).toMatchObject({ ok: false, message });
  });
});
