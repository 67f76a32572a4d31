import { MessageRejected, SESClient, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { loadConfig } from '@privacy-relay/shared/config';
import {
  EVENTS,
  topicName,
  type AnyEventContractShape,
  type EnvelopeOf,
  type MailEventV1Payload,
  type RequestReceivedV1,
} from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { createLogger } from '@privacy-relay/shared/logger';
import { caseIdFor } from '@privacy-relay/relay/domain/matching/case-id';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import { createRelayService, type RelayService } from '@privacy-relay/relay/relay-service';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import { publishVerifiedRequest, receivedRequestEvent } from '../../../../test/support/fixtures';
import { DEV_OPERATOR_TOKEN, relayTestEnv } from '../../../../test/support/relay-env';
import {
  connectTestDatabase,
  createTestTopics,
  discardTestDatabase,
  eventually,
  readTopic,
  stackEndpoints,
  testKafka,
  testLogger,
  testNamespace,
} from '../../../../test/support/test-env';

export interface StoredMail {
  messageId: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

export interface StoredCase {
  version: number;
  state: string;
  data: {
    state: string;
    deadline: string;
    messages: { contactIndex: number; sesMessageId?: string; delivery: string }[];
    audit: { what: string; sesMessageId?: string; snsMessageId?: string; by: { kind: string } }[];
    evidence?: { snsMessageId?: string; sesMessageId: string; rawNotification: string }[];
  };
}

/** An answer of the operator API: its status and JSON body (an `error` with a stable code on failure). */
export interface OperatorAnswer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string; details?: Record<string, unknown> } };
}

/** How the SES endpoint is made to refuse a recipient: for good, or as not verified (SES sandbox). */
export type SesRefusal = 'rejected' | 'not-verified';

export const FORWARDING_LINK_SECRET = 'integration-test-relay-link-secret-0123456789';
const PUBLIC_URL = 'https://relay.example';

/**
 * A relay that forwards, against the stack's servers, with one tenant of its own (an admin
 * contact listed first, then two privacy contacts); its log lines are kept for assertions.
 * Call `start()` in beforeAll and `stop()` in afterAll. `options.env` wins over its environment.
 * With `sesRefusals`, the relay's SES client carries a middleware that answers for the addresses
 * in `refusals` what SES answers when it refuses a mail (the request never reaches the endpoint),
 * so the mailer's own reading of it is tested.
 */
export function forwardingHarness(
  label: string,
  options: {
    sesRefusals?: boolean;
    env?: Record<string, string>;
    /** The relay's clock (the escalation ladder's tests move it); the system clock when absent. */
    clock?: { now(): Date };
  } = {},
) {
  const envOverrides = options.env ?? {};
  const ns = testNamespace(label);
  const logger = testLogger(`relay-${label}-test`);
  const unique = Math.random().toString(36).slice(2, 10);
  const tenantId = `tenant-${label}-${unique}`;
  const contacts = {
    admin: `admin-${unique}@acme.example`,
    firstPrivacy: `privacy-${unique}@acme.example`,
    secondPrivacy: `second-${unique}@acme.example`,
  };
  const env = relayTestEnv(ns, {
    RELAY_LINK_SECRET: FORWARDING_LINK_SECRET,
    RELAY_PUBLIC_URL: PUBLIC_URL,
    RELAY_MAIL_FROM: 'relay@relay.test',
    RELAY_SES_CONFIGURATION_SET: 'privacy-relay-forwards',
    LOG_LEVEL: 'info',
    ...envOverrides,
  });
  const logLines: string[] = [];
  const refusals = new Map<string, SesRefusal>();
  let kafka: Kafka;
  let relay: RelayService;
  let publisher: KafkaEventPublisher;
  let connection: Connection;

  return {
    ns,
    unique,
    tenantId,
    contacts,
    logLines,
    /** The relay's environment (its database, evidence directory, …), for commands run beside it. */
    env,
    /** Addresses the SES endpoint refuses (with `sesRefusals`), and how. */
    refusals,
    get relay() {
      return relay;
    },

    async start(): Promise<void> {
      kafka = testKafka();
      await createTestTopics(kafka, ns.topicPrefix);
      publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
      await publisher.connect();
      connection = await connectTestDatabase(ns.dbName, logger);
      // The directory change first: the relay matches (and forwards) only once it has caught up.
      await publisher.publish(
        EVENTS.tenantDirectoryChangedV1,
        EVENTS.tenantDirectoryChangedV1.create(
          {
            tenantId,
            changedAt: new Date().toISOString(),
            change: 'upserted',
            tenant: {
              legalName: 'Acme Forwarding Ltd',
              aliases: [],
              domains: [],
              contacts: [
                { email: contacts.admin, role: 'admin' },
                { email: contacts.firstPrivacy, role: 'privacy' },
                { email: contacts.secondPrivacy, role: 'privacy' },
              ],
              regime: 'uk-gdpr',
              jurisdiction: 'GB-ENG',
            },
          },
          { correlationId: tenantId },
        ),
      );
      const config = loadConfig(relayConfigSpec, env);
      relay = createRelayService(
        config,
        createLogger({
          name: 'relay',
          level: 'info',
          destination: { write: (line: string) => void logLines.push(line) },
        }),
        options.clock,
        options.sesRefusals ? { sesClient: refusingSesClient(config.awsRegion, refusals) } : {},
      );
      await relay.start();
    },

    async stop(): Promise<void> {
      await relay?.stop();
      await publisher?.disconnect();
      await discardTestDatabase(connection);
    },

    /** The mails the SES endpoint holds for `address`. */
    async mailsTo(address: string): Promise<StoredMail[]> {
      const response = await fetch(`${stackEndpoints().sesEndpoint}/store`);
      const { emails } = (await response.json()) as { emails: StoredMail[] };
      return emails.filter((mail) => mail.destination.to.includes(address));
    },

    /** A link from a mail, pointed at the relay this test runs. */
    local(link: string): string {
      return link.replace(PUBLIC_URL, `http://127.0.0.1:${relay.port}`);
    },

    /** Publishes an SES delivery event for a case, as intake would (its payload as given). */
    async publishMailEvent(payload: MailEventV1Payload): Promise<void> {
      await publisher.publish(
        EVENTS.mailEventV1,
        EVENTS.mailEventV1.create(payload, { correlationId: payload.caseId ?? payload.sesMessageId }),
      );
    },

    /** The test's database, for reading (and, in the ladder's tests, moving the timer sweep cursor). */
    get db(): Connection {
      return connection;
    },

    storedCase(caseId: string): Promise<StoredCase | null> {
      return connection.collection<{ _id: string }>('cases').findOne({ _id: caseId }) as Promise<StoredCase | null>;
    },

    /** Events about `caseId` on a contract's topic, once there are at least `atLeast`. */
    eventsOn(contract: { topic: string }, caseId: string, atLeast = 1) {
      return eventually(async () => {
        const found = (await readTopic(kafka, topicName(contract, ns.topicPrefix), { timeoutMs: 1_000 }))
          .map((m) => JSON.parse(m.value) as { payload: { caseId?: string } & Record<string, unknown> })
          .filter((e) => e.payload.caseId === caseId);
        return found.length >= atLeast ? found : undefined;
      });
    },

    /** Adds another tenant to the directory (privacy contacts in this order) and waits for the relay's index to hold it. */
    async addTenant(otherTenantId: string, legalName: string, privacyContacts: readonly string[]): Promise<void> {
      await publisher.publish(
        EVENTS.tenantDirectoryChangedV1,
        EVENTS.tenantDirectoryChangedV1.create(
          {
            tenantId: otherTenantId,
            changedAt: new Date().toISOString(),
            change: 'upserted',
            tenant: {
              legalName,
              aliases: [],
              domains: [],
              contacts: privacyContacts.map((email) => ({ email, role: 'privacy' as const })),
              regime: 'uk-gdpr',
              jurisdiction: 'GB-ENG',
            },
          },
          { correlationId: otherTenantId },
        ),
      );
      await eventually(async () => (relay.tenantIndex.has(otherTenantId) ? true : undefined));
    },

    /** A request received and verified, as intake publishes it: the relay's matcher decides where it goes. */
    verifiedRequest(overrides: Partial<RequestReceivedV1['payload']> = {}): Promise<string> {
      return publishVerifiedRequest(publisher, overrides);
    },

    /** Publishes an envelope as it is (a redelivery: same id, same payload). */
    async publishAgain<C extends AnyEventContractShape>(contract: C, envelope: EnvelopeOf<C>): Promise<void> {
      await publisher.publish(contract, envelope);
    },

    /** Calls the relay's operator API as the development operator; the JSON answer and its status. */
    async operator(method: string, path: string, body?: unknown): Promise<OperatorAnswer> {
      const response = await fetch(`http://127.0.0.1:${relay.port}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${DEV_OPERATOR_TOKEN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as OperatorAnswer['body'] };
    },

    /**
     * A stored request marked verified in the relay's store only (no verified event, so the matcher
     * leaves it alone; `overrides` change its payload) and the case an operator matched it to.
     */
    async matchedCase(
      receivedAt: string,
      overrides: Partial<RequestReceivedV1['payload']> = {},
    ): Promise<{ requestId: string; caseId: string }> {
      const received = receivedRequestEvent({
        receivedAt,
        requester: { name: 'Ada <b>Example</b>', email: `ada-${unique}@example.org` },
        rights: ['access', 'erasure'],
        text: 'Please send me <script>alert(1)</script> my data.',
        ...overrides,
      });
      const { requestId } = received.payload;
      await publisher.publish(EVENTS.requestReceivedV1, received);
      await eventually(() =>
        connection
          .collection('requests')
          .findOne({ _id: requestId as never })
          .then((d) => d ?? undefined),
      );
      // The relay opens cases only for verified requests.
      await connection
        .collection('requests')
        .updateOne({ _id: requestId as never }, { $set: { status: 'verified', verifiedAt: new Date() } });
      const caseId = caseIdFor(requestId, tenantId);
      await publisher.publish(
        EVENTS.caseMatchedV1,
        EVENTS.caseMatchedV1.create(
          {
            caseId,
            requestId,
            tenantId,
            matchedAt: new Date().toISOString(),
            matchedBy: 'operator',
            operatorId: 'dev-operator',
            score: 1,
            reasons: [{ signal: 'operator', score: 1 }],
          },
          { correlationId: requestId },
        ),
      );
      return { requestId, caseId };
    },
  };
}

/** An SES client that answers SES's refusals for the addresses in `refusals`, and sends the rest to the endpoint. */
function refusingSesClient(region: string, refusals: ReadonlyMap<string, SesRefusal>): SESClient {
  const client = new SESClient({
    region,
    endpoint: stackEndpoints().sesEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const to = (args.input as SendEmailCommandInput).Destination?.ToAddresses ?? [];
      const refused = to.filter((address) => refusals.has(address));
      if (refused.length > 0) {
        const sandbox = refused.some((address) => refusals.get(address) === 'not-verified');
        // What SES says for a blocked address, and, in its sandbox, for a recipient that is not a verified identity.
        throw new MessageRejected({
          message: sandbox
            ? `Email address is not verified. The following identities failed the check in region ${region.toUpperCase()}: ${refused.join(', ')}`
            : 'Address blacklisted.',
          $metadata: { httpStatusCode: 400 },
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'sesRefusal' },
  );
  return client;
}
