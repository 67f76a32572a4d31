import type { JurisdictionCode } from './jurisdiction';
import type { PlainDate } from './plain-date';

/**
 * The time zone a jurisdiction's days are counted in (IANA names): the country's, or the region's
 * where it differs from the mainland (the Canaries, the Azores, Madeira). Every jurisdiction
 * `resolveJurisdiction` accepts is here.
 */
const COUNTRY_ZONES: Readonly<Record<string, string>> = {
  GB: 'Europe/London',
  US: 'America/Los_Angeles', // the CCPA's one jurisdiction is US-CA
  AT: 'Europe/Vienna',
  BE: 'Europe/Brussels',
  BG: 'Europe/Sofia',
  CY: 'Asia/Nicosia',
  CZ: 'Europe/Prague',
  DE: 'Europe/Berlin',
  DK: 'Europe/Copenhagen',
  EE: 'Europe/Tallinn',
  ES: 'Europe/Madrid',
  FI: 'Europe/Helsinki',
  FR: 'Europe/Paris',
  GR: 'Europe/Athens',
  HR: 'Europe/Zagreb',
  HU: 'Europe/Budapest',
  IE: 'Europe/Dublin',
  IS: 'Atlantic/Reykjavik',
  IT: 'Europe/Rome',
  LI: 'Europe/Vaduz',
  LT: 'Europe/Vilnius',
  LU: 'Europe/Luxembourg',
  LV: 'Europe/Riga',
  MT: 'Europe/Malta',
  NL: 'Europe/Amsterdam',
  NO: 'Europe/Oslo',
  PL: 'Europe/Warsaw',
  PT: 'Europe/Lisbon',
  RO: 'Europe/Bucharest',
  SE: 'Europe/Stockholm',
  SI: 'Europe/Ljubljana',
  SK: 'Europe/Bratislava',
};
const REGION_ZONES: Readonly<Record<string, string>> = {
  'ES-CN': 'Atlantic/Canary',
  'PT-20': 'Atlantic/Azores',
  'PT-30': 'Atlantic/Madeira',
};

/** The IANA time zone of a jurisdiction; UTC for one not listed (none `resolveJurisdiction` accepts). */
export function timeZoneOf(jurisdiction: JurisdictionCode): string {
  const code = jurisdiction.toUpperCase();
  return REGION_ZONES[code] ?? COUNTRY_ZONES[code.slice(0, 2)] ?? 'UTC';
}

/**
 * The calendar date an instant falls on in a jurisdiction (its wall clock): what "today" is there
 * when a legal period is compared with now.
 */
export function todayIn(jurisdiction: JurisdictionCode, at: Date): PlainDate {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: timeZoneOf(jurisdiction),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at) as PlainDate;
}
