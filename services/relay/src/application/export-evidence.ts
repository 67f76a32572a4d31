import { BUNDLE_FORMAT, type EvidenceBundle } from '../domain/evidence/evidence-bundle';
import type { AuditChainEntry } from '../domain/case/audit-chain';
import type { MailEvidence } from '../domain/case';
import type { CheckpointedCase } from '../domain/evidence/checkpoint';
import type { CheckpointLog } from './evidence-checkpoint';

/** A case's evidence as stored beside it. */
export interface CaseEvidence {
  caseId: string;
  salt?: string;
  chain: AuditChainEntry[];
  notifications: MailEvidence[];
  /** The latest checkpoint that signed the chain, with the length and head it signed. */
  checkpoint?: { seq: number } & Omit<CheckpointedCase, 'caseId'>;
}

export type ExportResult = { ok: true; bundle: EvidenceBundle; notYetSigned: number } | { ok: false; problem: string };

/**
 * The bundle of one case: its chain up to the length the covering checkpoint signed (entries
 * added since wait for the next checkpoint, and are counted in `notYetSigned`), its raw SNS
 * notifications, that checkpoint as the log holds it (not the database's word for it) and the key.
 */
export async function exportEvidence(
  source: { find(caseId: string): Promise<CaseEvidence | undefined> },
  log: Pick<CheckpointLog, 'read' | 'readKey'>,
  caseId: string,
  now: Date,
): Promise<ExportResult> {
  const evidence = await source.find(caseId);
  if (!evidence) return { ok: false, problem: `case ${caseId} is not stored` };
  if (!evidence.checkpoint) {
    return { ok: false, problem: `case ${caseId} has no signed checkpoint yet: export it after the next checkpoint` };
  }
  const checkpoint = await log.read(evidence.checkpoint.seq);
  if (!checkpoint) {
    return { ok: false, problem: `checkpoint ${evidence.checkpoint.seq} is not in the evidence directory` };
  }
  const publicKey = await log.readKey(checkpoint.body.keyId);
  if (!publicKey)
    return { ok: false, problem: `the public key ${checkpoint.body.keyId} is not in the evidence directory` };
  const entries = evidence.chain.slice(0, evidence.checkpoint.length);
  return {
    ok: true,
    notYetSigned: evidence.chain.length - entries.length,
    bundle: {
      format: BUNDLE_FORMAT,
      caseId,
      exportedAt: now.toISOString(),
      ...(evidence.salt !== undefined ? { salt: evidence.salt } : {}),
      entries,
      notifications: evidence.notifications.map((n) => ({ ...n })),
      checkpoint,
      publicKey,
    },
  };
}
