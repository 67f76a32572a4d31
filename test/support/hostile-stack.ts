import { request as httpRequest } from 'node:http';
import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS, topicName } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { createLogger } from '@privacy-relay/shared/logger';
import { intakeConfigSpec } from '@privacy-relay/intake/config';
import { createIntakeService, type IntakeService } from '@privacy-relay/intake/intake-service';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import { createRelayService, type RelayService } from '@privacy-relay/relay/relay-service';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import {
  TEST_CERT_URL,
  TEST_TOPIC_ARN,
  createTestSnsPki,
  type TestSnsPki,
} from '../../services/intake/test/email-sns-signer';
import { publishVerifiedRequest } from './fixtures';
import { relayTestEnv, intakeTestEnv } from './relay-env';
import { linkIn, storedMails, type StoredMail } from './ses-store';
import {
  connectTestDatabase,
  createTestTopics,
  discardTestDatabase,
  eventually,
  freePort,
  readTopic,
  testKafka,
  testLogger,
  testNamespace,
} from './test-env';

export const HOSTILE_INTAKE_URL = 'https://intake.example';
export const HOSTILE_RELAY_URL = 'https://relay.example';
export const HOSTILE_RELAY_LINK_SECRET = 'hostile-relay-link-secret-0123456789abcdef';
export const HOSTILE_PRIVACY_ADDRESS = 'privacy@relay.example';
/** The SES event notifications' topic (the inbound mail's is TEST_TOPIC_ARN). */
export const HOSTILE_EVENTS_TOPIC_ARN = 'arn:aws:sns:eu-west-2:123456789012:privacy-ses-events';
/** An SNS host URL serving a certificate for sns.amazonaws.com issued by another CA (a forger's). */
export const ROGUE_CERT_URL = 'https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-rogue.pem';
/** An SNS host URL serving something that is no certificate. */
export const JUNK_CERT_URL = 'https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-junk.pem';
/** The largest mail the SMTP listener and the SES inbound route take in these tests. */
export const HOSTILE_MAX_MAIL_BYTES = 64 * 1024;

export interface ForwardedCase {
  requestId: string;
  caseId: string;
  sesMessageId: string;
  links: Record<'acknowledge' | 'done' | 'not-ours' | 'extend', string>;
}

/**
 * Intake (HTTP, SMTP, both SNS endpoints) and the relay, both in-process on the stack's servers
 * with a namespace of their own and one tenant in the directory, for the hostile-input campaign.
 * SNS certificates come from an injected fetcher (the test CA's certificate, a rogue one, junk;
 * anything else cannot be fetched); every URL it was asked for is kept. Log lines of both
 * services are kept.
 */
export function hostileStack(label: string, options: { sns?: boolean } = {}) {
  const withSns = options.sns ?? true;
  const ns = testNamespace(label);
  const logger = testLogger(`${label}-test`);
  const unique = Math.random().toString(36).slice(2, 10);
  const tenantId = `tenant-${label}-${unique}`;
  const tenantName = `Hostile ${unique} Widgets Ltd`;
  const contact = `privacy-${unique}@hostile-${unique}.example`;
  const fetchedUrls: string[] = [];
  const logLines: string[] = [];
  let pki: TestSnsPki;
  let kafka: Kafka;
  let publisher: KafkaEventPublisher;
  let relay: RelayService;
  let intake: IntakeService;
  let relayDb: Connection;
  let smtpPort = 0;
  /** When the stack started (seconds): the SES store is read from then on only (it holds every test's mail). */
  let startedAtS = 0;
  const lineLogger = (name: string) =>
    createLogger({ name, level: 'info', destination: { write: (line: string) => void logLines.push(line) } });

  const stack = {
    ns,
    unique,
    tenantId,
    tenantName,
    contact,
    fetchedUrls,
    logLines,
    get pki() {
      return pki;
    },
    get kafka() {
      return kafka;
    },
    /** The test's publisher on the namespace's topics (events as intake would publish them). */
    get publisher() {
      return publisher;
    },
    get relayDb() {
      return relayDb;
    },
    get intakeDb() {
      return relayDb.useDb(`${ns.dbName}_intake`);
    },
    get intakeUrl() {
      return `http://127.0.0.1:${intake.port}`;
    },
    get relayUrl() {
      return `http://127.0.0.1:${relay.port}`;
    },
    get smtpPort() {
      return smtpPort;
    },

    async start(): Promise<void> {
      startedAtS = Math.floor(Date.now() / 1000) - 1;
      kafka = testKafka();
      // The test PKI's RSA keys take a while to make: only for a suite that signs SNS messages.
      const [madePki] = await Promise.all([
        withSns ? createTestSnsPki() : Promise.resolve(undefined),
        createTestTopics(kafka, ns.topicPrefix),
      ]);
      if (madePki) pki = madePki;
      publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
      await publisher.connect();
      relayDb = await connectTestDatabase(ns.dbName, logger);
      await publisher.publish(
        EVENTS.tenantDirectoryChangedV1,
        EVENTS.tenantDirectoryChangedV1.create(
          {
            tenantId,
            changedAt: new Date().toISOString(),
            change: 'upserted',
            tenant: {
              legalName: tenantName,
              aliases: [],
              domains: [],
              contacts: [{ email: contact, role: 'privacy' }],
              regime: 'uk-gdpr',
              jurisdiction: 'GB-ENG',
            },
          },
          { correlationId: tenantId },
        ),
      );
      relay = createRelayService(
        loadConfig(
          relayConfigSpec,
          relayTestEnv(ns, {
            RELAY_PUBLIC_URL: HOSTILE_RELAY_URL,
            RELAY_LINK_SECRET: HOSTILE_RELAY_LINK_SECRET,
            RELAY_MAIL_FROM: 'relay@relay.test',
            RELAY_SES_CONFIGURATION_SET: 'privacy-relay-forwards',
            LOG_LEVEL: 'info',
          }),
        ),
        lineLogger('relay'),
      );
      smtpPort = await freePort();
      intake = createIntakeService(
        loadConfig(
          intakeConfigSpec,
          intakeTestEnv(ns, {
            INTAKE_PUBLIC_URL: HOSTILE_INTAKE_URL,
            INTAKE_MAIL_FROM: 'privacy@relay.test',
            INTAKE_LINK_SECRET: 'hostile-intake-link-secret-0123456789abcdef',
            INTAKE_RATE_LIMIT_PER_IP_PER_MINUTE: '100000',
            INTAKE_RATE_LIMIT_PER_EMAIL_PER_HOUR: '100000',
            INTAKE_SMTP_ENABLED: 'true',
            INTAKE_SMTP_HOST: '127.0.0.1',
            INTAKE_SMTP_PORT: String(smtpPort),
            INTAKE_PRIVACY_ADDRESSES: HOSTILE_PRIVACY_ADDRESS,
            INTAKE_SMTP_MAX_MESSAGE_BYTES: String(HOSTILE_MAX_MAIL_BYTES),
            INTAKE_SES_INBOUND_TOPIC_ARNS: TEST_TOPIC_ARN,
            INTAKE_SES_EVENTS_TOPIC_ARNS: HOSTILE_EVENTS_TOPIC_ARN,
            INTAKE_SES_INBOUND_BODY_LIMIT_BYTES: String(256 * 1024),
            LOG_LEVEL: 'info',
          }),
        ),
        lineLogger('intake'),
        withSns
          ? {
              sns: {
                trustedCaPem: pki.caPem,
                fetchText: async (url) => {
                  fetchedUrls.push(url.href);
                  if (url.href === TEST_CERT_URL) return pki.certPem;
                  if (url.href === ROGUE_CERT_URL) return pki.rogueCertPem;
                  if (url.href === JUNK_CERT_URL) return 'no certificate here';
                  if (url.searchParams.get('Action') === 'ConfirmSubscription') return '<ConfirmSubscriptionResponse/>';
                  throw new Error('unreachable in tests');
                },
              },
            }
          : {},
      );
      await Promise.all([relay.start(), intake.start()]);
      await eventually(async () => (relay.tenantIndex.has(tenantId) ? true : undefined), 30_000, 'the tenant');
    },

    async stop(): Promise<void> {
      await intake?.stop();
      await relay?.stop();
      await publisher?.disconnect();
      if (relayDb)
        await relayDb
          .useDb(`${ns.dbName}_intake`)
          .dropDatabase()
          .catch(() => undefined);
      await discardTestDatabase(relayDb);
    },

    /** Both services answer /healthz (200): the process took the batch and is still up. */
    async healthy(): Promise<boolean> {
      const answers = await Promise.all(
        [stack.intakeUrl, stack.relayUrl].map((base) => fetch(`${base}/healthz`).then((r) => r.status)),
      );
      return answers.every((status) => status === 200);
    },

    /** Every message on one of the namespace's topics right now. */
    async messagesOn(contract: { topic: string }): Promise<{ key: string | null; value: string }[]> {
      return readTopic(kafka, topicName(contract, ns.topicPrefix), { timeoutMs: 1_000 });
    },

    /**
     * Resolves once the relay's consumer group `groupSuffix` (`''` for matching, `.forwarding` for
     * case and mail events) has committed every message now on the contract's topic: a positive
     * marker that it has handled them all, instead of waiting for a while.
     */
    async relayConsumed(contract: { topic: string }, groupSuffix: string): Promise<void> {
      const topic = topicName(contract, ns.topicPrefix);
      const admin = kafka.admin();
      await admin.connect();
      try {
        const ends = await admin.fetchTopicOffsets(topic);
        await eventually(
          async () => {
            const [committed] = await admin.fetchOffsets({ groupId: `${ns.groupId}${groupSuffix}`, topics: [topic] });
            const at = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]));
            return ends.every((end) => Number(end.high) === 0 || (at.get(end.partition) ?? -1) >= Number(end.high))
              ? true
              : undefined;
          },
          30_000,
          `the relay's group ${groupSuffix || '(matching)'} past every message on ${topic}`,
        );
      } finally {
        await admin.disconnect();
      }
    },

    /** A request for the tenant, verified as intake publishes it, forwarded by the relay: its case and links. */
    async forwardedCase(): Promise<ForwardedCase> {
      const tag = Math.random().toString(36).slice(2, 10);
      const requestId = await publishVerifiedRequest(publisher, {
        company: { name: tenantName },
        requester: { name: `Ada H${tag}`, email: `ada-${unique}-${tag}@example.org` },
      });
      // The forward's subject names the requester: one mail per case to the one contact.
      const mail = await eventually(
        async () => (await stack.mailsTo(contact)).find((m) => m.subject.includes(`from Ada H${tag} `)),
        30_000,
        'the forward',
      );
      const link = (action: string) =>
        linkIn(mail.body.text, new RegExp(`https://relay\\.example/case-links/[0-9a-f-]{36}/${action}/\\S+`)).replace(
          HOSTILE_RELAY_URL,
          stack.relayUrl,
        );
      const acknowledge = link('acknowledge');
      const caseId = /case-links\/([0-9a-f-]{36})\//.exec(acknowledge)?.[1] ?? '';
      // The relay records the SES message id a moment after SES took the mail.
      await eventually(async () => ((await stack.storedCase(caseId))?.data.state === 'forwarded' ? true : undefined));
      return {
        requestId,
        caseId,
        sesMessageId: mail.messageId,
        links: { acknowledge, done: link('done'), 'not-ours': link('not-ours'), extend: link('extend') },
      };
    },

    /** The mails to `address` the SES endpoint took since the stack started. */
    async mailsTo(address: string): Promise<StoredMail[]> {
      return (await storedMails(startedAtS)).filter((mail) => mail.destination.to.includes(address));
    },

    storedCase(caseId: string) {
      return relayDb.collection<{ _id: string }>('cases').findOne({ _id: caseId }) as Promise<{
        version: number;
        data: { state: string; audit: { what: string; snsMessageId?: string }[] };
      } | null>;
    },
  };
  return stack;
}

/** One answer, whatever the edge: an HTTP status or SMTP reply code, and a stable code. */
export interface Answer {
  status: number;
  code: string;
}

/** One hostile input: what it is, the answer it must get, and how it is sent. */
export type Row = [what: string, status: number, code: string, send: () => Promise<Answer>];

/**
 * The error code of a JSON answer (or its `status`), the `<title>` of an HTML page without the
 * site's name and a request's reference (`PR-…`), `ACCEPTED` for a bare 2xx.
 */
export async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    const json = (text ? JSON.parse(text) : {}) as { error?: { code?: string }; status?: string };
    return { status: response.status, code: json.error?.code ?? json.status ?? 'ACCEPTED' };
  }
  const title = /<title>([^<]*?)(?: PR-[A-Z0-9-]+)?(?: — Privacy Relay)?<\/title>/.exec(text)?.[1]?.trim();
  return { status: response.status, code: title ?? (response.ok ? 'ACCEPTED' : text.slice(0, 60)) };
}

/** A request exactly as written: no URL normalisation (`..`, `%2e`), any method. */
export function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers))
          if (typeof value === 'string') answerHeaders.set(name, value);
        const body = method === 'HEAD' ? null : Buffer.concat(chunks);
        resolve(answerOf(new Response(body, { status: res.statusCode ?? 0, headers: answerHeaders })));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * One table of the campaign: a test per row asserting its exact answer, then one asserting that
 * both services still answer /healthz after the whole batch.
 */
export function hostileTable(stack: { healthy(): Promise<boolean> }, edge: string, rows: Row[]): void {
  it.each(rows)(`When ${edge} gets %s, then it answers %i %s`, async (_what, status, code, send) => {
    expect(await send()).toEqual({ status, code });
  });
  it(`When ${edge} has taken all ${rows.length} inputs, then intake and relay still answer /healthz`, async () => {
    expect(await stack.healthy()).toBe(true);
  });
}
