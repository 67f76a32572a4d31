import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { guardOnExit } from './exit-guard';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/** A long-running server child: own process group, output appended to one log file. */
export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the child is gone (never rejects). */
  readonly exited: Promise<ExitInfo>;
  hasExited(): boolean;
  /** SIGTERM (or the given signal) to the whole group, then SIGKILL after `timeoutMs`. */
  stop(opts?: { signal?: NodeJS.Signals; timeoutMs?: number }): Promise<void>;
}

export interface SpawnServerOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a server detached in its own process group, so that stopping it reaches every process it
 * forked, and so that a Ctrl-C in the terminal reaches only the parent, which then stops servers in
 * order. The child is unref'd: a parent that forgets to stop it still exits (see `exit-guard.ts`).
 */
export function spawnServer(opts: SpawnServerOptions): ServerProcess {
  const fd = fs.openSync(opts.logFile, 'a');
  let child;
  try {
    child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    fs.closeSync(fd);
  }
  child.unref();
  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    child.once('error', (error) => {
      exitInfo = { code: null, signal: null, error };
      resolve(exitInfo);
    });
  });
  const pid = child.pid;
  if (pid !== undefined) {
    // From the moment it exists, the server dies with this process (see exit-guard.ts).
    const release = guardOnExit(pid, 'SIGTERM');
    void exited.then(release);
  }
  if (pid === undefined) {
    // spawn failed synchronously (ENOENT and the like): 'error' follows on the next tick.
    return {
      name: opts.name,
      pid: -1,
      logFile: opts.logFile,
      exited,
      hasExited: () => true,
      stop: async () => {},
    };
  }
  return {
    name: opts.name,
    pid,
    logFile: opts.logFile,
    exited,
    hasExited: () => exitInfo !== undefined,
    stop: async ({ signal = 'SIGTERM', timeoutMs = 15_000 } = {}) => {
      await stopGroup(pid, exited, () => exitInfo !== undefined, signal, timeoutMs);
    },
  };
}

/**
 * Waits for `promise` at most `ms`; the timer is cleared either way, so a finished wait does not
 * keep the process alive (a plain race with timers/promises' sleep would, for the full `ms`).
 */
export async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function stopGroup(
  pid: number,
  exited: Promise<ExitInfo>,
  hasExited: () => boolean,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<void> {
  if (!hasExited()) {
    signalGroup(pid, signal);
    await waitAtMost(exited, timeoutMs);
    if (!hasExited()) {
      signalGroup(pid, 'SIGKILL');
      await waitAtMost(exited, 5_000);
    }
  }
  // The leader is gone; whatever it forked into the same group goes too.
  if (groupIsAlive(pid)) {
    await waitForGroupExit(pid, 2_000);
    signalGroup(pid, 'SIGKILL');
  }
}

/** Sends `signal` to the process group led by `pgid`; false when no such group exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  if (!(pgid > 1)) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function groupIsAlive(pgid: number): boolean {
  return signalGroup(pgid, 0);
}

export function pidIsAlive(pid: number): boolean {
  if (!(pid > 1)) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie still answers kill(pid, 0) until its parent reaps it.
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Polls until no process of the group is left; true when that happened within `timeoutMs`. */
export async function waitForGroupExit(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupIsAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** The last `lines` lines of a file ('' when it does not exist). */
export function tailFile(file: string, lines = 25): string {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    const length = Math.min(size, 32 * 1024);
    const buffer = Buffer.alloc(length);
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, buffer, 0, length, size - length);
    } finally {
      fs.closeSync(fd);
    }
    text = buffer.toString('utf8');
  } catch {
    return '';
  }
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Error for a server that did not come up, quoting the end of its logs. */
export class ServerStartError extends Error {
  constructor(what: string, reason: string, logFiles: string[]) {
    const tails = logFiles
      .map((file) => ({ file, tail: tailFile(file) }))
      .filter(({ tail }) => tail !== '')
      .map(({ file, tail }) => `--- last lines of ${file} ---\n${tail}`);
    super([`${what} did not start: ${reason}`, ...tails].join('\n'));
    this.name = 'ServerStartError';
  }
}

export function describeExit(info: ExitInfo): string {
  if (info.error) return `could not be started (${info.error.message})`;
  if (info.signal) return `was killed by ${info.signal}`;
  return `exited with code ${String(info.code)}`;
}

export interface WaitOptions {
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Fail fast when this child dies while we wait. */
  process?: ServerProcess;
  /** Quoted in the error. */
  logFiles: string[];
}

/** Polls `check` until it returns true; throws a ServerStartError on timeout or when the child dies. */
export async function waitUntilReady(check: () => Promise<boolean>, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  for (;;) {
    if (opts.process?.hasExited()) {
      const info = await opts.process.exited;
      throw new ServerStartError(opts.what, `the process ${describeExit(info)}`, opts.logFiles);
    }
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      const why = `not ready after ${Math.round(opts.timeoutMs / 1000)} s${lastError ? ` (last error: ${lastError})` : ''}`;
      throw new ServerStartError(opts.what, why, opts.logFiles);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion and captures its output; a non-zero exit throws an error that
 * quotes the command and the end of its output.
 */
export async function runCommand(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
          }, opts.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${command}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve({ stdout, stderr });
        return;
      }
      const output = `${stdout}\n${stderr}`.trim().split('\n').slice(-25).join('\n');
      const how = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
      reject(new Error(`${[command, ...args].join(' ')} ${how}${output ? `:\n${output}` : ''}`));
    });
  });
}

/** Milliseconds as "4.2 s". */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
