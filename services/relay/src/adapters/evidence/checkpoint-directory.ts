import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointLog } from '../../application/evidence-checkpoint';
import type { SignedCheckpoint } from '../../domain/evidence/checkpoint';

const NAME = /^checkpoint-(\d{12})\.json$/;

function checkpointFile(seq: number): string {
  return `checkpoint-${String(seq).padStart(12, '0')}.json`;
}

function keyFile(keyId: string): string {
  return `key-${keyId}.pem`;
}

/** Refused because a file of that name exists already (another instance wrote that checkpoint first). */
export class CheckpointExistsError extends Error {
  constructor(readonly seq: number) {
    super(`checkpoint ${seq} exists already`);
  }
}

/**
 * The signed checkpoints as files in a directory outside the database, one per checkpoint,
 * each created with O_CREAT|O_EXCL (never overwritten: a second writer of the same number fails),
 * flushed to disk, and left read-only. The public keys that signed them lie beside them, by key id.
 * Nothing here deletes or rewrites a file; docs/evidence.md says how to make the directory
 * append-only for the relay's own user too.
 */
export class CheckpointDirectory implements CheckpointLog {
  private latestSeen: SignedCheckpoint | undefined;
  private scanned = false;

  constructor(private readonly directory: string) {}

  /** Writes the public key beside the checkpoints unless there; a file of that key id is never rewritten. */
  async publishKey(keyId: string, pem: string): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    await this.writeOnce(keyFile(keyId), pem).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }

  async readKey(keyId: string): Promise<string | undefined> {
    return readFile(join(this.directory, keyFile(keyId)), 'utf8').catch(() => undefined);
  }

  async latest(): Promise<SignedCheckpoint | undefined> {
    if (!this.scanned) {
      const names = await readdir(this.directory).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [] as string[];
        throw error;
      });
      const highest = Math.max(0, ...names.map((n) => Number(NAME.exec(n)?.[1] ?? 0)));
      this.latestSeen = highest > 0 ? await this.read(highest) : undefined;
      this.scanned = true;
    }
    // Another instance may have written beyond what this one saw: follow the numbers up.
    for (;;) {
      const next = await this.read((this.latestSeen?.body.seq ?? 0) + 1);
      if (!next) return this.latestSeen;
      this.latestSeen = next;
    }
  }

  async read(seq: number): Promise<SignedCheckpoint | undefined> {
    try {
      return JSON.parse(await readFile(join(this.directory, checkpointFile(seq)), 'utf8')) as SignedCheckpoint;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async append(checkpoint: SignedCheckpoint): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    try {
      await this.writeOnce(checkpointFile(checkpoint.body.seq), JSON.stringify(checkpoint, null, 2) + '\n');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new CheckpointExistsError(checkpoint.body.seq);
      throw error;
    }
    this.latestSeen = checkpoint;
  }

  private async writeOnce(name: string, content: string): Promise<void> {
    // O_EXCL: the file is created by this call or the call fails; 0o444: read-only from the start.
    const file = await open(
      join(this.directory, name),
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
      0o444,
    );
    try {
      await file.writeFile(content, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    // The directory entry too, so a crash does not lose a checkpoint whose cases were marked.
    const directory = await open(this.directory, constants.O_RDONLY);
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}
