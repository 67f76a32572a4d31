import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_EVIDENCE_SIGNING_KEY } from '../support/relay-env';
import { startLocalKafka, type LocalKafka } from '@privacy-relay/infra';
import { loadConfig } from '@privacy-relay/shared/config';
import { intakeConfigSpec } from '@privacy-relay/intake/config';
import { createIntakeService, type IntakeService } from '@privacy-relay/intake/intake-service';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import { createRelayService, type RelayService } from '@privacy-relay/relay/relay-service';
import { eventually, stackEndpoints, testLogger, testNamespace } from '../support/test-env';

// Stopping Kafka must not disturb the other test files, so this file runs a broker of its own.
// That needs the local (no-Docker) stack's Java and Maven; elsewhere the file is skipped.
const describeLocal = process.env.TEST_STACK_SOURCE === 'local' ? describe : describe.skip;

describeLocal('Service skeletons: health, readiness and metrics follow Kafka', () => {
  const ns = testNamespace('readiness');
  let kafka: LocalKafka;
  let intake: IntakeService;
  let relay: RelayService;

  const get = async (service: { port: number }, path: string) => {
    const response = await fetch(`http://127.0.0.1:${service.port}${path}`);
    return { status: response.status, body: await response.text() };
  };
  /** Where each service serves its metrics and readiness detail: intake's admin listener, the relay's own port. */
  const operations = (service: IntakeService | RelayService) =>
    'adminPort' in service ? { port: service.adminPort } : service;

  beforeAll(async () => {
    kafka = await startLocalKafka({ log: () => undefined });
    const env = {
      KAFKA_BROKERS: kafka.brokers,
      KAFKA_TOPIC_PREFIX: ns.topicPrefix,
      MONGODB_URI: stackEndpoints().mongodbUri,
      SES_ENDPOINT: stackEndpoints().sesEndpoint,
      INTAKE_MONGODB_DATABASE: `${ns.dbName}_intake`,
      RELAY_MONGODB_DATABASE: `${ns.dbName}_relay`,
      RELAY_KAFKA_GROUP_ID: ns.groupId,
      INTAKE_KAFKA_GROUP_ID: `${ns.groupId}-intake`,
      RELAY_COUNTERPARTY_HMAC_KEY: 'test-counterparty-hmac-key-0123456789abcdef',
      RELAY_LINK_SECRET: 'integration-test-relay-link-secret-0123456789',
      RELAY_EVIDENCE_SIGNING_KEY: TEST_EVIDENCE_SIGNING_KEY,
      RELAY_EVIDENCE_DIR: join(tmpdir(), 'privacy-relay-evidence', ns.dbName),
      RELAY_PLATFORM_PRIVACY_TEAM_EMAIL: 'privacy-team@platform.test',
      INTAKE_PORT: '0',
      INTAKE_ADMIN_PORT: '0',
      RELAY_PORT: '0',
      INTAKE_HOST: '127.0.0.1',
      INTAKE_LINK_SECRET: 'test-link-secret-0123456789abcdef0123456789',
      RELAY_HOST: '127.0.0.1',
    };
    intake = createIntakeService(loadConfig(intakeConfigSpec, env), testLogger('intake'));
    relay = createRelayService(loadConfig(relayConfigSpec, env), testLogger('relay'));
    await Promise.all([intake.start(), relay.start()]);
  });

  afterAll(async () => {
    await Promise.all([intake?.stop(), relay?.stop()]);
    await kafka?.close();
  });

  it('When both services run, then /healthz and /readyz answer 200 and /metrics is Prometheus text', async () => {
    for (const service of [intake, relay]) {
      expect((await get(service, '/healthz')).status).toBe(200);
      expect((await get(service, '/readyz')).status).toBe(200);
      const metrics = await get(operations(service), '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('process_cpu_seconds_total');
      expect(metrics.body).toContain('http_request_duration_seconds');
    }
  });

  it('When Kafka stops, then /readyz answers 503 naming Kafka while /healthz stays 200; when it is back, 200 again', async () => {
    await kafka.stop();
    for (const service of [intake, relay]) {
      const notReady = await eventually(
        async () => {
          const readiness = await get(operations(service), '/readyz');
          return readiness.status === 503 ? readiness : undefined;
        },
        30_000,
        'readiness to turn 503',
      );
      expect(JSON.parse(notReady.body).checks).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'kafka', ok: false }),
          expect.objectContaining({ name: 'database', ok: true }),
        ]),
      );
      expect((await get(service, '/healthz')).status).toBe(200);
    }

    await kafka.start();
    for (const service of [intake, relay]) {
      await eventually(
        async () => ((await get(service, '/readyz')).status === 200 ? true : undefined),
        60_000,
        'readiness back to 200',
      );
    }
  });

  it('When an unknown route is asked for, then the answer is a 404 with a stable error code', async () => {
    const response = await get(intake, '/no-such-route?token=secret');
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'NOT_FOUND', message: 'No such route' } });
  });
});
