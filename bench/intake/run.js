// @ts-check
/**
 * Intake throughput and latency: POST /v1/requests on the real intake service (validation, ledger
 * insert, Kafka acks=all; the request state is written behind the answer and mails go out from
 * the event) side by side with a bare Fastify route doing only the same Kafka send, in the same
 * run, against the same servers. Also prints CPU per accepted request, which says where the
 * difference goes.
 *
 *   npm run bench:intake
 *
 * Uses KAFKA_BROKERS / MONGODB_URI / SES_ENDPOINT when all three are set, else starts the local
 * stack (infra). BENCH_CONNECTIONS (default 32), BENCH_DURATION_S (default 15), BENCH_WARMUP_S (3);
 * INTAKE_DB_GROUP_COMMIT_WINDOW_MS is passed to intake (default 10).
 * Not part of `npm test`: timings belong here, not in tests.
 */
const { randomBytes, randomUUID } = require('node:crypto');
const { readFileSync } = require('node:fs');
const autocannon = require('autocannon');
const Fastify = require('fastify');
const { startLocalStack } = require('@privacy-relay/infra');
const { loadConfig } = require('@privacy-relay/shared/config');
const { EVENTS } = require('@privacy-relay/shared/events');
const { KafkaEventPublisher, createKafkaClient, ensureTopics } = require('@privacy-relay/shared/kafka');
const { createLogger } = require('@privacy-relay/shared/logger');
const { intakeConfigSpec } = require('@privacy-relay/intake/config');
const { createIntakeService } = require('@privacy-relay/intake/intake-service');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 15);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 3);
const TARGET_RATIO = 0.8;

process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

/** A different requester on every request: no idempotency hit, no per-email throttle. */
function requestBody() {
  const id = randomBytes(6).toString('hex');
  return JSON.stringify({
    requester: { name: 'Bench Requester', email: `bench-${id}@requester.example` },
    rights: ['access', 'erasure'],
    company: { name: 'Juro Online Limited', email: 'privacy@juro.example' },
    text: 'Please send me a copy of the personal data you hold about me, then delete it.',
    regimeHint: 'uk-gdpr',
  });
}

/** Busy and total CPU ticks of the whole machine (Linux /proc/stat); undefined elsewhere. */
function machineTicks() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.reduce((sum, value) => sum + value, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * One round of load, with what it cost: CPU of this process (server under test + load generator,
 * one event loop) and of the whole machine (Kafka, FerretDB, PostgreSQL, SES endpoint too).
 * @returns {Promise<{ result: import('autocannon').Result, processCpuMs: number, machineCpuMs?: number }>}
 */
async function measuredRound(url, durationS) {
  const cpuBefore = process.cpuUsage();
  const ticksBefore = machineTicks();
  const result = await cannon(url, durationS);
  const cpu = process.cpuUsage(cpuBefore);
  const ticksAfter = machineTicks();
  const ticksPerSecond = 100; // USER_HZ on Linux
  return {
    result,
    processCpuMs: (cpu.user + cpu.system) / 1000,
    ...(ticksBefore && ticksAfter
      ? { machineCpuMs: ((ticksAfter.busy - ticksBefore.busy) * 1000) / ticksPerSecond }
      : {}),
  };
}

/** @returns {Promise<import('autocannon').Result>} */
function cannon(url, durationS) {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: durationS,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: requestBody() }),
      },
    ],
  });
}

/** The baseline: Fastify parses the JSON, one event is built and sent with the same publisher. */
async function startBaseline(kafka, topicPrefix, logger) {
  const publisher = new KafkaEventPublisher(kafka, { topicPrefix, logger });
  await publisher.connect();
  const app = Fastify({ logger: false });
  app.post('/baseline', async (request, reply) => {
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
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/baseline`,
    stop: async () => {
      await app.close();
      await publisher.disconnect();
    },
  };
}

function row(name, { result, processCpuMs, machineCpuMs }) {
  const accepted = result['2xx'] / result.duration;
  const perRequest = (ms) => (ms === undefined || result['2xx'] === 0 ? NaN : (ms * 1000) / result['2xx']);
  return {
    name,
    accepted,
    p50: result.latency.p50,
    p99: result.latency.p99,
    processCpuUs: perRequest(processCpuMs),
    machineCpuUs: perRequest(machineCpuMs),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

async function main() {
  const fromEnv = process.env.KAFKA_BROKERS && process.env.MONGODB_URI && process.env.SES_ENDPOINT;
  const stack = fromEnv
    ? undefined
    : await startLocalStack({ log: (line) => process.stderr.write(`[stack] ${line}\n`) });
  const endpoints = stack ?? {
    kafkaBrokers: String(process.env.KAFKA_BROKERS),
    mongodbUri: String(process.env.MONGODB_URI),
    sesEndpoint: String(process.env.SES_ENDPOINT),
  };
  const runId = randomBytes(4).toString('hex');
  const topicPrefix = `bench.${runId}.`;
  const logger = createLogger({ name: 'bench', level: 'silent' });
  const kafka = createKafkaClient({ brokers: endpoints.kafkaBrokers.split(','), clientId: 'bench', logger });
  await ensureTopics(kafka, { prefix: topicPrefix, numPartitions: 3, replicationFactor: 1 });

  const intake = createIntakeService(
    loadConfig(intakeConfigSpec, {
      KAFKA_BROKERS: endpoints.kafkaBrokers,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      MONGODB_URI: endpoints.mongodbUri,
      SES_ENDPOINT: endpoints.sesEndpoint,
      INTAKE_MONGODB_DATABASE: `bench_${runId}`,
      INTAKE_KAFKA_GROUP_ID: `bench-${runId}`,
      INTAKE_HOST: '127.0.0.1',
      INTAKE_PORT: '0',
      INTAKE_LINK_SECRET: 'bench-link-secret-0123456789abcdef0123456789',
      INTAKE_RATE_LIMIT_PER_IP_PER_MINUTE: '100000000',
      INTAKE_RATE_LIMIT_PER_EMAIL_PER_HOUR: '100000000',
      INTAKE_DB_GROUP_COMMIT_WINDOW_MS: process.env.INTAKE_DB_GROUP_COMMIT_WINDOW_MS ?? '10',
      LOG_LEVEL: 'silent',
    }),
    logger,
  );
  await intake.start();
  const baseline = await startBaseline(kafka, topicPrefix, logger);
  const intakeUrl = `http://127.0.0.1:${intake.port}/v1/requests`;

  try {
    process.stderr.write(`[bench] warm-up ${WARMUP_S}s each, then ${DURATION_S}s each at ${CONNECTIONS} connections\n`);
    await cannon(baseline.url, WARMUP_S);
    await cannon(intakeUrl, WARMUP_S);
    const rows = [];
    // Alternate, so that drift (page cache, JIT, Kafka segment rolls) hits both alike.
    for (const round of [1, 2]) {
      rows.push(row(`baseline (round ${round})`, await measuredRound(baseline.url, DURATION_S / 2)));
      rows.push(row(`intake   (round ${round})`, await measuredRound(intakeUrl, DURATION_S / 2)));
    }
    const mean = (prefix, key) => {
      const picked = rows.filter((r) => r.name.startsWith(prefix));
      return picked.reduce((sum, r) => sum + r[key], 0) / picked.length;
    };
    const baseRate = mean('baseline', 'accepted');
    const intakeRate = mean('intake', 'accepted');
    const ratio = intakeRate / baseRate;

    const line = (cells) => `| ${cells.join(' | ')} |`;
    console.log(`\nIntake bench — ${CONNECTIONS} connections, ${DURATION_S / 2}s per round, Node ${process.version}`);
    const header = ['run', 'accepted req/s', 'p50 ms', 'p99 ms', 'process CPU µs/req', 'machine CPU µs/req'];
    console.log(line([...header, 'non-2xx', 'errors']));
    console.log(line(['---', ...header.slice(1).map(() => '---:'), '---:', '---:']));
    const cells = (name, pick) => [
      name,
      pick('accepted').toFixed(0),
      pick('p50').toFixed(1),
      pick('p99').toFixed(1),
      pick('processCpuUs').toFixed(0),
      pick('machineCpuUs').toFixed(0),
    ];
    for (const r of rows) console.log(line([...cells(r.name, (key) => r[key]), r.non2xx, r.errors]));
    for (const kind of ['baseline', 'intake']) {
      console.log(line([...cells(`**${kind} (mean)**`, (key) => mean(kind, key)), '', '']));
    }
    console.log(
      `\nthroughput ratio intake / baseline: ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO}) — ${
        ratio >= TARGET_RATIO ? 'met' : 'NOT met'
      }`,
    );
    console.log(
      `CPU per accepted request, intake / baseline: process ${(
        mean('intake', 'processCpuUs') / mean('baseline', 'processCpuUs')
      ).toFixed(2)}, machine ${(mean('intake', 'machineCpuUs') / mean('baseline', 'machineCpuUs')).toFixed(2)}` +
        ' (process: server under test and load generator share one event loop)',
    );
  } finally {
    await baseline.stop();
    await intake.stop();
    await stack?.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
