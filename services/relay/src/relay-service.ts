import { randomUUID } from 'node:crypto';
import { EVENTS, topicName } from '@privacy-relay/shared/events';
import type { Logger } from '@privacy-relay/shared/logger';
import { type ConsumerHandle, KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { OutboxSweeper } from '@privacy-relay/shared/outbox';
import {
  MongoRetentionCursorStore,
  MongoRetentionDayLists,
  RetentionSweep,
  RetentionSweeper,
} from '@privacy-relay/shared/retention';
import { ServiceRuntime, type Service } from '@privacy-relay/shared/runtime';
import { SesMailer, type SesMailerOptions } from '@privacy-relay/shared/ses';
import { dateHolidaysCalendar, jurisdictionTimeZones } from './adapters/holidays/date-holidays-calendar';
import { MongoCaseRepository } from './adapters/mongo/case-repository';
import { MongoCaseTimerStore } from './adapters/mongo/case-timer-store';
import { fireLadderStep } from './application/escalate-case';
import { LadderTimerSweeper } from './entry-points/ladder-timer-sweeper';
import { CheckpointDirectory } from './adapters/evidence/checkpoint-directory';
import { MongoCaseEvidenceRepository } from './adapters/mongo/case-evidence';
import { keyIdOf, publicKeyPem } from './domain/evidence/checkpoint';
import { EvidenceCheckpointer } from './entry-points/evidence-checkpointer';
import { CaseLinks } from './application/case-links';
import { CaseRetention, RequestRetention } from './application/retention';
import type { ForwardingDeps } from './application/forward-case';
import type { HolidayCalendar } from './domain/deadline';
import { registerAdminLinkRoutes } from './entry-points/http/admin-link-routes';
import { startCaseEventsConsumer } from './entry-points/kafka/case-events-consumer';
import { MongoDirectoryPositionRepository } from './adapters/mongo/directory-position-repository';
import { MongoMatchDecisionRepository } from './adapters/mongo/match-decision-repository';
import { MongoRelayRequestRepository } from './adapters/mongo/relay-request-repository';
import { MongoTenantDirectoryRepository } from './adapters/mongo/tenant-directory-repository';
import type { Clock, CounterpartyHasher } from './application/ports';
import { rebuildTenantIndex } from './application/tenant-directory';
import type { RelayConfig } from './config';
import { hashCounterpartyEmail, TenantIndex, TenantMatcher } from './domain/matching';
import { OperatorAuthenticator } from './entry-points/http/operator-auth';
import { registerCaseRoutes } from './entry-points/http/case-routes';
import { registerConsoleRoutes } from './entry-points/http/console/console-routes';
import { CONSOLE_PREFIX } from './entry-points/http/console/console-pages';
import { ConsoleSessions } from './application/console-sessions';
import { MongoConsoleSessionStore } from './adapters/mongo/console-session-store';
import { MongoCaseListing } from './adapters/mongo/case-listing';
import { MongoDirectoryImportJobs } from './adapters/mongo/directory-import-job-store';
import { registerTriageRoutes } from './entry-points/http/triage-routes';
import { startDirectoryEventsConsumer } from './entry-points/kafka/directory-events-consumer';
import { startExportEventsConsumer } from './entry-points/kafka/export-events-consumer';
import { startRequestEventsConsumer } from './entry-points/kafka/request-events-consumer';

export interface RelayService extends Service {
  /** The HTTP port actually bound, once started. */
  readonly port: number;
  /** The in-memory matching index (for tests and diagnostics). */
  readonly tenantIndex: TenantIndex;
}

/** What a test may put in place of the relay's own adapters. */
export interface RelayServiceOverrides {
  /** The SES client the forwards are sent with (tests add a middleware that makes SES refuse a mail). */
  sesClient?: SesMailerOptions['client'];
}

/** Wires the relay: adapters around the use cases, the Kafka consumers and the HTTP server. */
export function createRelayService(
  config: RelayConfig,
  logger: Logger,
  clock: Clock = { now: () => new Date() },
  overrides: RelayServiceOverrides = {},
): RelayService {
  let directoryCaughtUp = false;
  const runtime = new ServiceRuntime({
    name: 'relay',
    config,
    logger,
    http: { host: config.host, port: config.port },
    dbName: config.mongodbDatabase,
    readiness: [
      {
        name: 'directory',
        check: async () => {
          if (!directoryCaughtUp) throw new Error('catching up with the directory topic');
        },
      },
    ],
  });
  // Every instance reads every directory change: by default through a group of its own, made
  // here and deleted again on a graceful stop.
  const directoryGroupId = config.directoryGroupId || `${config.kafkaGroupId}.directory.${randomUUID()}`;
  const index = new TenantIndex();
  const matcher = new TenantMatcher(index);
  const hasher: CounterpartyHasher = { hash: (email) => hashCounterpartyEmail(config.counterpartyHmacKey, email) };

  return {
    get port() {
      return runtime.port;
    },
    tenantIndex: index,
    async start() {
      await runtime.connect();
      const retentionPolicy = {
        minimiseAfterDays: config.retentionMinimiseAfterDays,
        deleteAfterDays: config.retentionDeleteAfterDays,
      };
      const requests = new MongoRelayRequestRepository(runtime.mongo, (email) => hasher.hash(email), retentionPolicy);
      const directory = new MongoTenantDirectoryRepository(runtime.mongo);
      const decisions = new MongoMatchDecisionRepository(runtime.mongo);
      const publisher = new KafkaEventPublisher(runtime.kafka, { topicPrefix: config.kafkaTopicPrefix, logger });
      await publisher.connect();
      runtime.onStop(() => publisher.disconnect());

      // The index is built from the database, then the directory consumer replays what came
      // after the positions read before the rebuild; requests are matched only once it has
      // caught up with the topic as it stood at start.
      const positions = new MongoDirectoryPositionRepository(runtime.mongo);
      const appliedBeforeRebuild = await positions.appliedOffsets(
        topicName(EVENTS.tenantDirectoryChangedV1, config.kafkaTopicPrefix),
      );
      const started = Date.now();
      const rebuilt = await rebuildTenantIndex(directory, index);
      logger.info({ ...rebuilt, ms: Date.now() - started }, 'tenant index rebuilt');
      const consumerOptions = {
        kafka: runtime.kafka,
        topicPrefix: config.kafkaTopicPrefix,
        logger,
        metrics: runtime.metrics,
        sessionTimeoutMs: config.kafkaSessionTimeoutMs,
      };
      // The consumers stop together: each waits for its fetch in flight and its group to let it
      // go, and one after the other those waits added up past the launcher's 10 s. The first of
      // their stop hooks to run (the last consumer's, so before the mailer and sweepers they use)
      // stops them all; the others wait for the same stop.
      const consumers: ConsumerHandle[] = [];
      let consumersStopped: Promise<void> | undefined;
      const stopConsumers = () =>
        (consumersStopped ??= Promise.all(consumers.map((c) => c.stop())).then(() => undefined));
      const directoryConsumer = await startDirectoryEventsConsumer(
        {
          ...consumerOptions,
          groupId: directoryGroupId,
          appliedBeforeRebuild,
          deleteGroupOnStop: !config.directoryGroupId,
        },
        { repository: directory, index, hasher, positions },
      );
      consumers.push(directoryConsumer);
      runtime.onStop(stopConsumers);
      // Decisions (the matcher's, an operator's) whose events could not be published when stored.
      const outboxSweeper = new OutboxSweeper({
        name: 'match-decisions',
        source: decisions.outbox,
        publisher,
        logger,
        intervalMs: config.outboxSweepIntervalMs,
      });
      outboxSweeper.start();
      runtime.onStop(() => outboxSweeper.stop());
      // Forwarding: cases, their SES mails and their admin links.
      const cases = new MongoCaseRepository(runtime.mongo, retentionPolicy);
      const mailer = new SesMailer({
        from: config.mailFrom,
        region: config.awsRegion,
        endpoint: config.sesEndpoint,
        configurationSet: config.sesConfigurationSet || undefined,
        ...(overrides.sesClient ? { client: overrides.sesClient } : {}),
      });
      runtime.onStop(() => mailer.close());
      const calendars = new Map<string, HolidayCalendar>();
      const timeZones = new Map<string, readonly string[]>();
      const holidays: ForwardingDeps['holidays'] = {
        forJurisdiction: (code) => {
          let calendar = calendars.get(code);
          if (!calendar) calendars.set(code, (calendar = dateHolidaysCalendar(code)));
          return calendar;
        },
        timeZonesOf: (code) => {
          let zones = timeZones.get(code);
          if (!zones) timeZones.set(code, (zones = jurisdictionTimeZones(code)));
          return zones;
        },
      };
      // The escalation ladder's durable timers (docs/escalation.md).
      const timers = new MongoCaseTimerStore(runtime.mongo, clock);
      const forwarding: ForwardingDeps = {
        cases,
        requests,
        directory,
        holidays,
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
          onLadderError: (caseId, error) =>
            logger.warn(
              { caseId, err: error },
              'ladder timers not scheduled or cancelled; the fire handler checks the case',
            ),
        },
        mailer,
        links: new CaseLinks(config.linkSecret, config.publicUrl, config.linkTtlDays * 86_400_000),
        publisher,
        clock,
        onPublishFailed: (caseId, error) =>
          logger.warn({ caseId, err: error }, 'case events not published yet; the outbox sweeper will'),
      };
      const caseSweeper = new OutboxSweeper({
        name: 'cases',
        source: cases.outbox,
        publisher,
        logger,
        intervalMs: config.outboxSweepIntervalMs,
      });
      caseSweeper.start();
      runtime.onStop(() => caseSweeper.stop());
      // Sweeps the ladder's due timers; stopped before the mailer and publisher its fires use.
      const ladderSweeper = new LadderTimerSweeper(
        {
          store: timers,
          clock,
          fire: async (timer) => {
            const outcome = await fireLadderStep(forwarding, timer);
            logger.info({ caseId: timer.caseId, step: timer.step, fence: timer.fence, outcome }, 'ladder timer fired');
          },
          onFireFailed: (timer, error) =>
            logger.warn({ caseId: timer.caseId, step: timer.step, err: error }, 'ladder timer failed; retried later'),
        },
        {
          intervalMs: config.timerSweepIntervalMs,
          leaseMs: config.timerLeaseMs,
          maxBuckets: config.timerSweepMaxBuckets,
          firstSweepLookback: config.timerFirstSweepLookbackMinutes,
          concurrency: config.timerSweepConcurrency,
          logger,
        },
      );
      ladderSweeper.start();
      runtime.onStop(() => ladderSweeper.stop());
      // Evidence: signed checkpoints of the cases' audit chains, kept outside the database.
      const checkpoints = new CheckpointDirectory(config.evidenceDir);
      await checkpoints.publishKey(keyIdOf(config.evidenceSigningKey), publicKeyPem(config.evidenceSigningKey));
      const checkpointer = new EvidenceCheckpointer(
        {
          heads: new MongoCaseEvidenceRepository(runtime.mongo),
          log: checkpoints,
          signingKey: config.evidenceSigningKey,
          clock,
        },
        { intervalMs: config.evidenceCheckpointIntervalMs, logger },
      );
      checkpointer.start();
      runtime.onStop(() => checkpointer.stop());
      // Retention: personal data minimised, then records deleted, counted from their last activity.
      const retentionSweeper = new RetentionSweeper({
        sweep: new RetentionSweep({
          targets: [
            new CaseRetention(cases),
            new RequestRetention({ requests, cases, decisions, hasher, policy: retentionPolicy }),
          ],
          cursors: new MongoRetentionCursorStore(runtime.mongo),
          lists: new MongoRetentionDayLists(runtime.mongo),
          clock,
          logger,
        }),
        intervalMs: config.retentionSweepIntervalMs,
        logger,
      });
      retentionSweeper.start();
      runtime.onStop(() => retentionSweeper.stop());
      // Admin links: public, no operator credential (the signed token is one), so a scope of their own.
      await runtime.http.register(async (linkScope) => registerAdminLinkRoutes(linkScope, forwarding));
      // Operator routes in a scope of their own: their authentication hook leaves /healthz,
      // /readyz and /metrics (internal network, no credential) alone.
      const authenticator = new OperatorAuthenticator(config.operatorTokens);
      if (config.operatorTokens.length === 0) {
        logger.warn('RELAY_OPERATOR_TOKENS is empty: every operator API request will be refused (401)');
      }
      await runtime.http.register(async (operatorScope) =>
        registerTriageRoutes(operatorScope, { decisions, publisher, clock, index, authenticator }),
      );
      await runtime.http.register(async (caseScope) => registerCaseRoutes(caseScope, { ...forwarding, authenticator }));
      // The operator console (docs/console.md): pages under /console with sign-in and sessions, a scope of its own.
      if (config.consoleUsers.length === 0) logger.warn('RELAY_CONSOLE_USERS is empty: nobody can sign in to /console');
      const consoleSessions = new ConsoleSessions({
        users: config.consoleUsers,
        store: new MongoConsoleSessionStore(runtime.mongo),
        clock,
        ttlMs: config.consoleSessionTtlMinutes * 60_000,
      });
      await runtime.http.register(
        async (consoleScope) =>
          registerConsoleRoutes(consoleScope, {
            ...forwarding,
            sessions: consoleSessions,
            decisions,
            index,
            caseListing: new MongoCaseListing(runtime.mongo),
            importJobs: new MongoDirectoryImportJobs(runtime.mongo),
            publicUrl: config.publicUrl,
            secret: config.linkSecret,
            signInLimit: config.consoleSignInLimit,
          }),
        { prefix: CONSOLE_PREFIX },
      );
      // Listening already: /readyz says "not ready" until the directory has caught up.
      await runtime.listen();
      await directoryConsumer.caughtUp;
      directoryCaughtUp = true;
      const consumer = await startRequestEventsConsumer(
        { ...consumerOptions, groupId: config.kafkaGroupId },
        requests,
        {
          requests,
          decisions,
          matcher,
          hasher,
          publisher,
          clock,
        },
      );
      consumers.push(consumer);
      runtime.onStop(stopConsumers);
      // Its own group: a forward waiting on SES (retried with backoff) holds up no matching.
      const caseConsumer = await startCaseEventsConsumer(
        { ...consumerOptions, groupId: `${config.kafkaGroupId}.forwarding` },
        forwarding,
      );
      consumers.push(caseConsumer);
      runtime.onStop(stopConsumers);
      // The requester's export (docs/export.md): what the relay holds about an address, for intake.
      const exportConsumer = await startExportEventsConsumer(
        { ...consumerOptions, groupId: `${config.kafkaGroupId}.exports` },
        { requests, cases, decisions, publisher, clock },
      );
      consumers.push(exportConsumer);
      runtime.onStop(stopConsumers);
    },
    stop: () => runtime.stop(),
  };
}
