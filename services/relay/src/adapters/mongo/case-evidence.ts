import { Schema, type Connection } from 'mongoose';
import { extendAuditChain, newCaseSalt, type AuditChainEntry } from '../../domain/case/audit-chain';
import type { ChainHeads } from '../../application/evidence-checkpoint';
import type { CaseEvidence } from '../../application/export-evidence';
import type { ForwardingCase, MailEvidence } from '../../domain/case';
import type { CheckpointedCase } from '../../domain/evidence/checkpoint';

/**
 * The evidence fields of a case document, beside `data` (docs/evidence.md). The case repository
 * computes them on every write from the audit lines the write stores, so the domain stays unaware
 * of the chain and no write can store an audit line without chaining it.
 */
export interface CaseEvidenceFields {
  /** The case's salt for pseudonyms in the chain; deleting it (retention) leaves the chain intact. */
  evidenceSalt: string;
  auditChain: AuditChainEntry[];
  auditChainLength: number;
  /** The last entry's hash: the checkpointer marks a case done only while its head is still this. */
  auditChainHead: string;
  /** True while the chain has entries no checkpoint has signed yet. */
  auditChainPending: boolean;
  /** The latest checkpoint that signed this case's chain, and the length and head it signed. */
  evidenceCheckpoint?: { seq: number } & Omit<CheckpointedCase, 'caseId'>;
}

/** The evidence fields of the cases schema; spread into it. */
export const caseEvidenceSchemaFields = {
  evidenceSalt: String,
  auditChain: { type: Schema.Types.Mixed, default: (): AuditChainEntry[] => [] },
  auditChainLength: { type: Number, default: 0 },
  auditChainHead: { type: String, default: '' },
  // The checkpointer's query, `{ auditChainPending: true }`, is served by this index (an equality:
  // FerretDB v1 pushes only those down).
  auditChainPending: { type: Boolean, default: false, index: true },
  evidenceCheckpoint: Schema.Types.Mixed,
};

/** What an update must read of the stored document to extend its chain. */
export const CASE_EVIDENCE_PROJECTION = { evidenceSalt: 1, auditChain: 1 } as const;

/** The evidence fields of a new case: a fresh salt and its audit lines chained. */
export function evidenceFieldsOnCreate(forwardingCase: ForwardingCase): CaseEvidenceFields {
  return chained(forwardingCase, newCaseSalt(), []);
}

/**
 * The evidence fields to set beside an update: the stored chain extended by the audit lines it
 * does not cover yet (a case stored before the chain existed gets its salt and chain now).
 */
export function evidenceFieldsOnUpdate(
  stored: Partial<Pick<CaseEvidenceFields, 'evidenceSalt' | 'auditChain'>>,
  next: ForwardingCase,
): Partial<CaseEvidenceFields> {
  const chain = stored.auditChain ?? [];
  // A chained case without a salt was minimised (retention): nothing new to chain, nothing to re-salt.
  if ((stored.evidenceSalt !== undefined || chain.length > 0) && chain.length >= next.audit.length) return {};
  return chained(next, stored.evidenceSalt ?? newCaseSalt(), chain);
}

function chained(forwardingCase: ForwardingCase, salt: string, chain: readonly AuditChainEntry[]): CaseEvidenceFields {
  const added = extendAuditChain(forwardingCase.caseId, chain, forwardingCase.audit, salt, forwardingCase.evidence);
  const auditChain = [...chain, ...added];
  return {
    evidenceSalt: salt,
    auditChain,
    auditChainLength: auditChain.length,
    auditChainHead: auditChain.at(-1)?.hash ?? '',
    auditChainPending: added.length > 0,
  };
}

interface EvidenceDocument extends Partial<CaseEvidenceFields> {
  _id: string;
  data?: { evidence?: MailEvidence[] };
}

/** The checkpointer's and the export's view of the cases collection (its evidence fields only). */
export class MongoCaseEvidenceRepository implements ChainHeads {
  constructor(private readonly connection: Connection) {}

  private get cases() {
    return this.connection.collection<EvidenceDocument>('cases');
  }

  /** Up to `limit` cases whose chain grew since it was last signed, with their length and head. */
  async pendingHeads(limit: number): Promise<CheckpointedCase[]> {
    const documents = await this.cases
      .find({ auditChainPending: true }, { projection: { auditChainLength: 1, auditChainHead: 1 }, limit })
      .toArray();
    return documents
      .filter((d) => (d.auditChainLength ?? 0) > 0)
      .map((d) => ({ caseId: d._id, length: d.auditChainLength!, head: d.auditChainHead! }));
  }

  /** Checkpoint `seq` signed this head; a case whose chain grew meanwhile stays pending for the next. */
  async markCheckpointed(signed: CheckpointedCase, seq: number): Promise<void> {
    await this.cases.updateOne(
      { _id: signed.caseId, auditChainHead: signed.head },
      {
        $set: {
          auditChainPending: false,
          evidenceCheckpoint: { seq, length: signed.length, head: signed.head },
        },
      },
    );
  }

  async find(caseId: string): Promise<CaseEvidence | undefined> {
    const document = await this.cases.findOne(
      { _id: caseId },
      { projection: { evidenceSalt: 1, auditChain: 1, evidenceCheckpoint: 1, 'data.evidence': 1 } },
    );
    if (!document) return undefined;
    return {
      caseId,
      ...(document.evidenceSalt !== undefined ? { salt: document.evidenceSalt } : {}),
      chain: document.auditChain ?? [],
      notifications: document.data?.evidence ?? [],
      ...(document.evidenceCheckpoint ? { checkpoint: document.evidenceCheckpoint } : {}),
    };
  }
}
