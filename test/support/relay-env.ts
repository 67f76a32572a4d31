import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackEndpoints, type testNamespace } from './test-env';

/** The tests' evidence signing key (Ed25519, PKCS#8 DER in base64): for tests only. */
export const TEST_EVIDENCE_SIGNING_KEY = 'MC4CAQAwBQYDK2VwBCIEIEWwSR99gMYqDdkb0FUPq26tdoSaIyr7iugy3150BjWi';

/** The development operator's bearer token, as `npm start` configures it. */
export const DEV_OPERATOR_TOKEN = 'dev-operator-token';

/** The development console users (`npm start`, docker compose, the tests) and their passwords. */
export const DEV_CONSOLE_USERS = {
  operator: { username: 'dev-operator', password: 'dev-operator-password' },
  viewer: { username: 'dev-viewer', password: 'dev-viewer-password' },
} as const;

/** `RELAY_CONSOLE_USERS` for the development users: their scrypt hashes (`relay console hash-password`). */
export const DEV_CONSOLE_USERS_ENV =
  'dev-operator:operator:scrypt$17$8$1$9pF2iRh4q0IwX5QFyscEHw$Olej_k-gTsqFOuD383SY0BXULtE9v5L2qcvxgDXcNUI,dev-viewer:viewer:scrypt$17$8$1$0epDRYSASaBJK-8wKO81tA$cYyGn82LOH_7vfNRtQxH7tdwIqXBSOh6CcCUDbS_69g';

/** A `RELAY_OPERATOR_TOKENS` entry: the operator and the SHA-256 of their token. */
export function operatorTokenEntry(operatorId: string, token: string): string {
  return `${operatorId}:${createHash('sha256').update(token).digest('hex')}`;
}

/**
 * The environment of a relay started inside a test: the stack's servers, the test's own topics,
 * database and group, development secrets, a free port, the dev operator; `overrides` win.
 */
/** The platform privacy team's address in the tests' relay environment. */
export const PLATFORM_PRIVACY_TEAM_EMAIL = 'privacy-team@platform.test';

export function relayTestEnv(
  ns: ReturnType<typeof testNamespace>,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const endpoints = stackEndpoints();
  return {
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: ns.topicPrefix,
    MONGODB_URI: endpoints.mongodbUri,
    SES_ENDPOINT: endpoints.sesEndpoint,
    RELAY_MONGODB_DATABASE: ns.dbName,
    RELAY_KAFKA_GROUP_ID: ns.groupId,
    RELAY_COUNTERPARTY_HMAC_KEY: 'integration-test-counterparty-key-0123456789',
    RELAY_LINK_SECRET: 'integration-test-relay-link-secret-0123456789',
    RELAY_PLATFORM_PRIVACY_TEAM_EMAIL: PLATFORM_PRIVACY_TEAM_EMAIL,
    RELAY_OPERATOR_TOKENS: operatorTokenEntry('dev-operator', DEV_OPERATOR_TOKEN),
    RELAY_CONSOLE_USERS: DEV_CONSOLE_USERS_ENV,
    RELAY_EVIDENCE_SIGNING_KEY: TEST_EVIDENCE_SIGNING_KEY,
    // The test's own checkpoints, outside the repository.
    RELAY_EVIDENCE_DIR: join(tmpdir(), 'privacy-relay-evidence', ns.dbName),
    RELAY_PORT: '0',
    RELAY_HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}

/**
 * Intake's environment for a test running it in-process on the stack's servers, with the test's
 * namespace (topics, database, consumer groups) and listeners on free ports; `overrides` adds the
 * test's own (public URL, link secret, SMTP, ...).
 */
export function intakeTestEnv(
  ns: ReturnType<typeof testNamespace>,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const endpoints = stackEndpoints();
  return {
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: ns.topicPrefix,
    MONGODB_URI: endpoints.mongodbUri,
    SES_ENDPOINT: endpoints.sesEndpoint,
    AWS_REGION: 'eu-west-2',
    INTAKE_MONGODB_DATABASE: `${ns.dbName}_intake`,
    INTAKE_KAFKA_GROUP_ID: `${ns.groupId}-intake`,
    INTAKE_PORT: '0',
    INTAKE_HOST: '127.0.0.1',
    INTAKE_ADMIN_PORT: '0',
    ...overrides,
  };
}
