import { Readable } from 'node:stream';
import { parsePasswordHash, verifyPassword, type PasswordHash } from '../domain/console';
import { runHashPassword } from './hash-password-command';

// scrypt at 128 MiB per hash is CPU-bound: on a loaded machine one hash takes seconds, not the default 5 s budget.
jest.setTimeout(60_000);

describe('relay console hash-password', () => {
  it('When a password is piped in, then it prints a hash that RELAY_CONSOLE_USERS accepts and that verifies it', async () => {
    const out: string[] = [];
    const code = await runHashPassword({
      input: Readable.from(['a long enough password\n']),
      out: (l) => out.push(l),
      err: () => undefined,
    });
    expect(code).toBe(0);
    const hash = parsePasswordHash(out[0] ?? '') as PasswordHash;
    expect(await verifyPassword('a long enough password', hash)).toBe(true);
  });

  it('When the password is short, then it prints nothing and exits 2', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runHashPassword({
      input: Readable.from(['short\n']),
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    expect({ code, out }).toEqual({ code: 2, out: [] });
    expect(err.join('')).toContain('at least 12 characters');
  });
});
