/**
 * The same three dependencies as containers, for machines with a Docker engine (testcontainers).
 * testcontainers is loaded only when used, so the local stack and the CLI never need it.
 */
import type * as Testcontainers from 'testcontainers';

import { mongoPing } from './ferretdb-server';
import { kafkaAnswers } from './kafka-server';
import type { StackEndpoints } from './local-stack';
import { getFreePort } from './ports';
import { waitAtMost, waitUntilReady } from './process';
import { sesLocalVersion } from './ses-server';

export const KAFKA_IMAGE = 'apache/kafka:4.1.1';
export const MONGO_IMAGE = 'mongo:8';
export const SES_IMAGE = 'node:24-alpine';

function loadTestcontainers(): typeof Testcontainers {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose: only the Docker path needs it
  return require('testcontainers') as typeof Testcontainers;
}

/**
 * True when a Docker (or compatible) engine answers within `timeoutMs`. Quiet when there is none:
 * testcontainers only logs at debug level, and its failure is caught here.
 */
export async function dockerAnswers(timeoutMs = 5000): Promise<boolean> {
  let answered = false;
  let tc: typeof Testcontainers;
  try {
    tc = loadTestcontainers();
  } catch {
    return false;
  }
  await waitAtMost(
    tc.getContainerRuntimeClient().then(
      () => {
        answered = true;
      },
      () => undefined,
    ),
    timeoutMs,
  );
  return answered;
}

export interface ContainerStack extends StackEndpoints {
  versions: { kafka: string; mongodb: string; sesLocal: string };
  images: { kafka: string; mongodb: string; ses: string };
  stop(): Promise<void>;
}

/** Starts Kafka (KRaft), MongoDB and aws-ses-v2-local containers in parallel. */
export async function startContainerStack(log: (line: string) => void = () => undefined): Promise<ContainerStack> {
  const tc = loadTestcontainers();
  const client = await tc.getContainerRuntimeClient();
  const host = client.info.containerRuntime.host;
  const started: Testcontainers.StartedTestContainer[] = [];
  const keep = (container: Testcontainers.StartedTestContainer): Testcontainers.StartedTestContainer => {
    started.push(container);
    return container;
  };
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(started.map((container) => container.stop()));
  };

  const startKafka = async (): Promise<string> => {
    // The advertised address must be the one the tests dial, so the host port is fixed up front.
    const hostPort = await getFreePort();
    const container = keep(
      await new tc.GenericContainer(KAFKA_IMAGE)
        .withExposedPorts({ container: 9092, host: hostPort })
        .withEnvironment({
          KAFKA_NODE_ID: '1',
          KAFKA_PROCESS_ROLES: 'broker,controller',
          KAFKA_LISTENERS: 'PLAINTEXT://:9092,BROKER://:19092,CONTROLLER://:9093',
          KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:${hostPort},BROKER://localhost:19092`,
          KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT',
          KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
          KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
          KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
          KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '1',
          KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
          KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
          KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        })
        .withStartupTimeout(120_000)
        .start(),
    );
    const brokers = `${container.getHost()}:${hostPort}`;
    await waitUntilReady(() => kafkaAnswers(brokers), {
      what: `Kafka container ${KAFKA_IMAGE}`,
      timeoutMs: 60_000,
      logFiles: [],
    });
    log(`kafka container ready on ${brokers}`);
    return brokers;
  };

  const startMongo = async (): Promise<{ uri: string; version: string }> => {
    const container = keep(
      await new tc.GenericContainer(MONGO_IMAGE)
        .withExposedPorts(27017)
        .withWaitStrategy(tc.Wait.forLogMessage(/Waiting for connections/))
        .withStartupTimeout(120_000)
        .start(),
    );
    const uri = `mongodb://${container.getHost()}:${container.getMappedPort(27017)}/`;
    const { version } = await mongoPing(uri, 10_000);
    log(`mongodb ${version} container ready on ${uri}`);
    return { uri, version };
  };

  const startSes = async (): Promise<string> => {
    const container = keep(
      await new tc.GenericContainer(SES_IMAGE)
        .withExposedPorts(8005)
        // Pinned to the version in node_modules, so both paths run the same SES emulator.
        .withCommand(['npx', '-y', `aws-ses-v2-local@${sesLocalVersion()}`, '--host', '0.0.0.0', '--port', '8005'])
        .withWaitStrategy(tc.Wait.forHttp('/health-check', 8005))
        .withStartupTimeout(180_000)
        .start(),
    );
    const endpoint = `http://${container.getHost()}:${container.getMappedPort(8005)}`;
    log(`aws-ses-v2-local container ready on ${endpoint}`);
    return endpoint;
  };

  const [kafka, mongo, ses] = await Promise.allSettled([startKafka(), startMongo(), startSes()]);
  if (kafka.status === 'rejected' || mongo.status === 'rejected' || ses.status === 'rejected') {
    await stopAll();
    const reasons = [kafka, mongo, ses].flatMap((result) =>
      result.status === 'rejected'
        ? [result.reason instanceof Error ? result.reason.message : String(result.reason)]
        : [],
    );
    throw new Error(`the container stack did not start:\n${reasons.join('\n\n')}`);
  }
  return {
    kafkaBrokers: kafka.value,
    mongodbUri: mongo.value.uri,
    sesEndpoint: ses.value,
    versions: {
      kafka: KAFKA_IMAGE.split(':')[1] ?? KAFKA_IMAGE,
      mongodb: mongo.value.version,
      sesLocal: sesLocalVersion(),
    },
    images: { kafka: KAFKA_IMAGE, mongodb: MONGO_IMAGE, ses: SES_IMAGE },
    stop: stopAll,
  };
}
