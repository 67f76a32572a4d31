// @ts-check
/**
 * One server under test for `run.js`, in its own process so that the load generator does not share
 * its event loop: `intake` (the real intake service) or `baseline` (a bare Fastify route doing only
 * the same Kafka send with the same publisher). Talks to its parent over IPC: sends `{ port }` once
 * listening, answers `cpu` with its CPU time so far, and stops on `stop`.
 *
 * Environment: BENCH_SERVER (intake | baseline), KAFKA_BROKERS, MONGODB_URI, SES_ENDPOINT,
 * BENCH_TOPIC_PREFIX, BENCH_RUN_ID; INTAKE_DB_GROUP_COMMIT_WINDOW_MS and INTAKE_STATE_WRITE_WINDOW_MS,
 * when set, are passed on to intake (else its defaults).
 */
const { randomUUID } = require('node:crypto');
const Fastify = require('fastify');
const { loadConfig } = require('@privacy-relay/shared/config');
const { EVENTS } = require('@privacy-relay/shared/events');
const { KafkaEventPublisher, createKafkaClient } = require('@privacy-relay/shared/kafka');
const { createLogger } = require('@privacy-relay/shared/logger');
const { intakeConfigSpec } = require('@privacy-relay/intake/config');
const { createIntakeService } = require('@privacy-relay/intake/intake-service');

process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`bench server: ${name} is not set`);
  return value;
};

/** @returns {Promise<{ port: number, stop: () => Promise<void> }>} */
async function startIntake(logger) {
  const runId = env('BENCH_RUN_ID');
  const intake = createIntakeService(
    loadConfig(intakeConfigSpec, {
      KAFKA_BROKERS: env('KAFKA_BROKERS'),
      KAFKA_TOPIC_PREFIX: env('BENCH_TOPIC_PREFIX'),
      MONGODB_URI: env('MONGODB_URI'),
      SES_ENDPOINT: env('SES_ENDPOINT'),
      INTAKE_MONGODB_DATABASE: `bench_${runId}`,
      INTAKE_KAFKA_GROUP_ID: `bench-${runId}`,
      INTAKE_HOST: '127.0.0.1',
      INTAKE_PORT: '0',
      INTAKE_ADMIN_PORT: '0',
      INTAKE_LINK_SECRET: 'bench-link-secret-0123456789abcdef0123456789',
      INTAKE_RATE_LIMIT_PER_IP_PER_MINUTE: '100000000',
      INTAKE_RATE_LIMIT_PER_EMAIL_PER_HOUR: '100000000',
      ...Object.fromEntries(
        ['INTAKE_DB_GROUP_COMMIT_WINDOW_MS', 'INTAKE_STATE_WRITE_WINDOW_MS'].flatMap((name) =>
          process.env[name] ? [[name, process.env[name]]] : [],
        ),
      ),
      LOG_LEVEL: 'silent',
    }),
    logger,
  );
  await intake.start();
  return { port: intake.port, stop: () => intake.stop() };
}

/** The baseline: Fastify parses the JSON, one event is built and sent with the same publisher. */
async function startBaseline(logger) {
  const kafka = createKafkaClient({ brokers: env('KAFKA_BROKERS').split(','), clientId: 'bench-baseline', logger });
  const publisher = new KafkaEventPublisher(kafka, { topicPrefix: env('BENCH_TOPIC_PREFIX'), logger });
  await publisher.connect();
  const app = Fastify({ logger: false });
  app.post('/v1/requests', async (request, reply) => {
    const body = /** @type {any} */ (request.body);
    const requestId = randomUUID();
    const event = EVENTS.requestReceivedV1.create(
      {
        requestId,
        reference: 'PR-BASE-LINE',
        idempotencyKey: `bench:${requestId}`,
        channel: 'api',
        receivedAt: new Date().toISOString(),
        requester: body.requester,
        rights: body.rights,
        company: body.company,
        text: body.text,
        verification: { status: 'pending' },
      },
      { correlationId: requestId },
    );
    await publisher.publish(EVENTS.requestReceivedV1, event);
    return reply.status(202).send({ reference: 'PR-BASE-LINE' });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    stop: async () => {
      await app.close();
      await publisher.disconnect();
    },
  };
}

async function main() {
  const kind = env('BENCH_SERVER');
  const logger = createLogger({ name: `bench-${kind}`, level: 'silent' });
  const server = kind === 'intake' ? await startIntake(logger) : await startBaseline(logger);
  /** @type {Promise<void> | undefined} */
  let stopping;
  const stop = () =>
    (stopping ??= server.stop().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    ));
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
    if (message === 'stop') void stop();
  });
  // The bench ended without saying stop (crashed, or Ctrl-C): do not outlive it.
  process.once('disconnect', () => void stop());
  process.send?.({ port: server.port });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
