import { companyNamedInText } from './company-named-in-text';

describe('companyNamedInText', () => {
  it.each([
    ['My contract with Acme Widgets Ltd was signed last year.', 'Acme Widgets Ltd'],
    ['Company: Juro Online Limited\nThanks', 'Juro Online Limited'],
    ['Erase my data. Company: Acme Widgets Ltd. Thanks', 'Acme Widgets Ltd'],
    ['Erase my data. Organisation: Northwind. Thanks', 'Northwind'],
    ['I signed an agreement with Northwind Traders and they use you.', 'Northwind Traders'],
    ['My account with the Acme Ltd and its partners', 'Acme Ltd'],
    ['Their privacy mail is dpo@acme.example.', undefined],
    ['company: legal@acme.example', undefined],
    ['Please delete my data. You can reach me at jane@bigbank.example.', undefined],
    ['My contract with you', undefined],
    ['> contract with Quoted Ltd\nnothing else', undefined],
    ['', undefined],
  ])('When the text says "%s", then the company named is %j', (text, company) => {
    expect(companyNamedInText(text)).toBe(company);
  });
});
