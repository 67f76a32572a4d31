/**
 * Jest globalSetup: gives every test worker KAFKA_BROKERS, MONGODB_URI and SES_ENDPOINT.
 * Environment variables win; else containers when Docker answers; else real servers on this
 * machine (Kafka KRaft, PostgreSQL + FerretDB, aws-ses-v2-local), see infra/src/test-stack.ts.
 * Workers are started after this runs, so they inherit process.env.
 */
import { startTestStack, type TestStack } from '@privacy-relay/infra';

declare global {
  // Read by global-teardown.ts (globalSetup and globalTeardown share one process).
  var __privacyRelayTestStack: TestStack | undefined;
}

export default async function globalSetup(): Promise<void> {
  const progress: string[] = [];
  let stack: TestStack;
  try {
    stack = await startTestStack({
      log: (line) => {
        // One-time steps (jar fetch, FerretDB build) take a minute: say so. The rest only on failure.
        if (line.startsWith('[cache]')) process.stdout.write(`${line}\n`);
        else progress.push(line);
      },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `test stack could not be started: ${message}${progress.length ? `\nprogress:\n${progress.join('\n')}` : ''}`,
      {
        cause: error,
      },
    );
  }
  globalThis.__privacyRelayTestStack = stack;
  process.env.KAFKA_BROKERS = stack.kafkaBrokers;
  process.env.MONGODB_URI = stack.mongodbUri;
  process.env.SES_ENDPOINT = stack.sesEndpoint;
  process.env.TEST_STACK_SOURCE = stack.source;
  process.stdout.write(`\n${stack.summary}\n`);
}
