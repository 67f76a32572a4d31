import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalKafka, type LocalKafka } from '@privacy-relay/infra';
import { describeChaosRun, runChaos } from '../support/chaos-run';
import { stackEndpoints } from '../support/test-env';

// The small version of the campaign (the full one is `npm run bench:chaos`, by hand, on a stack of
// its own): two intake and two relay processes, a few hundred requests through the API, the form
// and SMTP, each confirmed by its mailed link, while one intake and one relay are SIGKILLed and
// Kafka is restarted. Restarting Kafka must not disturb the other test files, so this file runs a
// broker of its own (the database and the SES endpoint are the stack's); that needs the local
// stack's Java: elsewhere the file is skipped (TEST_KAFKA_OF_ITS_OWN=1 runs it where the stack
// comes from the environment but Java is here).
const describeLocal =
  process.env.TEST_STACK_SOURCE === 'local' || process.env.TEST_KAFKA_OF_ITS_OWN === '1' ? describe : describe.skip;

describeLocal('The chaos campaign, small: nothing lost, nothing twice, nothing leaked', () => {
  let kafka: LocalKafka | undefined;

  afterAll(async () => {
    await kafka?.close();
  });

  it("When 150 requests flow through both intakes and both relays while an intake and a relay are SIGKILLed and Kafka restarts, then every accepted request ends forwarded or in triage, no contact gets a case twice outside the one known window, and no log line holds a requester's data or a link token", async () => {
    kafka = await startLocalKafka({ log: () => undefined });
    // Kept when the test fails (the report names it), removed when it passes.
    const logDir = mkdtempSync(join(tmpdir(), 'privacy-relay-chaos-small-'));
    const { mongodbUri, sesEndpoint } = stackEndpoints();
    const own = kafka;
    const result = await runChaos({
      stack: {
        kafkaBrokers: own.brokers,
        mongodbUri,
        sesEndpoint,
        restartKafka: async (downMs) => {
          await own.stop();
          await new Promise((resolve) => setTimeout(resolve, downMs));
          await own.start();
        },
      },
      requests: 150,
      seed: Number(process.env.CHAOS_SEED ?? 18),
      killsPerInstance: 1,
      killInstances: ['intake-a', 'relay-a'],
      kafkaRestarts: 1,
      postgresRestarts: 0,
      ferretdbRestarts: 0,
      downMs: 2000,
      logDir,
      concurrency: 24,
      mailTimeoutMs: 90_000,
      settleTimeoutMs: 150_000,
      // CHAOS_LOG=1 shows its progress (faults, counts) while it runs.
      ...(process.env.CHAOS_LOG === '1' ? { log: (line: string) => process.stderr.write(`[chaos] ${line}\n`) } : {}),
    });
    const report = describeChaosRun(result).join('\n');
    if (process.env.CHAOS_LOG === '1') process.stderr.write(`${report}\n`);
    expect({ lost: result.lost, notAccepted: result.notAccepted, report }).toEqual({
      lost: [],
      notAccepted: [],
      report,
    });
    expect(result.accepted).toBe(150);
    expect(result.forwarded + result.triaged).toBe(150);
    expect(result.faults.map((f) => f.target).sort()).toEqual(['intake-a', 'kafka', 'relay-a']);
    // A contact gets a case twice only where a relay kill left its intent without an SES id.
    const unexplained = result.duplicateForwards.filter((d) => d.windowAtKill === undefined);
    expect({ unexplained, report }).toEqual({ unexplained: [], report });
    expect({
      requestForwards: result.duplicateRequestForwards,
      requests: result.duplicateRequests,
      escalations: result.duplicateEscalationMails,
    }).toEqual({ requestForwards: 0, requests: 0, escalations: 0 });
    expect({ logHits: result.logHits, report }).toEqual({ logHits: [], report });
    expect(result.logLines).toBeGreaterThan(0);
    rmSync(logDir, { recursive: true, force: true });
  }, 420_000);
});
