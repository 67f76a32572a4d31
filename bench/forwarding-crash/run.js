// @ts-check
/**
 * The SIGKILL run of issue 15, full size: 1,000 verified requests flow to forwarding while the
 * relay (a real child process, services/relay/dist/main.js) is SIGKILLed at seeded random moments
 * and restarted. Then every request must have ended forwarded (case `forwarded`, its mail in the
 * SES endpoint's store) or in triage; mails that reached one contact twice are counted from the
 * SES endpoint's store and each is put next to the kill at which its intent stood without an SES
 * message id (docs/forwarding.md, "the one duplicate window").
 *
 *   npm run bench:forwarding-crash
 *
 * CRASH_REQUESTS (1000), CRASH_KILLS (8), CRASH_SEED (15), CRASH_TENANTS (20),
 * CRASH_MAX_KILL_DELAY_MS (3000). Uses KAFKA_BROKERS / MONGODB_URI / SES_ENDPOINT when all three
 * are set, else starts the local stack (infra). The CI runs a small version
 * (test/integration/forwarding-crash.int.test.ts); this one is run by hand.
 */
const { startLocalStack } = require('@privacy-relay/infra');
const { describeCrashRun, runForwardingCrash } = require('../../test/dist/test/support/forwarding-crash-run.js');

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
  const options = {
    requests: Number(process.env.CRASH_REQUESTS ?? 1000),
    kills: Number(process.env.CRASH_KILLS ?? 8),
    seed: Number(process.env.CRASH_SEED ?? 15),
    tenants: Number(process.env.CRASH_TENANTS ?? 20),
    maxKillDelayMs: Number(process.env.CRASH_MAX_KILL_DELAY_MS ?? 3000),
    settleTimeoutMs: 600_000,
    log: (/** @type {string} */ line) => process.stderr.write(`[crash] ${line}\n`),
  };
  try {
    const result = await runForwardingCrash(options);
    console.log(
      `\nForwarding under SIGKILL — ${options.requests} requests, seed ${options.seed}, Node ${process.version}`,
    );
    for (const line of describeCrashRun(result)) console.log(line);
    const unexplained = result.duplicates.filter((d) => d.windowAtKill === undefined).length;
    console.log(
      `verdict: ${result.unfinished.length === 0 ? 'no request lost' : `${result.unfinished.length} request(s) NOT finished`}; ${
        unexplained === 0
          ? 'every duplicate is the intent-without-id window'
          : `${unexplained} duplicate(s) NOT explained`
      }`,
    );
    if (result.unfinished.length > 0 || unexplained > 0) process.exitCode = 1;
  } finally {
    await stack?.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
