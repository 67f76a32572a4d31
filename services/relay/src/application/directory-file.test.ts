import { parseDirectoryFile } from './directory-file';

const AT = '2026-03-01T08:00:00.000Z';
const OPTIONS = { asOf: AT, now: new Date('2026-03-02T08:00:00.000Z') };

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
    const { rows, errors } = parseDirectoryFile(text, 'jsonl', OPTIONS);
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
    const { rows, errors } = parseDirectoryFile(text, 'csv', OPTIONS);
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

  it("When a row carries its own changedAt, then it is the version, and rows without one take the file's", () => {
    const text =
      '{"id":"t1","legalName":"Juro Ltd","changedAt":"2026-01-05T00:00:00Z"}\n{"id":"t2","legalName":"Joro Ltd"}\n';
    const { rows, errors } = parseDirectoryFile(text, 'jsonl', OPTIONS);
    expect(errors).toEqual([]);
    expect(rows.map((r) => r.payload.changedAt)).toEqual(['2026-01-05T00:00:00Z', AT]);
  });

  it('When a row has no changedAt and the file no --as-of, then the row is refused rather than stamped with the run', () => {
    const { rows, errors } = parseDirectoryFile('{"id":"t1","legalName":"Juro Ltd"}\n', 'jsonl', { now: new Date(AT) });
    expect(rows).toEqual([]);
    expect(errors).toEqual([{ line: 1, message: expect.stringMatching(/changedAt: required/) }]);
  });

  it('When a CSV row says deleted, then it becomes a deletion with its version, and one carrying tenant fields is refused', () => {
    const text =
      'tenantId,change,changedAt,legalName\n' +
      't1,deleted,2026-02-01T00:00:00Z,\n' +
      't2,deleted,2026-02-01T00:00:00Z,Still Named Ltd\n' +
      't3,removed,2026-02-01T00:00:00Z,Odd Ltd\n';
    const { rows, errors } = parseDirectoryFile(text, 'csv', OPTIONS);
    expect(rows.map((r) => r.payload)).toEqual([
      { tenantId: 't1', change: 'deleted', changedAt: '2026-02-01T00:00:00Z' },
    ]);
    expect(errors).toEqual([
      { line: 3, message: expect.stringMatching(/deleted tenant carries only.*legalName/) },
      { line: 4, message: expect.stringMatching(/^change: /) },
    ]);
  });

  it('When a version lies in the future, then the row is refused (it would hide every change until then)', () => {
    const { errors } = parseDirectoryFile(
      '{"id":"t1","legalName":"Juro Ltd","changedAt":"2062-01-01T00:00:00Z"}\n',
      'jsonl',
      OPTIONS,
    );
    expect(errors).toEqual([{ line: 1, message: expect.stringMatching(/in the future/) }]);
  });
});
