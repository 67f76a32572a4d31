import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENTS, type ExportedRelayRequest } from '@privacy-relay/shared/events';
import { parse } from 'csv-parse/sync';
import { assembleExport, exportCsv, exportJson, exportRows, type IntakeRequestRecord } from './export-bundle';

const collected = EVENTS.exportCollectedV1.parse(
  JSON.parse(
    readFileSync(
      join(__dirname, '..', '..', '..', '..', 'shared', 'src', 'events', 'export-collected', 'fixtures', 'v1.json'),
      'utf8',
    ),
  ),
);
const [fixtureRequest] = collected.payload.requests as [ExportedRelayRequest];

const intakeRecord: IntakeRequestRecord = {
  verification: {
    status: 'verified',
    method: 'email-link',
    verifiedAt: '2026-03-02T09:10:00.000Z',
    expiresAt: '2026-03-03T09:00:00.000Z',
    codeAttempts: 1,
  },
  forwards: [
    {
      caseId: '0193a1c2-9f00-7b21-8c3d-4e5f60718293',
      tenantId: 'tenant-juro',
      tenantName: 'Juro Ltd',
      forwardedAt: '2026-03-02T09:20:03.000Z',
      deadline: { regime: 'uk-gdpr', dueOn: '2026-04-02', extendableTo: '2026-06-02' },
      noticeSentAt: '2026-03-02T09:20:10.000Z',
    },
  ],
  mailsSent: ['receipt', 'verification'],
};

/** A second request whose free text and name hold what a CSV writer must get right. */
const awkward: ExportedRelayRequest = {
  ...fixtureRequest,
  requestId: '0193a1c2-7d4e-7a10-9b7c-3f1e2d4c5b6b',
  reference: 'PR-AAAA-BBBB',
  receivedAt: '2026-03-04T09:00:00.000Z',
  status: 'awaiting-verification',
  requester: { name: '=HYPERLINK("http://evil.example","click")', email: 'ada@example.com' },
  text: 'Line one, with a comma\nline "two" with quotes\r\nand ünïcödé ✓',
  decision: undefined,
  cases: [],
};

function bundle() {
  return assembleExport({
    exportId: collected.payload.exportId,
    email: 'ada@example.com',
    generatedAt: new Date('2026-03-05T10:00:03Z'),
    relayRequests: [awkward, fixtureRequest],
    intakeRecords: new Map([[fixtureRequest.requestId, intakeRecord]]),
  });
}

describe('The requester’s export: JSON and CSV assembly', () => {
  it('When the relay’s requests and intake’s records are assembled, then each request carries its decision, cases and intake’s record, oldest first', () => {
    const assembled = bundle();
    expect(assembled.requests.map((r) => r.requestId)).toEqual([fixtureRequest.requestId, awkward.requestId]);
    const [first, second] = assembled.requests;
    expect(first?.intake).toEqual(intakeRecord);
    expect(first?.cases[0]?.tenantName).toBe('Juro Ltd');
    expect(first?.decision?.decision).toBe('forward');
    expect(second?.intake).toBeUndefined();
    expect(JSON.parse(exportJson(assembled))).toEqual(assembled);
  });

  it('When the CSV is read back by a CSV parser, then it has the same rows as the export, every value of every record on one', () => {
    const assembled = bundle();
    const rows = exportRows(assembled);
    const parsed = parse(exportCsv(assembled), { columns: true, bom: true }) as Record<string, string>[];
    // The one difference a spreadsheet needs: formulas are written with a leading quote.
    const expected = rows.map((row) => (/^[=+\-@\t\r]/.test(row.value) ? { ...row, value: `'${row.value}` } : row));
    expect(parsed).toEqual(expected);
    expect(parsed).toContainEqual({ record: 'request', id: awkward.requestId, field: 'text', value: awkward.text });
    expect(parsed).toContainEqual({
      record: 'case',
      id: '0193a1c2-9f00-7b21-8c3d-4e5f60718293',
      field: 'audit.1.what',
      value: 'forwarded',
    });
    expect(parsed).toContainEqual({
      record: 'intake-state',
      id: fixtureRequest.requestId,
      field: 'forwards.0.noticeSentAt',
      value: '2026-03-02T09:20:10.000Z',
    });
    expect(parsed.filter((row) => row.record === 'decision')).toHaveLength(3);
  });

  it('When a value would run as a spreadsheet formula, then the CSV holds it with a leading quote', () => {
    const parsed = parse(exportCsv(bundle()), { columns: true, bom: true }) as Record<string, string>[];
    const name = parsed.find((row) => row.id === awkward.requestId && row.field === 'requester.name');
    expect(name?.value).toBe(`'${awkward.requester.name}`);
  });

  it('When nothing is held, then the CSV is the header alone', () => {
    const empty = assembleExport({
      exportId: collected.payload.exportId,
      email: 'nobody@example.com',
      generatedAt: new Date('2026-03-05T10:00:03Z'),
      relayRequests: [],
      intakeRecords: new Map(),
    });
    expect(parse(exportCsv(empty), { bom: true })).toEqual([['record', 'id', 'field', 'value']]);
  });
});
