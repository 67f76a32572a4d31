// @ts-check
/**
 * The campaign of issue 18 (test/support/chaos-run.ts): its own stack (Kafka, PostgreSQL +
 * FerretDB, the SES endpoint, started here on free ports and stopped at the end; never the shared
 * one), two intake and two relay instances as child processes, N requests through the JSON API,
 * the form and SMTP, each confirmed through its mailed link, while every instance is SIGKILLed
 * and Kafka, PostgreSQL and FerretDB are restarted at seeded moments. Prints the table and writes
 * it, with the settings, to bench/results/chaos.md (--out to write elsewhere).
 *
 *   npm run bench:chaos -- [--requests 10000] [--seed 18] [--kills 2] [--kafka 1] [--postgres 1]
 *                          [--ferretdb 1] [--concurrency 12] [--down-ms 3000] [--out FILE]
 *
 * --kills is per instance (four instances). Every process's stdout/stderr goes to a file in the
 * log directory it names; after the run every line is scanned for the campaign's personal data.
 */
const { writeFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir, cpus } = require('node:os');
const { parseArgs } = require('node:util');
const { setTimeout: pause } = require('node:timers/promises');
const { startLocalStack } = require('@privacy-relay/infra');

async function main() {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '18' },
      kills: { type: 'string', default: '2' },
      kafka: { type: 'string', default: '1' },
      postgres: { type: 'string', default: '1' },
      ferretdb: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '12' },
      'down-ms': { type: 'string', default: '3000' },
      out: { type: 'string', default: join(__dirname, '..', 'results', 'chaos.md') },
      'settle-s': { type: 'string', default: '600' },
    },
  });
  const log = (/** @type {string} */ line) =>
    process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const runDir = join(tmpdir(), `privacy-relay-chaos-stack-${process.pid}`);
  mkdirSync(runDir, { recursive: true, mode: 0o755 });
  const stack = await startLocalStack({ runDir, log: (line) => log(`[stack] ${line}`) });
  // relay-env.ts reads the endpoints from the environment: this run's own stack.
  process.env.KAFKA_BROKERS = stack.kafkaBrokers;
  process.env.MONGODB_URI = stack.mongodbUri;
  process.env.SES_ENDPOINT = stack.sesEndpoint;
  const { describeChaosRun, runChaos } = require('../../test/dist/test/support/chaos-run.js');
  const logDir = join(tmpdir(), `privacy-relay-chaos-logs-${process.pid}`);
  try {
    const result = await runChaos({
      stack: {
        kafkaBrokers: stack.kafkaBrokers,
        mongodbUri: stack.mongodbUri,
        sesEndpoint: stack.sesEndpoint,
        runDir,
        restartKafka: async (/** @type {number} */ downMs) => {
          await stack.stopKafka();
          await pause(downMs);
          await stack.startKafka();
        },
        restartPostgres: (/** @type {number} */ downMs) => stack.restartPostgres(downMs),
        restartFerretdb: (/** @type {number} */ downMs) => stack.restartFerretdb(downMs),
      },
      requests: Number(values.requests),
      seed: Number(values.seed),
      killsPerInstance: Number(values.kills),
      kafkaRestarts: Number(values.kafka),
      postgresRestarts: Number(values.postgres),
      ferretdbRestarts: Number(values.ferretdb),
      concurrency: Number(values.concurrency),
      downMs: Number(values['down-ms']),
      logDir,
      settleTimeoutMs: Number(values['settle-s']) * 1000,
      log,
    });
    const table = describeChaosRun(result);
    const header = `Chaos campaign — ${result.requests} requests, seed ${values.seed}, ${new Date().toISOString()}`;
    console.log(`\n${header}`);
    for (const line of table) console.log(line);
    const lostOrUnexplained =
      result.lost.length +
      result.duplicateForwards.filter((/** @type {any} */ d) => d.windowAtKill === undefined).length;
    const verdict = `verdict: ${result.lost.length} lost, ${result.duplicateForwards.length} duplicate forward(s) (${result.duplicateForwards.length - result.duplicateForwards.filter((/** @type {any} */ d) => d.windowAtKill === undefined).length} in the intent-without-id window), ${result.logHits.length} log hit(s)`;
    console.log(verdict);
    const settings = Object.entries(result.settings)
      .map(([key, value]) => `- ${key}: ${value}`)
      .join('\n');
    writeFileSync(
      values.out,
      `# Chaos campaign (\`npm run bench:chaos\`)\n\nHow it runs: [docs/chaos.md](../../docs/chaos.md). ${header}; Node ${process.version}, ${cpus().length} cores (shared with other work), its own stack: Kafka ${stack.versions.kafka}, PostgreSQL ${stack.versions.postgres}, FerretDB ${stack.versions.ferretdb}.\n\nSettings:\n\n${settings}\n\n\`\`\`\n${table.join('\n')}\n${verdict}\n\`\`\`\n`,
    );
    log(`table written to ${values.out}; service logs in ${logDir}`);
    if (lostOrUnexplained > 0 || result.logHits.length > 0) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
