import type { KeyObject } from 'node:crypto';
import {
  keyIdOf,
  nextCheckpointBody,
  signCheckpoint,
  type CheckpointedCase,
  type SignedCheckpoint,
} from '../domain/evidence/checkpoint';
import type { Clock } from './ports';

/**
 * Where signed checkpoints are kept, append-only and outside the database: a checkpoint number
 * is written once, by one writer; a second append of the same number is refused.
 */
export interface CheckpointLog {
  /** The checkpoint with the highest number, as far as the log holds one. */
  latest(): Promise<SignedCheckpoint | undefined>;
  read(seq: number): Promise<SignedCheckpoint | undefined>;
  /** Appends; rejects when that number exists already (another writer was first). */
  append(checkpoint: SignedCheckpoint): Promise<void>;
  /** Keeps the public key of `keyId` beside the checkpoints (never rewritten). */
  publishKey(keyId: string, pem: string): Promise<void>;
  readKey(keyId: string): Promise<string | undefined>;
}

/** The case chains a checkpoint signs: those that grew since their last checkpoint. */
export interface ChainHeads {
  /** Up to `limit` case chains with entries no checkpoint signed yet (an equality query). */
  pendingHeads(limit: number): Promise<CheckpointedCase[]>;
  /** Checkpoint `seq` signed this head (a chain that grew meanwhile stays pending). */
  markCheckpointed(signed: CheckpointedCase, seq: number): Promise<void>;
  /** A run begins: `pendingHeads` reads afresh (a store holding the run's pending lists drops them). */
  startRun?(): void;
  /** Every head `pendingHeads` gave this run is signed and marked: what listed them may go. */
  settle?(): Promise<void>;
}

export interface CheckpointDeps {
  heads: ChainHeads;
  log: CheckpointLog;
  signingKey: KeyObject;
  clock: Clock;
  /** Most cases one checkpoint lists (more pending: several checkpoints in one run). */
  maxCasesPerCheckpoint?: number;
}

/**
 * Signs a checkpoint of every case chain that grew since it was last signed, appends it to the
 * log and only then marks those cases signed: a crash in between leaves them pending, and the next
 * checkpoint signs them again (harmless). Writes nothing when no chain grew. Resolves with the
 * checkpoints written.
 */
export async function writeCheckpoints(deps: CheckpointDeps): Promise<SignedCheckpoint[]> {
  const limit = deps.maxCasesPerCheckpoint ?? 10_000;
  const keyId = keyIdOf(deps.signingKey);
  const written: SignedCheckpoint[] = [];
  deps.heads.startRun?.();
  for (;;) {
    const heads = await deps.heads.pendingHeads(limit);
    if (heads.length === 0) {
      await deps.heads.settle?.();
      return written;
    }
    const previous = await deps.log.latest();
    const checkpoint = signCheckpoint(
      nextCheckpointBody(previous?.body, heads, deps.clock.now(), keyId),
      deps.signingKey,
    );
    // Another instance writing the same number makes this reject: its checkpoint stands, ours is
    // dropped, and the cases it did not cover are signed by the next run.
    await deps.log.append(checkpoint);
    for (const head of heads) await deps.heads.markCheckpointed(head, checkpoint.body.seq);
    written.push(checkpoint);
    if (heads.length < limit) {
      await deps.heads.settle?.();
      return written;
    }
  }
}
