import { tenantMatchesQuery } from './directory-search';

const acme = {
  tenantId: 'tenant-acme',
  legalName: 'Acmé Widgets Ltd',
  aliases: ['Acme UK'],
  domains: ['acme.example'],
};

describe('The console’s directory search', () => {
  it.each([
    ['acme', true],
    ['WIDGETS', true],
    ['acme widgets', true],
    ['acme uk', true],
    ['tenant-acme', true],
    ['acme.example', true],
    ['mail.acme.example', true],
    ['someone@acme.example', true],
    ['globex', false],
    ['tenant-ac', false],
    ['notacme.example.org', false],
    ['   ', false],
  ])('When the query is "%s", then Acme matches: %s', (query, matches) => {
    expect(tenantMatchesQuery(acme, query)).toBe(matches);
  });
});
