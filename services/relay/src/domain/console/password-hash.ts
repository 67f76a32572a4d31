import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Console passwords, hashed with scrypt (memory-hard; built into Node, so no native package to
 * build or keep up). Parameters are OWASP's first scrypt line: N = 2^17, r = 8, p = 1, i.e. 128 MiB
 * and about half a second per guess on one core here. They are written into each hash, so stronger
 * ones can be adopted later without invalidating the hashes already configured.
 *
 * Format: `scrypt$<log2 N>$<r>$<p>$<salt>$<key>`, salt and key in base64url (no `,` or `:`, which
 * separate the entries of RELAY_CONSOLE_USERS).
 */
export const PASSWORD_HASH_PARAMS = { log2N: 17, r: 8, p: 1 } as const;

const KEY_BYTES = 32;
const SALT_BYTES = 16;
const FORMAT = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{22,})\$([A-Za-z0-9_-]{43})$/;

export interface PasswordHash {
  log2N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

/** The parts of an encoded hash, or why it is not one (bounds keep a hostile config from asking for gigabytes). */
export function parsePasswordHash(encoded: string): PasswordHash | { problem: string } {
  const match = FORMAT.exec(encoded);
  if (!match) return { problem: 'must be scrypt$<log2N>$<r>$<p>$<salt>$<key> (relay console hash-password)' };
  const [log2N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (log2N < 14 || log2N > 20 || r < 8 || r > 16 || p < 1 || p > 4) {
    return { problem: 'scrypt parameters out of bounds (log2N 14–20, r 8–16, p 1–4)' };
  }
  return {
    log2N,
    r,
    p,
    salt: Buffer.from(match[4] ?? '', 'base64url'),
    key: Buffer.from(match[5] ?? '', 'base64url'),
  };
}

function derive(password: string, salt: Buffer, params: Pick<PasswordHash, 'log2N' | 'r' | 'p'>): Promise<Buffer> {
  const N = 2 ** params.log2N;
  const options: ScryptOptions = {
    N,
    r: params.r,
    p: params.p,
    maxmem: 128 * N * params.r * params.p + 16 * 1024 * 1024,
  };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, PASSWORD_HASH_PARAMS);
  const { log2N, r, p } = PASSWORD_HASH_PARAMS;
  return `scrypt$${log2N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Whether `password` is the one `hash` was made from (compared in constant time). */
export async function verifyPassword(password: string, hash: PasswordHash): Promise<boolean> {
  const key = await derive(password, hash.salt, hash);
  return key.length === hash.key.length && timingSafeEqual(key, hash.key);
}
