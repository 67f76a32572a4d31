#!/usr/bin/env node
/**
 * The local stack from a terminal: `node infra/dist/cli.js <command>` (see `--help`).
 * `up` owns every process it starts; `stop kafka` / `start kafka` ask it to act through a small
 * HTTP control endpoint on 127.0.0.1 that it records in stack.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';

import { Kafka, logLevel } from 'kafkajs';

import { REPO_ROOT } from './cache';
import { guardOnExit } from './exit-guard';
import { type LocalStack, prepareLocalStack, type StackPorts, startLocalStack } from './local-stack';
import { groupIsAlive, pidIsAlive, seconds, signalGroup, waitAtMost, waitForGroupExit } from './process';
import { checkStack, readStackState, type StackState, stopFromState } from './stack-state';

const HELP = `Usage: node infra/dist/cli.js <command> [options]
       npm run stack -- <command> [options]

Real Kafka (KRaft), PostgreSQL + FerretDB (MongoDB wire protocol) and aws-ses-v2-local on this
machine, without Docker. Jars and the FerretDB binary are fetched/built once per machine into
$PRIVACY_RELAY_CACHE (default ~/.cache/privacy-relay).

Commands:
  prepare            Warm the cache: fetch the Kafka jars (mvn), build FerretDB (go). Starts nothing.
  up [--services]    Start the stack in the foreground (Ctrl-C stops everything). Run dir:
                     <repo>/.run/stack, wiped at each start; logs and stack.json are there.
                     --services also runs services/intake and services/relay (build them first:
                     npx tsc -b), with KAFKA_BROKERS, MONGODB_URI, SES_ENDPOINT pointing at the
                     stack unless already set in the environment.
  up --services --no-stack
                     Only the services, against the servers that KAFKA_BROKERS, MONGODB_URI and
                     SES_ENDPOINT name (all three must be set; e.g. docker compose's, or a shared one).
  down               Stop whatever .run/stack/stack.json lists (after a crashed or killed \`up\`).
  stop kafka         Stop the broker of the running \`up\` (to watch readiness go 503).
  start kafka        Start it again on the same port and data dir.
  status             Show which servers of the running stack answer (exit 1 if any does not).

Options:
  --run-dir <dir>    Use another run dir than <repo>/.run/stack.
  -h, --help         This text.

Ports of \`up\` (environment):
  STACK_KAFKA_PORT (9092)  STACK_KAFKA_CONTROLLER_PORT (9093)  STACK_POSTGRES_PORT (55432)
  STACK_FERRETDB_PORT (27017)  STACK_SES_PORT (8005)
Services read INTAKE_PORT (3000) and RELAY_PORT (3001) themselves.
`;

const SERVICES = ['intake', 'relay'] as const;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) fail(`${name}=${raw} is not a TCP port`);
  return port;
}

function fixedPorts(): StackPorts {
  return {
    kafka: portFromEnv('STACK_KAFKA_PORT', 9092),
    kafkaController: portFromEnv('STACK_KAFKA_CONTROLLER_PORT', 9093),
    postgres: portFromEnv('STACK_POSTGRES_PORT', 55432),
    ferretdb: portFromEnv('STACK_FERRETDB_PORT', 27017),
    ses: portFromEnv('STACK_SES_PORT', 8005),
  };
}

interface Args {
  command: string[];
  services: boolean;
  noStack: boolean;
  runDir: string;
  help: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    command: [],
    services: false,
    noStack: false,
    runDir: path.join(REPO_ROOT, '.run', 'stack'),
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-h' || arg === '--help' || arg === 'help') args.help = true;
    else if (arg === '--services') args.services = true;
    else if (arg === '--no-stack') args.noStack = true;
    else if (arg === '--run-dir') {
      const value = argv[++i];
      if (value === undefined) fail('--run-dir needs a directory');
      args.runDir = path.resolve(value);
    } else if (arg.startsWith('-')) fail(`unknown option ${arg}\n\n${HELP}`);
    else args.command.push(arg);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const [command, target] = args.command;
  if (args.help || command === undefined) {
    process.stdout.write(HELP);
    return;
  }
  switch (command) {
    case 'prepare':
      await prepareLocalStack((line) => say(line));
      return;
    case 'up':
      await up(args);
      return;
    case 'down':
      await down(args.runDir);
      return;
    case 'stop':
    case 'start':
      if (target !== 'kafka') fail(`only "${command} kafka" is supported`);
      await controlKafka(args.runDir, command);
      return;
    case 'status':
      process.exitCode = await status(args.runDir);
      return;
    default:
      fail(`unknown command "${command}"\n\n${HELP}`);
  }
}

/* ---------------------------------------------------------------- up */

interface RunningService {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
  /** Resolves with undefined once the service says it has started, or with why it could not. */
  started: Promise<string | undefined>;
  stopping: boolean;
}

/** How long a service may take to start (connect to Kafka and the database, listen). */
const SERVICE_START_TIMEOUT_MS = 120_000;

async function up(args: Args): Promise<void> {
  const runDir = args.runDir;
  if (args.noStack) {
    if (!args.services) fail('--no-stack starts only the services: use it with --services');
    const missing = ['KAFKA_BROKERS', 'MONGODB_URI', 'SES_ENDPOINT'].filter((name) => !process.env[name]);
    if (missing.length > 0) fail(`--no-stack needs ${missing.join(', ')} in the environment`);
  } else {
    const previous = readStackState(runDir);
    if (previous !== undefined && pidIsAlive(previous.ownerPid) && previous.ownerPid !== process.pid) {
      fail(
        `a stack is already running (pid ${previous.ownerPid}, ${path.join(runDir, 'stack.json')}); stop it with Ctrl-C there, or: node infra/dist/cli.js down`,
      );
    }
    if (previous !== undefined) {
      say('cleaning up after a previous run that did not stop cleanly …');
      await stopFromState(previous, say);
    }
  }
  if (args.services) {
    for (const name of SERVICES) {
      const main = serviceMain(name);
      if (!fs.existsSync(main))
        fail(`${path.relative(REPO_ROOT, main)} not found: build first (npx tsc -b; \`npm start\` does both)`);
    }
  }

  let stack: LocalStack | undefined;
  const services: RunningService[] = [];
  let shuttingDown: Promise<void> | undefined;
  let control: ControlServer | undefined;
  let startup: Promise<LocalStack> | undefined;
  if (!args.noStack) {
    fs.rmSync(runDir, { recursive: true, force: true });
    fs.mkdirSync(runDir, { recursive: true });
    control = await startControlServer(() => stack);
    startup = startLocalStack({
      runDir,
      ports: fixedPorts(),
      log: (line) => say(`[stack] ${line}`),
      state: { controlUrl: control.url },
      onUnexpectedExit: (server, info) => {
        if (shuttingDown) return;
        const how = info.signal ? `was killed by ${info.signal}` : `exited with code ${String(info.code)}`;
        say(
          `[stack] ${server} ${how} unexpectedly; its log is in ${runDir}. The rest keeps running (Ctrl-C stops all).`,
        );
      },
    });
  }

  const shutdown = async (reason: string): Promise<void> => {
    say(`\n[up] ${reason}: stopping services${startup ? ', then servers' : ''} …`);
    const started = Date.now();
    for (const service of services) service.stopping = true;
    await Promise.all(services.map((service) => stopService(service)));
    control?.close();
    const running = await startup?.catch(() => undefined);
    const pgids = running ? livePgids(runDir) : [];
    await running?.stop();
    const left = pgids.filter((pgid) => groupIsAlive(pgid));
    if (left.length > 0) {
      say(`[up] processes left in groups ${left.join(', ')}; killing them`);
      for (const pgid of left) signalGroup(pgid, 'SIGKILL');
    }
    say(`[up] stopped in ${seconds(Date.now() - started)}; no ${startup ? 'server ' : ''}process left.`);
  };
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      say(`[up] ${signal} again: still stopping (a third one kills everything at once)`);
      if (signals > 2) {
        for (const pgid of [...(startup ? livePgids(runDir) : []), ...services.map((s) => s.child.pid ?? 0)])
          signalGroup(pgid, 'SIGKILL');
        process.exit(130);
      }
      return;
    }
    shuttingDown ??= shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`[up] stopping failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  if (startup) {
    try {
      stack = await startup;
    } catch (error) {
      control?.close();
      fail(error instanceof Error ? error.message : String(error));
    }
    if (shuttingDown) return;

    say('');
    say(`Kafka ${stack.versions.kafka} (KRaft)       KAFKA_BROKERS=${stack.kafkaBrokers}`);
    say(
      `FerretDB ${stack.versions.ferretdb} on PostgreSQL ${stack.versions.postgres} (MongoDB ${stack.versions.mongodbWire ?? '?'} wire)  MONGODB_URI=${stack.mongodbUri}`,
    );
    say(`aws-ses-v2-local                SES_ENDPOINT=${stack.sesEndpoint}  (mailbox: ${stack.sesEndpoint}/)`);
    say(`logs and stack.json in ${runDir}`);
  }

  if (args.services) {
    if (stack) await ensureTopicsIfAvailable(stack.kafkaBrokers);
    const env = serviceEnv(stack);
    for (const name of SERVICES) services.push(startService(name, env, () => shuttingDown !== undefined));
    const failures = (
      await Promise.all(
        services.map(async (service) => {
          const why = await service.started;
          if (why !== undefined) say(`[up] ${service.name} could not start: ${why}`);
          return why;
        }),
      )
    ).filter((why) => why !== undefined);
    if (shuttingDown) return;
    if (failures.length > 0) {
      shuttingDown = shutdown('a service could not start').then(
        () => process.exit(1),
        () => process.exit(1),
      );
      return;
    }
    say(`services: intake http://127.0.0.1:${env.INTAKE_PORT}  relay http://127.0.0.1:${env.RELAY_PORT}`);
    say(
      `mail a request: curl smtp://127.0.0.1:${env.INTAKE_SMTP_PORT} --mail-from you@example.com --mail-rcpt ${env.INTAKE_PRIVACY_ADDRESSES?.split(',')[0] ?? 'privacy@privacy-relay.example'} --upload-file examples/request.eml`,
    );
  }
  say(
    stack
      ? 'ready. `node infra/dist/cli.js stop kafka` / `start kafka` / `status` from another terminal; Ctrl-C stops everything.'
      : 'ready. Ctrl-C stops the services.',
  );
}

function serviceMain(name: string): string {
  return path.join(REPO_ROOT, 'services', name, 'dist', 'main.js');
}

/** The stack's addresses (when it runs one) for the services; a variable already set by the user wins. */
function serviceEnv(stack: LocalStack | undefined): NodeJS.ProcessEnv {
  const defaults: NodeJS.ProcessEnv = {
    ...(stack && { KAFKA_BROKERS: stack.kafkaBrokers, MONGODB_URI: stack.mongodbUri, SES_ENDPOINT: stack.sesEndpoint }),
    AWS_REGION: 'eu-central-1',
    // Intake refuses to start without a link-signing secret; this one is for local runs only.
    INTAKE_LINK_SECRET: 'local-development-link-secret-not-for-production',
    // The relay refuses to start without a counterparty HMAC key; this one is for local runs only.
    RELAY_COUNTERPARTY_HMAC_KEY: 'local-development-counterparty-key-not-for-production',
    // The relay refuses to start without an admin-link signing secret; this one is for local runs only.
    RELAY_LINK_SECRET: 'local-development-relay-link-secret-not-for-production',
    // The platform's privacy team gets the ladder's escalations; a local address (the SES endpoint keeps the mail).
    RELAY_PLATFORM_PRIVACY_TEAM_EMAIL: 'privacy-team@platform.example',
    // The relay refuses to start without an evidence signing key (Ed25519); this one is for local runs only.
    RELAY_EVIDENCE_SIGNING_KEY: 'MC4CAQAwBQYDK2VwBCIEIPZkNJ9y2T0npG209CFIpYlzayPGa4a7Ui+JfsvjpgE1',
    RELAY_EVIDENCE_DIR: path.join(REPO_ROOT, '.run', 'evidence'),
    // Operator `dev-operator` with the bearer token `dev-operator-token` (only its hash is configured).
    RELAY_OPERATOR_TOKENS: `dev-operator:${createHash('sha256').update('dev-operator-token').digest('hex')}`,
    // Console users `dev-operator` / `dev-operator-password` and `dev-viewer` / `dev-viewer-password` (scrypt hashes).
    RELAY_CONSOLE_USERS:
      'dev-operator:operator:scrypt$17$8$1$9pF2iRh4q0IwX5QFyscEHw$Olej_k-gTsqFOuD383SY0BXULtE9v5L2qcvxgDXcNUI,dev-viewer:viewer:scrypt$17$8$1$0epDRYSASaBJK-8wKO81tA$cYyGn82LOH_7vfNRtQxH7tdwIqXBSOh6CcCUDbS_69g',
    // Every channel: the SMTP listener too.
    INTAKE_SMTP_ENABLED: 'true',
    INTAKE_PORT: '3000',
    RELAY_PORT: '3001',
    INTAKE_SMTP_PORT: '2525',
  };
  // The local SES endpoint accepts any credentials; give the SDK some unless the user chose any.
  if (process.env.AWS_ACCESS_KEY_ID === undefined && process.env.AWS_PROFILE === undefined) {
    defaults.AWS_ACCESS_KEY_ID = 'local';
    defaults.AWS_SECRET_ACCESS_KEY = 'local';
  }
  return { ...defaults, ...process.env };
}

/** Creates the project's topics through shared/kafka when that module is built. */
async function ensureTopicsIfAvailable(kafkaBrokers: string): Promise<void> {
  let resolved: string;
  try {
    resolved = require.resolve('@privacy-relay/shared/kafka');
  } catch {
    say(
      '[up] topics: @privacy-relay/shared/kafka is not built yet; skipping (the services create their topics at start)',
    );
    return;
  }
  const kafkaModule = require(resolved) as { ensureTopics?: unknown };
  if (typeof kafkaModule.ensureTopics !== 'function') {
    say('[up] topics: @privacy-relay/shared/kafka exports no ensureTopics; skipping');
    return;
  }
  // shared/kafka's signature: ensureTopics(kafka: Kafka, options?) → names of the topics it created.
  const ensureTopics = kafkaModule.ensureTopics as (kafka: Kafka) => Promise<unknown>;
  const started = Date.now();
  const kafka = new Kafka({ clientId: 'privacy-relay-up', brokers: kafkaBrokers.split(','), logLevel: logLevel.WARN });
  const created = await ensureTopics(kafka);
  const count = Array.isArray(created) ? `${created.length} created` : 'done';
  say(`[up] topics ensured: ${count} (${seconds(Date.now() - started)})`);
}

function startService(name: string, env: NodeJS.ProcessEnv, isShuttingDown: () => boolean): RunningService {
  // Detached like the servers: Ctrl-C reaches only `up`, which stops services first, then servers.
  // The IPC channel says when the service has started, and its end tells the service that `up`
  // is gone, however it went (SIGKILL included): the service then stops itself.
  const child = spawn(process.execPath, [serviceMain(name)], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // A second net for a service too busy to notice: the watchdog of exit-guard.ts signals its group.
  const release = child.pid === undefined ? () => undefined : guardOnExit(child.pid, 'SIGTERM');
  const prefix = `${name.padEnd(6)} | `;
  let hasStarted = false;
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    readline.createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix}${line}\n`));
  }
  const service: RunningService = {
    name,
    child,
    stopping: false,
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        // An exit before the start is reported by `started`.
        if (hasStarted && !service.stopping && !isShuttingDown()) {
          const how = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
          say(`[up] service ${name} ${how} unexpectedly (the rest keeps running; Ctrl-C stops all)`);
        }
        release();
        resolve();
      });
      child.once('error', (error) => {
        say(`[up] service ${name} could not be started: ${error.message}`);
        release();
        resolve();
      });
    }),
    started: new Promise((resolve) => {
      const timer = setTimeout(
        () => resolve(`no sign of life within ${seconds(SERVICE_START_TIMEOUT_MS)}`),
        SERVICE_START_TIMEOUT_MS,
      );
      const settle = (why: string | undefined) => {
        clearTimeout(timer);
        resolve(why);
      };
      child.on('message', (message: { type?: unknown }) => {
        if (message?.type !== 'ready') return;
        hasStarted = true;
        settle(undefined);
      });
      child.once('exit', (code, signal) =>
        settle(`it ${signal ? `was killed by ${signal}` : `exited with code ${String(code)}`} (its output is above)`),
      );
      child.once('error', (error) => settle(error.message));
    }),
  };
  return service;
}

async function stopService(service: RunningService): Promise<void> {
  const pid = service.child.pid;
  if (pid === undefined || service.child.exitCode !== null || service.child.signalCode !== null) return;
  signalGroup(pid, 'SIGTERM');
  await waitAtMost(service.exited, 10_000);
  if (service.child.exitCode === null && service.child.signalCode === null) {
    say(`[up] service ${service.name} did not stop within 10 s; killing it`);
    signalGroup(pid, 'SIGKILL');
    await service.exited;
  }
  await waitForGroupExit(pid, 2_000);
}

/** Process groups of the servers recorded in stack.json (pg: the postmaster's). */
function livePgids(runDir: string): number[] {
  const state = readStackState(runDir);
  if (state === undefined) return [];
  const { kafka, postgres, ferretdb, ses } = state.servers;
  return [kafka?.pid, postgres?.pid, ferretdb?.pid, ses?.pid].filter(
    (pid): pid is number => pid !== undefined && groupIsAlive(pid),
  );
}

interface ControlServer {
  url: string;
  close(): void;
}

/** POST /kafka/stop, POST /kafka/start on 127.0.0.1: how `stop kafka` reaches the running `up`. */
async function startControlServer(getStack: () => LocalStack | undefined): Promise<ControlServer> {
  let busy = false;
  const server = http.createServer((request, response) => {
    const reply = (code: number, body: object): void => {
      response.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const stack = getStack();
    const action = request.method === 'POST' ? /^\/kafka\/(stop|start)$/.exec(request.url ?? '')?.[1] : undefined;
    if (action === undefined) return reply(404, { error: 'POST /kafka/stop or /kafka/start' });
    if (stack === undefined) return reply(409, { error: 'the stack is still starting' });
    if (busy) return reply(409, { error: 'another kafka stop/start is in progress' });
    busy = true;
    const started = Date.now();
    say(`[up] ${action} kafka requested`);
    (action === 'stop' ? stack.stopKafka() : stack.startKafka()).then(
      () => {
        busy = false;
        say(
          `[up] kafka ${action === 'stop' ? 'stopped' : `started on ${stack.kafkaBrokers}`} (${seconds(Date.now() - started)})`,
        );
        reply(200, { ok: true, kafkaBrokers: stack.kafkaBrokers, ms: Date.now() - started });
      },
      (error: unknown) => {
        busy = false;
        const message = error instanceof Error ? error.message : String(error);
        say(`[up] kafka ${action} failed: ${message}`);
        reply(500, { error: message });
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('control server has no port');
  return { url: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}

/* ------------------------------------------------- down, stop/start kafka, status */

function requireState(runDir: string): StackState {
  const state = readStackState(runDir);
  if (state === undefined) fail(`no stack state in ${path.join(runDir, 'stack.json')} (is \`up\` running?)`);
  return state;
}

async function down(runDir: string): Promise<void> {
  const state = readStackState(runDir);
  if (state === undefined) {
    say(`nothing to stop: no ${path.join(runDir, 'stack.json')}`);
    return;
  }
  const started = Date.now();
  const pgids = [
    state.servers.kafka?.pid,
    state.servers.postgres?.pid,
    state.servers.ferretdb?.pid,
    state.servers.ses?.pid,
  ].filter((pid): pid is number => pid !== undefined);
  await stopFromState(state, say);
  const left = pgids.filter((pgid) => groupIsAlive(pgid));
  if (left.length > 0) fail(`processes still running in groups ${left.join(', ')}`);
  say(`stopped in ${seconds(Date.now() - started)}`);
}

async function controlKafka(runDir: string, action: 'stop' | 'start'): Promise<void> {
  const state = requireState(runDir);
  if (state.controlUrl === undefined || !pidIsAlive(state.ownerPid)) {
    fail(
      `the stack in ${runDir} has no running \`up\` (owner pid ${state.ownerPid}); start one with: node infra/dist/cli.js up`,
    );
  }
  const started = Date.now();
  const response = await fetch(`${state.controlUrl}/kafka/${action}`, {
    method: 'POST',
    signal: AbortSignal.timeout(180_000),
  });
  const body = (await response.json()) as { error?: string; kafkaBrokers?: string };
  if (!response.ok) fail(`kafka ${action} failed: ${body.error ?? response.status}`);
  say(
    `kafka ${action === 'stop' ? 'stopped' : `started on ${body.kafkaBrokers ?? '?'}`} in ${seconds(Date.now() - started)}`,
  );
}

async function status(runDir: string): Promise<number> {
  const state = requireState(runDir);
  const owner = pidIsAlive(state.ownerPid)
    ? `running (pid ${state.ownerPid})`
    : `gone (pid ${state.ownerPid}; \`down\` cleans up)`;
  say(`stack in ${runDir}, started ${state.startedAt}, owner ${owner}`);
  const health = await checkStack(state);
  for (const server of health) {
    say(`  ${server.name.padEnd(11)} ${server.up ? 'up  ' : 'DOWN'}  ${server.address.padEnd(28)} ${server.detail}`);
  }
  return health.every((server) => server.up) ? 0 : 1;
}

main().catch((error: unknown) => {
  fail(error instanceof Error ? error.message : String(error));
});
