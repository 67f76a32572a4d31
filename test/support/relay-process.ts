import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/** The repository's root, from here or from the compiled copy under test/dist. */
function repositoryRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'services', 'relay', 'package.json'))) return dir;
  }
  throw new Error(`no repository root above ${from}`);
}

const serviceMain = (service: 'relay' | 'intake') =>
  join(repositoryRoot(__dirname), 'services', service, 'dist', 'main.js');

export interface RelayProcess {
  readonly pid: number;
  /** Resolves once the relay said it started (its consumers run); rejects if it exited first. */
  readonly ready: Promise<void>;
  /** Resolves with how the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Its log lines (JSON, one per line), as they came. */
  readonly logLines: string[];
  kill(signal: NodeJS.Signals): void;
}

/**
 * The built relay (services/relay/dist/main.js, `npx tsc -b` first) as a real child process,
 * started the way the launcher starts it: with an IPC channel, on which it says `ready` once its
 * consumers run (and whose end would stop it, should this process go away).
 */
export function startRelayProcess(env: Record<string, string>, onLine?: (line: string) => void): RelayProcess {
  return startServiceProcess('relay', env, onLine);
}

/** Either built service as a child process, as {@link startRelayProcess} starts the relay. */
export function startServiceProcess(
  service: 'relay' | 'intake',
  env: Record<string, string>,
  onLine?: (line: string) => void,
): RelayProcess {
  const main = serviceMain(service);
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -b)`);
  const child: ChildProcess = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH ?? '', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const logLines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      logLines.push(line);
      onLine?.(line);
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message: { type?: unknown }) => {
      if (message?.type === 'ready') resolve();
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`${service} exited before it was ready (code ${String(code)}, signal ${String(signal)})`)),
    );
  });
  // A caller that only awaits `exited` must not see an unhandled rejection.
  ready.catch(() => undefined);
  return {
    pid: child.pid ?? 0,
    ready,
    exited,
    logLines,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
