import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { guardOnExit } from './exit-guard';
import { runCommand, seconds, ServerStartError, signalGroup, waitForGroupExit } from './process';

const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * The newest `/usr/lib/postgresql/<major>/bin` that has initdb. Installs the Debian package when
 * none is there and we are root (the machine's own cluster, if apt starts one, is not used).
 */
export async function findPostgresBin(log: (line: string) => void): Promise<string> {
  const found = newestPostgresBin();
  if (found !== undefined) return found;
  if (!isRoot()) {
    throw new Error(
      `PostgreSQL server binaries not found under ${DEBIAN_POSTGRES_ROOT}; install them: sudo apt-get install -y postgresql`,
    );
  }
  const started = Date.now();
  log('[cache] PostgreSQL not installed: apt-get install -y postgresql …');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await runCommand('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { env });
  } catch {
    await runCommand('apt-get', ['update'], { env });
    await runCommand('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { env });
  }
  log(`[cache] PostgreSQL installed in ${seconds(Date.now() - started)}`);
  const installed = newestPostgresBin();
  if (installed === undefined)
    throw new Error(`apt-get installed postgresql but no ${DEBIAN_POSTGRES_ROOT}/*/bin/initdb appeared`);
  return installed;
}

function newestPostgresBin(): string | undefined {
  let majors: string[];
  try {
    majors = fs.readdirSync(DEBIAN_POSTGRES_ROOT).filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  return majors
    .sort((a, b) => Number(b) - Number(a))
    .map((major) => path.join(DEBIAN_POSTGRES_ROOT, major, 'bin'))
    .find((bin) => fs.existsSync(path.join(bin, 'initdb')));
}

/** initdb, pg_ctl and postgres refuse to run as root: as root they run as the `postgres` user. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

async function runAsServerUser(command: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const [cmd, cmdArgs] = asServerUser(command, args);
  return (await runCommand(cmd, cmdArgs, { timeoutMs })).stdout;
}

export interface PostgresServerOptions {
  /** Preferred parent of the cluster; used only if the postgres user can reach it (see below). */
  dir: string;
  port: number;
  log: (line: string) => void;
  databases?: string[];
}

export interface PostgresServer {
  readonly port: number;
  /** e.g. "15.14". */
  readonly version: string;
  /** The directory holding data/, postgres.log and the Unix socket. */
  readonly root: string;
  readonly dataDir: string;
  readonly binDir: string;
  /** True when `root` is a private temporary directory that `stop()` deletes. */
  readonly rootIsTemporary: boolean;
  readonly logFile: string;
  /** The postmaster's pid (also its process group: pg_ctl starts it with setsid); a restart changes it. */
  readonly pid: number;
  url(database: string): string;
  stop(): Promise<void>;
  /**
   * Stops the server (fast shutdown: clients are disconnected), waits `downMs`, and starts it
   * again on the same port and data; resolves once it accepts connections (a fault to test against).
   */
  restart(downMs?: number): Promise<void>;
}

/** A private throw-away PostgreSQL cluster (trust auth, 127.0.0.1 only). */
export async function startPostgres(opts: PostgresServerOptions): Promise<PostgresServer> {
  const started = Date.now();
  const binDir = await findPostgresBin(opts.log);
  const root = await chooseClusterRoot(path.resolve(opts.dir));
  const dataDir = path.join(root.dir, 'data');
  const logFile = path.join(root.dir, 'postgres.log');
  const bin = (name: string): string => path.join(binDir, name);
  const version =
    /PostgreSQL\)\s+(\S+)/.exec((await runCommand(bin('postgres'), ['--version'])).stdout)?.[1] ?? 'unknown';

  await runAsServerUser(bin('initdb'), [
    '-D',
    dataDir,
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]).catch((error: Error) => {
    throw new Error(`initdb in ${dataDir} failed: ${error.message}`);
  });
  // Unix socket paths are limited to ~107 bytes; without a short directory, use TCP only.
  const socketDir = root.dir.length < 80 ? root.dir : '';
  const serverOptions = [
    `-p ${opts.port}`,
    `-k '${socketDir}'`,
    '-c listen_addresses=127.0.0.1',
    // A test cluster is thrown away after the run: durability buys nothing and costs fsyncs.
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
  ].join(' ');
  const pgCtlStart = async (): Promise<void> => {
    try {
      await runAsServerUser(
        bin('pg_ctl'),
        ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverOptions, 'start'],
        90_000,
      );
    } catch (error) {
      throw new ServerStartError(
        `PostgreSQL ${version} on 127.0.0.1:${opts.port}`,
        (error as Error).message.split('\n')[0] ?? '',
        [logFile],
      );
    }
  };
  await pgCtlStart();
  let pid = readPostmasterPid(dataDir);
  // SIGINT is PostgreSQL's "fast shutdown"; the postmaster then stops its children.
  let release = guardOnExit(pid, 'SIGINT');
  const server: PostgresServer = {
    port: opts.port,
    version,
    root: root.dir,
    dataDir,
    binDir,
    rootIsTemporary: root.temporary,
    logFile,
    get pid() {
      return pid;
    },
    url: (database) => `postgres://postgres@127.0.0.1:${opts.port}/${database}`,
    stop: async () => {
      await stopPostgres({ binDir, dataDir, pid, root: root.dir, rootIsTemporary: root.temporary });
      release();
    },
    restart: async (downMs = 0) => {
      // Keeps the data (and the root, even a temporary one): only the server goes away.
      await stopPostgres({ binDir, dataDir, pid, root: root.dir, rootIsTemporary: false });
      release();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await pgCtlStart();
      pid = readPostmasterPid(dataDir);
      release = guardOnExit(pid, 'SIGINT');
    },
  };
  try {
    for (const database of opts.databases ?? []) {
      await runCommand(bin('createdb'), ['-h', '127.0.0.1', '-p', String(opts.port), '-U', 'postgres', database]);
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
  opts.log(`postgresql ${version} ready on 127.0.0.1:${opts.port} (${seconds(Date.now() - started)})`);
  return server;
}

function readPostmasterPid(dataDir: string): number {
  const firstLine = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '';
  const pid = Number(firstLine.trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`unexpected postmaster.pid in ${dataDir}`);
  return pid;
}

/**
 * As root the cluster belongs to `postgres`, which must be able to walk down to it. A run dir
 * under a home or a repo often is not reachable (e.g. /root is 0700), so then the cluster goes to
 * a private directory under os.tmpdir() instead.
 */
async function chooseClusterRoot(preferred: string): Promise<{ dir: string; temporary: boolean }> {
  if (!isRoot()) {
    fs.mkdirSync(preferred, { recursive: true });
    return { dir: preferred, temporary: false };
  }
  const { uid, gid } = await postgresIds();
  const parent = path.dirname(preferred);
  fs.mkdirSync(parent, { recursive: true });
  let dir = preferred;
  let temporary = false;
  const reachable = await runCommand('runuser', ['-u', 'postgres', '--', 'test', '-x', parent]).then(
    () => true,
    () => false,
  );
  if (!reachable) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'privacy-relay-pg-'));
    temporary = true;
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.chownSync(dir, uid, gid);
  fs.chmodSync(dir, 0o700);
  return { dir, temporary };
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const uid = Number((await runCommand('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await runCommand('id', ['-g', 'postgres'])).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid))
    throw new Error('no "postgres" user on this machine (is the postgresql package installed?)');
  return { uid, gid };
}

export interface PostgresStopTarget {
  binDir: string;
  dataDir: string;
  pid: number;
  root: string;
  rootIsTemporary: boolean;
}

/** `pg_ctl stop -m fast`; if that fails, SIGQUIT (immediate shutdown) and SIGKILL to the group. */
export async function stopPostgres(target: PostgresStopTarget): Promise<void> {
  if (fs.existsSync(path.join(target.dataDir, 'postmaster.pid'))) {
    await runAsServerUser(
      path.join(target.binDir, 'pg_ctl'),
      ['-D', target.dataDir, '-m', 'fast', '-w', '-t', '30', 'stop'],
      45_000,
    ).catch(() => undefined);
  }
  if (!(await waitForGroupExit(target.pid, 1_000))) {
    signalGroup(target.pid, 'SIGQUIT');
    if (!(await waitForGroupExit(target.pid, 5_000))) {
      signalGroup(target.pid, 'SIGKILL');
      await waitForGroupExit(target.pid, 5_000);
    }
  }
  if (target.rootIsTemporary) fs.rmSync(target.root, { recursive: true, force: true });
}
