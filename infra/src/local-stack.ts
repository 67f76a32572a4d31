import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ensureFerretdbBinary, type FerretdbServer, startFerretdb } from './ferretdb-server';
import { createKafkaServer, ensureKafkaJars, type KafkaServer } from './kafka-server';
import { assertPortFree, choosePort } from './ports';
import { type PostgresServer, startPostgres } from './postgres-server';
import { type ExitInfo, seconds, type ServerProcess } from './process';
import { type SesServer, startSes } from './ses-server';
import { removeStackState, type StackState, writeStackState } from './stack-state';

/** Where the three dependencies answer. A service left out with `only` has ''. */
export interface StackEndpoints {
  /** "127.0.0.1:port" (comma-separated list form, as KAFKA_BROKERS takes it). */
  kafkaBrokers: string;
  /** "mongodb://127.0.0.1:port/" — callers choose the database. */
  mongodbUri: string;
  /** "http://127.0.0.1:port" for the SES client's `endpoint`. */
  sesEndpoint: string;
}

export interface StackVersions {
  kafka: string;
  postgres: string;
  ferretdb: string;
  /** The MongoDB version FerretDB reports in buildInfo (e.g. 7.0.42). */
  mongodbWire?: string;
}

export interface LocalStack extends StackEndpoints {
  versions: StackVersions;
  runDir: string;
  /** Stops the broker, keeping its port and data dir (to test "Kafka down, then back"). */
  stopKafka(): Promise<void>;
  /** Starts the broker again on the same port and data dir; resolves when it answers. */
  startKafka(): Promise<void>;
  /** Stops PostgreSQL (fast shutdown), waits `downMs`, starts it again on the same port and data. */
  restartPostgres(downMs?: number): Promise<void>;
  /** Stops FerretDB, waits `downMs`, starts it again on the same port (PostgreSQL keeps running). */
  restartFerretdb(downMs?: number): Promise<void>;
  /** Stops every server (idempotent). */
  stop(): Promise<void>;
}

export type StackService = 'kafka' | 'mongodb' | 'ses';

export interface StackPorts {
  kafka: number;
  kafkaController: number;
  postgres: number;
  ferretdb: number;
  ses: number;
}

export interface StartLocalStackOptions {
  /** Default: a new directory under os.tmpdir(), deleted again by stop(). */
  runDir?: string;
  /** Fixed ports; each one left out is a free port picked now. */
  ports?: Partial<StackPorts>;
  /** Start only these (default all three; 'mongodb' is PostgreSQL + FerretDB). */
  only?: StackService[];
  /** Progress lines. One-time cache steps start with "[cache]". Default: stderr. */
  log?: (line: string) => void;
  /** Called when a server dies without being asked to (e.g. crash, or a kill from outside). */
  onUnexpectedExit?: (server: string, info: ExitInfo) => void;
  /** Extra fields for stack.json (the CLI records its control URL). */
  state?: Partial<Pick<StackState, 'controlUrl'>>;
}

const defaultLog = (line: string): void => {
  process.stderr.write(`[stack] ${line}\n`);
};

/** Fetches the Kafka jars and builds FerretDB if the cache lacks them (no server is started). */
export async function prepareLocalStack(log: (line: string) => void = defaultLog): Promise<void> {
  const started = Date.now();
  const [jars, ferretdb] = await Promise.all([ensureKafkaJars(log), ensureFerretdbBinary(log)]);
  log(
    `cache ready in ${seconds(Date.now() - started)}: Kafka ${jars.version} jars in ${jars.libs}, FerretDB in ${ferretdb}`,
  );
}

/**
 * Starts real Kafka (KRaft), PostgreSQL + FerretDB and aws-ses-v2-local as child processes of
 * this machine, in parallel, each in its own process group with its log in the run dir — no
 * Docker needed. Jars and the FerretDB binary come from the per-machine cache (built on first use).
 */
export async function startLocalStack(opts: StartLocalStackOptions = {}): Promise<LocalStack> {
  const log = opts.log ?? defaultLog;
  const started = Date.now();
  const only = new Set<StackService>(opts.only ?? ['kafka', 'mongodb', 'ses']);
  const ownsRunDir = opts.runDir === undefined;
  const runDir =
    opts.runDir === undefined
      ? fs.mkdtempSync(path.join(os.tmpdir(), 'privacy-relay-stack-'))
      : path.resolve(opts.runDir);
  fs.mkdirSync(runDir, { recursive: true });
  // mkdtemp makes it 0700; the PostgreSQL cluster inside belongs to the postgres user, which
  // must be able to enter it (else the cluster goes to a second temporary directory).
  if (ownsRunDir) fs.chmodSync(runDir, 0o755);

  const wanted = opts.ports ?? {};
  for (const [name, port] of Object.entries(wanted)) {
    if (port !== undefined) await assertPortFree(port, `${name} port`);
  }
  const taken = new Set<number>();
  const ports: StackPorts = {
    kafka: await choosePort(wanted.kafka, taken),
    kafkaController: await choosePort(wanted.kafkaController, taken),
    postgres: await choosePort(wanted.postgres, taken),
    ferretdb: await choosePort(wanted.ferretdb, taken),
    ses: await choosePort(wanted.ses, taken),
  };

  let kafka: KafkaServer | undefined;
  let postgres: PostgresServer | undefined;
  let ferretdb: FerretdbServer | undefined;
  let ses: SesServer | undefined;
  const expectedExits = new Set<ServerProcess>();
  /** Reports a server that dies without stop()/stopKafka() (they mark the exit as expected). */
  const watch = (name: string, child: ServerProcess): void => {
    void child.exited.then((info) => {
      if (!expectedExits.has(child)) opts.onUnexpectedExit?.(name, info);
    });
  };
  const expectExit = (child: ServerProcess | undefined): void => {
    if (child !== undefined) expectedExits.add(child);
  };

  const startKafkaChain = async (): Promise<void> => {
    kafka = await createKafkaServer({
      dir: path.join(runDir, 'kafka'),
      port: ports.kafka,
      controllerPort: ports.kafkaController,
      log,
    });
    await kafka.start();
    const child = kafka.current();
    if (child) watch('kafka', child);
  };
  let ferretdbBinary = '';
  const ferretdbOptions = (pg: PostgresServer) => ({
    dir: path.join(runDir, 'ferretdb'),
    port: ports.ferretdb,
    postgresUrl: pg.url('ferretdb'),
    log,
  });
  const startMongoChain = async (): Promise<void> => {
    const [binary, pg] = await Promise.all([
      ensureFerretdbBinary(log),
      startPostgres({ dir: path.join(runDir, 'postgres'), port: ports.postgres, databases: ['ferretdb'], log }).then(
        (server) => {
          postgres = server;
          return server;
        },
      ),
    ]);
    ferretdbBinary = binary;
    ferretdb = await startFerretdb(binary, ferretdbOptions(pg));
    watch('ferretdb', ferretdb.process);
  };
  const startSesChain = async (): Promise<void> => {
    ses = await startSes({ dir: path.join(runDir, 'ses'), port: ports.ses, log });
    watch('ses', ses.process);
  };

  const stateOf = (): StackState => {
    const child = kafka?.current();
    return {
      ownerPid: process.pid,
      runDir,
      startedAt: new Date(started).toISOString(),
      ...opts.state,
      endpoints: { kafkaBrokers: stack.kafkaBrokers, mongodbUri: stack.mongodbUri, sesEndpoint: stack.sesEndpoint },
      versions: { ...stack.versions, ...(ses ? { sesLocal: ses.version } : {}) },
      servers: {
        ...(kafka
          ? {
              kafka: {
                ...(child ? { pid: child.pid } : {}),
                port: kafka.port,
                controllerPort: kafka.controllerPort,
                dir: kafka.dir,
              },
            }
          : {}),
        ...(postgres
          ? {
              postgres: {
                pid: postgres.pid,
                port: postgres.port,
                dataDir: postgres.dataDir,
                binDir: postgres.binDir,
                root: postgres.root,
                rootIsTemporary: postgres.rootIsTemporary,
              },
            }
          : {}),
        ...(ferretdb ? { ferretdb: { pid: ferretdb.process.pid, port: ferretdb.port } } : {}),
        ...(ses ? { ses: { pid: ses.process.pid, port: ses.port } } : {}),
      },
    };
  };

  let stopping: Promise<void> | undefined;
  const stopAll = async (): Promise<void> => {
    expectExit(kafka?.current());
    if (ferretdb) expectExit(ferretdb.process);
    if (ses) expectExit(ses.process);
    await Promise.all([
      kafka?.stop(),
      ses?.stop(),
      (async () => {
        await ferretdb?.stop();
        await postgres?.stop();
      })(),
    ]);
    removeStackState(runDir);
    if (ownsRunDir) fs.rmSync(runDir, { recursive: true, force: true });
  };

  const stack: LocalStack = {
    kafkaBrokers: '',
    mongodbUri: '',
    sesEndpoint: '',
    versions: { kafka: '', postgres: '', ferretdb: '' },
    runDir,
    stopKafka: async () => {
      if (!kafka) throw new Error('this stack was started without kafka');
      expectExit(kafka.current());
      await kafka.stop();
      writeStackState(runDir, stateOf());
    },
    startKafka: async () => {
      if (!kafka) throw new Error('this stack was started without kafka');
      await kafka.start();
      const child = kafka.current();
      if (child) watch('kafka', child);
      writeStackState(runDir, stateOf());
    },
    restartPostgres: async (downMs) => {
      if (!postgres) throw new Error('this stack was started without mongodb');
      await postgres.restart(downMs);
      writeStackState(runDir, stateOf());
    },
    restartFerretdb: async (downMs) => {
      if (!ferretdb || !postgres) throw new Error('this stack was started without mongodb');
      expectExit(ferretdb.process);
      await ferretdb.stop();
      if (downMs !== undefined && downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      ferretdb = await startFerretdb(ferretdbBinary, ferretdbOptions(postgres));
      watch('ferretdb', ferretdb.process);
      writeStackState(runDir, stateOf());
    },
    stop: async () => {
      stopping ??= stopAll();
      return stopping;
    },
  };

  const chains: Array<Promise<void>> = [];
  if (only.has('kafka')) chains.push(startKafkaChain());
  if (only.has('mongodb')) chains.push(startMongoChain());
  if (only.has('ses')) chains.push(startSesChain());
  const results = await Promise.allSettled(chains);
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length > 0) {
    await stack.stop().catch(() => undefined);
    const messages = failures.map((failure) => (failure instanceof Error ? failure.message : String(failure)));
    const error = new Error(`the local stack did not start:\n${messages.join('\n\n')}`, { cause: failures[0] });
    throw error;
  }

  stack.kafkaBrokers = kafka?.brokers ?? '';
  stack.mongodbUri = ferretdb?.uri ?? '';
  stack.sesEndpoint = ses?.endpoint ?? '';
  stack.versions = {
    kafka: kafka?.version ?? '',
    postgres: postgres?.version ?? '',
    ferretdb: ferretdb?.version ?? '',
    ...(ferretdb ? { mongodbWire: ferretdb.mongodbWire } : {}),
  };
  writeStackState(runDir, stateOf());
  log(`stack ready in ${seconds(Date.now() - started)} (run dir ${runDir})`);
  return stack;
}

export interface LocalKafka {
  brokers: string;
  version: string;
  /** Stops the broker; its port and data stay, so start() brings the same broker back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the broker and deletes its directory (when it made it). */
  close(): Promise<void>;
}

/**
 * A standalone extra broker for tests that stop and start Kafka without disturbing others.
 * Resolves once it answers.
 */
export async function startLocalKafka(
  opts: {
    runDir?: string;
    port?: number;
    controllerPort?: number;
    log?: (line: string) => void;
  } = {},
): Promise<LocalKafka> {
  const log = opts.log ?? defaultLog;
  const ownsDir = opts.runDir === undefined;
  const dir =
    opts.runDir === undefined
      ? fs.mkdtempSync(path.join(os.tmpdir(), 'privacy-relay-kafka-'))
      : path.resolve(opts.runDir);
  const taken = new Set<number>();
  if (opts.port !== undefined) await assertPortFree(opts.port, 'kafka port');
  const port = await choosePort(opts.port, taken);
  const controllerPort = await choosePort(opts.controllerPort, taken);
  const kafka = await createKafkaServer({ dir, port, controllerPort, log });
  const start = (): Promise<void> => kafka.start();
  const stop = (): Promise<void> => kafka.stop();
  try {
    await start();
  } catch (error) {
    if (ownsDir) fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    brokers: kafka.brokers,
    version: kafka.version,
    stop,
    start,
    close: async () => {
      await stop();
      if (ownsDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
