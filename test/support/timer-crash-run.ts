import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS, topicName } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { closeMongo, connectMongo } from '@privacy-relay/shared/mongo';
import { SesMailer } from '@privacy-relay/shared/ses';
import {
  dateHolidaysCalendar,
  jurisdictionTimeZones,
} from '@privacy-relay/relay/adapters/holidays/date-holidays-calendar';
import { MongoCaseRepository } from '@privacy-relay/relay/adapters/mongo/case-repository';
import { MongoCaseTimerStore } from '@privacy-relay/relay/adapters/mongo/case-timer-store';
import { MongoRelayRequestRepository } from '@privacy-relay/relay/adapters/mongo/relay-request-repository';
import { MongoTenantDirectoryRepository } from '@privacy-relay/relay/adapters/mongo/tenant-directory-repository';
import { CaseLinks } from '@privacy-relay/relay/application/case-links';
import {
  continueForwarding,
  openMatchedCase,
  type ForwardingDeps,
} from '@privacy-relay/relay/application/forward-case';
import { recordReceivedRequest } from '@privacy-relay/relay/application/record-received-request';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import type { HolidayCalendar } from '@privacy-relay/relay/domain/deadline/index';
import { caseIdFor } from '@privacy-relay/relay/domain/matching/case-id';
import { hashCounterpartyEmail } from '@privacy-relay/relay/domain/matching/counterparty-hash';
import { receivedRequestEvent } from './fixtures';
import { relayTestEnv } from './relay-env';
import { startRelayProcess, type RelayProcess } from './relay-process';
import { storedMails, type StoredMail } from './ses-store';
import { createTestTopics, readTopic, stackEndpoints, testKafka, testLogger, testNamespace } from './test-env';
import { seededRandom } from './seeded-random';

/**
 * The SIGKILL run of issue 16's durable timers: two relay instances (real child processes) on the
 * same Kafka topics, database and SES endpoint, while ladder timers come due; one of them is
 * SIGKILLed at seeded random moments and restarted. Afterwards each timer must have fired exactly
 * once: its escalation mail once in the SES endpoint's store (per step and recipient), its
 * `privacy.case.escalated.v2` once per (case, step) on the topic, its step once on the case.
 *
 * The timers are made to come due during the run through the relay's own code: cases are opened
 * and forwarded by the forwarding use cases (their ladder scheduled as the relay schedules it,
 * days ahead), then each case's `reminder` (and, with two steps per case, `all-admins`) timer is
 * moved into the run's window with the ladder's scheduling port (`CaseTimers.schedule`, answer
 * `moved`): no raw inserts, no clock offset in the relays.
 */
export interface TimerCrashOptions {
  /** Timers that come due (1 or 2 per case, see `stepsPerCase`). */
  timers: number;
  kills: number;
  seed: number;
  /** `reminder` only, or `reminder` and `all-admins` of the same case (fires racing on one case). */
  stepsPerCase?: 1 | 2;
  tenants?: number;
  /**
   * The due times, spread (seeded) over [start + dueFromSeconds, start + dueFromSeconds + dueSpreadSeconds),
   * start being when the timers are moved (just before the relays start). Negative: due already
   * while no relay ran (the first sweeps catch them up).
   */
  dueFromSeconds?: number;
  dueSpreadSeconds?: number;
  /** Longest a kill waits after the last timer fired (uniform from 0, seeded). */
  maxKillDelayMs?: number;
  /** The relays' RELAY_TIMER_LEASE_MS (a killed instance's claims are taken over after it). */
  leaseMs?: number;
  /** Longest the run waits for the last timer after the last restart. */
  settleTimeoutMs?: number;
  log?: (line: string) => void;
}

export type CrashStep = 'reminder' | 'all-admins';

export interface TimerKillRecord {
  atMs: number;
  /** Which instance (0 or 1) was killed, and its pid. */
  instance: number;
  pid: number;
  /** Timers fired (completed) when the kill landed. */
  firedBefore: number;
  /** Timers pending under a live claim right after the kill (the killed instance's, and the other's under way). */
  liveClaims: number;
  /** Escalation mails recorded (intent) without an SES message id at the kill: `caseId|step|recipient`. */
  openMailWindows: string[];
  /** Cases whose outbox still held events (escalated.v2 not yet marked published) at the kill. */
  openOutboxes: string[];
}

export interface TimerDuplicate {
  key: string;
  copies: number;
  /** The kill (1-based) at which this one's window stood open; undefined: none did (unexplained). */
  windowAtKill: number | undefined;
}

/** Why an event (same id) is on the topic more than once. */
export type RepublishCause =
  /** Its case's outbox stood open (events not yet marked published) at this kill (1-based). */
  | { kill: number }
  /** Published again right before the case's next event: that write published what was still pending ahead of its own. */
  | 'next-write'
  /** Published again on its own: an outbox sweep (either instance) took it before its writer marked it. */
  | 'outbox-sweep';

export interface RepublishedEvent {
  /** `caseId|step` */
  key: string;
  copies: number;
  causes: RepublishCause[];
}

/** An escalated.v2 message as read from the topic. */
export interface TopicEvent {
  partition: number;
  offset: string;
  id: string;
  caseId: string;
  step: string;
}

/**
 * Distinct events per (case, step), and each event published more than once with the cause of each
 * extra copy: a kill at which the case's outbox stood open; else, when the case's next message in
 * its partition is the first copy of another of its events, that next write (it publishes what is
 * still pending ahead of its own events); else an outbox sweep.
 */
export function countEscalatedEvents(
  messages: readonly TopicEvent[],
  openOutboxesAtKills: readonly (readonly string[])[],
): { idsByStep: Map<string, Set<string>>; distinct: number; republished: RepublishedEvent[] } {
  const ordered = [...messages].sort(
    (a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)),
  );
  const idsByStep = new Map<string, Set<string>>();
  const seen = new Set<string>();
  const republished = new Map<string, RepublishedEvent>();
  const killOf = (caseId: string) => openOutboxesAtKills.findIndex((open) => open.includes(caseId)) + 1;
  ordered.forEach((message, index) => {
    const key = `${message.caseId}|${message.step}`;
    idsByStep.set(key, (idsByStep.get(key) ?? new Set()).add(message.id));
    if (!seen.has(message.id)) {
      seen.add(message.id);
      return;
    }
    const next = ordered.slice(index + 1).find((m) => m.partition === message.partition && m.caseId === message.caseId);
    const nextIsFirstOfAnother =
      next !== undefined && next.id !== message.id && !ordered.slice(0, index + 1).some((m) => m.id === next.id);
    const kill = killOf(message.caseId);
    const cause: RepublishCause = kill > 0 ? { kill } : nextIsFirstOfAnother ? 'next-write' : 'outbox-sweep';
    const entry = republished.get(message.id) ?? { key, copies: 1, causes: [] };
    entry.copies += 1;
    entry.causes.push(cause);
    republished.set(message.id, entry);
  });
  return { idsByStep, distinct: seen.size, republished: [...republished.values()] };
}

export interface TimerCrashResult {
  timers: number;
  cases: number;
  /** Timers in state `fired` at the end. */
  fired: number;
  /** Timers taken over after a claim was left behind (fence > 1). */
  takenOver: number;
  kills: TimerKillRecord[];
  /** Escalation mails in the SES store for the run, and the (case, step, recipient) keys expected. */
  mails: number;
  expectedMails: number;
  /** Expected (case, step, recipient) with no mail. */
  missingMails: string[];
  /** Mails for a (case, step, recipient) that got more than one. */
  duplicateMails: TimerDuplicate[];
  /** Escalation mails to anyone the run did not expect (a wrong recipient, a step not moved). */
  unexpectedMails: number;
  /** `privacy.case.escalated.v2` on the topic: messages, distinct event ids. */
  events: number;
  distinctEvents: number;
  /** (case, step) without its event. */
  missingEvents: string[];
  /** (case, step) with more than one distinct event id: a step fired (recorded) twice. */
  doubleFiredEvents: string[];
  /**
   * The same event (same id) published more than once: the outbox is at least once (docs/events.md).
   * Put next to a kill at which the case's outbox stood open; else another publisher took it before
   * its writer marked it (the outbox sweeper of either instance, or the case's next write, which
   * publishes what is still pending ahead of its own events).
   */
  republishedEvents: RepublishedEvent[];
  /** (case, step) recorded on the case other than exactly once. */
  recordedOtherThanOnce: string[];
  /** Timers still pending at the end (lost, or not fired in time). */
  unfired: string[];
  seedMs: number;
  /** From the first due time to the last timer fired. */
  fireMs: number;
  durationMs: number;
}

interface CaseDoc {
  _id: string;
  outboxPending?: boolean;
  data: {
    state: string;
    contacts: { email: string }[];
    escalations?: {
      step: string;
      mails: { to: string; contactIndex?: number; email?: string; sesMessageId?: string; refusal?: string }[];
    }[];
  };
}

interface TimerDoc {
  _id: string;
  caseId: string;
  step: string;
  state: string;
  fence: number;
  claimUntil: Date;
  firedAt?: Date;
}

/** Which ladder step an escalation mail belongs to, by its subject (escalation-mail.ts); undefined: the forward. */
export function stepOfMail(mail: Pick<StoredMail, 'subject'>): CrashStep | undefined {
  if (mail.subject.startsWith('Reminder: ')) return 'reminder';
  if (mail.subject.startsWith('Not acknowledged: ')) return 'all-admins';
  return undefined;
}

/** `caseId|step|recipient` of an escalation mail, the case id from the admin links in its text. */
export function escalationMailKey(mail: StoredMail): string | undefined {
  const step = stepOfMail(mail);
  if (!step) return undefined;
  const caseId = /\/case-links\/([0-9a-f-]{36})\//.exec(mail.body.text ?? '')?.[1] ?? 'unknown';
  return `${caseId}|${step}|${mail.destination.to.join(',')}`;
}

/** Keys seen more than once, each put next to the first kill whose open windows held it. */
export function attributeCopies(
  counts: ReadonlyMap<string, number>,
  windowsAtKills: readonly (readonly string[])[],
): TimerDuplicate[] {
  const duplicates: TimerDuplicate[] = [];
  for (const [key, copies] of counts) {
    if (copies < 2) continue;
    const at = windowsAtKills.findIndex((windows) => windows.includes(key));
    duplicates.push({ key, copies, windowAtKill: at >= 0 ? at + 1 : undefined });
  }
  return duplicates;
}

const TENANT_NAMES = ['Quillfeather', 'Bramblecourt', 'Marrowgate', 'Thistlewick', 'Ravensholm', 'Copperlane'];

export async function runTimerCrash(options: TimerCrashOptions): Promise<TimerCrashResult> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const stepsPerCase = options.stepsPerCase ?? 2;
  const steps: CrashStep[] = stepsPerCase === 2 ? ['reminder', 'all-admins'] : ['reminder'];
  const caseCount = Math.ceil(options.timers / steps.length);
  const tenantCount = options.tenants ?? 10;
  const maxKillDelayMs = options.maxKillDelayMs ?? 2000;
  const started = Date.now();
  const startedEpochS = Math.floor(started / 1000) - 1;
  const run = randomBytes(4).toString('hex');
  const ns = testNamespace(`timers${options.seed}`);
  const logger = testLogger('timer-crash-run');
  const kafka = testKafka();
  await createTestTopics(kafka, ns.topicPrefix);
  const publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
  await publisher.connect();
  const db = await connectMongo({ uri: stackEndpoints().mongodbUri, dbName: ns.dbName, logger });
  const env = relayTestEnv(ns, {
    RELAY_PUBLIC_URL: 'https://relay.timers.example',
    RELAY_MAIL_FROM: 'relay@relay.test',
    RELAY_KAFKA_SESSION_TIMEOUT_MS: '6000',
    RELAY_TIMER_SWEEP_INTERVAL_MS: '1000',
    RELAY_TIMER_LEASE_MS: String(options.leaseMs ?? 15_000),
    RELAY_TIMER_FIRST_SWEEP_LOOKBACK_MINUTES: '15',
    LOG_LEVEL: 'warn',
  });
  const config = loadConfig(relayConfigSpec, env);
  const mailer = new SesMailer({ from: config.mailFrom, region: config.awsRegion, endpoint: config.sesEndpoint });
  const relays: (RelayProcess | undefined)[] = [undefined, undefined];
  const tenants = Array.from({ length: tenantCount }, (_, i) => {
    const domain = `t${i}-${run}.timers.example`;
    return {
      tenantId: `timers-${run}-${i}`,
      legalName: `${TENANT_NAMES[i % TENANT_NAMES.length]} Timers ${i} Ltd`,
      privacy: `privacy@${domain}`,
      admin: `admin@${domain}`,
    };
  });
  try {
    // --- Seeding through the relay's own use cases and repositories.
    const seedStarted = Date.now();
    const directory = new MongoTenantDirectoryRepository(db);
    for (const tenant of tenants) {
      await directory.upsertTenant(
        {
          tenantId: tenant.tenantId,
          legalName: tenant.legalName,
          aliases: [],
          domains: [],
          contacts: [
            { email: tenant.admin, role: 'admin' },
            { email: tenant.privacy, role: 'privacy' },
          ],
          regime: 'uk-gdpr',
          jurisdiction: 'GB-ENG',
        },
        new Date(),
      );
    }
    const retention = {
      minimiseAfterDays: config.retentionMinimiseAfterDays,
      deleteAfterDays: config.retentionDeleteAfterDays,
    };
    const calendars = new Map<string, HolidayCalendar>();
    const holidays: ForwardingDeps['holidays'] = {
      forJurisdiction: (code) => {
        let calendar = calendars.get(code);
        if (!calendar) calendars.set(code, (calendar = dateHolidaysCalendar(code)));
        return calendar;
      },
      timeZonesOf: (code) => jurisdictionTimeZones(code),
    };
    const clock = { now: () => new Date() };
    const timers = new MongoCaseTimerStore(db, clock);
    const deps: ForwardingDeps = {
      cases: new MongoCaseRepository(db, retention),
      requests: new MongoRelayRequestRepository(
        db,
        (email) => hashCounterpartyEmail(config.counterpartyHmacKey, email),
        retention,
      ),
      directory,
      holidays,
      mailer,
      links: new CaseLinks(config.linkSecret, config.publicUrl, config.linkTtlDays * 86_400_000),
      publisher,
      clock,
      ladder: {
        timers,
        holidays,
        defaults: {
          reminderAfterWorkingDays: config.escalationReminderWorkingDays,
          allAdminsAfterDays: config.escalationAllAdminsDays,
          privacyTeamAfterDays: config.escalationPrivacyTeamDays,
          deadlineWarningWorkingDays: config.deadlineWarningWorkingDays,
        },
        platformPrivacyTeamEmail: config.platformPrivacyTeamEmail,
        onLadderError: (caseId, error) => {
          throw new Error(`ladder of ${caseId} not scheduled: ${String(error)}`);
        },
      },
    };
    const caseIds: string[] = [];
    const tenantOfCase = new Map<string, (typeof tenants)[number]>();
    await inParallel(caseCount, 12, async (i) => {
      const tenant = tenants[i % tenants.length]!;
      const received = receivedRequestEvent({
        requester: { name: `Requester ${i}`, email: `requester-${i}-${run}@people.example` },
        company: { name: tenant.legalName },
        verification: { status: 'verified', method: 'email-link' },
      });
      const { requestId } = received.payload;
      await recordReceivedRequest(deps.requests, received);
      const caseId = caseIdFor(requestId, tenant.tenantId);
      const matched = EVENTS.caseMatchedV1.create(
        {
          caseId,
          requestId,
          tenantId: tenant.tenantId,
          matchedAt: new Date().toISOString(),
          matchedBy: 'matcher',
          score: 1,
          reasons: [{ signal: 'company-name', score: 1 }],
        },
        { correlationId: requestId },
      );
      const opened = await openMatchedCase(deps, matched);
      const forwarded = await continueForwarding(deps, opened.case);
      if (forwarded.outcome !== 'sent') throw new Error(`case ${caseId} not forwarded: ${forwarded.outcome}`);
      caseIds.push(caseId);
      tenantOfCase.set(caseId, tenant);
    });
    // Every forwarded case has its ladder scheduled days ahead; its first rungs are moved into the window.
    const windowStart = Date.now() + (options.dueFromSeconds ?? 30) * 1000;
    const spreadMs = (options.dueSpreadSeconds ?? 180) * 1000;
    const dueTimes = caseIds.flatMap(() => steps.map(() => windowStart + Math.floor(random() * spreadMs)));
    const timerIds: string[] = [];
    await inParallel(caseIds.length * steps.length, 12, async (n) => {
      const caseId = caseIds[Math.floor(n / steps.length)]!;
      const step = steps[n % steps.length]!;
      const outcome = await timers.schedule(caseId, step, new Date(dueTimes[n]!), { step });
      if (outcome !== 'moved') throw new Error(`timer ${caseId}:${step} not moved: ${outcome}`);
      timerIds.push(`${caseId}:${step}`);
    });
    const seedMs = Date.now() - seedStarted;
    const firstDue = Math.min(...dueTimes);
    log(
      `seeded ${caseIds.length} forwarded cases, ${timerIds.length} timers due from ${new Date(firstDue).toISOString()} to ${new Date(Math.max(...dueTimes)).toISOString()} (${(seedMs / 1000).toFixed(1)} s)`,
    );

    // --- Two relays; kills while the timers come due.
    const timerDocs = db.collection<TimerDoc>('case_timers');
    const cases = db.collection<CaseDoc>('cases');
    const firedCount = async () =>
      (await timerDocs.find({ state: 'fired' }, { projection: { _id: 1 } }).toArray()).length;
    const envOf = (instance: number) => ({
      ...env,
      RELAY_EVIDENCE_DIR: join(tmpdir(), 'privacy-relay-evidence', `${ns.dbName}-${instance}`),
    });
    const start = async (instance: number) => {
      const relay = startRelayProcess(envOf(instance));
      relays[instance] = relay;
      await relay.ready;
      return relay;
    };
    await Promise.all([start(0), start(1)]);
    log(`relays started (pids ${relays.map((r) => r?.pid).join(', ')}); ${options.kills} kills (seed ${options.seed})`);
    const kills: TimerKillRecord[] = [];
    let lastFired = 0;
    for (let k = 1; k <= options.kills; k++) {
      // A moment while timers fire: after the next one completes, then a seeded delay.
      const progressDeadline = Math.max(Date.now(), windowStart + spreadMs) + 120_000;
      let fired = await firedCount();
      while (fired <= lastFired && fired < timerIds.length && Date.now() < progressDeadline) {
        await pause(200);
        fired = await firedCount();
      }
      await pause(Math.floor(random() * maxKillDelayMs));
      if ((await firedCount()) >= timerIds.length) {
        log(`all timers fired before kill ${k}; no more kills`);
        break;
      }
      const instance = random() < 0.5 ? 0 : 1;
      // One of two: a kill only while both run (a restarted one has joined its consumer groups).
      await Promise.all(relays.map((relay) => relay?.ready));
      const victim = relays[instance]!;
      victim.kill('SIGKILL');
      await victim.exited;
      const now = new Date();
      const [firedBefore, liveClaims, stored] = await Promise.all([
        firedCount(),
        timerDocs.countDocuments({ state: 'pending', claimUntil: { $gt: now } }),
        cases.find({}, { projection: { 'data.escalations': 1, 'data.contacts': 1, outboxPending: 1 } }).toArray(),
      ]);
      const record: TimerKillRecord = {
        atMs: Date.now() - started,
        instance,
        pid: victim.pid,
        firedBefore,
        liveClaims,
        openMailWindows: openMailWindows(stored),
        openOutboxes: stored.filter((c) => c.outboxPending === true).map((c) => c._id),
      };
      kills.push(record);
      lastFired = firedBefore;
      log(
        `kill ${k} at ${(record.atMs / 1000).toFixed(1)} s: instance ${instance} (pid ${victim.pid}); ${firedBefore} fired, ${liveClaims} live claim(s), ${record.openMailWindows.length} mail intent(s) without id, ${record.openOutboxes.length} outbox(es) open`,
      );
      // Restarted while the other instance goes on; the run does not wait for its Kafka join here.
      void start(instance).catch(() => undefined);
    }
    const settleDeadline = Date.now() + (options.settleTimeoutMs ?? 300_000);
    const settled = async () => {
      if ((await firedCount()) < timerIds.length) return false;
      const stored = await cases.find({}).toArray();
      return stored.every(
        (c) =>
          c.outboxPending !== true &&
          (c.data.escalations ?? []).every((e) => e.mails.every((m) => m.sesMessageId || m.refusal)),
      );
    };
    while (!(await settled()) && Date.now() < settleDeadline) await pause(500);
    await Promise.all(
      relays.map(async (relay, i) => {
        await relay?.ready.catch(() => undefined);
        relay?.kill('SIGTERM');
        const exit = await relay?.exited;
        relays[i] = undefined;
        if (exit && exit.code !== 0) log(`relay ${i} stopped with code ${String(exit.code)}`);
      }),
    );

    // --- Counting.
    const finalTimers = await timerDocs.find({ _id: { $in: timerIds } }).toArray();
    const unfired = finalTimers.filter((t) => t.state !== 'fired').map((t) => t._id);
    unfired.push(...timerIds.filter((id) => !finalTimers.some((t) => t._id === id)));
    const lastFiredAt = Math.max(...finalTimers.map((t) => t.firedAt?.getTime() ?? 0));
    const expected = new Set<string>();
    for (const caseId of caseIds) {
      const tenant = tenantOfCase.get(caseId)!;
      expected.add(`${caseId}|reminder|${tenant.privacy}`);
      if (steps.includes('all-admins')) expected.add(`${caseId}|all-admins|${tenant.admin}`);
    }
    const mails = (await storedMails(startedEpochS)).filter((mail) =>
      mail.destination.to.some((to) => to.endsWith(`-${run}.timers.example`)),
    );
    const mailCounts = new Map<string, number>();
    let escalationMails = 0;
    for (const mail of mails) {
      const key = escalationMailKey(mail);
      if (!key) continue;
      escalationMails += 1;
      mailCounts.set(key, (mailCounts.get(key) ?? 0) + 1);
    }
    const events: TopicEvent[] = (
      await readTopic(kafka, topicName(EVENTS.caseEscalatedV2, ns.topicPrefix), { timeoutMs: 5_000 })
    ).map((m) => {
      const envelope = JSON.parse(m.value) as { id: string; payload: { caseId: string; step: string } };
      return { partition: m.partition, offset: m.offset, id: envelope.id, ...envelope.payload };
    });
    const counted = countEscalatedEvents(
      events,
      kills.map((k) => k.openOutboxes),
    );
    const expectedSteps = caseIds.flatMap((caseId) => steps.map((step) => `${caseId}|${step}`));
    const finalCases = await cases.find({}).toArray();
    const recordedOtherThanOnce = expectedSteps.filter((key) => {
      const [caseId, step] = key.split('|');
      const stored = finalCases.find((c) => c._id === caseId);
      return (stored?.data.escalations ?? []).filter((e) => e.step === step).length !== 1;
    });
    return {
      timers: timerIds.length,
      cases: caseIds.length,
      fired: finalTimers.filter((t) => t.state === 'fired').length,
      takenOver: finalTimers.filter((t) => t.fence > 1).length,
      kills,
      mails: escalationMails,
      expectedMails: expected.size,
      missingMails: [...expected].filter((key) => !mailCounts.has(key)),
      duplicateMails: attributeCopies(
        mailCounts,
        kills.map((k) => k.openMailWindows),
      ),
      unexpectedMails: [...mailCounts.keys()].filter((key) => !expected.has(key)).length,
      events: events.length,
      distinctEvents: counted.distinct,
      missingEvents: expectedSteps.filter((key) => !counted.idsByStep.has(key)),
      doubleFiredEvents: [...counted.idsByStep].filter(([, ids]) => ids.size > 1).map(([key]) => key),
      republishedEvents: counted.republished,
      recordedOtherThanOnce,
      unfired,
      seedMs,
      fireMs: lastFiredAt - firstDue,
      durationMs: Date.now() - started,
    };
  } finally {
    for (const relay of relays) relay?.kill('SIGKILL');
    await Promise.all(relays.map((relay) => relay?.exited));
    mailer.close();
    await publisher.disconnect();
    await db.dropDatabase().catch(() => undefined);
    await closeMongo(db);
  }
}

/** `caseId|step|recipient` of every escalation mail recorded without an SES message id (nor a refusal). */
function openMailWindows(stored: readonly Pick<CaseDoc, '_id' | 'data'>[]): string[] {
  return stored.flatMap((c) =>
    (c.data.escalations ?? []).flatMap((escalation) =>
      escalation.mails
        .filter((mail) => !mail.sesMessageId && !mail.refusal)
        .map((mail) => {
          const to = mail.to === 'privacy-contact' ? c.data.contacts[mail.contactIndex ?? 0]?.email : mail.email;
          return `${c._id}|${escalation.step}|${to ?? mail.to}`;
        }),
    ),
  );
}

async function inParallel(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The run's result as lines of text (the bench prints them; the test shows them on failure). */
export function describeTimerCrash(result: TimerCrashResult): string[] {
  const explained = (d: TimerDuplicate, window: string) =>
    d.windowAtKill === undefined ? 'NOT explained by any kill' : `${window} at kill ${d.windowAtKill}`;
  return [
    `timers: ${result.timers} (${result.cases} cases) — fired ${result.fired}, still pending ${result.unfired.length}, claimed more than once (a claim taken over after the lease) ${result.takenOver}`,
    `kills: ${result.kills.length} (${result.kills
      .map(
        (k) =>
          `${(k.atMs / 1000).toFixed(1)} s #${k.instance}: ${k.firedBefore} fired, ${k.liveClaims} live claims, ${k.openMailWindows.length} mail open, ${k.openOutboxes.length} outbox open`,
      )
      .join('; ')})`,
    `escalation mails: ${result.mails} for ${result.expectedMails} expected (case, step, recipient); missing ${result.missingMails.length}, sent twice ${result.duplicateMails.length}, unexpected ${result.unexpectedMails}`,
    ...result.duplicateMails.map((d) => `  mail ${d.key}: ${d.copies} — ${explained(d, 'intent without SES id')}`),
    `escalated.v2 events: ${result.events} messages, ${result.distinctEvents} distinct; (case, step) missing ${result.missingEvents.length}, fired twice ${result.doubleFiredEvents.length}, republished ${result.republishedEvents.length}`,
    ...republishSummary(result.republishedEvents),
    `steps recorded on the case other than once: ${result.recordedOtherThanOnce.length}`,
    `seeding ${(result.seedMs / 1000).toFixed(1)} s; first due to last fired ${(result.fireMs / 1000).toFixed(1)} s; run ${(result.durationMs / 1000).toFixed(1)} s`,
  ];
}

/** The extra copies of republished events, counted by cause. */
function republishSummary(republished: readonly RepublishedEvent[]): string[] {
  const causes = republished.flatMap((e) => e.causes);
  const kills = causes.filter((c) => typeof c === 'object').length;
  const nextWrite = causes.filter((c) => c === 'next-write').length;
  const sweep = causes.filter((c) => c === 'outbox-sweep').length;
  return causes.length === 0
    ? []
    : [
        `  extra copies (same event id, at least once): ${causes.length} — outbox open at a kill ${kills}, published again ahead of the case's next event ${nextWrite}, by an outbox sweep ${sweep}`,
      ];
}
