import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { intakeConfigSpec } from '@privacy-relay/intake/config';
import { createIntakeService, type IntakeService } from '@privacy-relay/intake/intake-service';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import { createRelayService, type RelayService } from '@privacy-relay/relay/relay-service';
import type { Connection } from 'mongoose';
import { publishVerifiedRequest } from '../../support/fixtures';
import { relayTestEnv } from '../../support/relay-env';
import {
  connectTestDatabase,
  createTestTopics,
  discardTestDatabase,
  eventually,
  freePort,
  stackEndpoints,
  testKafka,
  testLogger,
  testNamespace,
} from '../../support/test-env';

export interface StoredMail {
  messageId: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

export interface Tenant {
  tenantId: string;
  legalName: string;
  domain: string;
  contact: string;
}

/**
 * Intake and relay running here on the stack's real servers, each on a port picked beforehand so
 * that their public URLs (the links in the mails) are the addresses the browser opens. One tenant
 * in the directory for the requests to be matched to.
 */
export class PeopleStack {
  private constructor(
    readonly intakeUrl: string,
    readonly relayUrl: string,
    readonly tenant: Tenant,
    private readonly intake: IntakeService,
    private readonly relay: RelayService,
    private readonly publisher: KafkaEventPublisher,
    private readonly relayDb: Connection,
    private readonly intakeDbName: string,
  ) {}

  static async start(label: string): Promise<PeopleStack> {
    const ns = testNamespace(label);
    const logger = testLogger(label);
    const unique = Math.random().toString(36).slice(2, 10);
    const domain = `pages-${unique}.example`;
    const tenant: Tenant = {
      tenantId: `tenant-pages-${unique}`,
      legalName: `Pages ${unique} Widgets Ltd`,
      domain,
      contact: `privacy-${unique}@${domain}`,
    };
    const kafka = testKafka();
    await createTestTopics(kafka, ns.topicPrefix);
    const publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
    await publisher.connect();
    // The tenant first: the relay matches only once its directory has caught up.
    await publisher.publish(
      EVENTS.tenantDirectoryChangedV1,
      EVENTS.tenantDirectoryChangedV1.create(
        {
          tenantId: tenant.tenantId,
          changedAt: new Date().toISOString(),
          change: 'upserted',
          tenant: {
            legalName: tenant.legalName,
            aliases: [],
            domains: [domain],
            contacts: [{ email: tenant.contact, role: 'privacy' }],
            regime: 'uk-gdpr',
            jurisdiction: 'GB-ENG',
          },
        },
        { correlationId: tenant.tenantId },
      ),
    );
    const relayDb = await connectTestDatabase(ns.dbName, logger);
    const [intakePort, relayPort] = [await freePort(), await freePort()];
    const intakeUrl = `http://127.0.0.1:${intakePort}`;
    const relayUrl = `http://127.0.0.1:${relayPort}`;
    const relay = createRelayService(
      loadConfig(
        relayConfigSpec,
        relayTestEnv(ns, {
          RELAY_PORT: String(relayPort),
          RELAY_PUBLIC_URL: relayUrl,
          RELAY_MAIL_FROM: 'relay@relay.test',
        }),
      ),
      testLogger('relay'),
    );
    await relay.start();
    const endpoints = stackEndpoints();
    const intakeDbName = `${ns.dbName}_intake`;
    const intake = createIntakeService(
      loadConfig(intakeConfigSpec, {
        KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: ns.topicPrefix,
        MONGODB_URI: endpoints.mongodbUri,
        SES_ENDPOINT: endpoints.sesEndpoint,
        AWS_REGION: 'eu-west-2',
        INTAKE_MONGODB_DATABASE: intakeDbName,
        INTAKE_KAFKA_GROUP_ID: `${ns.groupId}-intake`,
        INTAKE_PORT: String(intakePort),
        INTAKE_HOST: '127.0.0.1',
        INTAKE_ADMIN_PORT: '0',
        INTAKE_PUBLIC_URL: intakeUrl,
        INTAKE_MAIL_FROM: 'privacy@relay.test',
        INTAKE_LINK_SECRET: 'browser-intake-link-secret-0123456789abcdef0123',
      }),
      testLogger('intake'),
    );
    await intake.start();
    return new PeopleStack(intakeUrl, relayUrl, tenant, intake, relay, publisher, relayDb, intakeDbName);
  }

  async stop(): Promise<void> {
    await this.intake.stop();
    await this.relay.stop();
    await this.publisher.disconnect();
    await this.relayDb
      .useDb(this.intakeDbName)
      .dropDatabase()
      .catch(() => undefined);
    await discardTestDatabase(this.relayDb);
  }

  /** The first mail to `address` that `matches`, from the SES endpoint's store, once it is there. */
  mailTo(address: string, matches: (mail: StoredMail) => boolean, what: string): Promise<StoredMail> {
    return eventually(
      async () => {
        const { emails } = (await (await fetch(`${stackEndpoints().sesEndpoint}/store`)).json()) as {
          emails: StoredMail[];
        };
        return emails.find((mail) => mail.destination.to.includes(address) && matches(mail));
      },
      30_000,
      `${what} in the SES endpoint's store`,
    );
  }

  /** Publishes a request received and verified, as intake would (e.g. one the matcher leaves in triage); its id. */
  publishVerifiedRequest(overrides: Parameters<typeof publishVerifiedRequest>[1] = {}): Promise<string> {
    return publishVerifiedRequest(this.publisher, overrides);
  }

  /** The state of a case as the relay stored it. */
  async caseState(caseId: string): Promise<string | undefined> {
    const found = await this.relayDb
      .collection<{ _id: string; data: { state: string } }>('cases')
      .findOne({ _id: caseId });
    return found?.data.state;
  }
}

/** The first link in a mail's text that matches `pattern`. */
export function linkIn(mail: StoredMail, pattern: RegExp): string {
  const found = pattern.exec(mail.body.text ?? '')?.[0];
  if (!found) throw new Error(`no ${String(pattern)} in the mail "${mail.subject}"`);
  return found;
}
