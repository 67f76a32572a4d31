import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { seconds } from './process';

/**
 * Where fetched jars and built binaries live: `$PRIVACY_RELAY_CACHE`, else
 * `~/.cache/privacy-relay`. Outside the repo on purpose, so a second clone on the same machine
 * (CI's fresh clone, a colleague's worktree) reuses it.
 */
export function cacheRoot(): string {
  const fromEnv = process.env.PRIVACY_RELAY_CACHE;
  return fromEnv !== undefined && fromEnv !== ''
    ? path.resolve(fromEnv)
    : path.join(os.homedir(), '.cache', 'privacy-relay');
}

/** The infra package directory (one level above both src/ and dist/). */
export const INFRA_DIR = path.resolve(__dirname, '..');

/** The repository root (the workspace root above infra/). */
export const REPO_ROOT = path.resolve(INFRA_DIR, '..');

export function sha256(...parts: Array<string | Buffer>): string {
  const hash = crypto.createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

const STAMP_FILE = '.complete';

export interface CachedArtifact {
  /** Final directory, e.g. `<cache>/kafka-4.4.0`. */
  dir: string;
  /** What was built from: a different stamp means rebuild (e.g. the hash of the pom). */
  stamp: string;
  /** For the log: "Kafka 4.4.0 jars from Maven Central". */
  what: string;
  log: (line: string) => void;
  /** Fills `workDir`; it becomes `dir` only when this resolves (renamed atomically). */
  build: (workDir: string) => Promise<void>;
}

export function isCached(dir: string, stamp: string): boolean {
  try {
    return fs.readFileSync(path.join(dir, STAMP_FILE), 'utf8') === stamp;
  } catch {
    return false;
  }
}

/**
 * Builds an artifact once per machine. The work happens in a private temporary directory that is
 * renamed into place at the end, so an interrupted build leaves nothing half-made, and two runs
 * that build at the same time both succeed (the loser throws its copy away).
 */
export async function ensureCached(artifact: CachedArtifact): Promise<string> {
  const { dir, stamp, what, log } = artifact;
  if (isCached(dir, stamp)) return dir;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const workDir = `${dir}.tmp-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  fs.mkdirSync(workDir, { recursive: true });
  const started = Date.now();
  log(`[cache] ${what}: one-time step, into ${dir} …`);
  try {
    await artifact.build(workDir);
    fs.writeFileSync(path.join(workDir, STAMP_FILE), stamp);
    if (isCached(dir, stamp)) {
      log(`[cache] ${what}: another run finished first; using its copy`);
      return dir;
    }
    if (fs.existsSync(dir)) {
      const stale = `${dir}.stale-${process.pid}`;
      fs.renameSync(dir, stale);
      fs.rmSync(stale, { recursive: true, force: true });
    }
    fs.renameSync(workDir, dir);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  log(`[cache] ${what}: done in ${seconds(Date.now() - started)}`);
  return dir;
}
