import { sameSecret, signToken, verificationCodeFor, verifyToken } from './signed-token';

const SECRET = 'unit-test-secret-0123456789abcdef012345';
const now = new Date('2026-03-02T09:00:00Z');
const inAnHour = Math.floor(now.getTime() / 1000) + 3600;
const requestId = '0193a1c2-7d4e-4a10-9b7c-000000000001';

describe('signed tokens', () => {
  it('When a token is checked with its purpose before expiry, then it passes and names its subject', () => {
    const token = signToken(SECRET, { purpose: 'verify', subject: requestId, expiresAt: inAnHour });
    expect(verifyToken(SECRET, token, { purpose: 'verify', now })).toEqual({
      ok: true,
      claims: { purpose: 'verify', subject: requestId, expiresAt: inAnHour },
    });
  });

  it('When a token is used for another purpose, then it is refused', () => {
    const token = signToken(SECRET, { purpose: 'status', subject: requestId, expiresAt: inAnHour });
    expect(verifyToken(SECRET, token, { purpose: 'verify', now })).toMatchObject({ ok: false });
    // Re-labelling the purpose breaks the signature.
    expect(verifyToken(SECRET, token.replace(/^status/, 'verify'), { purpose: 'verify', now })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('When a token has expired, then it is refused as expired', () => {
    const token = signToken(SECRET, { purpose: 'verify', subject: requestId, expiresAt: inAnHour });
    expect(verifyToken(SECRET, token, { purpose: 'verify', now: new Date(now.getTime() + 3601_000) })).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('When any character of a token is changed, or another secret signed it, then it is refused', () => {
    const token = signToken(SECRET, { purpose: 'verify', subject: requestId, expiresAt: inAnHour });
    for (let i = 0; i < token.length; i += 1) {
      const char = token[i] === 'A' ? 'B' : 'A';
      const tampered = `${token.slice(0, i)}${char}${token.slice(i + 1)}`;
      expect(verifyToken(SECRET, tampered, { purpose: 'verify', now }).ok).toBe(false);
    }
    const foreign = signToken(`${SECRET}x`, { purpose: 'verify', subject: requestId, expiresAt: inAnHour });
    expect(verifyToken(SECRET, foreign, { purpose: 'verify', now }).ok).toBe(false);
  });

  it('When a form token is checked against another browser cookie, then it is refused', () => {
    const token = signToken(SECRET, { purpose: 'form', subject: 'nonce123', expiresAt: inAnHour, binding: 'cookieA' });
    expect(verifyToken(SECRET, token, { purpose: 'form', now, binding: 'cookieA' }).ok).toBe(true);
    expect(verifyToken(SECRET, token, { purpose: 'form', now, binding: 'cookieB' })).toEqual({
      ok: false,
      reason: 'wrong-binding',
    });
    expect(verifyToken(SECRET, token, { purpose: 'form', now, binding: '' }).ok).toBe(false);
  });

  it('When input is not a token at all, then it is malformed, never an exception', () => {
    for (const junk of [
      '',
      '.',
      'a.b.c',
      'a.b.c.d.e',
      'x'.repeat(1000),
      'verify.<script>.zz.abc',
      'verify.id.ZZ.sig',
    ]) {
      expect(verifyToken(SECRET, junk, { purpose: 'verify', now }).ok).toBe(false);
    }
  });

  it('When a code is derived, then it is six digits, the same for its request and secret, another for another', () => {
    const code = verificationCodeFor(SECRET, requestId);
    expect(code).toMatch(/^\d{6}$/);
    expect(sameSecret(code, verificationCodeFor(SECRET, requestId))).toBe(true);
    const others = ['a', 'b', 'c', 'd'].map((last) => verificationCodeFor(SECRET, `${requestId.slice(0, -1)}${last}`));
    expect(new Set([code, ...others]).size).toBe(5);
    expect(verificationCodeFor(`${SECRET}-rotated`, requestId)).not.toBe(code);
  });

  it('When secrets are compared, then only the same string matches, whatever the lengths', () => {
    expect(sameSecret('123456', '123456')).toBe(true);
    expect(sameSecret('123456', '123457')).toBe(false);
    expect(sameSecret('123456', '1234567')).toBe(false);
    expect(sameSecret('', '123456')).toBe(false);
  });
});
