import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';

/** What a checkpoint says of one case: its chain had `length` entries, the last one's hash `head`. */
export interface CheckpointedCase {
  caseId: string;
  length: number;
  head: string;
}

/**
 * A checkpoint: the heads of every case chain that grew since the previous checkpoint, and that
 * checkpoint's hash, so the checkpoints themselves form a chain (like C2SP tlog-checkpoint, in JSON).
 */
export interface CheckpointBody {
  format: typeof CHECKPOINT_FORMAT;
  /** 1, 2, 3, … with no gaps: a missing number is a missing checkpoint. */
  seq: number;
  issuedAt: string;
  /** `checkpointHash` of checkpoint `seq - 1`; null for the first. */
  previous: string | null;
  /** `keyId` of the Ed25519 key that signed it. */
  keyId: string;
  /** Sorted by caseId. */
  cases: CheckpointedCase[];
}

/** A checkpoint with its Ed25519 signature (base64) over the RFC 8785 canonical JSON of `body`. */
export interface SignedCheckpoint {
  body: CheckpointBody;
  signature: string;
}

export const CHECKPOINT_FORMAT = 'privacy-relay-evidence-checkpoint/v1';

function canonicalBytes(value: unknown): Buffer {
  const canonical = canonicalize(value);
  if (canonical === undefined) throw new Error('value has no JSON form');
  return Buffer.from(canonical, 'utf8');
}

/** SHA-256 (hex) of a checkpoint body's canonical JSON: what the next checkpoint names as `previous`. */
export function checkpointHash(body: CheckpointBody): string {
  return createHash('sha256').update(canonicalBytes(body)).digest('hex');
}

/** A key's id: SHA-256 (hex) of its public key in SPKI DER, which a regulator compares with the published one. */
export function keyIdOf(key: KeyObject): string {
  return createHash('sha256')
    .update(publicOf(key).export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function publicOf(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** The public key, as the PEM written beside the checkpoints and into bundles. */
export function publicKeyPem(key: KeyObject): string {
  return publicOf(key).export({ type: 'spki', format: 'pem' }).toString();
}

export function signCheckpoint(body: CheckpointBody, privateKey: KeyObject): SignedCheckpoint {
  return { body, signature: sign(null, canonicalBytes(body), privateKey).toString('base64') };
}

/** Whether `signature` is the Ed25519 signature of `body` by `publicKey` (false for any malformed input). */
export function checkpointSignatureValid(checkpoint: SignedCheckpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, canonicalBytes(checkpoint.body), publicKey, Buffer.from(checkpoint.signature, 'base64'));
  } catch {
    return false;
  }
}

/** The body of the checkpoint after `previous` (undefined: the first), over these case heads. */
export function nextCheckpointBody(
  previous: CheckpointBody | undefined,
  cases: readonly CheckpointedCase[],
  issuedAt: Date,
  keyId: string,
): CheckpointBody {
  return {
    format: CHECKPOINT_FORMAT,
    seq: (previous?.seq ?? 0) + 1,
    issuedAt: issuedAt.toISOString(),
    previous: previous ? checkpointHash(previous) : null,
    keyId,
    cases: [...cases].sort((a, b) => (a.caseId < b.caseId ? -1 : a.caseId > b.caseId ? 1 : 0)),
  };
}
