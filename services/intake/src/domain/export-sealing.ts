import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/** An export as stored: AES-256-GCM ciphertext, its nonce and tag; the key is not here. */
export interface SealedExport {
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

const KEY = /^[A-Za-z0-9_-]{43}$/;

/**
 * Encrypts an export under a fresh random key (AES-256-GCM, the export id as associated data, so
 * one export's ciphertext never opens as another's). The key goes only into the mailed link: the
 * store alone cannot read what it holds.
 */
export function sealExport(plaintext: string, exportId: string): { key: string; sealed: SealedExport } {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(exportId));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { key: key.toString('base64url'), sealed: { iv, tag: cipher.getAuthTag(), ciphertext } };
}

/** The export's text, or undefined for a wrong key (or a ciphertext altered in the store). */
export function openExport(sealed: SealedExport, key: string, exportId: string): string | undefined {
  if (!KEY.test(key)) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key, 'base64url'), sealed.iv);
    decipher.setAAD(Buffer.from(exportId));
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * An address sealed into the confirmation link (AES-256-GCM under a key derived from the link
 * secret): intake keeps no address between the ask and the confirmation, and the link does not
 * show it to whoever sees the URL. URL-safe text.
 */
export function sealAddress(secret: string, email: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', addressKey(secret), iv);
  const ciphertext = Buffer.concat([cipher.update(email, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
}

export function openAddress(secret: string, sealed: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{40,500}$/.test(sealed)) return undefined;
  const bytes = Buffer.from(sealed, 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', addressKey(secret), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

function addressKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('export-address-key').digest();
}
