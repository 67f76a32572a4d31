import { parseDirectoryFile } from './directory-file';

const AT = '2026-03-01T08:00:00.000Z';

describe('parseDirectoryFile', () => {
  it('When a JSONL file holds good and bad rows, then every bad row is reported with its line number', () => {
    const text = [
      '{"id":"t1","legalName":"Juro Online Limited","domains":["juro.example"],"contacts":[{"email":"privacy@juro.example"}]}',
      '',
      '{"id":"t2"}',
      '{not json',
      '{"id":"t1","legalName":"Again Ltd"}',
      '{"id":"t3","legalName":"Joro Home Ltd","counterparties":["not-an-email"]}',
    ].join('\n');
    const { rows, errors } = parseDirectoryFile(text, 'jsonl', AT);
    expect(rows.map((r) => r.payload.tenantId)).toEqual(['t1']);
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5, 6]);
    expect(errors[0]?.message).toMatch(/legalName/);
    expect(errors[2]?.message).toMatch(/already on line 1/);
  });

  it('When a CSV file lists aliases, domains, contacts and counterparties, then they become a valid change', () => {
    const text =
      'tenantId,legalName,aliases,domains,contacts,regime,counterparties\n' +
      't1,"Müller & Söhne GmbH",Müller;MS,mueller.example,privacy@mueller.example;admin:boss@mueller.example,eu-gdpr,ada@example.org\n' +
      't2,,,,,,\n';
    const { rows, errors } = parseDirectoryFile(text, 'csv', AT);
    expect(rows[0]?.payload).toMatchObject({
      tenantId: 't1',
      change: 'upserted',
      tenant: {
        legalName: 'Müller & Söhne GmbH',
        aliases: ['Müller', 'MS'],
        domains: ['mueller.example'],
        contacts: [
          { email: 'privacy@mueller.example', role: 'privacy' },
          { email: 'boss@mueller.example', role: 'admin' },
        ],
        regime: 'eu-gdpr',
      },
      counterpartyEmailsAdded: ['ada@example.org'],
    });
    expect(errors).toEqual([{ line: 3, message: expect.stringMatching(/legalName/) }]);
  });
});
