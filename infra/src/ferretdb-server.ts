import fs from 'node:fs';
import path from 'node:path';

import { MongoClient } from 'mongodb';

import { cacheRoot, ensureCached, INFRA_DIR, sha256 } from './cache';
import { runCommand, seconds, type ServerProcess, spawnServer, waitUntilReady } from './process';

/** The newest FerretDB v1 (v2 needs a patched PostgreSQL with the DocumentDB extension). */
export const FERRETDB_VERSION = 'v1.24.2';
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

/** Our patches to FerretDB (infra/ferretdb/*.patch), applied in name order before the build. */
const PATCH_DIR = path.join(INFRA_DIR, 'ferretdb');

function ferretdbPatches(): Array<{ name: string; file: string }> {
  return fs
    .readdirSync(PATCH_DIR)
    .filter((name) => name.endsWith('.patch'))
    .sort()
    .map((name) => ({ name: name.replace(/\.patch$/, ''), file: path.join(PATCH_DIR, name) }));
}

/**
 * The version we report: upstream version plus our patches, e.g. "v1.24.2+serialize-writes"
 * (FerretDB itself still says v1.24.2 in buildInfo).
 */
export function ferretdbBuildLabel(): string {
  return [FERRETDB_VERSION, ...ferretdbPatches().map((patch) => patch.name)].join('+');
}

/**
 * Builds FerretDB once per machine with the machine's Go, from the Go module proxy, with our
 * patches: `<cache>/ferretdb-v1.24.2/ferretdb`. About 70 s on 2 cores and ~640 MB of Go module
 * cache the first time; a changed patch rebuilds (seconds, thanks to Go's build cache).
 */
export async function ensureFerretdbBinary(log: (line: string) => void): Promise<string> {
  const patches = ferretdbPatches();
  const dir = await ensureCached({
    dir: path.join(cacheRoot(), `ferretdb-${FERRETDB_VERSION}`),
    stamp: [FERRETDB_VERSION, ...patches.map((patch) => `${patch.name}:${sha256(fs.readFileSync(patch.file))}`)].join(
      '\n',
    ),
    what: `FerretDB ${FERRETDB_VERSION} built with the machine's Go (go mod download, our patches, go build)`,
    log,
    build: async (workDir) => {
      let download: string;
      try {
        download = (await runCommand('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`]))
          .stdout;
      } catch (error) {
        throw new Error(
          `downloading FerretDB failed (needs Go ≥ 1.22 on PATH: apt-get install -y golang, or go.dev)\n${(error as Error).message}`,
        );
      }
      const moduleDir = (JSON.parse(download) as { Dir?: string }).Dir;
      if (moduleDir === undefined)
        throw new Error(`go mod download gave no Dir for ${FERRETDB_MODULE}@${FERRETDB_VERSION}`);
      const source = path.join(workDir, 'src');
      fs.cpSync(moduleDir, source, { recursive: true });
      // The module cache is read-only; the build writes the version file below into the copy.
      await runCommand('chmod', ['-R', 'u+w', source]);
      // Without it FerretDB panics at start-up (it is normally generated from git describe).
      fs.writeFileSync(path.join(source, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
      for (const patch of patches) {
        await runCommand('patch', ['-p1', '--forward', '--batch', '-d', source, '-i', patch.file]).catch(
          (error: Error) => {
            throw new Error(`applying ${patch.file} to FerretDB ${FERRETDB_VERSION} failed: ${error.message}`);
          },
        );
      }
      await runCommand('go', ['build', '-trimpath', '-o', path.join(workDir, 'ferretdb'), './cmd/ferretdb'], {
        cwd: source,
        env: { ...process.env, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
      });
      fs.rmSync(source, { recursive: true, force: true });
    },
  });
  return path.join(dir, 'ferretdb');
}

/**
 * Pings a MongoDB wire-protocol server; resolves the version its buildInfo reports
 * (FerretDB v1 says 7.0.x) or throws.
 */
export async function mongoPing(uri: string, timeoutMs = 2000): Promise<{ version: string; ferretdbVersion?: string }> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    directConnection: true,
  });
  try {
    await client.connect();
    const admin = client.db('admin');
    await admin.command({ ping: 1 });
    const info = await admin.command({ buildInfo: 1 });
    const version = typeof info.version === 'string' ? info.version : 'unknown';
    const ferretdbVersion = typeof info.ferretdbVersion === 'string' ? info.ferretdbVersion : undefined;
    return ferretdbVersion === undefined ? { version } : { version, ferretdbVersion };
  } finally {
    await client.close().catch(() => undefined);
  }
}

export interface FerretdbServerOptions {
  dir: string;
  port: number;
  postgresUrl: string;
  log: (line: string) => void;
}

export interface FerretdbServer {
  readonly port: number;
  readonly uri: string;
  readonly version: string;
  /** The MongoDB version FerretDB claims in buildInfo. */
  readonly mongodbWire: string;
  readonly process: ServerProcess;
  stop(): Promise<void>;
}

/** FerretDB on the PostgreSQL backend (never SQLite: it fails under concurrent updates). */
export async function startFerretdb(binary: string, opts: FerretdbServerOptions): Promise<FerretdbServer> {
  const started = Date.now();
  const dir = path.resolve(opts.dir);
  const stateDir = path.join(dir, 'state');
  fs.mkdirSync(stateDir, { recursive: true });
  const logFile = path.join(dir, 'ferretdb.log');
  const listenAddr = `127.0.0.1:${opts.port}`;
  const child = spawnServer({
    name: 'ferretdb',
    command: binary,
    args: [
      '--handler=postgresql',
      `--postgresql-url=${opts.postgresUrl}`,
      `--listen-addr=${listenAddr}`,
      `--state-dir=${stateDir}`,
      '--telemetry=disable',
      '--debug-addr=-',
      '--log-level=WARN',
    ],
    logFile,
    cwd: dir,
  });
  const uri = `mongodb://${listenAddr}/`;
  let mongodbWire = 'unknown';
  let reportedVersion: string | undefined;
  try {
    await waitUntilReady(
      async () => {
        const answer = await mongoPing(uri, 1000);
        mongodbWire = answer.version;
        reportedVersion = answer.ferretdbVersion;
        return true;
      },
      { what: `FerretDB ${FERRETDB_VERSION} on ${listenAddr}`, timeoutMs: 60_000, process: child, logFiles: [logFile] },
    );
  } catch (error) {
    await child.stop({ timeoutMs: 5_000 });
    throw error;
  }
  // buildInfo says v1.24.2; the label also names our patches.
  const version =
    reportedVersion === FERRETDB_VERSION || reportedVersion === undefined ? ferretdbBuildLabel() : reportedVersion;
  opts.log(
    `ferretdb ${version} (MongoDB ${mongodbWire} wire) ready on ${listenAddr} (${seconds(Date.now() - started)})`,
  );
  return {
    port: opts.port,
    uri,
    version,
    mongodbWire,
    process: child,
    stop: () => child.stop({ timeoutMs: 10_000 }),
  };
}
