import { companyNamedInText } from './company-named-in-text';

describe('companyNamedInText', () => {
  it.each([
    ['My contract with Acme Widgets Ltd was signed last year.', 'Acme Widgets Ltd'],
    ['Company: Juro Online Limited\nThanks', 'Juro Online Limited'],
    ['Erase my data. Company: Acme Widgets Ltd. Thanks', 'Acme Widgets Ltd'],
    ['Erase my data. Organisation: Northwind. Thanks', 'Northwind'],
    ['I signed an agreement with Northwind Traders and they use you.', 'Northwind Traders'],
    ['My account with the Acme Ltd and its partners', 'Acme Ltd'],
    ['My contract with Vital Comet Media ended in March.', 'Vital Comet Media'],
    ['My contract with Misty Linden Wines N.V. ended in March.', 'Misty Linden Wines N.V'],
    ['I have an account with Müller & Söhne GmbH & Co KG since 2019', 'Müller & Söhne GmbH & Co KG'],
    ['My subscription with Bank of Scotland plc, London', 'Bank of Scotland plc'],
    ['Company: Acme Widgets Ltd, London', 'Acme Widgets Ltd'],
    ['my contract with vital comet media', 'vital comet media'],
    ['I have an account with Silver jFord Scaffolding and I object', 'Silver jFord Scaffolding'],
    ['I have an account with BAKKER and MCCARTHY LTD and I object', 'BAKKER and MCCARTHY LTD'],
    ['My contract with Smith and Jones Ltd ended', 'Smith and Jones Ltd'],
    ['Company: legal@acme.example', undefined],
    ['Their privacy mail is dpo@acme.example.', undefined],
    ['company: legal@acme.example', undefined],
    ['Please delete my data. You can reach me at jane@bigbank.example.', undefined],
    ['My contract with you', undefined],
    ['> contract with Quoted Ltd\nnothing else', undefined],
    ['', undefined],
  ])('When the text says "%s", then the company named is %j', (text, company) => {
    expect(companyNamedInText(text)?.name).toBe(company);
  });

  it('When a name in lower case runs on into the sentence, then it is marked as loosely ended', () => {
    expect(companyNamedInText('my contract with vital comet media ended in march')).toEqual({
      name: 'vital comet media ended',
      loose: true,
    });
    expect(companyNamedInText('My contract with Vital Comet Media ended in March')?.loose).toBe(false);
  });
});
