import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMatchCommand } from './match-command';

describe('relay match', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'relay-match-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('When a request line names its company only in its text, then the decision reads the text', async () => {
    const directory = join(dir, 'tenants.jsonl');
    const requests = join(dir, 'requests.jsonl');
    const out = join(dir, 'decisions.jsonl');
    writeFileSync(
      directory,
      [
        { id: 't1', legalName: 'Brightwater Logistics Limited', domains: ['brightwater.example'] },
        { id: 't2', legalName: 'Joro Home Ltd' },
      ]
        .map((line) => JSON.stringify(line))
        .join('\n'),
    );
    writeFileSync(
      requests,
      JSON.stringify({
        id: 'q1',
        requesterEmail: 'ada@gmail.com',
        text: 'Please delete my data. My contract with Brightwater Logistics Ltd was signed in 2024.',
      }) + '\n',
    );
    expect(await runMatchCommand({ directory, requests, out, log: () => undefined })).toBe(0);
    const [decision] = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; decision: string; tenants: string[] });
    expect(decision).toMatchObject({ id: 'q1', decision: 'forward', tenants: ['t1'] });
  });
});
