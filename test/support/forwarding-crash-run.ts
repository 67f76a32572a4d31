import { randomBytes } from 'node:crypto';
import { EVENTS } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { closeMongo, connectMongo } from '@privacy-relay/shared/mongo';
import type { Connection } from 'mongoose';
import { publishVerifiedRequest } from './fixtures';
import { storedMails, type StoredMail } from './ses-store';
import { relayTestEnv } from './relay-env';
import { startRelayProcess, type RelayProcess } from './relay-process';
import { createTestTopics, stackEndpoints, testKafka, testLogger, testNamespace } from './test-env';
import { seededRandom, COMPANY_WORDS, COMPANY_TRADES } from './seeded-random';

/**
 * The SIGKILL run of issue 15: requests flow through the relay (a real child process) to
 * forwarding while it is killed at seeded random moments and restarted; then every request must
 * have ended forwarded (its case `forwarded`, its mail in the SES endpoint's store) or in triage,
 * and every mail that reached one contact twice is put next to what the store held at each kill:
 * a message whose intent was recorded without an SES message id (docs/forwarding.md, "the one
 * duplicate window").
 */
export interface CrashRunOptions {
  requests: number;
  kills: number;
  seed: number;
  /** Tenants in the directory (each with two privacy contacts). */
  tenants?: number;
  /** Share of requests naming no tenant of the directory (they end in triage). */
  triageShare?: number;
  /** Longest a kill waits after the relay last made progress (uniform from 0, seeded). */
  maxKillDelayMs?: number;
  /**
   * Longest the run waits, after the last restart, without any request ending: a loaded machine
   * settles slowly but steadily, a stuck relay not at all.
   */
  settleTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface KillRecord {
  /** When, from the start of the run. */
  atMs: number;
  /** Requests whose case had been forwarded (message id stored) at the kill. */
  forwardedBefore: number;
  /** Messages whose intent was stored without an SES message id at the kill: `caseId#contactIndex`. */
  openWindows: string[];
}

export interface DuplicateMail {
  caseId: string;
  contact: string;
  mails: number;
  /** The kill (1-based) at which this message's intent stood without a message id; undefined: none did. */
  windowAtKill: number | undefined;
}

export interface CrashRunResult {
  requests: number;
  forwarded: number;
  triaged: number;
  /** Requests without a published decision, or whose case is not forwarded or whose mail is missing. */
  unfinished: string[];
  kills: KillRecord[];
  /** Forward mails the SES endpoint holds for this run's contacts. */
  mails: number;
  /** Distinct (case, contact) pairs that got mail. */
  mailedPairs: number;
  duplicates: DuplicateMail[];
  durationMs: number;
}

export interface StoredCaseDoc {
  _id: string;
  requestId: string;
  state: string;
  outboxPending?: boolean;
  data: {
    messages: { contactIndex: number; email: string; sesMessageId?: string; intentAt?: string; sentAt?: string }[];
  };
}

/** The run's forward mails by (case, contact): the case id from the links in the mail's text. */
export function mailsByCaseAndContact(mails: readonly StoredMail[]): Map<string, StoredMail[]> {
  const byPair = new Map<string, StoredMail[]>();
  for (const mail of mails) {
    const caseId = /\/case-links\/([0-9a-f-]{36})\//.exec(mail.body.text ?? '')?.[1] ?? 'unknown';
    const key = `${caseId}|${mail.destination.to.join(',')}`;
    byPair.set(key, [...(byPair.get(key) ?? []), mail]);
  }
  return byPair;
}

/**
 * Each (case, contact) that got more than one mail, with the kill at which that message's intent
 * stood without an SES message id (the one window that explains a duplicate); none: unexplained.
 */
export function attributeDuplicates(
  byPair: ReadonlyMap<string, readonly StoredMail[]>,
  storedCases: readonly Pick<StoredCaseDoc, '_id' | 'data'>[],
  kills: readonly Pick<KillRecord, 'openWindows'>[],
): DuplicateMail[] {
  const duplicates: DuplicateMail[] = [];
  for (const [key, mails] of byPair) {
    if (mails.length < 2) continue;
    const [caseId = '', contact = ''] = key.split('|');
    const contactIndex = storedCases
      .find((c) => c._id === caseId)
      ?.data.messages.find((m) => m.email === contact)?.contactIndex;
    const window = kills.findIndex((kill) => kill.openWindows.includes(`${caseId}#${String(contactIndex)}`));
    duplicates.push({ caseId, contact, mails: mails.length, windowAtKill: window >= 0 ? window + 1 : undefined });
  }
  return duplicates;
}

interface StoredDecisionDoc {
  _id: string;
  decision: 'forward' | 'triage';
  outboxPending?: boolean;
  outbox?: { eventType: string; envelope: string }[];
}

export async function runForwardingCrash(options: CrashRunOptions): Promise<CrashRunResult> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const tenantCount = Math.min(options.tenants ?? 20, COMPANY_WORDS.length * COMPANY_TRADES.length);
  const triageShare = options.triageShare ?? 0.1;
  const maxKillDelayMs = options.maxKillDelayMs ?? 3000;
  const started = Date.now();
  const startedEpochS = Math.floor(started / 1000) - 1;
  const run = randomBytes(4).toString('hex');
  const ns = testNamespace(`crash${options.seed}`);
  const logger = testLogger('crash-run');
  const kafka = testKafka();
  await createTestTopics(kafka, ns.topicPrefix);
  const publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
  await publisher.connect();
  const db: Connection = await connectMongo({ uri: stackEndpoints().mongodbUri, dbName: ns.dbName, logger });
  const domainOf = (i: number) => `t${i}-${run}.crash.example`;
  const tenants = Array.from({ length: tenantCount }, (_, i) => ({
    tenantId: `crash-${run}-${i}`,
    legalName: `${COMPANY_WORDS[i % COMPANY_WORDS.length]} ${COMPANY_TRADES[Math.floor(i / COMPANY_WORDS.length)]} Ltd`,
    domain: domainOf(i),
  }));
  let relay: RelayProcess | undefined;
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
              ],
              regime: 'uk-gdpr',
              jurisdiction: 'GB-ENG',
            },
          },
          { correlationId: tenant.tenantId },
        ),
      );
    }

    const env = relayTestEnv(ns, {
      RELAY_PUBLIC_URL: 'https://relay.crash.example',
      RELAY_MAIL_FROM: 'relay@relay.test',
      // A killed relay's consumers hold up the restarted one's join by up to this long.
      RELAY_KAFKA_SESSION_TIMEOUT_MS: '6000',
      RELAY_OUTBOX_SWEEP_INTERVAL_MS: '1000',
      LOG_LEVEL: 'warn',
    });
    const cases = db.collection<StoredCaseDoc>('cases');
    const decisions = db.collection<StoredDecisionDoc>('match_decisions');
    const forwardedCount = () => cases.countDocuments({ state: 'forwarded' });
    const openWindows = async () =>
      (await cases.find({}, { projection: { 'data.messages': 1 } }).toArray()).flatMap((c) =>
        c.data.messages.filter((m) => m.sesMessageId === undefined).map((m) => `${c._id}#${m.contactIndex}`),
      );

    const requestIds: string[] = [];
    const flowing = (async () => {
      for (let i = 0; i < options.requests; i++) {
        const triage = random() < triageShare;
        const tenant = tenants[Math.floor(random() * tenants.length)]!;
        requestIds.push(
          await publishVerifiedRequest(publisher, {
            requester: { name: `Requester ${i}`, email: `requester-${i}-${run}@people.example` },
            company: triage
              ? { name: `Unlisted Venture ${i} Ltd` }
              : { name: tenant.legalName, email: `privacy@${tenant.domain}` },
            text: 'Please send me a copy of the personal data you hold about me.',
          }),
        );
      }
    })();
    // Awaited after the kills; a failure before then must not count as unhandled.
    flowing.catch(() => undefined);

    /** Every request ended: its decision published, each case forwarded with its id stored and its event published. */
    const unfinishedNow = async (): Promise<string[]> => {
      const byId = new Map((await decisions.find({}).toArray()).map((d) => [d._id, d]));
      const caseById = new Map((await cases.find({}).toArray()).map((c) => [c._id, c]));
      return requestIds.filter((requestId) => {
        const decision = byId.get(requestId);
        if (!decision || decision.outboxPending !== false) return true;
        if (decision.decision === 'triage') return false;
        return caseIdsOf(decision).some((caseId) => {
          const stored = caseById.get(caseId);
          return (
            !stored ||
            stored.state !== 'forwarded' ||
            stored.outboxPending !== false ||
            stored.data.messages[0]?.sesMessageId === undefined
          );
        });
      });
    };

    const kills: KillRecord[] = [];
    relay = startRelayProcess(env);
    await relay.ready;
    log(
      `relay started (pid ${relay.pid}); ${options.requests} requests flowing, ${options.kills} kills (seed ${options.seed})`,
    );
    for (let k = 1; k <= options.kills; k++) {
      // A moment while it works: after its next forward, then a seeded delay.
      const before = await forwardedCount();
      const progressDeadline = Date.now() + 60_000;
      while ((await forwardedCount()) <= before && Date.now() < progressDeadline) await pause(50);
      await pause(Math.floor(random() * maxKillDelayMs));
      if (requestIds.length === options.requests && (await unfinishedNow()).length === 0) {
        log(`all requests ended before kill ${k}; no more kills`);
        break;
      }
      relay.kill('SIGKILL');
      await relay.exited;
      const record: KillRecord = {
        atMs: Date.now() - started,
        forwardedBefore: await forwardedCount(),
        openWindows: await openWindows(),
      };
      kills.push(record);
      log(
        `kill ${k} at ${(record.atMs / 1000).toFixed(1)} s: ${record.forwardedBefore} forwarded, ${record.openWindows.length} intent(s) without message id`,
      );
      relay = startRelayProcess(env);
      await relay.ready;
    }
    await flowing;
    const settleTimeoutMs = options.settleTimeoutMs ?? 300_000;
    let settleDeadline = Date.now() + settleTimeoutMs;
    let unfinished = await unfinishedNow();
    while (unfinished.length > 0 && Date.now() < settleDeadline) {
      await pause(250);
      const before = unfinished.length;
      unfinished = await unfinishedNow();
      if (unfinished.length < before) settleDeadline = Date.now() + settleTimeoutMs;
    }
    relay.kill('SIGTERM');
    const exit = await relay.exited;
    relay = undefined;
    if (exit.code !== 0) log(`relay stopped with code ${String(exit.code)} (signal ${String(exit.signal)})`);

    const allDecisions = await decisions.find({}).toArray();
    const forwarded = allDecisions.filter((d) => d.decision === 'forward').length;
    const triaged = allDecisions.filter((d) => d.decision === 'triage').length;
    const storedCases = await cases.find({}).toArray();

    // The SES endpoint's store: every mail of this run (its contacts' domains are the run's own).
    const emails = await storedMails(startedEpochS);
    const ours = emails.filter((mail) => mail.destination.to.some((to) => to.endsWith(`-${run}.crash.example`)));
    const byPair = mailsByCaseAndContact(ours);
    // A forwarded case whose stored message id the store does not hold lost its mail.
    const mailIds = new Set(ours.map((mail) => mail.messageId));
    for (const stored of storedCases) {
      const id = stored.data.messages[0]?.sesMessageId;
      if (stored.state === 'forwarded' && (!id || !mailIds.has(id)))
        unfinished.push(`${stored.requestId} (mail missing)`);
    }
    const duplicates = attributeDuplicates(byPair, storedCases, kills);
    return {
      requests: options.requests,
      forwarded,
      triaged,
      unfinished,
      kills,
      mails: ours.length,
      mailedPairs: byPair.size,
      duplicates,
      durationMs: Date.now() - started,
    };
  } finally {
    relay?.kill('SIGKILL');
    await relay?.exited;
    await publisher.disconnect();
    await db.dropDatabase().catch(() => undefined);
    await closeMongo(db);
  }
}

function caseIdsOf(decision: StoredDecisionDoc): string[] {
  return (decision.outbox ?? [])
    .filter((event) => event.eventType === EVENTS.caseMatchedV1.type)
    .map((event) => (JSON.parse(event.envelope) as { payload: { caseId: string } }).payload.caseId);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The run's result as lines of text (the bench prints them; the test shows them on failure). */
export function describeCrashRun(result: CrashRunResult): string[] {
  const rate = result.mailedPairs === 0 ? 0 : result.duplicates.length / result.mailedPairs;
  return [
    `requests: ${result.requests} — forwarded ${result.forwarded}, triage ${result.triaged}, unfinished ${result.unfinished.length}`,
    `kills: ${result.kills.length} (${result.kills.map((k) => `${(k.atMs / 1000).toFixed(1)} s: ${k.openWindows.length} open`).join('; ')})`,
    `forward mails: ${result.mails} to ${result.mailedPairs} (case, contact) pairs; contacts that got a case twice: ${result.duplicates.length} (${(rate * 100).toFixed(2)} %)`,
    ...result.duplicates.map(
      (d) =>
        `  duplicate: case ${d.caseId}, ${d.mails} mails — ${
          d.windowAtKill === undefined
            ? 'NO intent without message id at any kill (unexplained)'
            : `intent without message id at kill ${d.windowAtKill} (SES accepted, id not yet stored)`
        }`,
    ),
    `duration: ${(result.durationMs / 1000).toFixed(1)} s`,
  ];
}
