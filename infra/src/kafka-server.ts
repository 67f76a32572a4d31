import fs from 'node:fs';
import path from 'node:path';

import { Kafka, logLevel } from 'kafkajs';

import { cacheRoot, ensureCached, INFRA_DIR, sha256 } from './cache';
import { runCommand, seconds, type ServerProcess, spawnServer, waitUntilReady } from './process';

export const KAFKA_VERSION = '4.4.0';

const POM_FILE = path.join(INFRA_DIR, 'kafka', 'pom.xml');
const LOG4J_FILE = path.join(INFRA_DIR, 'kafka', 'log4j2.xml');

export interface KafkaJars {
  libs: string;
  version: string;
}

/** Fetches the broker's jars from Maven Central once per machine (`<cache>/kafka-4.4.0/libs`). */
export async function ensureKafkaJars(log: (line: string) => void): Promise<KafkaJars> {
  const pom = fs.readFileSync(POM_FILE);
  const dir = await ensureCached({
    dir: path.join(cacheRoot(), `kafka-${KAFKA_VERSION}`),
    stamp: sha256(pom),
    what: `Kafka ${KAFKA_VERSION} jars from Maven Central (mvn dependency:copy-dependencies)`,
    log,
    build: async (workDir) => {
      // Maven writes nothing into the repo: it reads a copy of the pom kept in the work dir.
      const pomCopy = path.join(workDir, 'pom.xml');
      fs.writeFileSync(pomCopy, pom);
      await runCommand(
        'mvn',
        [
          '-q',
          '-B',
          '-f',
          pomCopy,
          'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies',
          '-DincludeScope=runtime',
          `-DoutputDirectory=${path.join(workDir, 'libs')}`,
        ],
        { cwd: workDir },
      ).catch((error: Error) => {
        throw new Error(
          `fetching the Kafka jars failed (needs mvn and a JDK ≥ 17: apt-get install -y maven openjdk-17-jdk-headless)\n${error.message}`,
        );
      });
      fs.rmSync(pomCopy);
    },
  });
  const libs = path.join(dir, 'libs');
  return { libs, version: kafkaVersionIn(libs) };
}

/** The version of the kafka_2.13-X.jar actually present. */
function kafkaVersionIn(libs: string): string {
  for (const name of fs.readdirSync(libs)) {
    const match = /^kafka_2\.13-(\d+\.\d+\.\d+)\.jar$/.exec(name);
    if (match?.[1] !== undefined) return match[1];
  }
  throw new Error(`no kafka_2.13-*.jar in ${libs}; delete that directory to fetch again`);
}

/** True when a broker at `brokers` answers a metadata request (describeCluster) with a controller. */
export async function kafkaAnswers(brokers: string, timeoutMs = 3000): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'privacy-relay-infra-probe',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 1000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface KafkaServerOptions {
  /** Holds server.properties, data/, kafka.out and server.log. */
  dir: string;
  port: number;
  controllerPort: number;
  log: (line: string) => void;
  readyTimeoutMs?: number;
}

/** One single-node KRaft broker (broker + controller in one JVM); restartable on the same port and data. */
export interface KafkaServer {
  readonly brokers: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly version: string;
  readonly dir: string;
  readonly logFiles: string[];
  /** The running JVM, if any. */
  current(): ServerProcess | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Prepares (jars, properties, storage format) a broker; call `start()` to run it. */
export async function createKafkaServer(opts: KafkaServerOptions): Promise<KafkaServer> {
  const jars = await ensureKafkaJars(opts.log);
  const dir = path.resolve(opts.dir);
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const propertiesFile = path.join(dir, 'server.properties');
  const outFile = path.join(dir, 'kafka.out');
  const logFiles = [outFile, path.join(dir, 'server.log')];
  fs.writeFileSync(propertiesFile, serverProperties(opts.port, opts.controllerPort, dataDir));
  const javaArgs = (mainClass: string, ...args: string[]): string[] => [
    `-Dlog4j2.configurationFile=${LOG4J_FILE}`,
    `-Dkafka.logs.dir=${dir}`,
    '-cp',
    `${jars.libs}/*`,
    mainClass,
    ...args,
  ];

  if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
    const clusterId = (await runCommand('java', javaArgs('kafka.tools.StorageTool', 'random-uuid'))).stdout.trim();
    await runCommand(
      'java',
      javaArgs('kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propertiesFile),
    ).catch((error: Error) => {
      throw new Error(`formatting the Kafka storage in ${dataDir} failed: ${error.message}`);
    });
  }

  const brokers = `127.0.0.1:${opts.port}`;
  let current: ServerProcess | undefined;
  return {
    brokers,
    port: opts.port,
    controllerPort: opts.controllerPort,
    version: jars.version,
    dir,
    logFiles,
    current: () => (current !== undefined && !current.hasExited() ? current : undefined),
    start: async () => {
      if (current !== undefined && !current.hasExited()) return;
      const started = Date.now();
      fs.appendFileSync(outFile, `\n=== start ${new Date().toISOString()} ===\n`);
      current = spawnServer({
        name: 'kafka',
        command: 'java',
        args: ['-Xmx512m', ...javaArgs('kafka.Kafka', propertiesFile)],
        logFile: outFile,
        cwd: dir,
      });
      try {
        await waitUntilReady(() => kafkaAnswers(brokers), {
          what: `Kafka ${jars.version} on ${brokers}`,
          timeoutMs: opts.readyTimeoutMs ?? 120_000,
          intervalMs: 300,
          process: current,
          logFiles,
        });
      } catch (error) {
        await current.stop({ timeoutMs: 5_000 });
        throw error;
      }
      opts.log(`kafka ${jars.version} ready on ${brokers} (${seconds(Date.now() - started)})`);
    },
    stop: async () => {
      // SIGTERM makes the broker shut down in a controlled way (flushes logs, closes the quorum).
      await current?.stop({ timeoutMs: 30_000 });
    },
  };
}

function serverProperties(port: number, controllerPort: number, dataDir: string): string {
  const properties: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': dataDir,
    // A single node cannot hold the default three replicas of the internal topics.
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // Tests start consumers and expect them to get partitions at once, not after 3 s.
    'group.initial.rebalance.delay.ms': 0,
  };
  return `${Object.entries(properties)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}
