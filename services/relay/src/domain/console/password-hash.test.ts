import { hashPassword, parsePasswordHash, verifyPassword, type PasswordHash } from './password-hash';

// scrypt at 128 MiB per hash is CPU-bound: on a loaded machine one hash takes seconds, not the default 5 s budget.
jest.setTimeout(60_000);

describe('Console password hashes (scrypt)', () => {
  it('When a password is hashed, then the same password verifies, another does not, and the hash names its parameters', async () => {
    const encoded = await hashPassword('correct horse battery staple');
    expect(encoded).toMatch(/^scrypt\$17\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    const hash = parsePasswordHash(encoded) as PasswordHash;
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', hash)).toBe(false);
    // A fresh salt each time: the same password never gives the same hash.
    expect(await hashPassword('correct horse battery staple')).not.toBe(encoded);
  });

  it.each([
    ['not a hash', 'password'],
    ['another scheme', 'argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'],
    ['parameters a config could use to exhaust memory', `scrypt$30$8$1$${'A'.repeat(22)}$${'B'.repeat(43)}`],
    ['parameters too weak', `scrypt$10$8$1$${'A'.repeat(22)}$${'B'.repeat(43)}`],
  ])('When the configured hash is %s, then it is refused with the reason', (_what, encoded) => {
    expect(parsePasswordHash(encoded)).toEqual({ problem: expect.any(String) });
  });
});
