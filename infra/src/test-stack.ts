/**
 * Where the end-to-end and integration tests get Kafka, a MongoDB-compatible store and SES from,
 * in this order: the environment (KAFKA_BROKERS, MONGODB_URI, SES_ENDPOINT all set), containers
 * when a Docker engine answers, else real servers on this machine (startLocalStack).
 */
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';

import { dockerAnswers, startContainerStack } from './container-stack';
import { mongoPing } from './ferretdb-server';
import { type StackEndpoints, startLocalStack } from './local-stack';

export type TestStackSource = 'env' | 'docker' | 'local';

export interface TestStack extends StackEndpoints {
  source: TestStackSource;
  /** One line for the test log: source, versions, Node. */
  summary: string;
  /** Stops what this started (nothing for 'env'). */
  stop(): Promise<void>;
}

export interface StartTestStackOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress lines; one-time cache steps start with "[cache]". */
  log?: (line: string) => void;
}

export async function startTestStack(opts: StartTestStackOptions = {}): Promise<TestStack> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const node = `Node ${process.version}`;
  const { KAFKA_BROKERS: kafkaBrokers, MONGODB_URI: mongodbUri, SES_ENDPOINT: sesEndpoint } = env;

  if (kafkaBrokers && mongodbUri && sesEndpoint) {
    // Versions are only known for what can be asked cheaply: the MongoDB-compatible store.
    const store = await mongoPing(mongodbUri, 3000).then(
      (answer) =>
        answer.ferretdbVersion
          ? `FerretDB ${answer.ferretdbVersion} (MongoDB ${answer.version} wire)`
          : `MongoDB ${answer.version}`,
      () => 'MongoDB not answering yet',
    );
    return {
      source: 'env',
      kafkaBrokers,
      mongodbUri,
      sesEndpoint,
      summary: `test stack: env — Kafka at ${kafkaBrokers}, ${store} at ${mongodbUri}, SES at ${sesEndpoint}, ${node}`,
      stop: async () => undefined,
    };
  }

  if (await dockerAnswers()) {
    const stack = await startContainerStack(log);
    return {
      source: 'docker',
      kafkaBrokers: stack.kafkaBrokers,
      mongodbUri: stack.mongodbUri,
      sesEndpoint: stack.sesEndpoint,
      summary: `test stack: docker — Kafka ${stack.versions.kafka} (${stack.images.kafka}), MongoDB ${stack.versions.mongodb} (${stack.images.mongodb}), aws-ses-v2-local ${stack.versions.sesLocal}, ${node}`,
      stop: () => stack.stop(),
    };
  }

  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'privacy-relay-test-stack-'));
  fs.chmodSync(runDir, 0o755); // the postgres user must be able to enter it
  const stack = await startLocalStack({ runDir, log });
  const { versions } = stack;
  return {
    source: 'local',
    kafkaBrokers: stack.kafkaBrokers,
    mongodbUri: stack.mongodbUri,
    sesEndpoint: stack.sesEndpoint,
    summary: `test stack: local — Kafka ${versions.kafka}, PostgreSQL ${versions.postgres}, FerretDB ${versions.ferretdb} (MongoDB ${versions.mongodbWire ?? '?'} wire), ${node}`,
    stop: async () => {
      await stack.stop();
      fs.rmSync(runDir, { recursive: true, force: true });
    },
  };
}
