import fs from 'node:fs';
import path from 'node:path';

import { kafkaAnswers } from './kafka-server';
import { mongoPing } from './ferretdb-server';
import { isPortOpen } from './ports';
import { groupIsAlive, pidIsAlive, signalGroup, waitForGroupExit } from './process';
import { sesAnswers } from './ses-server';
import { stopPostgres } from './postgres-server';

export const STATE_FILE = 'stack.json';

/** Contents of `<runDir>/stack.json`: what runs where, so `down`, `status` and humans can find it. */
export interface StackState {
  /** The process that started (and owns) the servers. */
  ownerPid: number;
  runDir: string;
  startedAt: string;
  endpoints: { kafkaBrokers: string; mongodbUri: string; sesEndpoint: string };
  versions: { kafka: string; postgres: string; ferretdb: string; mongodbWire?: string; sesLocal?: string };
  servers: {
    kafka?: { pid?: number; port: number; controllerPort: number; dir: string };
    postgres?: { pid: number; port: number; dataDir: string; binDir: string; root: string; rootIsTemporary: boolean };
    ferretdb?: { pid: number; port: number };
    ses?: { pid: number; port: number };
  };
  /** Set by `up`: where `stop kafka` / `start kafka` send their request. */
  controlUrl?: string;
}

export function writeStackState(runDir: string, state: StackState): void {
  const file = path.join(runDir, STATE_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

export function readStackState(runDir: string): StackState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, STATE_FILE), 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

export function removeStackState(runDir: string): void {
  fs.rmSync(path.join(runDir, STATE_FILE), { force: true });
}

/** True when /proc says `pid` runs a command line containing `needle` (guards against pid reuse). */
function runs(pid: number | undefined, needle: string): pid is number {
  if (pid === undefined || !pidIsAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
  } catch {
    return true; // no /proc: trust the pid
  }
}

async function terminateGroup(pid: number, timeoutMs: number): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  if (!(await waitForGroupExit(pid, timeoutMs))) {
    signalGroup(pid, 'SIGKILL');
    await waitForGroupExit(pid, 5_000);
  }
}

/**
 * Stops everything a state file lists: first asks the owner to shut down cleanly, then stops
 * whatever is left (a crashed or SIGKILLed owner leaves its detached servers running).
 */
export async function stopFromState(state: StackState, log: (line: string) => void): Promise<void> {
  if (state.ownerPid !== process.pid && pidIsAlive(state.ownerPid)) {
    log(`asking the owner (pid ${state.ownerPid}) to stop the stack …`);
    process.kill(state.ownerPid, 'SIGTERM');
    const deadline = Date.now() + 90_000;
    while (pidIsAlive(state.ownerPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  }
  const { kafka, postgres, ferretdb, ses } = state.servers;
  const jobs: Array<Promise<void>> = [];
  if (runs(kafka?.pid, 'kafka.Kafka')) {
    log(`stopping kafka (pid ${kafka.pid})`);
    jobs.push(terminateGroup(kafka.pid, 30_000));
  }
  if (runs(ses?.pid, 'aws-ses-v2-local')) {
    log(`stopping ses (pid ${ses.pid})`);
    jobs.push(terminateGroup(ses.pid, 5_000));
  }
  const ferretThenPostgres = async (): Promise<void> => {
    if (runs(ferretdb?.pid, 'ferretdb')) {
      log(`stopping ferretdb (pid ${ferretdb.pid})`);
      await terminateGroup(ferretdb.pid, 10_000);
    }
    if (
      postgres !== undefined &&
      (groupIsAlive(postgres.pid) || fs.existsSync(path.join(postgres.dataDir, 'postmaster.pid')))
    ) {
      log(`stopping postgresql (pid ${postgres.pid})`);
      await stopPostgres(postgres);
    } else if (postgres?.rootIsTemporary) {
      fs.rmSync(postgres.root, { recursive: true, force: true });
    }
  };
  jobs.push(ferretThenPostgres());
  await Promise.all(jobs);
  removeStackState(state.runDir);
}

export interface ServerHealth {
  name: string;
  address: string;
  up: boolean;
  detail: string;
}

/** Asks each server in the state file whether it answers. */
export async function checkStack(state: StackState): Promise<ServerHealth[]> {
  const { kafka, postgres, ferretdb, ses } = state.servers;
  const probe = async (name: string, address: string, check: () => Promise<string>): Promise<ServerHealth> => {
    try {
      return { name, address, up: true, detail: await check() };
    } catch (error) {
      return {
        name,
        address,
        up: false,
        detail: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error),
      };
    }
  };
  const checks: Array<Promise<ServerHealth>> = [];
  if (kafka) {
    checks.push(
      probe('kafka', state.endpoints.kafkaBrokers, async () => {
        if (!(await kafkaAnswers(state.endpoints.kafkaBrokers, 2000))) throw new Error('no controller in metadata');
        return `Kafka ${state.versions.kafka}, metadata answered`;
      }),
    );
  }
  if (postgres) {
    checks.push(
      probe('postgresql', `127.0.0.1:${postgres.port}`, async () => {
        if (!(await isPortOpen(postgres.port))) throw new Error('port closed');
        return `PostgreSQL ${state.versions.postgres}, port open`;
      }),
    );
  }
  if (ferretdb) {
    checks.push(
      probe('ferretdb', state.endpoints.mongodbUri, async () => {
        const answer = await mongoPing(state.endpoints.mongodbUri, 2000);
        return `FerretDB ${state.versions.ferretdb}, ping ok (MongoDB ${answer.version})`;
      }),
    );
  }
  if (ses) {
    checks.push(
      probe('ses', state.endpoints.sesEndpoint, async () => {
        if (!(await sesAnswers(state.endpoints.sesEndpoint))) throw new Error('/health-check not OK');
        return 'aws-ses-v2-local, /health-check ok';
      }),
    );
  }
  return Promise.all(checks);
}
