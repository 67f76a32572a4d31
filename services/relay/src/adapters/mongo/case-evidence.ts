import { isDuplicateKeyError } from '@privacy-relay/shared/mongo';
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
  // Read as a guard beside `_id` only: the checkpointer finds the pending cases in their lists
  // (`evidence_pending`, MongoEvidencePendingLists), by `_id`.
  auditChainPending: { type: Boolean, default: false },
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

interface PendingListDocument {
  _id: string;
  /** `pending:<n>`: the cases listed in generation n; closed once a checkpoint run took it. */
  closed?: boolean;
  caseIds?: string[];
  /** `generation`: the generation writers add to. */
  gen?: number;
  /** `done`: every generation up to this one was signed and emptied. */
  doneThrough?: number;
}

const GENERATION_ID = 'generation';
const DONE_ID = 'done';
const pendingListId = (gen: number): string => `pending:${gen}`;
/** Attempts at a write racing with others (a list closed or created meanwhile). */
const MAX_RACES = 8;

/**
 * The cases whose audit chain grew since a checkpoint signed it, found by `_id` (docs/evidence.md):
 * FerretDB v1 reads the whole `cases` table for `{ auditChainPending: true }`. A case write that
 * adds chain entries first lists the case in the current generation's list (`pending:<n>`); a
 * checkpoint run closes the lists up to the current generation (moving writers on to the next)
 * before it reads them, so an id added after the close goes to a later list and nothing is missed.
 * After the run has signed and marked their cases, the lists are emptied but kept closed (a writer
 * still holding their generation is refused and moves on).
 */
export class MongoEvidencePendingLists {
  constructor(private readonly connection: Connection) {}

  private get lists() {
    return this.connection.collection<PendingListDocument>('evidence_pending');
  }

  /** Lists the case as having chain entries no checkpoint signed yet: before the write that adds them. */
  async add(caseId: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_RACES; attempt += 1) {
      const gen = (await this.lists.findOne({ _id: GENERATION_ID }))?.gen ?? 0;
      const listId = pendingListId(gen);
      const added = await this.lists.updateOne({ _id: listId, closed: false }, { $addToSet: { caseIds: caseId } });
      if (added.matchedCount === 1) return;
      try {
        await this.lists.insertOne({ _id: listId, closed: false, caseIds: [caseId] });
        return;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      // Closed by a checkpoint run: the generation has moved on; read it again.
    }
    throw new Error('listing a case for the next evidence checkpoint: too many concurrent checkpoints');
  }

  /**
   * Closes every list not signed yet, up to the current generation, and resolves with the case ids
   * they hold (`first`: no run ever finished here). Writers go to the next generation from now on.
   */
  async take(): Promise<{ through: number; caseIds: string[]; first: boolean }> {
    const done = await this.lists.findOne({ _id: DONE_ID });
    const current = (await this.lists.findOne({ _id: GENERATION_ID }))?.gen ?? 0;
    const from = (done?.doneThrough ?? -1) + 1;
    await this.moveGeneration(current, current + 1);
    const caseIds = new Set<string>();
    for (let gen = from; gen <= current; gen += 1) {
      for (const caseId of await this.close(pendingListId(gen))) caseIds.add(caseId);
    }
    return { through: current, caseIds: [...caseIds], first: done === null };
  }

  /** The cases of every list up to `through` were signed and marked: the lists are emptied (kept closed). */
  async settle(through: number): Promise<void> {
    const done = (await this.lists.findOne({ _id: DONE_ID }))?.doneThrough ?? -1;
    for (let gen = done + 1; gen <= through; gen += 1) {
      await this.lists.updateOne({ _id: pendingListId(gen), closed: true }, { $set: { caseIds: [] } });
    }
    const moved = await this.lists.updateOne(
      { _id: DONE_ID, doneThrough: { $lt: through } },
      { $set: { doneThrough: through } },
    );
    if (moved.matchedCount === 0) {
      try {
        await this.lists.insertOne({ _id: DONE_ID, doneThrough: through });
      } catch (error) {
        // There already, at or past `through` (another instance settled as far): nothing to do.
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
  }

  private async moveGeneration(from: number, to: number): Promise<void> {
    const moved = await this.lists.updateOne({ _id: GENERATION_ID, gen: from }, { $set: { gen: to } });
    if (moved.matchedCount === 1) return;
    try {
      await this.lists.insertOne({ _id: GENERATION_ID, gen: to });
    } catch (error) {
      // Moved by another run meanwhile: writers are past `from` either way.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /** Closes the list (creating it closed when absent, so no late writer can open it) and resolves with its ids. */
  private async close(listId: string): Promise<string[]> {
    for (let attempt = 0; attempt < MAX_RACES; attempt += 1) {
      const list = await this.lists.findOneAndUpdate(
        { _id: listId },
        { $set: { closed: true } },
        { returnDocument: 'after' },
      );
      if (list) return list.caseIds ?? [];
      try {
        await this.lists.insertOne({ _id: listId, closed: true, caseIds: [] });
        return [];
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
    throw new Error('closing an evidence pending list: too many concurrent writers');
  }
}

/** The checkpointer's and the export's view of the cases collection (its evidence fields only). */
export class MongoCaseEvidenceRepository implements ChainHeads {
  private readonly pendingLists: MongoEvidencePendingLists;
  /** The lists this checkpoint run took, and how far through their ids it has gone. */
  private run: { through: number; caseIds: string[]; next: number } | undefined;

  constructor(private readonly connection: Connection) {
    this.pendingLists = new MongoEvidencePendingLists(connection);
  }

  private get cases() {
    return this.connection.collection<EvidenceDocument>('cases');
  }

  startRun(): void {
    this.run = undefined;
  }

  /**
   * Up to `limit` cases whose chain grew since it was last signed, with their length and head: the
   * ids of the lists taken for this run, each read by `_id` (a listed case signed meanwhile is skipped).
   */
  async pendingHeads(limit: number): Promise<CheckpointedCase[]> {
    if (!this.run) {
      const taken = await this.pendingLists.take();
      const caseIds = new Set(taken.caseIds);
      if (taken.first) {
        // Cases whose chain grew before the lists existed: found once by field (a scan on FerretDB v1).
        const unlisted = await this.cases.find({ auditChainPending: true }, { projection: { _id: 1 } }).toArray();
        for (const document of unlisted) caseIds.add(document._id);
      }
      this.run = { through: taken.through, caseIds: [...caseIds], next: 0 };
    }
    const heads: CheckpointedCase[] = [];
    const run = this.run;
    while (heads.length < limit && run.next < run.caseIds.length) {
      const caseId = run.caseIds[run.next]!;
      run.next += 1;
      const document = await this.cases.findOne(
        { _id: caseId },
        { projection: { auditChainPending: 1, auditChainLength: 1, auditChainHead: 1 } },
      );
      if (document?.auditChainPending && (document.auditChainLength ?? 0) > 0) {
        heads.push({ caseId, length: document.auditChainLength!, head: document.auditChainHead! });
      }
    }
    return heads;
  }

  async settle(): Promise<void> {
    if (this.run) await this.pendingLists.settle(this.run.through);
    this.run = undefined;
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
