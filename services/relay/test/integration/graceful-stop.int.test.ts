import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { publishVerifiedRequest } from '../../../../test/support/fixtures';
import { relayTestEnv } from '../../../../test/support/relay-env';
import { startRelayProcess, type RelayProcess } from '../../../../test/support/relay-process';
import { createTestTopics, testKafka, testLogger, testNamespace } from '../../../../test/support/test-env';

/**
 * The relay's own stop budget in this test (SHUTDOWN_TIMEOUT_MS): half of the 10 s after which the
 * launcher (`npm start`) kills a service that has not stopped. A stop that outlasts it makes the
 * relay exit with code 1 by itself, so the test needs no clock of its own.
 */
const STOP_BUDGET_MS = '5000';

describe('Graceful stop of the relay process', () => {
  const ns = testNamespace('graceful-stop');
  const logger = testLogger('graceful-stop-test');
  const kafka = testKafka();
  const publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
  let relay: RelayProcess | undefined;

  beforeAll(async () => {
    await createTestTopics(kafka, ns.topicPrefix);
    await publisher.connect();
  });

  afterAll(async () => {
    relay?.kill('SIGKILL');
    await publisher.disconnect();
  });

  it('When a started relay with its consumers running gets SIGTERM, then it stops within its stop budget and exits with code 0 (twice in a row)', async () => {
    // Twice: how long the old stop took depended on where each consumer's fetch stood, so one
    // stop could slip through the budget by luck.
    for (let round = 1; round <= 2; round++) {
      relay = startRelayProcess(
        relayTestEnv(ns, {
          SHUTDOWN_TIMEOUT_MS: STOP_BUDGET_MS,
          LOG_LEVEL: 'info',
          RELAY_KAFKA_SESSION_TIMEOUT_MS: '6000',
        }),
      );
      await relay.ready;
      // Work in flight as it stops: a verified request for the matcher.
      await publishVerifiedRequest(publisher, { company: { name: `Nobody ${round} Ltd` } });
      relay.kill('SIGTERM');
      const exit = await relay.exited;
      // Log lines are JSON; Node's own warnings on stderr are not.
      const messages = relay.logLines.map((line) =>
        line.startsWith('{') ? (JSON.parse(line) as { msg?: string }).msg : line,
      );
      expect({ round, ...exit, tooLong: messages.includes('graceful stop took too long; exiting') }).toEqual({
        round,
        code: 0,
        signal: null,
        tooLong: false,
      });
      expect(messages).toContain('stopped');
    }
  });
});
