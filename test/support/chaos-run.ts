import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENTS } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { closeMongo, connectMongo } from '@privacy-relay/shared/mongo';
import type { Connection } from 'mongoose';
import { RawSmtpClient } from '../../services/intake/test/email-raw-smtp';
import { attributeDuplicates, type StoredCaseDoc } from './forwarding-crash-run';
import { relayTestEnv } from './relay-env';
import { startServiceProcess, type RelayProcess } from './relay-process';
import type { StoredMail } from './ses-store';
import { createTestTopics, freePort, testKafka, testLogger, testNamespace } from './test-env';
import { seededRandom, COMPANY_WORDS, COMPANY_TRADES } from './seeded-random';

/**
 * The campaign of issue 18 ("nothing lost, nothing twice, nothing leaked"): two intake and two
 * relay instances as real child processes on one Kafka, one database and one SES endpoint;
 * requests through the JSON API, the form and SMTP, each confirmed through the link mailed to its
 * requester; at seeded moments each instance is SIGKILLed (and restarted) and Kafka, PostgreSQL
 * and FerretDB are restarted. Then it counts, from the SES endpoint's store and the databases, what
 * ended forwarded, in triage, lost or twice, and scans every line the services logged for the
 * campaign's personal data and tokens. Used by `npm run bench:chaos` and the small CI version
 * (test/integration/chaos-small.int.test.ts).
 */
export interface ChaosStack {
  kafkaBrokers: string;
  mongodbUri: string;
  sesEndpoint: string;
  /** Stops the broker, waits `downMs`, starts it again (same port and data). */
  restartKafka?: (downMs: number) => Promise<void>;
  restartPostgres?: (downMs: number) => Promise<void>;
  restartFerretdb?: (downMs: number) => Promise<void>;
  /** The servers' run dir: their logs are scanned too (reported apart). */
  runDir?: string;
}

export interface ChaosOptions {
  stack: ChaosStack;
  requests: number;
  seed: number;
  /** SIGKILLs of each of the four service instances (those of `killInstances`, when given). */
  killsPerInstance: number;
  /** Only these instances are killed (intake-a, intake-b, relay-a, relay-b); default all four. */
  killInstances?: string[];
  kafkaRestarts: number;
  postgresRestarts: number;
  ferretdbRestarts: number;
  /** How long a restarted dependency stays down. */
  downMs?: number;
  /** Requests in flight at once (each: submit, wait for its mail, confirm). */
  concurrency?: number;
  /** Tenants in the directory (some share a name: ambiguous). */
  tenants?: number;
  /** Where every process's stdout/stderr goes (one file per instance). Default: a new temporary directory. */
  logDir?: string;
  /** Longest wait for a requester's verification mail. */
  mailTimeoutMs?: number;
  /** Longest the run waits, once the clients are done, without any further request ending. */
  settleTimeoutMs?: number;
  log?: (line: string) => void;
}

export type Channel = 'api' | 'form' | 'smtp';
export type FaultKind = 'kill' | 'kafka' | 'postgres' | 'ferretdb';

export interface FaultRecord {
  kind: FaultKind;
  target: string;
  /** From the start of the run. */
  atMs: number;
  /** How long until the instance was ready again / the server answered again. */
  tookMs: number;
  /** Relay kills: messages whose intent was stored without an SES message id at the kill. */
  openWindows: string[];
}

export interface ChaosResult {
  requests: number;
  byChannel: Record<Channel, number>;
  accepted: number;
  /** Requests the campaign gave up on before intake accepted them (each one counted, with why). */
  notAccepted: string[];
  confirmed: number;
  forwarded: number;
  triaged: number;
  /** Accepted requests that ended neither forwarded (with their mail) nor in triage, with what is missing. */
  lost: string[];
  /** (case, contact) pairs that got the forward more than once, each put next to a relay kill's open window. */
  duplicateForwards: ReturnType<typeof attributeDuplicates>;
  /** (request, contact) pairs reached by more than one case: a request accepted twice. */
  duplicateRequestForwards: number;
  /** Requesters with more than one request id (each requester sends one request). */
  duplicateRequests: number;
  forwardMails: number;
  mailedPairs: number;
  escalationMails: number;
  duplicateEscalationMails: number;
  /** Requester mails (receipt, verification, notices) that reached one address twice with one subject. */
  duplicateRequesterMails: number;
  http5xx: { retryAfter503: number; other: number; byStatus: Record<string, number> };
  smtpTemporary: number;
  smtpPermanent: number;
  connectionErrors: number;
  /** Requests that met a 5xx, a 4xx SMTP reply or a broken connection and were retried; of them lost. */
  retriedRequests: number;
  retriedLost: number;
  faults: FaultRecord[];
  /** Where each instance's stdout/stderr is (kept after the run). */
  logDir: string;
  logFiles: string[];
  logLines: number;
  /** Personal data or tokens of the campaign found in the services' logs: `file:line: what`. */
  logHits: string[];
  /** Same scan over the servers' own logs (Kafka, PostgreSQL, FerretDB; not the SES stand-in). */
  serverLogHits: string[];
  needles: number;
  submitMs: number;
  settleMs: number;
  durationMs: number;
  settings: Record<string, string | number>;
}

/** A number as lowercase letters (a, b, … z, ba, …): names made unique without digits. */
function letters(n: number): string {
  let out = '';
  do {
    out = String.fromCharCode(97 + (n % 26)) + out;
    n = Math.floor(n / 26);
  } while (n > 0);
  return out;
}

const FIRST_NAMES = ['Ada', 'Bartholomew', 'Cressida', 'Dorian', 'Elowen', 'Fitzgerald', 'Griselda', 'Horatio'];
const SURNAMES = ['Okafor', 'Lindqvist', 'Moreau', 'Takahashi', 'Brannigan', 'Szymanska', 'Achterberg', 'Quispe'];
const ABSENT_WORDS = ['Vantablue', 'Orrery', 'Pellucid', 'Quorvath', 'Sundial', 'Tamarisk'];

interface Tenant {
  tenantId: string;
  legalName: string;
  domain: string;
}

interface PlannedRequest {
  index: number;
  channel: Channel;
  name: string;
  email: string;
  companyName: string;
  companyEmail?: string;
  text: string;
  /** Words only this request's personal data holds (searched for in the logs). */
  needles: string[];
}

interface RequestOutcome {
  reference?: string;
  confirmed: boolean;
  retried: boolean;
  failure?: string;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One service instance (a child process), restarted on the same ports after a kill. */
class Instance {
  private process: RelayProcess | undefined;
  private readonly out: WriteStream;
  readonly logFile: string;
  constructor(
    readonly name: string,
    readonly service: 'intake' | 'relay',
    private readonly env: Record<string, string>,
    readonly httpPort: number,
    readonly smtpPort: number | undefined,
    logDir: string,
  ) {
    this.logFile = join(logDir, `${name}.log`);
    this.out = createWriteStream(this.logFile, { flags: 'a' });
  }

  get pid(): number {
    return this.process?.pid ?? 0;
  }

  async start(): Promise<void> {
    this.process = startServiceProcess(this.service, this.env, (line) => this.out.write(`${line}\n`));
    await this.process.ready;
  }

  /** SIGKILL, then a new process on the same ports; resolves once it is ready. */
  async killAndRestart(): Promise<void> {
    const current = this.process;
    current?.kill('SIGKILL');
    await current?.exited;
    await this.start();
  }

  async stop(): Promise<void> {
    const current = this.process;
    this.process = undefined;
    current?.kill('SIGTERM');
    const timer = setTimeout(() => current?.kill('SIGKILL'), 15_000);
    await current?.exited;
    clearTimeout(timer);
    await new Promise<void>((resolve) => this.out.end(resolve));
  }
}

/**
 * The SES endpoint's store, read incrementally (`?since=`): every mail of the run by recipient,
 * so that thousands of requesters waiting for their mail cost one poll.
 */
class MailWatch {
  private readonly byId = new Map<string, StoredMail>();
  private readonly byRecipient = new Map<string, StoredMail[]>();
  private since: number;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  constructor(
    private readonly sesEndpoint: string,
    sinceEpochS: number,
  ) {
    this.since = sinceEpochS;
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), 400);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const response = await fetch(`${this.sesEndpoint}/store?since=${this.since}`, {
        signal: AbortSignal.timeout(20_000),
      });
      if (!response.ok) return;
      const { emails } = (await response.json()) as { emails: StoredMail[] };
      let newest = this.since;
      for (const mail of emails) {
        newest = Math.max(newest, mail.at);
        if (this.byId.has(mail.messageId)) continue;
        this.byId.set(mail.messageId, mail);
        for (const to of mail.destination.to) {
          const key = to.toLowerCase();
          this.byRecipient.set(key, [...(this.byRecipient.get(key) ?? []), mail]);
        }
      }
      // Seconds are coarse: read the last one again next time (the ids dedupe).
      this.since = Math.max(this.since, newest - 1);
    } catch {
      // The next poll tries again.
    } finally {
      this.polling = false;
    }
  }

  mailsTo(address: string): StoredMail[] {
    return this.byRecipient.get(address.toLowerCase()) ?? [];
  }

  all(): StoredMail[] {
    return [...this.byId.values()];
  }

  async waitFor(address: string, subject: RegExp, timeoutMs: number): Promise<StoredMail | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.mailsTo(address).find((mail) => subject.test(mail.subject));
      if (found || Date.now() > deadline) return found;
      await pause(250);
    }
  }
}

interface StoredDecisionDoc {
  _id: string;
  decision: 'forward' | 'triage';
  outboxPending?: boolean;
  outbox?: { eventType: string; envelope: string }[];
}

const INTAKE_URL = 'https://intake.chaos.example';
const RELAY_URL = 'https://relay.chaos.example';
const PRIVACY_ADDRESS = 'privacy@relay.chaos.example';
const TOKEN_LINK = /https:\/\/(?:intake|relay)\.chaos\.example\/\S+/g;
const ESCALATION_SUBJECT = /^(Reminder: |Not acknowledged: |\[Privacy Relay\] )/;

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const started = Date.now();
  const startedEpochS = Math.floor(started / 1000) - 1;
  const run = letters(Math.floor(random() * 26 ** 4) + 26 ** 3);
  const runHex = randomBytes(3).toString('hex');
  const concurrency = options.concurrency ?? 12;
  const downMs = options.downMs ?? 3000;
  const logDir = options.logDir ?? join(tmpdir(), `privacy-relay-chaos-${runHex}`);
  mkdirSync(logDir, { recursive: true });
  const { stack } = options;
  const ns = testNamespace(`chaos${options.seed}`);
  const logger = testLogger('chaos-run');
  const kafka = testKafka(stack.kafkaBrokers.split(','));
  await createTestTopics(kafka, ns.topicPrefix);
  const publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
  await publisher.connect();
  const db: Connection = await connectMongo({ uri: stack.mongodbUri, dbName: ns.dbName, logger });
  const intakeDbName = `${ns.dbName}_intake`;

  // The directory: every fifth name is held by two tenants (a request naming it alone is ambiguous).
  const tenantCount = Math.min(options.tenants ?? 40, COMPANY_WORDS.length * COMPANY_TRADES.length);
  const tenants: Tenant[] = Array.from({ length: tenantCount }, (_, i) => {
    const nameIndex = i % 5 === 4 ? i - 1 : i;
    return {
      tenantId: `chaos-${runHex}-${i}`,
      legalName: `${COMPANY_WORDS[nameIndex % COMPANY_WORDS.length]} ${COMPANY_TRADES[Math.floor(nameIndex / COMPANY_WORDS.length)]} Ltd`,
      // A registrable domain of each tenant's own: the matcher compares registrable domains, so
      // subdomains of one shared domain would be one company to it (and the name pairs ambiguous).
      domain: `t${i}-${runHex}-chaos.example`,
    };
  });
  const instances: Instance[] = [];
  const watch = new MailWatch(stack.sesEndpoint, startedEpochS);
  try {
    for (const tenant of tenants) {
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
              domains: [tenant.domain],
              contacts: [
                { email: `privacy@${tenant.domain}`, role: 'privacy' },
                { email: `dpo@${tenant.domain}`, role: 'privacy' },
                { email: `admin@${tenant.domain}`, role: 'admin' },
              ],
              regime: 'uk-gdpr',
              jurisdiction: 'GB-ENG',
            },
          },
          { correlationId: tenant.tenantId },
        ),
      );
    }

    // The requests, planned up front from the seed.
    const plans: PlannedRequest[] = [];
    const byChannel: Record<Channel, number> = { api: 0, form: 0, smtp: 0 };
    for (let i = 0; i < options.requests; i++) {
      const draw = random();
      const channel: Channel = draw < 0.5 ? 'api' : draw < 0.8 ? 'form' : 'smtp';
      byChannel[channel]++;
      const unique = `${letters(i)}${run}`;
      const first = FIRST_NAMES[i % FIRST_NAMES.length]!;
      const surname = `${SURNAMES[Math.floor(random() * SURNAMES.length)]}${unique}`;
      const email = `${first}.${surname}@mail-${runHex}.people.example`.toLowerCase();
      const kind = random();
      const tenant = tenants[Math.floor(random() * tenants.length)]!;
      const accountWord = `Acct${unique}`;
      const needles = [surname, email, email.split('@')[0]!, accountWord];
      let companyName: string;
      let companyEmail: string | undefined;
      if (kind < 0.1) {
        // A company absent from the directory (free text of the requester's): triage.
        const absentWord = `${ABSENT_WORDS[i % ABSENT_WORDS.length]}${unique}`;
        companyName = `${absentWord} Trading Ltd`;
        needles.push(absentWord);
      } else if (kind < 0.25) {
        // The name alone: ambiguous where two tenants hold it.
        companyName = tenant.legalName;
      } else {
        companyName = tenant.legalName;
        companyEmail = `privacy@${tenant.domain}`;
      }
      plans.push({
        index: i,
        channel,
        name: `${first} ${surname}`,
        email,
        companyName,
        ...(companyEmail ? { companyEmail } : {}),
        text: `Please send me a copy of the personal data you hold about me. My customer number with ${companyName} is ${accountWord}.`,
        needles,
      });
    }

    // Four instances, each on fixed ports chosen now (a restart comes back where its clients look).
    const relayEnv = (name: string, port: number) =>
      relayTestEnv(ns, {
        KAFKA_BROKERS: stack.kafkaBrokers,
        MONGODB_URI: stack.mongodbUri,
        SES_ENDPOINT: stack.sesEndpoint,
        RELAY_PUBLIC_URL: RELAY_URL,
        RELAY_MAIL_FROM: 'relay@relay.chaos.example',
        RELAY_PORT: String(port),
        RELAY_KAFKA_SESSION_TIMEOUT_MS: '6000',
        RELAY_OUTBOX_SWEEP_INTERVAL_MS: '1000',
        RELAY_EVIDENCE_DIR: join(tmpdir(), 'privacy-relay-evidence', `${ns.dbName}-${name}`),
        LOG_LEVEL: 'info',
      });
    const intakeEnv = (port: number, smtpPort: number): Record<string, string> => ({
      KAFKA_BROKERS: stack.kafkaBrokers,
      KAFKA_TOPIC_PREFIX: ns.topicPrefix,
      MONGODB_URI: stack.mongodbUri,
      SES_ENDPOINT: stack.sesEndpoint,
      AWS_REGION: 'eu-west-2',
      INTAKE_MONGODB_DATABASE: intakeDbName,
      INTAKE_KAFKA_GROUP_ID: `${ns.groupId}-intake`,
      INTAKE_HOST: '127.0.0.1',
      INTAKE_PORT: String(port),
      INTAKE_ADMIN_PORT: '0',
      INTAKE_PUBLIC_URL: INTAKE_URL,
      INTAKE_MAIL_FROM: 'privacy@relay.chaos.example',
      INTAKE_LINK_SECRET: 'chaos-intake-link-secret-0123456789abcdef0123',
      INTAKE_SMTP_ENABLED: 'true',
      INTAKE_SMTP_HOST: '127.0.0.1',
      INTAKE_SMTP_PORT: String(smtpPort),
      INTAKE_PRIVACY_ADDRESSES: PRIVACY_ADDRESS,
      // Every client of the campaign is 127.0.0.1: the per-address limits would refuse the campaign itself.
      INTAKE_RATE_LIMIT_PER_IP_PER_MINUTE: '100000000',
      INTAKE_MAIL_RATE_PER_SECOND: '200',
      INTAKE_OUTBOX_SWEEP_INTERVAL_MS: '1000',
      // As the relays': a killed intake holds up the group's mails this long, not KafkaJS's 30 s.
      INTAKE_KAFKA_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'info',
    });
    for (const name of ['intake-a', 'intake-b']) {
      const [port, smtpPort] = [await freePort(), await freePort()];
      instances.push(new Instance(name, 'intake', intakeEnv(port, smtpPort), port, smtpPort, logDir));
    }
    for (const name of ['relay-a', 'relay-b']) {
      const port = await freePort();
      instances.push(new Instance(name, 'relay', relayEnv(name, port), port, undefined, logDir));
    }
    await Promise.all(instances.map((instance) => instance.start()));
    const intakes = instances.filter((instance) => instance.service === 'intake');
    log(
      `${instances.map((i) => `${i.name} pid ${i.pid} :${i.httpPort}${i.smtpPort ? `/smtp :${i.smtpPort}` : ''}`).join(', ')}; logs in ${logDir}`,
    );
    watch.start();

    // ---- the clients
    const http5xx = { retryAfter503: 0, other: 0, byStatus: {} as Record<string, number> };
    let smtpTemporary = 0;
    let smtpPermanent = 0;
    let connectionErrors = 0;
    const note5xx = (response: Response): void => {
      if (response.status < 500) return;
      http5xx.byStatus[response.status] = (http5xx.byStatus[response.status] ?? 0) + 1;
      if (response.status === 503 && response.headers.get('retry-after') !== null) http5xx.retryAfter503++;
      else http5xx.other++;
    };
    const backoff = (attempt: number, retryAfter?: string | null) =>
      pause(Math.min(2000, retryAfter ? Number(retryAfter) * 1000 || 500 : 200 * 2 ** Math.min(attempt, 3)));
    const giveUpAfterMs = options.mailTimeoutMs ?? 300_000;

    const submitApi = async (plan: PlannedRequest, outcome: RequestOutcome): Promise<string | undefined> => {
      const body = JSON.stringify({
        requester: { name: plan.name, email: plan.email },
        rights: ['access'],
        company: { name: plan.companyName, ...(plan.companyEmail ? { email: plan.companyEmail } : {}) },
        text: plan.text,
      });
      const deadline = Date.now() + giveUpAfterMs;
      for (let attempt = 0; Date.now() < deadline; attempt++) {
        const intake = intakes[(plan.index + attempt) % intakes.length]!;
        try {
          const response = await fetch(`http://127.0.0.1:${intake.httpPort}/v1/requests`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': `chaos-${runHex}-${plan.index}` },
            body,
            signal: AbortSignal.timeout(20_000),
          });
          const text = await response.text();
          if (response.status === 202) return (JSON.parse(text) as { reference: string }).reference;
          note5xx(response);
          outcome.retried = true;
          if (response.status < 500 && response.status !== 429) {
            outcome.failure = `api ${response.status}: ${text.slice(0, 120)}`;
            return undefined;
          }
          await backoff(attempt, response.headers.get('retry-after'));
        } catch {
          connectionErrors++;
          outcome.retried = true;
          await backoff(attempt);
        }
      }
      outcome.failure = 'api: gave up';
      return undefined;
    };

    const submitForm = async (plan: PlannedRequest, outcome: RequestOutcome): Promise<string | undefined> => {
      const deadline = Date.now() + giveUpAfterMs;
      let form: { cookie: string; token: string } | undefined;
      for (let attempt = 0; Date.now() < deadline; attempt++) {
        const intake = intakes[(plan.index + attempt) % intakes.length]!;
        const base = `http://127.0.0.1:${intake.httpPort}`;
        try {
          if (!form) {
            const page = await fetch(`${base}/request`, { signal: AbortSignal.timeout(20_000) });
            const html = await page.text();
            if (page.status !== 200) {
              note5xx(page);
              outcome.retried = true;
              await backoff(attempt);
              continue;
            }
            form = {
              cookie: (page.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
              token: /name="formToken" value="([^"]+)"/.exec(html)?.[1] ?? '',
            };
          }
          // Sent again as it was (same token, same answers): the same request, as pressing "Send" again.
          const response = await fetch(`${base}/request`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
            body: new URLSearchParams([
              ['formToken', form.token],
              ['name', plan.name],
              ['email', plan.email],
              ['rights', 'access'],
              ['companyName', plan.companyName],
              ['companyEmail', plan.companyEmail ?? ''],
              ['text', plan.text],
            ]).toString(),
            signal: AbortSignal.timeout(20_000),
          });
          const html = await response.text();
          if (response.status === 202) return /PR-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(html)?.[0];
          note5xx(response);
          outcome.retried = true;
          if (response.status < 500 && response.status !== 429) {
            outcome.failure = `form ${response.status}`;
            return undefined;
          }
          await backoff(attempt, response.headers.get('retry-after'));
        } catch {
          connectionErrors++;
          outcome.retried = true;
          await backoff(attempt);
        }
      }
      outcome.failure = 'form: gave up';
      return undefined;
    };

    const submitSmtp = async (plan: PlannedRequest, outcome: RequestOutcome): Promise<string | undefined> => {
      const message = Buffer.from(
        [
          `From: ${plan.name} <${plan.email}>`,
          `To: ${PRIVACY_ADDRESS}`,
          'Subject: Subject access request',
          `Message-ID: <chaos-${runHex}-${plan.index}@mail.people.example>`,
          `Date: ${new Date(started).toUTCString()}`,
          'MIME-Version: 1.0',
          'Content-Type: text/plain; charset=utf-8',
          '',
          `Hello,`,
          '',
          `${plan.text}${plan.companyEmail ? ` Their privacy address is ${plan.companyEmail}.` : ''}`,
          '',
          plan.name,
          '',
        ].join('\r\n'),
      );
      const deadline = Date.now() + giveUpAfterMs;
      for (let attempt = 0; Date.now() < deadline; attempt++) {
        const intake = intakes[(plan.index + attempt) % intakes.length]!;
        let client: RawSmtpClient | undefined;
        try {
          const exchange = (async () => {
            const opened = await RawSmtpClient.open(intake.smtpPort ?? 0);
            client = opened.client;
            if (opened.greeting.code !== 220) return opened.greeting;
            for (const line of [
              'EHLO chaos.people.example',
              `MAIL FROM:<${plan.email}>`,
              `RCPT TO:<${PRIVACY_ADDRESS}>`,
            ]) {
              const reply = await client.command(line);
              if (reply.code >= 400) return reply;
            }
            return client.data(message);
          })();
          const reply = await Promise.race([
            exchange,
            pause(30_000).then(() => {
              throw new Error('SMTP timed out');
            }),
          ]);
          if (reply.code === 250) return /PR-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(reply.text)?.[0];
          outcome.retried = true;
          if (reply.code >= 500) {
            smtpPermanent++;
            outcome.failure = `smtp ${reply.code}`;
            return undefined;
          }
          smtpTemporary++;
          await backoff(attempt);
        } catch {
          connectionErrors++;
          outcome.retried = true;
          await backoff(attempt);
        } finally {
          await client?.close().catch(() => undefined);
        }
      }
      outcome.failure = 'smtp: gave up';
      return undefined;
    };

    const confirm = async (plan: PlannedRequest, outcome: RequestOutcome): Promise<boolean> => {
      const mail = await watch.waitFor(plan.email, /^Confirm your privacy request/, giveUpAfterMs);
      if (!mail) {
        outcome.failure = 'no verification mail';
        return false;
      }
      const link = /https:\/\/intake\.chaos\.example\/verify\/\S+/.exec(mail.body.text ?? '')?.[0];
      if (!link) {
        outcome.failure = 'no link in the verification mail';
        return false;
      }
      const path = link.slice(INTAKE_URL.length);
      const deadline = Date.now() + giveUpAfterMs;
      for (let attempt = 0; Date.now() < deadline; attempt++) {
        const intake = intakes[(plan.index + attempt + 1) % intakes.length]!;
        try {
          const response = await fetch(`http://127.0.0.1:${intake.httpPort}${path}`, {
            method: 'POST',
            signal: AbortSignal.timeout(20_000),
          });
          await response.text();
          if (response.status === 200 || response.status === 202) return true;
          note5xx(response);
          outcome.retried = true;
          if (response.status < 500 && response.status !== 429) {
            outcome.failure = `confirm ${response.status}`;
            return false;
          }
          await backoff(attempt, response.headers.get('retry-after'));
        } catch {
          connectionErrors++;
          outcome.retried = true;
          await backoff(attempt);
        }
      }
      outcome.failure = 'confirm: gave up';
      return false;
    };

    const outcomes: RequestOutcome[] = plans.map(() => ({ confirmed: false, retried: false }));
    let acceptedCount = 0;
    let next = 0;
    const worker = async () => {
      for (;;) {
        const plan = plans[next++];
        if (!plan) return;
        const outcome = outcomes[plan.index]!;
        const submit = plan.channel === 'api' ? submitApi : plan.channel === 'form' ? submitForm : submitSmtp;
        const reference = await submit(plan, outcome);
        if (!reference) continue;
        outcome.reference = reference;
        acceptedCount++;
        outcome.confirmed = await confirm(plan, outcome);
      }
    };
    const clients = Promise.all(Array.from({ length: concurrency }, () => worker()));
    let progressTimer: NodeJS.Timeout | undefined = setInterval(() => {
      log(
        `${((Date.now() - started) / 1000).toFixed(0)} s: ${acceptedCount} accepted, ${outcomes.filter((o) => o.confirmed).length} confirmed of ${options.requests}`,
      );
    }, 30_000);

    // ---- the faults, at seeded points of the campaign's progress (share of requests accepted)
    const cases = db.collection<StoredCaseDoc>('cases');
    const decisions = db.collection<StoredDecisionDoc>('match_decisions');
    const openWindows = async () =>
      (await cases.find({}, { projection: { 'data.messages': 1 } }).toArray()).flatMap((c) =>
        c.data.messages.filter((m) => m.sesMessageId === undefined).map((m) => `${c._id}#${m.contactIndex}`),
      );
    const planned: { kind: FaultKind; target: string; at: number }[] = [];
    for (const instance of instances.filter((i) => options.killInstances?.includes(i.name) ?? true))
      for (let k = 0; k < options.killsPerInstance; k++)
        planned.push({ kind: 'kill', target: instance.name, at: 0.05 + random() * 0.85 });
    const dependencyFaults: [FaultKind, number, ((ms: number) => Promise<void>) | undefined][] = [
      ['kafka', options.kafkaRestarts, stack.restartKafka],
      ['postgres', options.postgresRestarts, stack.restartPostgres],
      ['ferretdb', options.ferretdbRestarts, stack.restartFerretdb],
    ];
    for (const [kind, count, restart] of dependencyFaults) {
      if (count > 0 && !restart) throw new Error(`this stack cannot restart ${kind}`);
      for (let k = 0; k < count; k++) planned.push({ kind, target: kind, at: 0.1 + random() * 0.75 });
    }
    planned.sort((a, b) => a.at - b.at);
    const faults: FaultRecord[] = [];
    let clientsDone = false;
    void clients.finally(() => (clientsDone = true));
    for (const fault of planned) {
      while (!clientsDone && acceptedCount < fault.at * options.requests) await pause(100);
      await pause(Math.floor(random() * 1500));
      const atMs = Date.now() - started;
      const began = Date.now();
      let windows: string[] = [];
      if (fault.kind === 'kill') {
        const instance = instances.find((i) => i.name === fault.target)!;
        const restarting = instance.killAndRestart();
        if (instance.service === 'relay') {
          // What the store holds right after the kill (before the new process can send anything).
          windows = await openWindows().catch(() => []);
        }
        await restarting;
      } else {
        const restart = dependencyFaults.find(([kind]) => kind === fault.kind)![2]!;
        await restart(downMs);
      }
      faults.push({ kind: fault.kind, target: fault.target, atMs, tookMs: Date.now() - began, openWindows: windows });
      log(
        `fault ${faults.length}/${planned.length} at ${(atMs / 1000).toFixed(1)} s: ${fault.kind === 'kill' ? `SIGKILL ${fault.target}` : `${fault.target} restart (${downMs} ms down)`}, back in ${((Date.now() - began) / 1000).toFixed(1)} s${fault.kind === 'kill' && fault.target.startsWith('relay') ? `, ${windows.length} intent(s) without message id` : ''} (${acceptedCount} accepted)`,
      );
    }
    await clients;
    clearInterval(progressTimer);
    progressTimer = undefined;
    const submitMs = Date.now() - started;
    log(`clients done in ${(submitMs / 1000).toFixed(1)} s; settling`);

    // ---- settle: every accepted request ends forwarded (its mail sent) or in triage
    const intakeDb = db.useDb(intakeDbName);
    const verifications = intakeDb.collection<{ _id: string; reference: string }>('verifications');
    const acceptedRefs = new Set(outcomes.flatMap((o) => (o.reference ? [o.reference] : [])));
    // Only confirmed requests go on to the relay; the others are counted lost below, with why.
    const confirmedRefs = new Set(outcomes.flatMap((o) => (o.reference && o.confirmed ? [o.reference] : [])));
    const referenceToIds = async (): Promise<Map<string, string[]>> => {
      const map = new Map<string, string[]>();
      for (const doc of await verifications.find({}, { projection: { reference: 1 } }).toArray())
        map.set(doc.reference, [...(map.get(doc.reference) ?? []), doc._id]);
      return map;
    };
    const caseIdsOf = (decision: StoredDecisionDoc) =>
      (decision.outbox ?? [])
        .filter((event) => event.eventType === EVENTS.caseMatchedV1.type)
        .map((event) => (JSON.parse(event.envelope) as { payload: { caseId: string } }).payload.caseId);
    const missingNow = async (): Promise<string[]> => {
      const ids = await referenceToIds();
      const byId = new Map((await decisions.find({}).toArray()).map((d) => [d._id, d]));
      const caseById = new Map((await cases.find({}).toArray()).map((c) => [c._id, c]));
      const missing: string[] = [];
      for (const reference of confirmedRefs) {
        const requestIds = ids.get(reference);
        if (!requestIds) {
          missing.push(`${reference}: no state at intake`);
          continue;
        }
        for (const requestId of requestIds) {
          const decision = byId.get(requestId);
          if (!decision || decision.outboxPending !== false) {
            missing.push(`${reference}: ${decision ? 'decision not published' : 'no decision at the relay'}`);
            continue;
          }
          if (decision.decision === 'triage') continue;
          for (const caseId of caseIdsOf(decision)) {
            const stored = caseById.get(caseId);
            if (!stored || stored.state !== 'forwarded' || stored.data.messages[0]?.sesMessageId === undefined)
              missing.push(`${reference}: case ${caseId} ${stored ? stored.state : 'missing'}`);
          }
        }
      }
      return missing;
    };
    const settleStarted = Date.now();
    // A backlog still shrinking is not a loss: it gives up only once nothing ended for this long.
    const stallTimeoutMs = options.settleTimeoutMs ?? 600_000;
    let missing = await missingNow();
    let lastProgress = Date.now();
    let lastLog = Date.now();
    while (missing.length > 0 && Date.now() - lastProgress < stallTimeoutMs) {
      await pause(2000);
      const before = missing.length;
      missing = await missingNow();
      if (missing.length < before) lastProgress = Date.now();
      if (Date.now() - lastLog > 30_000) {
        lastLog = Date.now();
        log(`settling: ${missing.length} confirmed request(s) not ended yet`);
      }
    }
    const settleMs = Date.now() - settleStarted;
    log(`settled in ${(settleMs / 1000).toFixed(1)} s (${missing.length} not ended)`);
    // Late mails (notices, escalations) a moment to land, then stop everything.
    await pause(1500);
    await watch.poll();
    watch.stop();
    await Promise.all(instances.map((instance) => instance.stop()));

    // ---- figures
    const ids = await referenceToIds();
    const allDecisions = await decisions.find({}).toArray();
    const decisionById = new Map(allDecisions.map((d) => [d._id, d]));
    const ourIds = [...acceptedRefs].flatMap((reference) => ids.get(reference) ?? []);
    const forwarded = ourIds.filter((id) => decisionById.get(id)?.decision === 'forward').length;
    const triaged = ourIds.filter((id) => decisionById.get(id)?.decision === 'triage').length;
    const storedCases = await cases.find({}).toArray();
    const requestOfCase = new Map(storedCases.map((c) => [c._id, c.requestId]));
    const mails = watch.all();
    const tenantMails = mails.filter((mail) =>
      mail.destination.to.some((to) => to.endsWith(`-${runHex}-chaos.example`)),
    );
    const forwardMails = tenantMails.filter((mail) => !ESCALATION_SUBJECT.test(mail.subject));
    const escalationMails = mails.filter((mail) => ESCALATION_SUBJECT.test(mail.subject));
    const byPair = new Map<string, StoredMail[]>();
    const byRequestContact = new Map<string, Set<string>>();
    for (const mail of forwardMails) {
      const caseId = /\/case-links\/([0-9a-f-]{36})\//.exec(mail.body.text ?? '')?.[1] ?? 'unknown';
      const to = mail.destination.to.join(',');
      byPair.set(`${caseId}|${to}`, [...(byPair.get(`${caseId}|${to}`) ?? []), mail]);
      const requestKey = `${requestOfCase.get(caseId) ?? caseId}|${to}`;
      byRequestContact.set(requestKey, new Set([...(byRequestContact.get(requestKey) ?? []), caseId]));
    }
    const mailIds = new Set(forwardMails.map((mail) => mail.messageId));
    for (const stored of storedCases) {
      const id = stored.data.messages[0]?.sesMessageId;
      if (stored.state === 'forwarded' && id && !mailIds.has(id))
        missing.push(`case ${stored._id}: its mail ${id} is not in the SES store`);
    }
    const kills = faults.filter((f) => f.kind === 'kill' && f.target.startsWith('relay'));
    const duplicateForwards = attributeDuplicates(byPair, storedCases, kills);
    const countRepeats = (list: StoredMail[], key: (mail: StoredMail) => string) => {
      const counts = new Map<string, number>();
      for (const mail of list) counts.set(key(mail), (counts.get(key(mail)) ?? 0) + 1);
      return [...counts.values()].reduce((sum, n) => sum + (n - 1), 0);
    };
    const requesterAddresses = new Set(plans.map((p) => p.email));
    const requesterMails = mails.filter((mail) => mail.destination.to.some((to) => requesterAddresses.has(to)));
    const requestsPerRequester = new Map<string, number>();
    for (const [reference, requestIds] of ids)
      if (acceptedRefs.has(reference)) requestsPerRequester.set(reference, requestIds.length);
    const refsByEmail = new Map<string, Set<string>>();
    for (const mail of requesterMails) {
      const reference = /PR-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(`${mail.subject} ${mail.body.text ?? ''}`)?.[0];
      if (!reference) continue;
      const to = mail.destination.to.join(',');
      refsByEmail.set(to, new Set([...(refsByEmail.get(to) ?? []), reference]));
    }
    const duplicateRequests =
      [...refsByEmail.values()].filter((refs) => refs.size > 1).length +
      [...requestsPerRequester.values()].filter((n) => n > 1).length;

    // ---- the log scan: every word of every line against the campaign's personal data and tokens
    const needles = new Map<string, string>();
    for (const plan of plans) {
      for (const needle of plan.needles) needles.set(needle.toLowerCase(), `request ${plan.index}'s personal data`);
    }
    for (const mail of mails) {
      for (const link of `${mail.body.text ?? ''}`.match(TOKEN_LINK) ?? []) {
        const path = link.replace(/^https:\/\/[^/]+/, '');
        for (const part of path.split('/')) {
          // Tokens: the long opaque parts of the links (ids and route words are not secrets).
          if (part.length >= 20 && !/^[0-9a-f-]{36}$/.test(part)) {
            needles.set(part.toLowerCase(), `a mailed link token (${path.split('/')[1]})`);
            // `<purpose>.<id>.<expiry>.<mac>` (shared/src/tokens): the MAC is the secret; ids are logged by design.
            for (const piece of part.split('.'))
              if (piece.length >= 16 && !/^[0-9a-f-]{36}$/i.test(piece))
                needles.set(piece.toLowerCase(), `part of a mailed link token (${path.split('/')[1]})`);
          }
        }
      }
    }
    const scan = (files: string[]): { hits: string[]; lines: number } => {
      const hits: string[] = [];
      let lines = 0;
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        text.split('\n').forEach((line, n) => {
          if (line.length === 0) return;
          lines++;
          const lower = line.toLowerCase();
          for (const word of lower.split(/[^a-z0-9@._+~-]+/)) {
            for (const candidate of [word, ...word.split('.')]) {
              const what = needles.get(candidate);
              if (what) hits.push(`${file}:${n + 1}: ${what}`);
            }
          }
        });
      }
      return { hits, lines };
    };
    const logFiles = instances.map((instance) => instance.logFile);
    const serviceScan = scan(logFiles);
    const serverLogs = stack.runDir ? listLogs(stack.runDir) : [];
    const serverScan = scan(serverLogs);

    const lost = missing;
    const lostRefs = new Set(lost.map((line) => line.split(':')[0]));
    const notAccepted = outcomes.flatMap((o, i) =>
      o.reference ? [] : [`request ${i} (${plans[i]!.channel}): ${o.failure ?? 'not accepted'}`],
    );
    const unconfirmed = outcomes.flatMap((o, i) =>
      o.reference && !o.confirmed ? [`${o.reference} (${plans[i]!.channel}): ${o.failure ?? 'not confirmed'}`] : [],
    );
    return {
      requests: options.requests,
      byChannel,
      accepted: acceptedRefs.size,
      notAccepted,
      confirmed: outcomes.filter((o) => o.confirmed).length,
      forwarded,
      triaged,
      lost: [...lost, ...unconfirmed.filter((line) => !lostRefs.has(line.split(' ')[0]))],
      duplicateForwards,
      duplicateRequestForwards: [...byRequestContact.values()].filter((set) => set.size > 1).length,
      duplicateRequests,
      forwardMails: forwardMails.length,
      mailedPairs: byPair.size,
      escalationMails: escalationMails.length,
      duplicateEscalationMails: countRepeats(
        escalationMails,
        (mail) =>
          `${mail.destination.to.join(',')}|${mail.subject}|${/case-links\/([0-9a-f-]{36})/.exec(mail.body.text ?? '')?.[1] ?? ''}`,
      ),
      duplicateRequesterMails: countRepeats(
        requesterMails,
        (mail) => `${mail.destination.to.join(',')}|${mail.subject}`,
      ),
      http5xx,
      smtpTemporary,
      smtpPermanent,
      connectionErrors,
      retriedRequests: outcomes.filter((o) => o.retried).length,
      retriedLost: outcomes.filter((o) => o.retried && (!o.reference || !o.confirmed || lostRefs.has(o.reference)))
        .length,
      faults,
      logDir,
      logFiles,
      logLines: serviceScan.lines,
      logHits: serviceScan.hits,
      serverLogHits: serverScan.hits,
      needles: needles.size,
      submitMs,
      settleMs,
      durationMs: Date.now() - started,
      settings: {
        requests: options.requests,
        seed: options.seed,
        killsPerInstance: options.killsPerInstance,
        kafkaRestarts: options.kafkaRestarts,
        postgresRestarts: options.postgresRestarts,
        ferretdbRestarts: options.ferretdbRestarts,
        downMs,
        concurrency,
        tenants: tenantCount,
        channels: 'api 50 %, form 30 %, smtp 20 %',
        companies: '75 % name + privacy address, 15 % name only (every fifth name held by two tenants), 10 % absent',
        instances: '2 intake + 2 relay (child processes)',
      },
    };
  } finally {
    watch.stop();
    for (const instance of instances) await instance.stop().catch(() => undefined);
    await publisher.disconnect().catch(() => undefined);
    await db.dropDatabase().catch(() => undefined);
    await db
      .useDb(intakeDbName)
      .dropDatabase()
      .catch(() => undefined);
    await closeMongo(db).catch(() => undefined);
  }
}

/** The servers' log files under a stack's run dir (the SES stand-in's excluded: it is the mail provider). */
function listLogs(dir: string): string[] {
  const found: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory() && entry.name !== 'ses' && entry.name !== 'data') walk(path);
      else if (entry.isFile() && entry.name.endsWith('.log')) found.push(path);
    }
  };
  try {
    walk(dir);
  } catch {
    // No run dir to read.
  }
  return found;
}

/** The campaign's table, as lines of text (the bench prints and stores it; the test shows it on failure). */
export function describeChaosRun(result: ChaosResult): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const explained = result.duplicateForwards.filter((d) => d.windowAtKill !== undefined).length;
  const rate = result.mailedPairs === 0 ? 0 : result.duplicateForwards.length / result.mailedPairs;
  const rows: [string, string][] = [
    [
      'requests (api / form / smtp)',
      `${result.requests} (${result.byChannel.api} / ${result.byChannel.form} / ${result.byChannel.smtp})`,
    ],
    ['accepted', String(result.accepted)],
    ['not accepted (client gave up)', String(result.notAccepted.length)],
    ['confirmed by the mailed link', String(result.confirmed)],
    ['forwarded', String(result.forwarded)],
    ['in triage', String(result.triaged)],
    ['lost (accepted, in neither)', String(result.lost.length)],
    [
      'duplicate forwards per (case, contact)',
      `${result.duplicateForwards.length} of ${result.mailedPairs} (${(rate * 100).toFixed(2)} %; ${explained} at a relay kill's intent-without-id window)`,
    ],
    ['contacts reached by two cases of one request', String(result.duplicateRequestForwards)],
    ['requests accepted twice', String(result.duplicateRequests)],
    ['escalation mails (duplicates)', `${result.escalationMails} (${result.duplicateEscalationMails})`],
    ['requester mails repeated (same subject)', String(result.duplicateRequesterMails)],
    [
      'HTTP 5xx answers: 503 + Retry-After (retried) / other',
      `${result.http5xx.retryAfter503} / ${result.http5xx.other} ${JSON.stringify(result.http5xx.byStatus)}`,
    ],
    ['SMTP 4xx (retried) / 5xx', `${result.smtpTemporary} / ${result.smtpPermanent}`],
    ['broken connections (retried)', String(result.connectionErrors)],
    ['requests retried by their client / of them lost', `${result.retriedRequests} / ${result.retriedLost}`],
    ['faults', `${result.faults.length} (${summarizeFaults(result.faults)})`],
    [
      "log scan: hits in the services' logs",
      `${result.logHits.length} (${result.logLines} lines in ${result.logFiles.length} files, ${result.needles} names, addresses, free-text words and link tokens)`,
    ],
    ['log scan: hits in Kafka / PostgreSQL / FerretDB logs', String(result.serverLogHits.length)],
    [
      'time: clients / to settle after them / total',
      `${s(result.submitMs)} / ${s(result.settleMs)} / ${s(result.durationMs)}`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    ...rows.map(([label, value]) => `| ${label.padEnd(width)} | ${value} |`),
    `  logs: ${result.logDir}`,
    ...result.faults.map(
      (f, i) =>
        `  fault ${i + 1} at ${s(f.atMs)}: ${f.kind === 'kill' ? `SIGKILL ${f.target}` : `${f.target} restart`}, back in ${s(f.tookMs)}${f.target.startsWith('relay') ? `, ${f.openWindows.length} intent(s) without message id` : ''}`,
    ),
    ...result.duplicateForwards.map(
      (d) =>
        `  duplicate: case ${d.caseId}, ${d.mails} mails — ${d.windowAtKill === undefined ? "NOT at any relay kill's open window (unexplained)" : `intent without message id at relay kill ${d.windowAtKill}`}`,
    ),
    ...result.lost.slice(0, 20).map((line) => `  lost: ${line}`),
    ...result.notAccepted.slice(0, 20).map((line) => `  not accepted: ${line}`),
    ...result.logHits.slice(0, 20).map((line) => `  log hit: ${line}`),
    ...result.serverLogHits.slice(0, 10).map((line) => `  server log hit: ${line}`),
  ];
}

function summarizeFaults(faults: FaultRecord[]): string {
  const counts = new Map<string, number>();
  for (const f of faults) {
    const key = f.kind === 'kill' ? `SIGKILL ${f.target}` : `${f.target} restart`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => `${n}× ${key}`).join(', ');
}
