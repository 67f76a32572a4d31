import type { Regime } from '@privacy-relay/shared/events';

/**
 * Where a tenant's response period is counted, for its public holidays: an ISO 3166 country code,
 * with a region where holidays differ inside the country (`GB-ENG`, `GB-SCT`, `DE-BY`, `US-CA`).
 */
export type JurisdictionCode = string;

const UK_JURISDICTIONS = ['GB-ENG', 'GB-WLS', 'GB-SCT', 'GB-NIR'] as const;
/** The EU's member states and the EEA's three others, where the GDPR applies. */
const EEA_COUNTRIES = new Set(
  'AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK'.split(' '),
);
const CODE = /^([A-Z]{2})(?:-([A-Z0-9]{1,3}))?$/;

/** Where the period is counted when the tenant names no jurisdiction; the GDPR has no such default. */
export const DEFAULT_JURISDICTION: Readonly<Record<Regime, JurisdictionCode | undefined>> = {
  'uk-gdpr': 'GB-ENG', // England and Wales: the UK's default
  'eu-gdpr': undefined,
  ccpa: 'US-CA',
};

export type JurisdictionCheck = { ok: true; code: JurisdictionCode } | { ok: false; message: string };

/**
 * Picks the jurisdiction for a regime: the given code (any case) when it belongs to the regime,
 * else the regime's default; a clear message otherwise. Whether the holiday library knows the
 * region is the adapter's check.
 */
export function resolveJurisdiction(regime: Regime, given: string | undefined): JurisdictionCheck {
  const code = given?.trim().toUpperCase() ?? DEFAULT_JURISDICTION[regime];
  if (code === undefined)
    return { ok: false, message: `the GDPR needs a jurisdiction: a country code such as DE, FR or IE` };
  const parts = CODE.exec(code);
  if (!parts) return { ok: false, message: `jurisdiction "${given}" is not a code like GB-ENG, DE or US-CA` };
  switch (regime) {
    case 'uk-gdpr':
      return (UK_JURISDICTIONS as readonly string[]).includes(code)
        ? { ok: true, code }
        : { ok: false, message: `the UK GDPR applies in ${UK_JURISDICTIONS.join(', ')}; not ${code}` };
    case 'eu-gdpr':
      return EEA_COUNTRIES.has(parts[1] ?? '')
        ? { ok: true, code }
        : { ok: false, message: `the GDPR applies in the EEA's countries (such as DE, FR, IE); not ${code}` };
    case 'ccpa':
      return code === 'US-CA' ? { ok: true, code } : { ok: false, message: `the CCPA applies in US-CA; not ${code}` };
  }
}
