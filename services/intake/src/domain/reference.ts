import { hash } from 'node:crypto';

// Crockford base32: no I, L, O, U, so a reference read over the phone is not misheard.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The reference a requester quotes back: derived from the request id, so the same request always
 * has the same reference, and it reveals nothing (not the time, not a sequence number).
 * 40 bits: PR-XXXX-XXXX.
 */
export function referenceFor(requestId: string): string {
  const digest = hash('sha256', requestId, 'buffer');
  let bits = 0n;
  for (let i = 0; i < 5; i += 1) bits = (bits << 8n) | BigInt(digest[i] ?? 0);
  let out = '';
  for (let i = 0; i < 8; i += 1) {
    out = (ALPHABET[Number(bits & 31n)] ?? '0') + out;
    bits >>= 5n;
  }
  return `PR-${out.slice(0, 4)}-${out.slice(4)}`;
}
