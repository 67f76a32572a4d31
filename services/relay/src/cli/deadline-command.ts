import type { Regime } from '@privacy-relay/shared/events';
import { dateHolidaysCalendar, UnknownJurisdictionError } from '../adapters/holidays/date-holidays-calendar';
import { computeResponseDeadline, parsePlainDate, resolveJurisdiction } from '../domain/deadline';

/** What operators type; `gdpr` is the EU GDPR (`eu-gdpr` in the events). */
const REGIME_NAMES: Readonly<Record<string, Regime>> = {
  'uk-gdpr': 'uk-gdpr',
  gdpr: 'eu-gdpr',
  'eu-gdpr': 'eu-gdpr',
  ccpa: 'ccpa',
};

/**
 * `relay deadline --received YYYY-MM-DD --regime uk-gdpr|gdpr|ccpa [--jurisdiction CODE]`: prints
 * `{"deadline":"YYYY-MM-DD","extendedDeadline":"YYYY-MM-DD"}`. Bad input: a message and exit code 2.
 */
export function runDeadlineCommand(options: {
  received?: string;
  regime?: string;
  jurisdiction?: string;
  out: (line: string) => void;
  err: (line: string) => void;
}): number {
  const fail = (message: string) => {
    options.err(`relay deadline: ${message}`);
    return 2;
  };
  const received = parsePlainDate(options.received ?? '');
  if (!received)
    return fail(
      options.received === undefined
        ? '--received YYYY-MM-DD is required'
        : `--received ${options.received} is not a date (YYYY-MM-DD)`,
    );
  const regime = REGIME_NAMES[options.regime?.toLowerCase() ?? ''];
  if (!regime)
    return fail(
      options.regime === undefined
        ? '--regime uk-gdpr|gdpr|ccpa is required'
        : `--regime ${options.regime} is not one of uk-gdpr, gdpr, ccpa`,
    );
  const jurisdiction = resolveJurisdiction(regime, options.jurisdiction);
  if (!jurisdiction.ok) return fail(`--jurisdiction: ${jurisdiction.message}`);
  let holidays;
  try {
    holidays = dateHolidaysCalendar(jurisdiction.code);
  } catch (error) {
    if (error instanceof UnknownJurisdictionError) return fail(`--jurisdiction: ${error.message}`);
    throw error;
  }
  const { deadline, extendedDeadline } = computeResponseDeadline(received, regime, holidays);
  options.out(JSON.stringify({ deadline, extendedDeadline }));
  return 0;
}
