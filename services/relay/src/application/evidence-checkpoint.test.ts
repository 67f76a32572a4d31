import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointDirectory, CheckpointExistsError } from '../adapters/evidence/checkpoint-directory';
import {
  checkpointHash,
  checkpointSignatureValid,
  keyIdOf,
  type CheckpointedCase,
} from '../domain/evidence/checkpoint';
import { writeCheckpoints, type ChainHeads, type CheckpointLog } from './evidence-checkpoint';

const signingKey = generateKeyPairSync('ed25519').privateKey;
const clock = { now: () => new Date('2026-03-02T10:00:00Z') };
const head = (c: string) => c.repeat(64);

/** Case chains in memory: `grow` is a case write, `markCheckpointed` guarded by the head like the store's. */
function memoryHeads() {
  const cases = new Map<string, CheckpointedCase & { pending: boolean; signedBy?: number }>();
  const heads: ChainHeads & { grow(caseId: string, h: string): void; cases: typeof cases } = {
    cases,
    grow(caseId, h) {
      const length = (cases.get(caseId)?.length ?? 0) + 1;
      cases.set(caseId, { caseId, length, head: h, pending: true });
    },
    async pendingHeads(limit) {
      return [...cases.values()]
        .filter((c) => c.pending)
        .slice(0, limit)
        .map(({ caseId, length, head: h }) => ({ caseId, length, head: h }));
    },
    async markCheckpointed(signed, seq) {
      const stored = cases.get(signed.caseId);
      if (stored?.head === signed.head) Object.assign(stored, { pending: false, signedBy: seq });
    },
  };
  return heads;
}

describe('Evidence checkpoints', () => {
  it('When chains grew, then one signed checkpoint lists their heads, chained to the previous one, and they are marked', async () => {
    const log = new CheckpointDirectory(mkdtempSync(join(tmpdir(), 'checkpoints-')));
    const heads = memoryHeads();
    heads.grow('case-b', head('b'));
    heads.grow('case-a', head('a'));
    const [first] = await writeCheckpoints({ heads, log, signingKey, clock });
    expect(first!.body).toMatchObject({
      seq: 1,
      previous: null,
      keyId: keyIdOf(signingKey),
      cases: [
        { caseId: 'case-a', length: 1, head: head('a') },
        { caseId: 'case-b', length: 1, head: head('b') },
      ],
    });
    expect(checkpointSignatureValid(first!, signingKey)).toBe(true);
    expect(heads.cases.get('case-a')).toMatchObject({ pending: false, signedBy: 1 });

    // Nothing grew: nothing written.
    expect(await writeCheckpoints({ heads, log, signingKey, clock })).toEqual([]);

    heads.grow('case-a', head('c'));
    const [second] = await writeCheckpoints({ heads, log, signingKey, clock });
    expect(second!.body).toMatchObject({
      seq: 2,
      previous: checkpointHash(first!.body),
      cases: [{ caseId: 'case-a', length: 2 }],
    });
    expect(await log.latest()).toEqual(second);
    expect(await log.read(1)).toEqual(first);
  });

  it('When more chains grew than one checkpoint lists, then several checkpoints are written in one run', async () => {
    const log = new CheckpointDirectory(mkdtempSync(join(tmpdir(), 'checkpoints-')));
    const heads = memoryHeads();
    for (const c of ['a', 'b', 'c', 'd', 'e']) heads.grow(`case-${c}`, head(c));
    const written = await writeCheckpoints({ heads, log, signingKey, clock, maxCasesPerCheckpoint: 2 });
    expect(written.map((w) => [w.body.seq, w.body.cases.length])).toEqual([
      [1, 2],
      [2, 2],
      [3, 1],
    ]);
  });

  it('When the log refuses the checkpoint (another instance wrote that number), then no case is marked', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'checkpoints-'));
    const heads = memoryHeads();
    heads.grow('case-a', head('a'));
    // Another instance, with its own view of the directory, wrote checkpoint 1 first.
    const other = memoryHeads();
    other.grow('case-z', head('f'));
    const mine = new CheckpointDirectory(directory);
    await writeCheckpoints({ heads: other, log: new CheckpointDirectory(directory), signingKey, clock });
    // This instance read the directory before that write: it believes no checkpoint exists yet.
    const staleView: CheckpointLog = {
      latest: async () => undefined,
      append: (checkpoint) => mine.append(checkpoint),
      read: (seq) => mine.read(seq),
      publishKey: (keyId, pem) => mine.publishKey(keyId, pem),
      readKey: (keyId) => mine.readKey(keyId),
    };
    await expect(writeCheckpoints({ heads, log: staleView, signingKey, clock })).rejects.toBeInstanceOf(
      CheckpointExistsError,
    );
    expect(heads.cases.get('case-a')).toMatchObject({ pending: true });
    // The next run follows the numbers up and signs the case in checkpoint 2.
    const [next] = await writeCheckpoints({ heads, log: mine, signingKey, clock });
    expect(next!.body.seq).toBe(2);
  });

  it('When a checkpoint file exists, then it is read-only and never overwritten', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'checkpoints-'));
    const heads = memoryHeads();
    heads.grow('case-a', head('a'));
    const log = new CheckpointDirectory(directory);
    const [first] = await writeCheckpoints({ heads, log, signingKey, clock });
    const file = join(directory, 'checkpoint-000000000001.json');
    expect(statSync(file).mode & 0o777).toBe(0o444);
    await expect(log.append({ ...first!, signature: 'forged' })).rejects.toBeInstanceOf(CheckpointExistsError);
    expect(await log.read(1)).toEqual(first);
  });
});
