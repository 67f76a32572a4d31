import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS, topicName, type RequestReceivedV1, type RequestVerifiedV1 } from '@privacy-relay/shared/events';
import { intakeConfigSpec } from '@privacy-relay/intake/config';
import { createIntakeService, type IntakeService } from '@privacy-relay/intake/intake-service';
import type { Logger } from '@privacy-relay/shared/logger';
import type { Kafka } from 'kafkajs';
import {
  eventually,
  readTopic,
  stackEndpoints,
  testKafka,
  testLogger,
  testNamespace,
} from '../../../../test/support/test-env';

// The SES endpoint accepts any credentials; the SDK wants some.
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

export const TEST_LINK_SECRET = 'test-link-secret-0123456789abcdef0123456789';

export interface IntakeHarness {
  intake: IntakeService;
  kafka: Kafka;
  baseUrl: string;
  ns: ReturnType<typeof testNamespace>;
  receivedEvents(atLeast?: number): Promise<RequestReceivedV1[]>;
  verifiedEvents(atLeast?: number): Promise<RequestVerifiedV1[]>;
  stop(): Promise<void>;
}

/** Intake on a random port with a topic prefix and database of its own. */
export async function startIntake(
  label: string,
  env: Record<string, string> = {},
  kafkaBrokers = stackEndpoints().kafkaBrokers.join(','),
  logger: Logger = testLogger('intake'),
): Promise<IntakeHarness> {
  const ns = testNamespace(label);
  const endpoints = stackEndpoints();
  const config = loadConfig(intakeConfigSpec, {
    KAFKA_BROKERS: kafkaBrokers,
    KAFKA_TOPIC_PREFIX: ns.topicPrefix,
    MONGODB_URI: endpoints.mongodbUri,
    SES_ENDPOINT: endpoints.sesEndpoint,
    AWS_REGION: 'eu-west-2',
    INTAKE_MONGODB_DATABASE: ns.dbName,
    INTAKE_KAFKA_GROUP_ID: ns.groupId,
    INTAKE_PORT: '0',
    INTAKE_HOST: '127.0.0.1',
    INTAKE_ADMIN_PORT: '0',
    INTAKE_PUBLIC_URL: 'http://intake.test',
    INTAKE_MAIL_FROM: 'privacy@relay.test',
    INTAKE_LINK_SECRET: TEST_LINK_SECRET,
    INTAKE_RATE_LIMIT_PER_IP_PER_MINUTE: '100000',
    INTAKE_RATE_LIMIT_PER_EMAIL_PER_HOUR: '100000',
    ...env,
  });
  const intake = createIntakeService(config, logger);
  await intake.start();
  const kafka = testKafka(kafkaBrokers.split(','));
  // A freshly created topic can answer "not the leader" for a moment: read again until it settles.
  const read = async <T>(topic: string, parse: (raw: unknown) => T, atLeast: number) =>
    (
      await eventually(
        () => readTopic(kafka, topic, { atLeast, timeoutMs: atLeast > 0 ? 15_000 : 1_000 }),
        30_000,
        `messages on ${topic}`,
      )
    ).map((message) => parse(JSON.parse(message.value)));
  return {
    intake,
    kafka,
    ns,
    baseUrl: `http://127.0.0.1:${intake.port}`,
    receivedEvents: (atLeast = 0) =>
      read(topicName(EVENTS.requestReceivedV1, ns.topicPrefix), (raw) => EVENTS.requestReceivedV1.parse(raw), atLeast),
    verifiedEvents: (atLeast = 0) =>
      read(topicName(EVENTS.requestVerifiedV1, ns.topicPrefix), (raw) => EVENTS.requestVerifiedV1.parse(raw), atLeast),
    stop: () => intake.stop(),
  };
}

export interface StoredMail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

/** Mails the SES endpoint holds for one address (each test uses addresses of its own). */
export async function mailsTo(address: string): Promise<StoredMail[]> {
  const response = await fetch(`${stackEndpoints().sesEndpoint}/store`);
  const { emails } = (await response.json()) as { emails: StoredMail[] };
  return emails.filter((mail) => mail.destination.to.some((to) => to.includes(address)));
}

/** A unique requester address per call, so SES store lookups never see another test's mail. */
export function uniqueEmail(label: string): string {
  return `${label}-${Math.random().toString(36).slice(2, 10)}@requester.example`;
}

export function validBody(email: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    requester: { name: 'Ada Example', email },
    rights: ['access', 'erasure'],
    company: { name: 'Juro Online Limited' },
    text: 'Please send me a copy of my data and then delete it.',
    ...overrides,
  };
}

export async function postJson(
  baseUrl: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/v1/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : {} };
}

/** Opens the form like a browser: the CSRF cookie and the hidden form token. */
export async function openForm(baseUrl: string): Promise<{ cookie: string; formToken: string; html: string }> {
  const response = await fetch(`${baseUrl}/request`);
  const html = await response.text();
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const formToken = /name="formToken" value="([^"]+)"/.exec(html)?.[1] ?? '';
  return { cookie, formToken, html };
}

export async function postForm(
  baseUrl: string,
  fields: Array<[string, string]>,
  cookie: string,
): Promise<{ status: number; html: string; headers: Headers }> {
  const response = await fetch(`${baseUrl}/request`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, html: await response.text(), headers: response.headers };
}

/** The path of the first link to intake in a mail, e.g. `/verify/<token>`. */
export function linkPath(text: string, kind: 'verify' | 'status'): string {
  const match = new RegExp(`http://intake\\.test(/${kind}/[A-Za-z0-9._-]+)`).exec(text);
  if (!match?.[1]) throw new Error(`no ${kind} link in the mail`);
  return match[1];
}
