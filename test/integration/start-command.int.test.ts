import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePort, testNamespace } from '../support/test-env';

// The README's start command, as a user runs it: `up --services` starts real servers and both
// services; SIGTERM (what Ctrl-C and process managers send) must leave no process behind.
// It starts a second stack of its own, so it needs the local stack's Java, PostgreSQL and Go.
const describeLocal = process.env.TEST_STACK_SOURCE === 'local' ? describe : describe.skip;
const root = join(__dirname, '..', '..');
const cli = join(root, 'infra', 'dist', 'cli.js');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process below `pid` right now (ps), however deep. */
function descendantsOf(pid: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const [child, ppid] of rows) {
      if (ppid === parent) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

describeLocal('The start command (npm start = infra cli `up --services`)', () => {
  let runDir: string;
  let up: ChildProcess | undefined;
  let output = '';

  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (npm test runs tsc -b before jest)`);
    runDir = mkdtempSync(join(tmpdir(), 'privacy-relay-up-'));
  });

  afterAll(() => {
    if (up?.pid && alive(up.pid)) up.kill('SIGKILL');
    rmSync(runDir, { recursive: true, force: true });
  });

  it('When started, then servers and both services answer; when sent SIGTERM, then no process is left', async () => {
    const ports = await Promise.all(Array.from({ length: 7 }, freePort));
    const [kafka, controller, postgres, ferretdb, ses, intakePort, relayPort] = ports as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    // The stack's own endpoints must be used, not the test stack's from the environment.
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ['KAFKA_BROKERS', 'MONGODB_URI', 'SES_ENDPOINT', 'KAFKA_TOPIC_PREFIX']) delete env[name];
    Object.assign(env, {
      STACK_KAFKA_PORT: String(kafka),
      STACK_KAFKA_CONTROLLER_PORT: String(controller),
      STACK_POSTGRES_PORT: String(postgres),
      STACK_FERRETDB_PORT: String(ferretdb),
      STACK_SES_PORT: String(ses),
      INTAKE_PORT: String(intakePort),
      INTAKE_ADMIN_PORT: '0',
      RELAY_PORT: String(relayPort),
      LOG_LEVEL: 'warn',
    });
    const child = spawn(process.execPath, [cli, 'up', '--services', '--run-dir', runDir], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    up = child;
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));

    const ready = async (port: number) => {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      return response?.status === 200 ? true : undefined;
    };
    try {
      await eventually(() => ready(intakePort), 120_000, 'intake /readyz 200');
      await eventually(() => ready(relayPort), 60_000, 'relay /readyz 200');
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- up output ---\n${output.slice(-4000)}`);
    }
    expect((await fetch(`http://127.0.0.1:${intakePort}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${relayPort}/healthz`)).status).toBe(200);
    // The launcher sets the development operator: its token is known, the API is closed without it.
    const triage = `http://127.0.0.1:${relayPort}/triage/00000000-0000-4000-8000-000000000000`;
    expect((await fetch(triage)).status).toBe(401);
    expect((await fetch(triage, { headers: { authorization: 'Bearer dev-operator-token' } })).status).toBe(404);

    const state = JSON.parse(readFileSync(join(runDir, 'stack.json'), 'utf8')) as {
      servers: Record<string, { pid?: number } | undefined>;
    };
    const serverPids = Object.values(state.servers).flatMap((server) => (server?.pid ? [server.pid] : []));
    const tracked = [...new Set([...descendantsOf(child.pid ?? -1), ...serverPids])];
    expect(serverPids.length).toBeGreaterThanOrEqual(4);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await exited;
    expect(code).toBe(0);
    const survivors = await eventually(
      async () => {
        const left = tracked.filter(alive);
        return left.length === 0 ? left : undefined;
      },
      20_000,
      'every process of the stack to end',
    ).catch(() => tracked.filter(alive));
    expect(survivors).toEqual([]);
  });
});

// The launcher's own duties, against the servers the tests already use (`up --services --no-stack`):
// a service that cannot start stops the launch, and a launcher that dies takes its services along.
describe('The start command with the test servers (`up --services --no-stack`)', () => {
  const launchers: ChildProcess[] = [];

  afterAll(() => {
    for (const launcher of launchers) if (launcher.pid && alive(launcher.pid)) launcher.kill('SIGKILL');
  });

  /** The environment of one launch: the test servers, a namespace of its own, free ports. */
  async function launchEnv(overrides: Record<string, string> = {}): Promise<{
    env: NodeJS.ProcessEnv;
    intakePort: number;
    relayPort: number;
  }> {
    const ns = testNamespace('startcmd');
    const [intakePort, relayPort, smtpPort, adminPort] = (await Promise.all(Array.from({ length: 4 }, freePort))) as [
      number,
      number,
      number,
      number,
    ];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LOG_LEVEL: 'warn',
      KAFKA_TOPIC_PREFIX: ns.topicPrefix,
      INTAKE_MONGODB_DATABASE: `${ns.dbName}_intake`,
      RELAY_MONGODB_DATABASE: `${ns.dbName}_relay`,
      INTAKE_KAFKA_GROUP_ID: `${ns.groupId}-intake`,
      RELAY_KAFKA_GROUP_ID: `${ns.groupId}-relay`,
      INTAKE_HOST: '127.0.0.1',
      RELAY_HOST: '127.0.0.1',
      INTAKE_SMTP_HOST: '127.0.0.1',
      INTAKE_PORT: String(intakePort),
      RELAY_PORT: String(relayPort),
      INTAKE_SMTP_PORT: String(smtpPort),
      INTAKE_ADMIN_HOST: '127.0.0.1',
      INTAKE_ADMIN_PORT: String(adminPort),
      ...overrides,
    };
    return { env, intakePort, relayPort };
  }

  function launch(env: NodeJS.ProcessEnv): {
    child: ChildProcess;
    output: () => string;
    exited: Promise<number | null>;
  } {
    let output = '';
    const child = spawn(process.execPath, [cli, 'up', '--services', '--no-stack'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launchers.push(child);
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: () => output, exited };
  }

  it('When a service cannot start (a bad configuration value), then the launcher says which and why and exits non-zero', async () => {
    const { env } = await launchEnv({ INTAKE_RATE_LIMIT_PER_IP_PER_MINUTE: 'lots' });
    const { output, exited } = launch(env);
    const code = await exited;
    expect(output()).toMatch(/intake could not start/);
    expect(output()).toContain('INTAKE_RATE_LIMIT_PER_IP_PER_MINUTE');
    expect(output()).not.toMatch(/^ready\./m);
    expect(code).not.toBe(0);
  });

  it('When the launcher is killed with SIGKILL, then its services exit', async () => {
    const { env, intakePort, relayPort } = await launchEnv();
    const { child, output } = launch(env);
    const ready = async (port: number) => {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      return response?.status === 200 ? true : undefined;
    };
    try {
      await eventually(() => ready(intakePort), 60_000, 'intake /readyz 200');
      await eventually(() => ready(relayPort), 60_000, 'relay /readyz 200');
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- up output ---\n${output().slice(-4000)}`);
    }
    const services = descendantsOf(child.pid ?? -1);
    expect(services.length).toBeGreaterThanOrEqual(2);

    child.kill('SIGKILL');
    const survivors = await eventually(
      async () => {
        const left = services.filter(alive);
        return left.length === 0 ? left : undefined;
      },
      30_000,
      'the services to exit',
    ).catch(() => services.filter(alive));
    expect(survivors).toEqual([]);
  });
});
