import { hashCounterpartyEmail } from './counterparty-hash';
import { TenantIndex, type DirectoryTenant } from './tenant-index';
import { TenantMatcher, type MatchDecision } from './tenant-matcher';

const KEY = 'unit-test-hmac-key';

function directory(tenants: DirectoryTenant[], counterparties: Record<string, string[]> = {}): TenantMatcher {
  const index = new TenantIndex();
  for (const tenant of tenants) index.upsert(tenant);
  for (const [tenantId, emails] of Object.entries(counterparties)) {
    index.addCounterparties(
      tenantId,
      emails.map((email) => hashCounterpartyEmail(KEY, email)),
    );
  }
  return new TenantMatcher(index);
}

const forwardedTo = (decision: MatchDecision): string[] =>
  decision.decision === 'forward' ? decision.tenants.map((t) => t.tenantId).sort() : [];

const base: DirectoryTenant[] = [
  { tenantId: 'joro', legalName: 'Joro Home Ltd', domains: ['joro.example'], contactEmails: ['privacy@joro.example'] },
  {
    tenantId: 'juro',
    legalName: 'Juro Online Limited',
    aliases: ['Juro'],
    domains: ['juro.example'],
    contactEmails: ['dpo@juro.example'],
  },
  { tenantId: 'acme-holdings', legalName: 'Acme Holdings plc', domains: ['acme.example'] },
  { tenantId: 'acme-retail', legalName: 'Acme Retail Limited', domains: ['acme.example', 'shop.acme.example'] },
  { tenantId: 'brightwater', legalName: 'Brightwater Logistics Limited', domains: ['brightwater.example'] },
  { tenantId: 'northwind', legalName: 'Northwind Traders GmbH', contactEmails: ['datenschutz@northwind.example'] },
  { tenantId: 'fabrikam', legalName: 'Fabrikam Inc.', domains: ['fabrikam.example'] },
];

describe('TenantMatcher — hard cases', () => {
  const matcher = directory(base, { juro: ['ada@gmail.com'], fabrikam: ['ada@gmail.com', 'bob@gmail.com'] });

  it('When a request names "Juro", then it goes to Juro Online and never to Joro Home', () => {
    const decision = matcher.match({ companyName: 'Juro' });
    expect(forwardedTo(decision)).toEqual(['juro']);
    expect(decision.candidates.map((c) => c.tenantId)).not.toContain('joro');
  });

  it('When a request names "Juro Ltd" and Juro were absent, then it is not forwarded to Joro', () => {
    const withoutJuro = directory(base.filter((t) => t.tenantId !== 'juro'));
    const decision = withoutJuro.match({ companyName: 'Juro Ltd' });
    expect(decision.decision).toBe('triage');
  });

  it('When a request names "Joro Home", then it goes to Joro', () => {
    expect(forwardedTo(matcher.match({ companyName: 'joro home' }))).toEqual(['joro']);
  });

  it('When a parent and a subsidiary share a domain and only the address is named, then it goes to triage', () => {
    const decision = matcher.match({ companyEmail: 'hello@acme.example' });
    expect(decision.decision).toBe('triage');
    expect(decision.candidates.map((c) => c.tenantId).sort()).toEqual(['acme-holdings', 'acme-retail']);
  });

  it('When a parent and a subsidiary share a domain and the name says which, then it goes to that one', () => {
    const decision = matcher.match({ companyEmail: 'hello@acme.example', companyName: 'Acme Retail' });
    expect(forwardedTo(decision)).toEqual(['acme-retail']);
  });

  it('When the named address is at a free-mail domain, then the domain counts for nothing', () => {
    const index = new TenantIndex();
    index.upsert({ tenantId: 'gm', legalName: 'Gee Mail Ltd', domains: ['gmail.com'] });
    const decision = new TenantMatcher(index).match({ companyEmail: 'someone@gmail.com' });
    expect(decision).toMatchObject({ decision: 'triage', reason: 'no-candidate' });
  });

  it('When the named address is at a disposable domain with a good name, then only the name counts', () => {
    const decision = matcher.match({ companyName: 'Brightwater Logistics', companyEmail: 'x@mailinator.com' });
    expect(forwardedTo(decision)).toEqual(['brightwater']);
    expect(decision.candidates[0]?.reasons.map((r) => r.signal)).toEqual(['company-name']);
  });

  it('When the named email is a tenant contact, then it goes to that tenant with the contact as reason', () => {
    const decision = matcher.match({ companyEmail: 'DATENSCHUTZ@northwind.example' });
    expect(forwardedTo(decision)).toEqual(['northwind']);
    expect(decision.candidates[0]?.reasons[0]?.signal).toBe('named-email-is-contact');
  });

  it('When the requester is a counterparty of two tenants and names none, then it goes to triage with both', () => {
    const decision = matcher.match({ requesterHash: hashCounterpartyEmail(KEY, 'Ada@gmail.com') });
    expect(decision).toMatchObject({ decision: 'triage', reason: 'ambiguous' });
    expect(decision.candidates.map((c) => c.tenantId).sort()).toEqual(['fabrikam', 'juro']);
  });

  it('When the requester is a counterparty of exactly one tenant and names none, then it goes to that one', () => {
    const decision = matcher.match({ requesterHash: hashCounterpartyEmail(KEY, 'bob@gmail.com') });
    expect(forwardedTo(decision)).toEqual(['fabrikam']);
  });

  it('When the requester is a counterparty of two tenants and names one, then only that one gets it', () => {
    const decision = matcher.match({
      requesterHash: hashCounterpartyEmail(KEY, 'ada@gmail.com'),
      companyName: 'Fabrikam',
    });
    expect(forwardedTo(decision)).toEqual(['fabrikam']);
  });

  it('When the requester is a counterparty of one tenant but names another, then it goes to triage', () => {
    const decision = matcher.match({
      requesterHash: hashCounterpartyEmail(KEY, 'bob@gmail.com'),
      companyName: 'Zyxwv Ltd',
    });
    expect(decision).toMatchObject({ decision: 'triage', reason: 'conflicting-signals' });
  });

  it('When the named company is not in the directory, then it goes to triage with no candidate', () => {
    expect(matcher.match({ companyName: 'Contoso Pharmaceuticals AG' })).toMatchObject({
      decision: 'triage',
      reason: 'no-candidate',
    });
  });

  it('When the named company and the named address point to different tenants, then it goes to triage', () => {
    const decision = matcher.match({ companyName: 'Brightwater Logistics', companyEmail: 'privacy@fabrikam.example' });
    expect(decision).toMatchObject({ decision: 'triage', reason: 'conflicting-signals' });
  });

  it('When the name has a typo in a common word, then it still forwards to the tenant', () => {
    const many = directory([
      ...base,
      ...Array.from({ length: 30 }, (_, i) => ({
        tenantId: `filler-${i}`,
        legalName: `Filler${'abcdefghijklmnopqrstuvwxyz'[i % 26]}${i} Logistics Ltd`,
      })),
    ]);
    expect(forwardedTo(many.match({ companyName: 'Brightwater Logistcs Ltd' }))).toEqual(['brightwater']);
  });

  it('When the distinctive word is one letter off, then it is offered in triage, not forwarded', () => {
    const decision = matcher.match({ companyName: 'Brigthwater Logistics Ltd' });
    expect(decision.decision).toBe('triage');
    expect(decision.candidates[0]?.tenantId).toBe('brightwater');
  });

  it('When the named company has a word the tenant lacks, then it is not forwarded on the name alone', () => {
    expect(matcher.match({ companyName: 'Brightwater Logistics Foods' }).decision).toBe('triage');
  });

  it('When another tenant carries every word named plus more, then the shorter exact match is ambiguous', () => {
    const pair = directory([
      { tenantId: 'short', legalName: 'Emerald Aurora SpA' },
      { tenantId: 'long', legalName: 'Emerald Aurora Aviation LLP' },
      // "Aviation" is a common word in the directory, as trade words are.
      ...Array.from({ length: 40 }, (_, i) => ({ tenantId: `filler-${i}`, legalName: `Skyline${i} Aviation Ltd` })),
    ]);
    expect(pair.match({ companyName: 'Emerald Aurora' })).toMatchObject({ decision: 'triage', reason: 'ambiguous' });
  });

  it('When the words come in another order and with accents, then it still finds the tenant', () => {
    expect(forwardedTo(matcher.match({ companyName: 'LOGISTICS BRIGHTWÂTER limited' }))).toEqual(['brightwater']);
  });

  it('When a tenant said "not ours", then it is never offered again', () => {
    const decision = matcher.match({ companyName: 'Juro Online', excludedTenantIds: ['juro'] });
    expect(decision.candidates.map((c) => c.tenantId)).not.toContain('juro');
    expect(decision.decision).toBe('triage');
  });

  it('When two companies differ only in legal form, then naming neither form goes to triage', () => {
    const twins = directory([
      { tenantId: 'a', legalName: 'Meridian Partners Ltd' },
      { tenantId: 'b', legalName: 'Meridian Partners Inc' },
    ]);
    expect(twins.match({ companyName: 'Meridian Partners' })).toMatchObject({
      decision: 'triage',
      reason: 'ambiguous',
    });
  });

  it('When a decision is made, then every candidate carries its reasons and the decision its explanation', () => {
    const decision = matcher.match({ companyName: 'Juro' });
    expect(decision.explanation.length).toBeGreaterThan(10);
    for (const candidate of decision.candidates) expect(candidate.reasons.length).toBeGreaterThan(0);
  });

  it('When a tenant is removed or renamed, then the index forgets its old name', () => {
    const index = new TenantIndex();
    index.upsert({ tenantId: 't1', legalName: 'Quillfeather Analytics Ltd' });
    index.upsert({ tenantId: 't1', legalName: 'Sparrowhawk Analytics Ltd' });
    const m = new TenantMatcher(index);
    expect(m.match({ companyName: 'Quillfeather Analytics' }).decision).toBe('triage');
    expect(forwardedTo(m.match({ companyName: 'Sparrowhawk Analytics' }))).toEqual(['t1']);
    index.remove('t1');
    expect(m.match({ companyName: 'Sparrowhawk Analytics' })).toMatchObject({ reason: 'no-candidate' });
  });
});

describe('TenantMatcher — evidence that cannot name a company does not forward to it', () => {
  // Trade words are common in a real directory; fillers make them so here.
  const fillers = Array.from({ length: 40 }, (_, i) => ({
    tenantId: `filler-${i}`,
    legalName: `Filler${i} ${['Logistics', 'Technologies', 'Catering', 'Technology'][i % 4]} Ltd`,
  }));
  const matcher = directory([
    ...base,
    ...fillers,
    { tenantId: 'initech', legalName: 'Initech Ltd', domains: ['initech.example'] },
    { tenantId: 'kestrel', legalName: 'Kestrel Technologies. Inc', domains: ['kestrel.example'] },
    { tenantId: 'obrien', legalName: "O'Brien Catering Ltd", domains: ['obrien.example'] },
    { tenantId: 'kazeron', legalName: 'Kazeron Logistics Ltd', domains: ['kazeron.example'] },
    { tenantId: 'tolvex', legalName: 'Tolvex Marvane Logistics Ltd' },
  ]);

  it('When the named company matches no tenant and the named address does, then it goes to triage', () => {
    const decision = matcher.match({ companyName: 'Globex', companyEmail: 'x@initech.example' });
    expect(decision).toMatchObject({ decision: 'triage', reason: 'conflicting-signals' });
  });

  it('When the named company matches no tenant and the named address is a contact, then it goes to triage', () => {
    const decision = matcher.match({ companyName: 'Globex Corporation', companyEmail: 'dpo@juro.example' });
    expect(decision).toMatchObject({ decision: 'triage', reason: 'conflicting-signals' });
  });

  it('When the named company differs from a tenant only in singular and plural, then it is not forwarded on the name', () => {
    const decision = matcher.match({ companyName: 'Kestrel Technology Inc' });
    expect(decision.decision).toBe('triage');
    expect(decision.candidates[0]?.tenantId).toBe('kestrel');
  });

  it('When a plural is missing from a word the directory does not otherwise know, then it is not forwarded on the name', () => {
    expect(matcher.match({ companyName: 'Kazeron Logistic Ltd' }).decision).toBe('triage');
  });

  it('When the named company differs from a tenant only in punctuation inside the name, then it is not forwarded on the name', () => {
    expect(matcher.match({ companyName: 'OBrien Catering Ltd' }).decision).toBe('triage');
    expect(matcher.match({ companyName: 'Kazeron-Logistics Ltd' }).decision).toBe('triage');
  });

  it('When the named company lacks a word of the tenant, then it is not forwarded on the name', () => {
    expect(matcher.match({ companyName: 'Kazeron Ltd' }).decision).toBe('triage');
    expect(matcher.match({ companyName: 'Tolvex Marvane Ltd' }).decision).toBe('triage');
  });

  it("When such a near name is backed by the tenant's domain, then it is forwarded", () => {
    const decision = matcher.match({ companyName: 'Kestrel Technology Inc', companyEmail: 'privacy@kestrel.example' });
    expect(forwardedTo(decision)).toEqual(['kestrel']);
  });

  it("When the named company is the tenant's name as written, in another case, without its legal form or abbreviated, then it is forwarded", () => {
    expect(forwardedTo(matcher.match({ companyName: 'Kestrel Technologies. Inc' }))).toEqual(['kestrel']);
    expect(forwardedTo(matcher.match({ companyName: "o'brien catering" }))).toEqual(['obrien']);
    expect(forwardedTo(matcher.match({ companyName: 'Kestrel Tech' }))).toEqual(['kestrel']);
    expect(forwardedTo(matcher.match({ companyName: 'Kazeron Logistics Limited' }))).toEqual(['kazeron']);
  });

  it('When the request names a company only in its text, then it is matched as if named', () => {
    const decision = matcher.match({
      text: 'Please erase my data.\nMy contract with Kazeron Logistics Ltd was signed last year.',
    });
    expect(forwardedTo(decision)).toEqual(['kazeron']);
  });

  it('When a company is named in the field, then a company in the text does not replace it', () => {
    const decision = matcher.match({ companyName: 'Initech', text: 'Company: Kazeron Logistics Ltd' });
    expect(forwardedTo(decision)).toEqual(['initech']);
  });

  it('When the only address of a tenant is in the free text, then nothing is forwarded', () => {
    const decision = matcher.match({ text: 'Delete everything you hold. You can reach me at jane@initech.example.' });
    expect(decision.decision).toBe('triage');
    expect(decision.candidates.map((c) => c.tenantId)).not.toContain('initech');
  });
});

describe('TenantMatcher — a slip that could be of two words', () => {
  it('When a mistyped word is one letter from two words of the directory, then the name is not forwarded on it', () => {
    // Both are common words here, as surnames are in a real directory.
    const fillers = Array.from({ length: 60 }, (_, i) => ({
      tenantId: `filler-${i}`,
      legalName: `${i % 2 ? 'Olsen' : 'Vosen'} Filler${i} Ltd`,
    }));
    const matcher = directory([...fillers, { tenantId: 'olsen', legalName: 'Olsen Shipping Ltd' }]);
    expect(matcher.match({ companyName: 'Olsen Shipping' }).decision).toBe('forward');
    expect(matcher.match({ companyName: 'Olsem Shipping' }).decision).toBe('forward');
    // "Ovsen" may be Olsen or Vosen; Vosen Shipping may be a company absent from the directory.
    expect(matcher.match({ companyName: 'Ovsen Shipping' }).decision).toBe('triage');
  });

  it('When a mistyped word is as near the word in the other number, then the name is not forwarded on it', () => {
    const fillers = Array.from({ length: 60 }, (_, i) => ({
      tenantId: `filler-${i}`,
      legalName: `Coast Filler${i} Ltd`,
    }));
    const matcher = directory([...fillers, { tenantId: 'coast', legalName: 'Coast Evans Marketing LLC' }]);
    expect(matcher.match({ companyName: 'Caost Evans Marketing' }).decision).toBe('forward');
    // "Coass" may be Coast or Coasts; Coasts Evans Marketing may be a company absent from the directory.
    expect(matcher.match({ companyName: 'Coass Evans Marketing' }).decision).toBe('triage');
  });
});

describe('TenantMatcher — the address or the counterparty relation decides between names alike', () => {
  const twins = directory(
    [
      { tenantId: 'ltd', legalName: 'Meridian Partners Ltd', domains: ['meridianpartners.example'] },
      { tenantId: 'inc', legalName: 'Meridian Partners Inc' },
      { tenantId: 'other', legalName: 'Quillfeather Analytics Ltd', domains: ['quillfeather.example'] },
    ],
    { inc: ['ada@gmail.com'], ltd: ['both@gmail.com'], other: ['both@gmail.com'] },
  );

  it("When a name fits two tenants equally and the named address is one's domain, then it goes to that one", () => {
    const decision = twins.match({ companyName: 'Meridian Partners', companyEmail: 'info@meridianpartners.example' });
    expect(forwardedTo(decision)).toEqual(['ltd']);
  });

  it('When a name fits two tenants equally and the requester is a counterparty of one, then it goes to that one', () => {
    expect(twins.match({ companyName: 'Meridian Partners' }).decision).toBe('triage');
    const decision = twins.match({
      companyName: 'Meridian Partners',
      requesterHash: hashCounterpartyEmail(KEY, 'ada@gmail.com'),
    });
    expect(forwardedTo(decision)).toEqual(['inc']);
  });

  it('When the requester is a counterparty of both tenants whose names fit, then it goes to triage', () => {
    const both = directory(
      [
        { tenantId: 'ltd', legalName: 'Meridian Partners Ltd' },
        { tenantId: 'inc', legalName: 'Meridian Partners Inc' },
      ],
      { ltd: ['ada@gmail.com'], inc: ['ada@gmail.com'] },
    );
    const decision = both.match({
      companyName: 'Meridian Partners',
      requesterHash: hashCounterpartyEmail(KEY, 'ada@gmail.com'),
    });
    expect(decision.decision).toBe('triage');
  });

  it('When the address is of a tenant whose name fits less well than another, then it goes to triage', () => {
    const pair = directory([
      { tenantId: 'short', legalName: 'Meridian Ltd', domains: ['meridian.example'] },
      { tenantId: 'long', legalName: 'Meridian Partners Ltd' },
    ]);
    expect(pair.match({ companyName: 'Meridian Partners', companyEmail: 'x@meridian.example' }).decision).toBe(
      'triage',
    );
  });

  it('When the address is a domain two tenants share, then it does not decide between their names', () => {
    const shared = directory([
      { tenantId: 'a', legalName: 'Meridian Partners Ltd', domains: ['meridian.example'] },
      { tenantId: 'b', legalName: 'Meridian Partners Inc', domains: ['meridian.example'] },
    ]);
    expect(shared.match({ companyName: 'Meridian Partners', companyEmail: 'x@meridian.example' }).decision).toBe(
      'triage',
    );
  });
});

describe('TenantMatcher — punctuation written as one tenant writes it', () => {
  const pair = directory([
    { tenantId: 'hyphen', legalName: 'National-Star Glass Ltd' },
    { tenantId: 'spaced', legalName: 'National Star Glass Ltd' },
  ]);

  it("When the named company writes one tenant's punctuation and another has the same words without it, then it goes to that one", () => {
    expect(forwardedTo(pair.match({ companyName: 'National-Star Glass Ltd' }))).toEqual(['hyphen']);
  });

  it('When the named company writes no punctuation, then a tenant with punctuation may be meant and it goes to triage', () => {
    expect(pair.match({ companyName: 'National Star Glass Ltd' }).decision).toBe('triage');
  });
});

describe('TenantMatcher — a slip does not hide the tenant with the other legal form', () => {
  // The requester's legal form is unreliable ("Ltd" for an LLP); a slip in a common word must not
  // turn the tie between the two into a lead for the one whose form was written.
  const pair = directory([
    { tenantId: 'capital-ltd', legalName: 'Díaz Capital Ltd' },
    { tenantId: 'capital-llp', legalName: 'Díaz Capital LLP' },
    // Filler in which "capital" is a common word (in at least `commonWordNames` names), so that a
    // slip in it counts as a typo.
    ...Array.from({ length: 30 }, (_, i) => ({ tenantId: `filler-${i}`, legalName: `Filler${i} Capital Ltd` })),
  ]);

  it("When the named company has a slip and one of two tenants with the same words' legal form, then it goes to triage", () => {
    expect(pair.match({ companyName: 'Díaz Capztal Ltd' }).decision).toBe('triage');
  });

  it('When the same name is written without the slip, then it goes to triage too', () => {
    expect(pair.match({ companyName: 'Díaz Capital Ltd' }).decision).toBe('triage');
  });
});

describe('TenantMatcher — a slip in a rare word of a name whose other rare words vouch for it', () => {
  // "Ashworth Quillon Tarragona": a registry rarely holds two companies one letter apart in one
  // long word that share two other rare words, so such a slip names the tenant. Filler makes
  // "capital" a common word (in at least `commonWordNames` names).
  const filler = Array.from({ length: 30 }, (_, i) => ({
    tenantId: `filler-${i}`,
    legalName: `Filler${i} Capital Ltd`,
  }));
  const matcher = directory([
    { tenantId: 'viksennex', legalName: 'Viksennex Quillon Tarragona Ltd' },
    { tenantId: 'brand-capital', legalName: 'Brandovar Capital Ltd' },
    { tenantId: 'short', legalName: 'Jorvo Marwick Pellham Ltd' },
    ...filler,
  ]);

  it('When one long rare word has a slip and two other rare words match exactly, then it forwards', () => {
    expect(forwardedTo(matcher.match({ companyName: 'Vikesnnex Quillon Tarragona Ltd' }))).toEqual(['viksennex']);
  });

  it('When the other word that matches is a common word, then a slip in the rare word goes to triage', () => {
    expect(matcher.match({ companyName: 'Brandovra Capital Ltd' }).decision).toBe('triage');
  });

  it('When the slipped rare word is short, then it goes to triage even with two rare words beside it', () => {
    expect(matcher.match({ companyName: 'Jurvo Marwick Pellham Ltd' }).decision).toBe('triage');
  });

  it('When another tenant shares the two other rare words, then a slip in the long word goes to triage', () => {
    const pair = directory([
      { tenantId: 'viksennex', legalName: 'Viksennex Quillon Tarragona Ltd' },
      { tenantId: 'other', legalName: 'Ombrelax Quillon Tarragona Ltd' },
      ...filler,
    ]);
    expect(pair.match({ companyName: 'Vikesnnex Quillon Tarragona Ltd' }).decision).toBe('triage');
  });

  it('When the slipped word is one letter from two words of the directory, then it goes to triage', () => {
    const pair = directory([
      { tenantId: 'viksennex', legalName: 'Viksennex Quillon Tarragona Ltd' },
      { tenantId: 'other', legalName: 'Viksennez Holdings Ltd' },
      ...filler,
    ]);
    expect(pair.match({ companyName: 'Viksennea Quillon Tarragona Ltd' }).decision).toBe('triage');
  });

  it('When a word is missing or added besides the slip, then it goes to triage', () => {
    expect(matcher.match({ companyName: 'Vikesnnex Quillon Ltd' }).decision).toBe('triage');
    expect(matcher.match({ companyName: 'Vikesnnex Quillon Tarragona Foods Ltd' }).decision).toBe('triage');
  });
});

describe('TenantMatcher — a word ending in -ss has no other number without its last s', () => {
  // Fitness, Glass, Inverness are singular: "Fitnes" is no plural of anything, so a slip in such a
  // common word ("Fitnses") is not "as near the word's other number". Filler makes "fitness" common.
  const filler = Array.from({ length: 30 }, (_, i) => ({
    tenantId: `filler-${i}`,
    legalName: `Filler${i} Fitness Ltd`,
  }));

  it('When a common word ending in -ss has a slip, then the name forwards', () => {
    const matcher = directory([{ tenantId: 'norwich', legalName: 'Norwich Fitness Veterinary Ltd' }, ...filler]);
    expect(forwardedTo(matcher.match({ companyName: 'Norwich Fitnses Veterinary Ltd' }))).toEqual(['norwich']);
  });

  it('When the directory also has the word one letter shorter, then the slip writes neither and goes to triage', () => {
    const matcher = directory([
      { tenantId: 'norwich', legalName: 'Norwich Fitness Veterinary Ltd' },
      { tenantId: 'fitnes', legalName: 'Fitnes Veterinary Ltd' },
      ...filler,
    ]);
    expect(matcher.match({ companyName: 'Norwich Fitnses Veterinary Ltd' }).decision).toBe('triage');
  });

  it('When two tenants differ by one letter in a short common word, then a slip one letter from both goes to triage', () => {
    const matcher = directory([
      { tenantId: 'glass', legalName: 'Harbour Glass Ltd' },
      { tenantId: 'class', legalName: 'Harbour Class Ltd' },
      ...Array.from({ length: 30 }, (_, i) => ({ tenantId: `g-${i}`, legalName: `Filler${i} Glass Class Ltd` })),
    ]);
    expect(matcher.match({ companyName: 'Harbour Llass Ltd' }).decision).toBe('triage');
  });
});

describe('TenantMatcher — a common word that lost a letter and became four letters long', () => {
  // "Civic Ciff Spirits" for Civic Cliff Spirits: the slip is in a common word of five letters, so
  // it names that word, unless another word of the directory is as near. Filler makes "cliff" common.
  const filler = Array.from({ length: 30 }, (_, i) => ({ tenantId: `filler-${i}`, legalName: `Filler${i} Cliff Ltd` }));

  it('When a common five-letter word lost a letter, then the name forwards', () => {
    const matcher = directory([{ tenantId: 'civic', legalName: 'Civic Cliff Spirits Ltd' }, ...filler]);
    expect(forwardedTo(matcher.match({ companyName: 'Civic Ciff Spirits Ltd' }))).toEqual(['civic']);
  });

  it('When a four-letter word of the directory is one letter from the slip too, then it goes to triage', () => {
    const matcher = directory([
      { tenantId: 'civic', legalName: 'Civic Cliff Spirits Ltd' },
      { tenantId: 'cuff', legalName: 'Cuff Holdings Ltd' },
      ...filler,
    ]);
    expect(matcher.match({ companyName: 'Civic Ciff Spirits Ltd' }).decision).toBe('triage');
  });

  it('When the word that lost a letter is rare, then it goes to triage (Klro may be another company than Kelro)', () => {
    const matcher = directory([{ tenantId: 'kelro', legalName: 'Kelro Cliff Ltd' }, ...filler]);
    expect(matcher.match({ companyName: 'Klro Cliff Ltd' }).decision).toBe('triage');
  });
});

describe('TenantMatcher — a slip in a common four-letter word', () => {
  // "Yrok Textiles" for York Textiles: York is common and no other word of the directory is one
  // edit from "Yrok". Filler makes "york" and "gate" common.
  const filler = Array.from({ length: 30 }, (_, i) => ({
    tenantId: `filler-${i}`,
    legalName: `Filler${i} York Gate Ltd`,
  }));

  it('When a common four-letter word has a slip that no other word is as near, then the name forwards', () => {
    const matcher = directory([{ tenantId: 'york', legalName: 'York Textiles Veterinary SA' }, ...filler]);
    expect(forwardedTo(matcher.match({ companyName: 'Yrok Textiles Veterinary SA' }))).toEqual(['york']);
  });

  it('When two short common words are one letter apart and the slip is one letter from both, then it goes to triage', () => {
    const matcher = directory([
      { tenantId: 'gate', legalName: 'Keen Gate Ltd' },
      { tenantId: 'gale', legalName: 'Keen Gale Ltd' },
      ...filler,
      ...Array.from({ length: 30 }, (_, i) => ({ tenantId: `gale-${i}`, legalName: `Other${i} Gale Ltd` })),
    ]);
    expect(matcher.match({ companyName: 'Keen Gave Ltd' }).decision).toBe('triage');
  });

  it('When the four-letter word is rare, then a slip in it goes to triage (Juro is never sent to Joro)', () => {
    const matcher = directory([{ tenantId: 'joro', legalName: 'Joro Textiles Ltd' }, ...filler]);
    expect(matcher.match({ companyName: 'Juro Textiles Ltd' }).decision).toBe('triage');
  });
});
