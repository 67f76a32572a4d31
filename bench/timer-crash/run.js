// @ts-check
/**
 * The SIGKILL run of issue 16's durable timers, full size: two relay instances (real child
 * processes, services/relay/dist/main.js) on the same Kafka topics, database and SES endpoint while
 * 1,000 ladder timers come due; one instance is SIGKILLed at seeded random moments and restarted.
 * Then each timer must have fired exactly once: its escalation mail once in the SES endpoint's
 * store (per step and recipient), its `privacy.case.escalated.v2` once per (case, step), its step
 * once on the case. How the timers are made due: test/support/timer-crash-run.ts, docs/escalation.md.
 *
 *   npm run bench:timer-crash
 *
 * TIMER_CRASH_TIMERS (1000), TIMER_CRASH_KILLS (6), TIMER_CRASH_SEED (16), TIMER_CRASH_STEPS_PER_CASE (2),
 * TIMER_CRASH_DUE_FROM_S (30), TIMER_CRASH_DUE_SPREAD_S (180), TIMER_CRASH_MAX_KILL_DELAY_MS (2000),
 * TIMER_CRASH_LEASE_MS (15000). Uses KAFKA_BROKERS / MONGODB_URI / SES_ENDPOINT when all three are
 * set, else starts the local stack (infra). The CI runs a small version
 * (test/integration/timer-crash.int.test.ts); this one is run by hand.
 */
const { startLocalStack } = require('@privacy-relay/infra');
const { describeTimerCrash, runTimerCrash } = require('../../test/dist/test/support/timer-crash-run.js');

async function main() {
  const fromEnv = process.env.KAFKA_BROKERS && process.env.MONGODB_URI && process.env.SES_ENDPOINT;
  const stack = fromEnv
    ? undefined
    : await startLocalStack({ log: (line) => process.stderr.write(`[stack] ${line}\n`) });
  if (stack) {
    process.env.KAFKA_BROKERS = stack.kafkaBrokers;
    process.env.MONGODB_URI = stack.mongodbUri;
    process.env.SES_ENDPOINT = stack.sesEndpoint;
  }
  const env = process.env;
  const options = {
    timers: Number(env.TIMER_CRASH_TIMERS ?? 1000),
    kills: Number(env.TIMER_CRASH_KILLS ?? 6),
    seed: Number(env.TIMER_CRASH_SEED ?? 16),
    stepsPerCase: /** @type {1 | 2} */ (Number(env.TIMER_CRASH_STEPS_PER_CASE ?? 2)),
    dueFromSeconds: Number(env.TIMER_CRASH_DUE_FROM_S ?? 30),
    dueSpreadSeconds: Number(env.TIMER_CRASH_DUE_SPREAD_S ?? 180),
    maxKillDelayMs: Number(env.TIMER_CRASH_MAX_KILL_DELAY_MS ?? 2000),
    leaseMs: Number(env.TIMER_CRASH_LEASE_MS ?? 15000),
    settleTimeoutMs: 600_000,
    log: (/** @type {string} */ line) => process.stderr.write(`[timers] ${line}\n`),
  };
  try {
    const result = await runTimerCrash(options);
    console.log(
      `\nLadder timers under SIGKILL, two relays — ${result.timers} timers, seed ${options.seed}, Node ${process.version}`,
    );
    for (const line of describeTimerCrash(result)) console.log(line);
    // Copies of one event (same id) are the outbox's at-least-once delivery, counted apart.
    const unexplained = result.duplicateMails.filter((d) => d.windowAtKill === undefined).length;
    const exact =
      result.unfired.length === 0 &&
      result.missingMails.length === 0 &&
      result.missingEvents.length === 0 &&
      result.doubleFiredEvents.length === 0 &&
      result.recordedOtherThanOnce.length === 0 &&
      result.unexpectedMails === 0;
    console.log(
      `verdict: ${exact ? 'every timer fired, each step recorded and its event emitted once' : 'NOT exactly once (see above)'}; ${
        result.duplicateMails.length === 0
          ? 'no mail sent twice'
          : unexplained === 0
            ? 'every mail sent twice is the intent-without-id window'
            : `${unexplained} duplicate(s) NOT explained`
      }`,
    );
    if (!exact || unexplained > 0) process.exitCode = 1;
  } finally {
    await stack?.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
