import { normaliseCompanyName } from './normalise';

describe('normaliseCompanyName', () => {
  it.each([
    ['Juro Online Limited', 'juro online', 'limited'],
    ['JURO ONLINE LTD.', 'juro online', 'limited'],
    ['The Juro Online Ltd', 'juro online', 'limited'],
    ['Müller & Söhne GmbH & Co. KG', 'muller sohne', 'kg'],
    ['Mueller and Soehne GmbH', 'mueller soehne', 'gmbh'],
    ['Société Générale S.A.', 'societe generale', 'sa'],
    ['Acme Widgets L.L.C.', 'acme widgets', 'llc'],
    ['Acme Widgets, Inc.', 'acme widgets', 'inc'],
    ['Van Dijk Logistiek B.V.', 'van dijk logistiek', 'bv'],
    ['Nordisk Fisk AB (publ)', 'nordisk fisk', 'ab'],
    ['Smith Jones LLP', 'smith jones', 'llp'],
    ['Acme Intl Mgmt Svcs Ltd', 'acme international management services', 'limited'],
    ['Acme International Management Services Limited', 'acme international management services', 'limited'],
    ['O’Brien Holdings plc', 'obrien holdings', 'plc'],
    ['Café Olé SARL', 'cafe ole', 'sarl'],
  ])('When "%s" is normalised, then its tokens are "%s" and its legal form "%s"', (raw, tokens, form) => {
    const result = normaliseCompanyName(raw);
    expect(result.tokens.join(' ')).toBe(tokens);
    expect(result.legalForm).toBe(form);
  });

  it('When a name is only a legal form, then the word is kept rather than vanishing', () => {
    expect(normaliseCompanyName('Limited').tokens).toEqual(['limited']);
  });

  it('When a name carries no legal form, then none is reported', () => {
    expect(normaliseCompanyName('Juro').legalForm).toBeUndefined();
  });
});
