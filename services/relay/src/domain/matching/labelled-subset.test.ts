import { TenantIndex } from './tenant-index';
import { TenantMatcher } from './tenant-matcher';

/**
 * A small labelled set in the shape of the full evaluation (npm run eval:matching), kept in the
 * unit tests so a change that makes the matcher forward wrongly fails here first.
 */
const TENANTS: [string, string, string[]?, string[]?][] = [
  ['t1', 'Juro Online Limited', ['Juro'], ['juro.example']],
  ['t2', 'Joro Home Ltd', [], ['joro.example']],
  ['t3', 'Brightwater Logistics Limited', [], ['brightwater.example']],
  ['t4', 'Müller & Söhne GmbH', ['Mueller Soehne'], ['mueller.example']],
  ['t5', 'Société Générale Assurances S.A.', [], ['sga.example']],
  ['t6', 'Acme Holdings plc', [], ['acme.example']],
  ['t7', 'Acme Retail Limited', [], ['acme.example']],
  ['t8', 'Golden Hawk Catering Ltd'],
  ['t9', 'Golden Hawk Ltd'],
  ['t10', 'Zentrix International Management Services Ltd', ['Zentrix'], ['zentrix.example']],
  ['t11', 'Van Dijk Logistiek B.V.', [], ['vandijk.example']],
  ['t12', 'Nordisk Fisk AB', [], ['nordiskfisk.example']],
  ['t13', 'Hartley & Pemberton LLP', [], ['hartleypemberton.example']],
  ['t14', 'Quillfeather Analytics Inc.', ['Quill'], ['quillfeather.example']],
  ['t15', 'Meridian Partners Ltd'],
  ['t16', 'Meridian Partners Inc'],
  ...Array.from({ length: 60 }, (_, i): [string, string] => [
    `f${i}`,
    `Filler${i} ${['Logistics', 'Services', 'Analytics', 'Catering', 'Partners'][i % 5]} Ltd`,
  ]),
];

/** [company name, company email, expected tenant ids (empty: not a tenant)] */
const QUERIES: [string | undefined, string | undefined, string[]][] = [
  ['Juro Online Ltd', undefined, ['t1']],
  ['juro online', undefined, ['t1']],
  ['JURO', undefined, ['t1']],
  ['Joro Home', undefined, ['t2']],
  ['Brightwater Logistics', undefined, ['t3']],
  ['Logistics Brightwater Ltd.', undefined, ['t3']],
  ['Brightwater Logistcs', undefined, ['t3']],
  ['Muller and Sohne', undefined, ['t4']],
  ['Mueller Soehne GmbH', undefined, ['t4']],
  ['Societe Generale Assurances', undefined, ['t5']],
  ['Acme Retail', 'privacy@acme.example', ['t7']],
  ['Acme Holdings', undefined, ['t6']],
  ['Zentrix Intl Mgmt Svcs', undefined, ['t10']],
  ['Zentrix', undefined, ['t10']],
  ['Van Dijk Logistiek', undefined, ['t11']],
  ['Nordisk Fisk', undefined, ['t12']],
  ['Hartley and Pemberton', undefined, ['t13']],
  ['Quillfeather Analytics', undefined, ['t14']],
  [undefined, 'dpo@quillfeather.example', ['t14']],
  [undefined, 'info@mail.brightwater.example', ['t3']],
  ['Golden Hawk Catering', undefined, ['t8']],
  // Hard or unanswerable: must never be forwarded wrongly.
  ['Golden Hawk', undefined, ['t9']],
  ['Meridian Partners', undefined, ['t15']],
  ['Juro Ltd', 'someone@gmail.com', ['t1']],
  ['Jura Online', undefined, []],
  ['Contoso Pharmaceuticals AG', undefined, []],
  ['Brightwater Foods', undefined, []],
  ['Acme', 'hello@acme.example', ['t6']],
  ['Quillfeathers Analytic', undefined, ['t14']],
  [undefined, 'x@mailinator.com', []],
];

describe('TenantMatcher on a small labelled set', () => {
  const index = new TenantIndex();
  for (const [tenantId, legalName, aliases, domains] of TENANTS) {
    index.upsert({
      tenantId,
      legalName,
      aliases: aliases ?? [],
      domains: domains ?? [],
      contactEmails: (domains ?? []).map((d) => `dpo@${d}`),
    });
  }
  const matcher = new TenantMatcher(index);
  const outcomes = QUERIES.map(([companyName, companyEmail, expected]) => ({
    expected,
    decision: matcher.match({ companyName, companyEmail }),
  }));
  const answerable = outcomes.filter((o) => o.expected.length > 0);

  it('When the set is matched, then no request is forwarded to a tenant it does not concern', () => {
    const wrong = outcomes.filter(
      (o) => o.decision.decision === 'forward' && o.decision.tenants.some((t) => !o.expected.includes(t.tenantId)),
    );
    expect(wrong).toEqual([]);
  });

  it('When the set is matched, then the top candidate is right for at least 90% of answerable requests', () => {
    const right = answerable.filter((o) => o.expected.includes(o.decision.candidates[0]?.tenantId ?? ''));
    expect(right.length / answerable.length).toBeGreaterThanOrEqual(0.9);
  });

  it('When the set is matched, then at least 75% of answerable requests are forwarded automatically', () => {
    const forwarded = answerable.filter((o) => o.decision.decision === 'forward');
    expect(forwarded.length / answerable.length).toBeGreaterThanOrEqual(0.75);
  });
});
