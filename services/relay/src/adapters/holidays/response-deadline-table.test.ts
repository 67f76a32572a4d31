import type { Regime } from '@privacy-relay/shared/events';
import { computeResponseDeadline, parsePlainDate, type PlainDate } from '../../domain/deadline';
import { dateHolidaysCalendar } from './date-holidays-calendar';

// The deadline table of issue 15, through the real holiday calendars. Every expected date was
// worked out by hand from a calendar and the published bank-holiday lists (never by calling the
// code), and every weekday named here was checked with `date -d`.

const d = (text: string): PlainDate => {
  const date = parsePlainDate(text);
  if (!date) throw new Error(`bad test date ${text}`);
  return date;
};

type Row = [jurisdiction: string, regime: Regime, received: string, deadline: string, extended: string, why: string];

// prettier-ignore
const TABLE: Row[] = [
  // 31 January, leap and other years; the extension counted from receipt (30 Apr), not from 28/29 Feb.
  ['GB-ENG', 'uk-gdpr', '2024-01-31', '2024-02-29', '2024-04-30', 'leap year: Thu 29 Feb; Tue 30 Apr'],
  ['GB-ENG', 'uk-gdpr', '2025-01-31', '2025-02-28', '2025-04-30', 'Fri 28 Feb; Wed 30 Apr'],
  ['GB-ENG', 'uk-gdpr', '2023-01-31', '2023-02-28', '2023-05-02', 'Tue 28 Feb; Sun 30 Apr → Mon 1 May is Early May bank holiday → Tue 2 May'],
  // 30- and 31-day month ends.
  ['GB-ENG', 'uk-gdpr', '2025-03-31', '2025-04-30', '2025-06-30', '31 Mar → Wed 30 Apr; Mon 30 Jun'],
  ['GB-ENG', 'uk-gdpr', '2025-05-31', '2025-06-30', '2025-09-01', '31 May → Mon 30 Jun; Sun 31 Aug → Mon 1 Sep'],
  ['GB-ENG', 'uk-gdpr', '2025-08-31', '2025-09-30', '2025-12-01', '31 Aug → Tue 30 Sep; Sun 30 Nov → Mon 1 Dec'],
  ['GB-ENG', 'uk-gdpr', '2025-10-31', '2025-12-01', '2026-02-02', '31 Oct → Sun 30 Nov → Mon 1 Dec; Sat 31 Jan → Mon 2 Feb'],
  ['GB-ENG', 'uk-gdpr', '2025-04-30', '2025-05-30', '2025-07-30', '30 Apr → Fri 30 May, not the month end'],
  // Weekends.
  ['GB-ENG', 'uk-gdpr', '2025-05-14', '2025-06-16', '2025-08-14', 'Sat 14 Jun → Mon 16 Jun'],
  ['GB-ENG', 'uk-gdpr', '2025-05-15', '2025-06-16', '2025-08-15', 'Sun 15 Jun → Mon 16 Jun'],
  // Christmas on a weekend, substitute days.
  ['GB-ENG', 'uk-gdpr', '2021-11-25', '2021-12-29', '2022-02-25', 'Sat 25, Sun 26, substitutes Mon 27 and Tue 28 Dec → Wed 29 Dec'],
  ['GB-ENG', 'uk-gdpr', '2021-11-27', '2021-12-29', '2022-02-28', 'Mon 27 Dec substitute → Wed 29 Dec; Sun 27 Feb → Mon 28 Feb'],
  ['GB-ENG', 'uk-gdpr', '2022-11-26', '2022-12-28', '2023-02-27', 'Mon 26 Dec Boxing Day, Tue 27 Dec Christmas substitute → Wed 28 Dec'],
  ['GB-ENG', 'uk-gdpr', '2022-09-25', '2022-10-25', '2022-12-28', 'extended: Sun 25 Dec, Mon 26, Tue 27 → Wed 28 Dec'],
  ['GB-ENG', 'uk-gdpr', '2026-11-25', '2026-12-29', '2027-02-25', 'Fri 25 Dec, weekend, Mon 28 Dec Boxing Day substitute → Tue 29 Dec'],
  // New Year on a weekend: England one substitute day, Scotland two.
  ['GB-ENG', 'uk-gdpr', '2021-12-01', '2022-01-04', '2022-03-01', 'Sat 1 Jan, Sun 2, Mon 3 substitute → Tue 4 Jan'],
  ['GB-SCT', 'uk-gdpr', '2021-12-01', '2022-01-05', '2022-03-01', 'Scotland: Mon 3 and Tue 4 Jan substitutes → Wed 5 Jan'],
  // Easter: Good Friday and Easter Monday in England, Wales and Northern Ireland; Easter Monday is a working day in Scotland.
  ['GB-ENG', 'uk-gdpr', '2024-02-29', '2024-04-02', '2024-05-29', 'Fri 29 Mar Good Friday, weekend, Mon 1 Apr Easter Monday → Tue 2 Apr'],
  ['GB-WLS', 'uk-gdpr', '2024-02-29', '2024-04-02', '2024-05-29', 'Wales as England'],
  ['GB-NIR', 'uk-gdpr', '2024-02-29', '2024-04-02', '2024-05-29', 'Northern Ireland has Easter Monday too'],
  ['GB-SCT', 'uk-gdpr', '2024-02-29', '2024-04-01', '2024-05-29', 'Scotland: Good Friday, weekend → Mon 1 Apr'],
  ['GB-ENG', 'uk-gdpr', '2024-03-01', '2024-04-02', '2024-06-03', 'Mon 1 Apr Easter Monday → Tue 2 Apr; Sat 1 Jun → Mon 3 Jun'],
  ['GB-SCT', 'uk-gdpr', '2024-03-01', '2024-04-01', '2024-06-03', 'Scotland: Mon 1 Apr is a working day'],
  // Scotland differing from England: 2 January, St Andrew's Day substitute, August bank holiday.
  ['GB-ENG', 'uk-gdpr', '2024-12-02', '2025-01-02', '2025-03-03', 'Thu 2 Jan is a working day in England'],
  ['GB-SCT', 'uk-gdpr', '2024-12-02', '2025-01-03', '2025-03-03', 'Thu 2 Jan is a bank holiday in Scotland → Fri 3 Jan'],
  ['GB-ENG', 'uk-gdpr', '2024-10-30', '2024-12-02', '2025-01-30', 'Sat 30 Nov → Mon 2 Dec'],
  ['GB-SCT', 'uk-gdpr', '2024-10-30', '2024-12-03', '2025-01-30', 'Sat 30 Nov St Andrew\'s Day, substitute Mon 2 Dec → Tue 3 Dec'],
  ['GB-ENG', 'uk-gdpr', '2024-11-02', '2024-12-02', '2025-02-03', 'Mon 2 Dec is a working day in England'],
  ['GB-SCT', 'uk-gdpr', '2024-11-02', '2024-12-03', '2025-02-03', 'Mon 2 Dec St Andrew\'s Day substitute → Tue 3 Dec'],
  ['GB-ENG', 'uk-gdpr', '2025-07-04', '2025-08-04', '2025-10-06', 'Mon 4 Aug is a working day in England'],
  ['GB-SCT', 'uk-gdpr', '2025-07-04', '2025-08-05', '2025-10-06', 'Scotland: first Monday of August → Tue 5 Aug'],
  ['GB-ENG', 'uk-gdpr', '2025-07-25', '2025-08-26', '2025-10-27', 'England: last Monday of August 25 Aug → Tue 26 Aug'],
  ['GB-SCT', 'uk-gdpr', '2025-07-25', '2025-08-25', '2025-10-27', 'Mon 25 Aug is a working day in Scotland'],
  // Northern Ireland: St Patrick's Day.
  ['GB-NIR', 'uk-gdpr', '2025-02-17', '2025-03-18', '2025-05-19', 'Mon 17 Mar St Patrick\'s Day → Tue 18 Mar; Sat 17 May → Mon 19 May'],
  ['GB-ENG', 'uk-gdpr', '2025-02-17', '2025-03-17', '2025-05-19', 'Mon 17 Mar is a working day in England'],
  // GDPR in EEA countries.
  ['DE', 'eu-gdpr', '2025-09-03', '2025-10-06', '2025-12-03', 'Fri 3 Oct Day of German Unity, weekend → Mon 6 Oct'],
  ['FR', 'eu-gdpr', '2025-06-14', '2025-07-15', '2025-09-15', 'Mon 14 Jul → Tue 15 Jul; Sun 14 Sep → Mon 15 Sep'],
  ['IE', 'eu-gdpr', '2025-02-17', '2025-03-18', '2025-05-19', 'Mon 17 Mar St Patrick\'s Day → Tue 18 Mar'],
  // CCPA: 45 calendar days, extended once by 45; no rolling over weekends or holidays.
  ['US-CA', 'ccpa', '2025-01-31', '2025-03-17', '2025-05-01', 'Mon 17 Mar; Thu 1 May'],
  ['US-CA', 'ccpa', '2025-01-29', '2025-03-15', '2025-04-29', 'Sat 15 Mar stays'],
  ['US-CA', 'ccpa', '2025-05-20', '2025-07-04', '2025-08-18', 'Fri 4 Jul Independence Day stays'],
  ['US-CA', 'ccpa', '2024-01-15', '2024-02-29', '2024-04-14', 'over the leap day; Sun 14 Apr stays'],
];

describe('Legal response deadlines, through the holiday calendars', () => {
  it.each(TABLE)('%s %s received %s → %s, extended %s (%s)', (code, regime, received, deadline, extendedDeadline) => {
    expect(computeResponseDeadline(d(received), regime, dateHolidaysCalendar(code))).toEqual({
      deadline,
      extendedDeadline,
    });
  });
});
