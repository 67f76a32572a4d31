import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

/**
 * Reads an Ed25519 private key given as PKCS#8 PEM or as the base64 of its PKCS#8 DER (one line,
 * handier in an environment variable). Throws with a message fit for a configuration error.
 */
export function parseEd25519PrivateKey(value: string): KeyObject {
  let key: KeyObject;
  try {
    key = value.includes('-----BEGIN')
      ? createPrivateKey({ key: value, format: 'pem' })
      : createPrivateKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'pkcs8' });
  } catch {
    throw new Error('must be a PKCS#8 private key, PEM or base64 DER (openssl genpkey -algorithm ed25519)');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`must be an Ed25519 key (got ${key.asymmetricKeyType})`);
  return key;
}

/** Reads an Ed25519 public key from SPKI PEM; throws when it is not one. */
export function parseEd25519PublicKey(pem: string): KeyObject {
  const key = createPublicKey({ key: pem, format: 'pem' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not an Ed25519 key (got ${key.asymmetricKeyType})`);
  return key;
}
