import { runDeadlineCommand } from './deadline-command';

function run(args: { received?: string; regime?: string; jurisdiction?: string }) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runDeadlineCommand({ ...args, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('relay deadline', () => {
  it('When a UK GDPR request names no jurisdiction, then England and Wales is used and one JSON line is printed', () => {
    // Sat 25 Dec 2021, Sun 26, substitutes Mon 27 and Tue 28 (England) → Wed 29 Dec.
    expect(run({ received: '2021-11-25', regime: 'uk-gdpr' })).toEqual({
      code: 0,
      out: ['{"deadline":"2021-12-29","extendedDeadline":"2022-02-25"}'],
      err: [],
    });
  });

  it('When Scotland is asked, then its holidays are used (Easter Monday is a working day there)', () => {
    expect(run({ received: '2024-03-01', regime: 'uk-gdpr', jurisdiction: 'GB-SCT' }).out).toEqual([
      '{"deadline":"2024-04-01","extendedDeadline":"2024-06-03"}',
    ]);
  });

  it('When the regime is gdpr or ccpa, then the EU GDPR and the CCPA rules apply', () => {
    // Fri 3 Oct 2025, Day of German Unity → Mon 6 Oct.
    expect(run({ received: '2025-09-03', regime: 'gdpr', jurisdiction: 'DE' }).out).toEqual([
      '{"deadline":"2025-10-06","extendedDeadline":"2025-12-03"}',
    ]);
    expect(run({ received: '2025-01-29', regime: 'CCPA' }).out).toEqual([
      '{"deadline":"2025-03-15","extendedDeadline":"2025-04-29"}',
    ]);
  });

  it.each([
    [{ regime: 'uk-gdpr' }, /--received YYYY-MM-DD is required/],
    [{ received: '2025-02-29', regime: 'uk-gdpr' }, /--received 2025-02-29 is not a date/],
    [{ received: '29/02/2024', regime: 'uk-gdpr' }, /is not a date/],
    [{ received: '2025-01-31' }, /--regime uk-gdpr\|gdpr\|ccpa is required/],
    [{ received: '2025-01-31', regime: 'lgpd' }, /--regime lgpd is not one of/],
    [{ received: '2025-01-31', regime: 'gdpr' }, /needs a jurisdiction/],
    [{ received: '2025-01-31', regime: 'uk-gdpr', jurisdiction: 'GB' }, /UK GDPR applies in GB-ENG/],
    [{ received: '2025-01-31', regime: 'gdpr', jurisdiction: 'DE-XX' }, /unknown region XX of DE/],
    [{ received: '2025-01-31', regime: 'ccpa', jurisdiction: 'US-NY' }, /CCPA applies in US-CA/],
  ])(
    'When the input is %j, then nothing is printed, the reason goes to stderr and the exit code is 2',
    (args, message) => {
      const { code, out, err } = run(args);
      expect(code).toBe(2);
      expect(out).toEqual([]);
      expect(err).toEqual([expect.stringMatching(message)]);
    },
  );
});
