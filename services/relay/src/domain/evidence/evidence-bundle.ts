import { z } from 'zod';
import { notificationDigest, verifyAuditChain, type AuditChainEntry } from '../case/audit-chain';
import { checkpointSignatureValid, keyIdOf, type SignedCheckpoint } from './checkpoint';
import { parseEd25519PublicKey } from './signing-key';

export const BUNDLE_FORMAT = 'privacy-relay-evidence-bundle/v1';

/**
 * Everything a third party needs to check one case offline: its chained audit entries up to the
 * length the checkpoint signed, the raw SNS notifications kept on the case, the checkpoint that
 * covers the case's head, and the public key of the checkpoint's signer.
 */
export interface EvidenceBundle {
  format: typeof BUNDLE_FORMAT;
  caseId: string;
  exportedAt: string;
  /** The case's salt; absent once deleted (retention): the notifications can then not be tied to the chain. */
  salt?: string;
  entries: AuditChainEntry[];
  notifications: { snsMessageId?: string; sesMessageId: string; receivedAt: string; rawNotification: string }[];
  checkpoint: SignedCheckpoint;
  publicKey: string;
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** The bundle's shape, checked before anything is trusted (a bundle is untrusted input). */
export const evidenceBundleSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  caseId: z.string().min(1),
  exportedAt: z.string(),
  salt: z.string().optional(),
  entries: z.array(
    z.object({
      seq: z.number().int(),
      prevHash: hex64.nullable(),
      record: z.record(z.string(), z.unknown()),
      hash: hex64,
    }),
  ),
  notifications: z.array(
    z.object({
      snsMessageId: z.string().optional(),
      sesMessageId: z.string(),
      receivedAt: z.string(),
      rawNotification: z.string(),
    }),
  ),
  checkpoint: z.object({
    body: z.object({
      format: z.literal('privacy-relay-evidence-checkpoint/v1'),
      seq: z.number().int().positive(),
      issuedAt: z.string(),
      previous: hex64.nullable(),
      keyId: hex64,
      cases: z.array(z.object({ caseId: z.string(), length: z.number().int().nonnegative(), head: hex64 })),
    }),
    signature: z.string(),
  }),
  publicKey: z.string(),
});

export type BundleCheck = { ok: true; lines: string[] } | { ok: false; problem: string };

/**
 * Checks a bundle without any database or network: the public key is the expected one (when the
 * caller pins it), the checkpoint's signature is valid, the chain is intact from its first entry,
 * and its length and head are exactly what the checkpoint signed for this case; every notification
 * in the bundle is one the chain names (when the salt is still there).
 */
export function verifyEvidenceBundle(input: unknown, options: { trustedPublicKeyPem?: string } = {}): BundleCheck {
  const parsed = evidenceBundleSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `not an evidence bundle: ${issue?.path.join('.') || '(root)'}: ${issue?.message}` };
  }
  const bundle = parsed.data as EvidenceBundle;
  let publicKey;
  try {
    publicKey = parseEd25519PublicKey(options.trustedPublicKeyPem ?? bundle.publicKey);
  } catch (error) {
    return { ok: false, problem: `public key: ${(error as Error).message}` };
  }
  const keyId = keyIdOf(publicKey);
  if (options.trustedPublicKeyPem !== undefined) {
    let bundled;
    try {
      bundled = keyIdOf(parseEd25519PublicKey(bundle.publicKey));
    } catch {
      bundled = 'unreadable';
    }
    if (bundled !== keyId) {
      return { ok: false, problem: `the bundle's public key (${bundled}) is not the trusted one (${keyId})` };
    }
  }
  const { checkpoint } = bundle;
  if (checkpoint.body.keyId !== keyId) {
    return {
      ok: false,
      problem: `checkpoint ${checkpoint.body.seq} names signing key ${checkpoint.body.keyId}, not this public key (${keyId})`,
    };
  }
  if (!checkpointSignatureValid(checkpoint, publicKey)) {
    return {
      ok: false,
      problem: `checkpoint ${checkpoint.body.seq}: the signature is not valid for its content under key ${keyId} (forged or altered checkpoint)`,
    };
  }
  const signed = checkpoint.body.cases.find((c) => c.caseId === bundle.caseId);
  if (!signed)
    return { ok: false, problem: `checkpoint ${checkpoint.body.seq} does not include case ${bundle.caseId}` };
  const chain = verifyAuditChain(bundle.caseId, bundle.entries);
  if (!chain.ok) return { ok: false, problem: `audit chain, entry ${chain.index}: ${chain.problem}` };
  if (chain.length !== signed.length) {
    return {
      ok: false,
      problem:
        chain.length < signed.length
          ? `audit chain truncated: ${chain.length} entries, checkpoint ${checkpoint.body.seq} signed ${signed.length}`
          : `audit chain has ${chain.length} entries, checkpoint ${checkpoint.body.seq} signed only ${signed.length}`,
    };
  }
  if (chain.head !== signed.head) {
    return {
      ok: false,
      problem: `audit chain head (entry ${chain.length - 1}) is not the head checkpoint ${checkpoint.body.seq} signed: the chain was rewritten`,
    };
  }
  const lines = [
    `case ${bundle.caseId}: ${chain.length} audit entries, chain intact`,
    `checkpoint ${checkpoint.body.seq} of ${checkpoint.body.issuedAt} signed by key ${keyId}, covers this case's head`,
  ];
  if (bundle.salt === undefined) {
    lines.push(`${bundle.notifications.length} notification(s) not checked: the case's salt is gone (minimised)`);
    return { ok: true, lines };
  }
  const digests = new Set(bundle.entries.map((e) => e.record.notification).filter((d) => typeof d === 'string'));
  for (const [index, notification] of bundle.notifications.entries()) {
    if (!digests.has(notificationDigest(bundle.salt, notification.rawNotification))) {
      return {
        ok: false,
        problem: `notification ${index} (SES message ${notification.sesMessageId}) is not the one the audit chain recorded`,
      };
    }
  }
  lines.push(`${bundle.notifications.length} raw SNS notification(s) match the chained digests`);
  return { ok: true, lines };
}
