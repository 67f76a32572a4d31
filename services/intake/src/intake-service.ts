import { EVENTS } from '@privacy-relay/shared/events';
import { KafkaEventPublisher, route, runConsumer } from '@privacy-relay/shared/kafka';
import type { Logger } from '@privacy-relay/shared/logger';
import {
  MongoRetentionCursorStore,
  MongoRetentionDayLists,
  RetentionSweep,
  RetentionSweeper,
} from '@privacy-relay/shared/retention';
import { OutboxSweeper } from '@privacy-relay/shared/outbox';
import { ServiceRuntime, type Service } from '@privacy-relay/shared/runtime';
import { Counter, Gauge } from 'prom-client';
import { v4 as uuidv4 } from 'uuid';
import { KafkaReceivedRequestPublisher } from './adapters/kafka/kafka-received-request-publisher';
import { KafkaVerifiedRequestPublisher } from './adapters/kafka/kafka-verified-request-publisher';
import { MongoRequestLedger } from './adapters/mongo/mongo-request-ledger';
import { MongoVerificationStore } from './adapters/mongo/mongo-verification-store';
import { MongoAcknowledgementMailLog } from './adapters/mongo/mongo-acknowledgement-mail-log';
import { PacedMailer } from './adapters/ses/paced-mailer';
import { SesMailer } from '@privacy-relay/shared/ses';
import { acceptRequest, type AcceptRequestDeps } from './application/accept-request';
import { mailAcknowledgement, type MailAcknowledgementDeps } from './application/mail-acknowledgement';
import { notifyExtension, type NotifyExtensionDeps } from './application/notify-extension';
import { notifyForward, type NotifyForwardDeps } from './application/notify-forward';
import type { FetchText } from './adapters/sns/sns-signature-verifier';
import { RequesterLinks } from './application/requester-links';
import { VerificationRetention } from './application/retention';
import { WriteBehindVerificationStore } from './application/write-behind-states';
import type { VerifyDeps } from './application/verify-request';
import type { IntakeConfig } from './config';
import { EmailThrottle, SubmissionLimits } from './entry-points/http/email-throttle';
import { registerIntakeHttp } from './entry-points/http/intake-http';
import { registerSesEventRoutes } from './entry-points/http/ses-events';
import { registerSesInboundRoutes } from './entry-points/http/ses-inbound';
import type { AcceptIncoming } from './entry-points/smtp/receive-email';
import { startSmtpIntake } from './entry-points/smtp/smtp-intake';
import { MongoExportStore } from './adapters/mongo/mongo-export-store';
import { ExportLinks } from './application/export-links';
import type { Clock } from './application/ports';
import { deliverExport, sweepExpiredExports, type RequesterExportDeps } from './application/requester-export';
import { registerExportRoutes } from './entry-points/http/export-routes';

export interface IntakeService extends Service {
  /** The HTTP port actually bound, once started. */
  readonly port: number;
  /** The admin listener's port (metrics, readiness detail) actually bound, once started. */
  readonly adminPort: number;
}

/** What the entry points (form, API, SMTP, SES inbound) get: acceptance and verification. */
export interface IntakeUseCases {
  accept: AcceptRequestDeps;
  verify: VerifyDeps;
}

/** What tests replace: SNS's certificate host (unreachable from a test) and the CA it must chain to. */
export interface IntakeTestSeams {
  sns?: { fetchText?: FetchText; trustedCaPem?: string };
  /** The clock of the links, the exports and their sweep (tests move it instead of waiting). */
  clock?: Clock;
}

/** Wires intake: the ledger and publisher behind `acceptRequest`, and the entry points in front of it. */
export function createIntakeService(config: IntakeConfig, logger: Logger, seams: IntakeTestSeams = {}): IntakeService {
  const runtime = new ServiceRuntime({
    name: 'intake',
    config,
    logger,
    http: {
      host: config.host,
      port: config.port,
      bodyLimit: config.bodyLimitBytes,
      trustProxy: config.trustProxy,
      admin: { host: config.adminHost, port: config.adminPort },
    },
    dbName: config.mongodbDatabase,
  });
  const mailsSent = new Counter({
    name: 'intake_mails_sent_total',
    help: 'Receipts and verification mails SES accepted (sent by the consumer of received events)',
    labelNames: ['kind'],
    registers: [runtime.metrics],
  });

  const staleEvents = new Counter({
    name: 'intake_acknowledgements_skipped_stale_total',
    help: 'Received events not mailed before and now too old to mail (older than the verification window)',
    registers: [runtime.metrics],
  });

  const sesEventsIgnored = new Counter({
    name: 'intake_ses_events_ignored_total',
    help: 'SES event notifications acknowledged without an event (types that are no delivery fact, e.g. Open, Click)',
    labelNames: ['event_type'],
    registers: [runtime.metrics],
  });

  const forwardNotices = new Counter({
    name: 'intake_forward_notices_total',
    help: "privacy.case.forwarded.v1 events by what the requester's notice became (mailed, already-mailed, not-mailed, unverified)",
    labelNames: ['outcome'],
    registers: [runtime.metrics],
  });

  const extensionNotices = new Counter({
    name: 'intake_extension_notices_total',
    help: "privacy.case.extended.v1 events by what the requester's notice became (mailed, already-mailed, not-mailed, unverified)",
    labelNames: ['outcome'],
    registers: [runtime.metrics],
  });

  const stateWritesFailed = new Counter({
    name: 'intake_request_state_writes_failed_total',
    help: 'Request states not stored after the answer (the mail consumer stores them from the event)',
    registers: [runtime.metrics],
  });

  return {
    get port() {
      return runtime.port;
    },
    get adminPort() {
      return runtime.adminPort;
    },
    async start() {
      await runtime.connect();
      const publisher = new KafkaEventPublisher(runtime.kafka, { topicPrefix: config.kafkaTopicPrefix, logger });
      await publisher.connect();
      runtime.onStop(() => publisher.disconnect());
      const ses = new SesMailer({
        from: config.mailFrom,
        region: config.awsRegion,
        endpoint: config.sesEndpoint,
        unverifiedRecipientAttempts: config.mailUnverifiedRecipientAttempts,
      });
      runtime.onStop(() => ses.close());
      const clock = seams.clock ?? { now: () => new Date() };
      const links = new RequesterLinks(config.linkSecret, config.publicUrl);
      // The inserts of a keyed request are group-committed (see BatchedInserts): the idempotency
      // key's before the answer, the state's after it, in bigger statements. The mail consumer's
      // state inserts (keys nobody can repeat) go at once: its mails wait for them.
      const groupCommit = { windowMs: config.dbGroupCommitWindowMs };
      const retentionPolicy = {
        minimiseAfterDays: config.retentionMinimiseAfterDays,
        deleteAfterDays: config.retentionDeleteAfterDays,
      };
      const storedVerifications = new MongoVerificationStore(
        runtime.mongo,
        { windowMs: config.stateWriteWindowMs },
        retentionPolicy,
      );
      const verifications = new WriteBehindVerificationStore(storedVerifications, (error) => {
        stateWritesFailed.inc();
        logger.warn(
          { err: error },
          'request state not stored after the answer; the mail consumer stores it from the event',
        );
      });
      new Gauge({
        name: 'intake_request_state_writes_pending',
        help: 'Requests answered whose state is still being written (behind the answer)',
        registers: [runtime.metrics],
        collect() {
          this.set(verifications.pendingWrites);
        },
      });
      const verificationTtlMs = config.verificationTtlHours * 60 * 60 * 1000;

      // Receipts and verification mails go out from the received events, not from the request
      // path: as durable as the request (a crash re-sends, never loses) and paced to SES's rate.
      // One pace for every mail intake sends (acknowledgements and forward notices): SES's rate is the account's.
      const pacedMailer = new PacedMailer(ses, config.mailRatePerSecond);
      const mailDeps: MailAcknowledgementDeps = {
        mailer: pacedMailer,
        sentMails: new MongoAcknowledgementMailLog(runtime.mongo),
        states: verifications,
        clock,
        links,
        secret: config.linkSecret,
        verificationTtlMs,
        onMailSent: (kind) => mailsSent.inc({ kind }),
        onStaleEvent: () => {
          staleEvents.inc();
          logger.warn('received event older than the verification window: not mailed');
        },
      };
      const mailConsumer = await runConsumer({
        kafka: runtime.kafka,
        groupId: config.kafkaGroupId,
        topicPrefix: config.kafkaTopicPrefix,
        sessionTimeoutMs: config.kafkaSessionTimeoutMs,
        logger: logger.child({ component: 'acknowledgement-mails' }),
        metrics: runtime.metrics,
        routes: [route(EVENTS.requestReceivedV1, async (event) => void (await mailAcknowledgement(mailDeps, event)))],
      });
      runtime.onStop(() => mailConsumer.stop());
      // The requester's notice of each forward, in a group of its own: a notice waiting for a
      // state not stored yet (retried in order) or for SES holds up no receipt, and the reverse.
      const forwardLog = logger.child({ component: 'forward-notices' });
      const noticeDeps: NotifyForwardDeps & NotifyExtensionDeps = {
        forwards: storedVerifications,
        mailer: pacedMailer,
        clock,
        links,
        noticeMaxAgeMs: config.forwardNoticeMaxAgeHours * 60 * 60 * 1000,
        onUnverified: (ids) => forwardLog.warn(ids, 'forward of a request not verified here: not recorded, not mailed'),
        onNotMailed: (ids, reason) => forwardLog.warn({ ...ids, reason }, 'forward recorded, requester not mailed'),
      };
      const noticeConsumer = await runConsumer({
        kafka: runtime.kafka,
        groupId: `${config.kafkaGroupId}.forwarded`,
        topicPrefix: config.kafkaTopicPrefix,
        sessionTimeoutMs: config.kafkaSessionTimeoutMs,
        logger: forwardLog,
        metrics: runtime.metrics,
        routes: [
          route(EVENTS.caseForwardedV1, async (event) => {
            forwardNotices.inc({ outcome: await notifyForward(noticeDeps, event) });
          }),
          // A case's deadline extension, in the same group (DECISIONS.md 8): recorded beside its
          // forward whichever of the two events comes first, mailed once.
          route(EVENTS.caseExtendedV1, async (event) => {
            extensionNotices.inc({ outcome: await notifyExtension(noticeDeps, event) });
          }),
        ],
      });
      runtime.onStop(() => noticeConsumer.stop());
      // Runs after the entry points stopped (hooks run in reverse), before the database closes.
      runtime.onStop(async () => {
        if (!(await verifications.flush())) {
          logger.warn('request states still being written at stop; the mail consumer stores them from the events');
        }
      });
      // Confirmations whose verified event could not be published when they were stored.
      const outboxSweeper = new OutboxSweeper({
        name: 'verifications',
        source: storedVerifications.outbox,
        publisher,
        logger,
        intervalMs: config.outboxSweepIntervalMs,
      });
      outboxSweeper.start();
      runtime.onStop(() => outboxSweeper.stop());
      const ledger = new MongoRequestLedger(runtime.mongo, config.linkSecret, groupCommit, retentionPolicy);
      // Retention: records minimised, then deleted, counted from the request's last activity here.
      const retentionSweeper = new RetentionSweeper({
        sweep: new RetentionSweep({
          targets: [new VerificationRetention(storedVerifications), ledger],
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
      const useCases: IntakeUseCases = {
        accept: {
          ledger,
          publisher: new KafkaReceivedRequestPublisher(publisher),
          clock,
          // Random (v4), not time-ordered: a request id must not tell when or in what order requests came.
          ids: { newRequestId: () => uuidv4() },
          states: verifications,
          secret: config.linkSecret,
          verificationTtlMs,
        },
        verify: {
          verifications,
          publisher: new KafkaVerifiedRequestPublisher(publisher),
          clock,
          links,
          secret: config.linkSecret,
        },
      };

      // One allowance per requester address across every channel (and per client address on HTTP).
      const submissionLimits = new SubmissionLimits(
        new EmailThrottle(config.rateLimitPerEmailPerHour, 60 * 60 * 1000),
        new EmailThrottle(config.rateLimitPerIpPerMinute, 60 * 1000),
      );
      await registerIntakeHttp(runtime.http, {
        ...useCases,
        links,
        clock,
        secret: config.linkSecret,
        publicUrl: config.publicUrl,
        rateLimitPerIpPerMinute: config.rateLimitPerIpPerMinute,
        limits: submissionLimits,
      });

      // Email entry points (SMTP listener, SES inbound over SNS): the same acceptance. They answer
      // 250 / 200 once Kafka holds the request.
      const acceptIncoming: AcceptIncoming = (incoming, admission) =>
        acceptRequest(useCases.accept, incoming, admission);
      registerSesInboundRoutes(runtime.http, {
        config,
        accept: acceptIncoming,
        limits: submissionLimits,
        logger,
        ...seams.sns,
      });
      // SES event notifications of the relay's forwards: published for the relay to apply.
      registerSesEventRoutes(runtime.http, {
        config,
        publish: (event) => publisher.publish(EVENTS.mailEventV1, event),
        logger,
        onIgnored: (eventType) => sesEventsIgnored.inc({ event_type: eventType }),
        ...seams.sns,
      });
      if (config.smtpEnabled) {
        const smtp = await startSmtpIntake({ config, accept: acceptIncoming, limits: submissionLimits, logger });
        runtime.onStop(() => smtp.stop());
      }

      // The requester's export (docs/export.md): asked and confirmed over HTTP, collected by the
      // relay, assembled, sealed and mailed here from `privacy.export.collected.v1`.
      const exportLog = logger.child({ component: 'exports' });
      const exportDeps: RequesterExportDeps = {
        exports: new MongoExportStore(runtime.mongo),
        links: new ExportLinks(config.linkSecret, config.publicUrl),
        mailer: pacedMailer,
        publisher: { publishExportRequested: (event) => publisher.publish(EVENTS.exportRequestedV1, event) },
        verifications: storedVerifications,
        sentMails: mailDeps.sentMails,
        clock,
        secret: config.linkSecret,
        confirmTtlMs: config.exportConfirmTtlHours * 60 * 60 * 1000,
        exportTtlMs: config.exportTtlHours * 60 * 60 * 1000,
      };
      const exportsDelivered = new Counter({
        name: 'intake_exports_total',
        help: "privacy.export.collected.v1 events by what became of the requester's export (mailed, nothing-held, already-mailed, stale)",
        labelNames: ['outcome'],
        registers: [runtime.metrics],
      });
      const exportConsumer = await runConsumer({
        kafka: runtime.kafka,
        groupId: `${config.kafkaGroupId}.exports`,
        topicPrefix: config.kafkaTopicPrefix,
        sessionTimeoutMs: config.kafkaSessionTimeoutMs,
        logger: exportLog,
        metrics: runtime.metrics,
        routes: [
          route(EVENTS.exportCollectedV1, async (event) => {
            const outcome = await deliverExport(exportDeps, event);
            exportsDelivered.inc({ outcome });
            exportLog.info({ exportId: event.payload.exportId, outcome }, 'export delivered');
          }),
        ],
      });
      runtime.onStop(() => exportConsumer.stop());
      const sweepExports = async () => {
        try {
          const { deleted } = await sweepExpiredExports(exportDeps);
          if (deleted > 0) exportLog.info({ deleted }, 'expired exports deleted');
        } catch (error) {
          exportLog.warn({ err: error }, 'export sweep failed; the next one catches up');
        }
      };
      const exportSweep = setInterval(() => void sweepExports(), config.exportSweepIntervalMs);
      exportSweep.unref();
      runtime.onStop(async () => clearInterval(exportSweep));
      registerExportRoutes(runtime.http, {
        export: exportDeps,
        perAddress: new EmailThrottle(config.exportAsksPerEmailPerDay, 24 * 60 * 60 * 1000),
        rateLimitPerIpPerMinute: config.rateLimitPerIpPerMinute,
        logger: exportLog,
      });

      await runtime.listen();
    },
    stop: () => runtime.stop(),
  };
}
