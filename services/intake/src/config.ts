import { commonConfigSpec, envSchemas, type ConfigOf, type ConfigSpec } from '@privacy-relay/shared/config';
import { z } from 'zod';

/** Every variable intake reads (the README table lists them). */
export const intakeConfigSpec = {
  ...commonConfigSpec,
  host: {
    env: 'INTAKE_HOST',
    schema: z.string().min(1),
    default: '0.0.0.0',
    doc: 'Address the intake HTTP server binds.',
  },
  port: { env: 'INTAKE_PORT', schema: envSchemas.port, default: '3000', doc: 'Intake HTTP port (0 picks a free one).' },
  adminHost: {
    env: 'INTAKE_ADMIN_HOST',
    schema: z.string().min(1),
    default: '127.0.0.1',
    doc: "Address of intake's admin listener, which serves `/metrics` and `/readyz` with each dependency's state (the public port serves `/healthz` and a `/readyz` with the status only). Keep it off the public network.",
  },
  adminPort: {
    env: 'INTAKE_ADMIN_PORT',
    schema: envSchemas.port,
    default: '3100',
    doc: 'Port of the admin listener (0 picks a free one).',
  },
  mongodbDatabase: {
    env: 'INTAKE_MONGODB_DATABASE',
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be a database name'),
    default: 'privacy_intake',
    doc: "Database holding intake's idempotency keys and verification state.",
  },
  bodyLimitBytes: {
    env: 'INTAKE_BODY_LIMIT_BYTES',
    schema: envSchemas.positiveInt,
    default: String(256 * 1024),
    doc: 'Largest HTTP request body intake accepts; larger gets 413.',
  },
  trustProxy: {
    env: 'INTAKE_TRUST_PROXY',
    schema: envSchemas.boolean,
    default: 'false',
    doc: 'Trust X-Forwarded-For from a reverse proxy (client address for rate limits).',
  },
  // --- web form, JSON API, verification (HTTP side) ---
  publicUrl: {
    env: 'INTAKE_PUBLIC_URL',
    schema: envSchemas.url.transform((value) => value.replace(/\/+$/, '')),
    default: 'http://localhost:3000',
    doc: 'Public base URL of intake, used in links sent to requesters (status page, verification).',
  },
  mailFrom: {
    env: 'INTAKE_MAIL_FROM',
    schema: z.email({ message: 'must be an email address' }),
    default: 'privacy-relay@example.com',
    doc: 'Sender address of receipts and verification mails (must be verified in SES).',
  },
  linkSecret: {
    env: 'INTAKE_LINK_SECRET',
    schema: z.string().min(32, 'must be at least 32 characters'),
    secret: true,
    doc: 'HMAC key signing form tokens, verification and status links (≥ 32 characters; required).',
  },
  verificationTtlHours: {
    env: 'INTAKE_VERIFICATION_TTL_HOURS',
    schema: envSchemas.positiveInt,
    default: '72',
    doc: 'How long a verification link and code stay valid.',
  },
  kafkaGroupId: {
    env: 'INTAKE_KAFKA_GROUP_ID',
    schema: z.string().min(1).max(200),
    default: 'privacy-relay-intake',
    doc: "Kafka consumer group of intake's acknowledgement mailer (reads `privacy.request.received.v1`); the requester's forward notices use `<this>.forwarded` (reads `privacy.case.forwarded.v1`).",
  },
  kafkaSessionTimeoutMs: {
    env: 'INTAKE_KAFKA_SESSION_TIMEOUT_MS',
    schema: envSchemas.positiveInt.refine((ms) => ms >= 6000 && ms <= 300_000, 'must be 6000 to 300000'),
    default: '30000',
    doc: "How long Kafka's group coordinator waits for a silent intake consumer (mails, notices, exports) before it gives its partitions to others. An intake that was killed (not stopped) holds up the other instances' and its replacement's mails by up to this long (docs/chaos.md); shorter means quicker recovery and more rebalances on a long pause (6000 to 300000, the broker's default bounds).",
  },
  forwardNoticeMaxAgeHours: {
    env: 'INTAKE_FORWARD_NOTICE_MAX_AGE_HOURS',
    schema: envSchemas.positiveInt,
    default: '72',
    doc: 'A forward older than this is recorded on the status page but not mailed to the requester (so a new consumer group, reading `privacy.case.forwarded.v1` from the start, mails no old cases).',
  },
  exportConfirmTtlHours: {
    env: 'INTAKE_EXPORT_CONFIRM_TTL_HOURS',
    schema: envSchemas.positiveInt,
    default: '24',
    doc: "How long the link mailed to confirm a requester's export works (docs/export.md).",
  },
  exportTtlHours: {
    env: 'INTAKE_EXPORT_TTL_HOURS',
    schema: envSchemas.positiveInt,
    default: '168',
    doc: "How long a requester's export can be downloaded through its mailed link; it is deleted (by the sweep) the day after (docs/export.md).",
  },
  exportAsksPerEmailPerDay: {
    env: 'INTAKE_EXPORT_ASKS_PER_EMAIL_PER_DAY',
    schema: envSchemas.positiveInt,
    default: '5',
    doc: 'Export confirmation mails one address gets per day, per intake instance (every spelling of one inbox counted as one). Beyond, the ask gets the same answer and no mail.',
  },
  exportSweepIntervalMs: {
    env: 'INTAKE_EXPORT_SWEEP_INTERVAL_MS',
    schema: envSchemas.positiveInt,
    default: '3600000',
    doc: 'How often intake deletes the exports past their deletion day (day by day from a stored cursor).',
  },
  mailRatePerSecond: {
    env: 'INTAKE_MAIL_RATE_PER_SECOND',
    schema: envSchemas.positiveInt,
    default: '14',
    doc: "Most acknowledgement mails sent per second (your SES account's maximum send rate; SES starts production accounts at 14).",
  },
  mailUnverifiedRecipientAttempts: {
    env: 'INTAKE_MAIL_UNVERIFIED_RECIPIENT_ATTEMPTS',
    schema: envSchemas.positiveInt,
    default: '5',
    doc: 'Attempts (with backoff) at an acknowledgement mail whose recipient SES refuses as not verified (SES sandbox) before its event is dead-lettered with that reason; the mails behind it go on. An unverified sender is retried without bound.',
  },
  dbGroupCommitWindowMs: {
    env: 'INTAKE_DB_GROUP_COMMIT_WINDOW_MS',
    // Bounded: every request under load may wait this long for its idempotency key to be written.
    schema: envSchemas.nonNegativeInt.max(1000, 'must be at most 1000 (milliseconds)'),
    default: '10',
    doc: 'Under load, at most one insert statement per this many milliseconds for the idempotency keys (requests arriving meanwhile share it; each waits for it before its answer); a key after a quiet spell is written at once. 0 writes as soon as the previous statement is answered.',
  },
  stateWriteWindowMs: {
    env: 'INTAKE_STATE_WRITE_WINDOW_MS',
    // Nobody waits for these inserts (they follow the answer), so the window can be longer: bigger
    // statements cost the database far less per document. Bounded: the state of a request answered
    // by this instance is visible to other instances this much later.
    schema: envSchemas.nonNegativeInt.max(1000, 'must be at most 1000 (milliseconds)'),
    default: '100',
    doc: 'Under load, at most one insert statement per this many milliseconds for the states of requests with an idempotency key (form token, `Idempotency-Key`, Message-ID), which are written after the answer (this instance reads its own pending writes; other instances see a state this much later, and the status page shows only the reference meanwhile). A state after a quiet spell is written at once.',
  },
  outboxSweepIntervalMs: {
    env: 'INTAKE_OUTBOX_SWEEP_INTERVAL_MS',
    schema: envSchemas.positiveInt,
    default: '5000',
    doc: 'How often intake publishes confirmations stored while their `privacy.request.verified.v1` could not be published (Kafka away, a crash in between); the status page says "being recorded" until then.',
  },
  rateLimitPerIpPerMinute: {
    env: 'INTAKE_RATE_LIMIT_PER_IP_PER_MINUTE',
    schema: envSchemas.positiveInt,
    default: '30',
    doc: 'New submissions (form/API; a retry of the same key does not count) and verification attempts one client address may make per minute (429 beyond).',
  },
  rateLimitPerEmailPerHour: {
    env: 'INTAKE_RATE_LIMIT_PER_EMAIL_PER_HOUR',
    schema: envSchemas.positiveInt,
    default: '10',
    doc: 'New requests per requester email address per hour, per intake instance, on every channel (a retry of the same key does not count). Beyond: form/API 429, SMTP 450 (the sending MTA retries), SES inbound kept without any mail to the address.',
  },
  // --- email intake: SMTP listener and SES inbound over SNS ---
  smtpEnabled: {
    env: 'INTAKE_SMTP_ENABLED',
    schema: envSchemas.boolean,
    default: 'false',
    doc: 'Run the SMTP listener that takes requests mailed to the privacy address(es).',
  },
  smtpHost: {
    env: 'INTAKE_SMTP_HOST',
    schema: z.string().min(1),
    default: '0.0.0.0',
    doc: 'Address the SMTP listener binds.',
  },
  smtpPort: {
    env: 'INTAKE_SMTP_PORT',
    schema: envSchemas.port,
    default: '2525',
    doc: 'SMTP listener port (0 picks a free one).',
  },
  privacyAddresses: {
    env: 'INTAKE_PRIVACY_ADDRESSES',
    schema: z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((address) => address.trim().toLowerCase())
          .filter(Boolean),
      )
      .pipe(z.array(z.email({ message: 'must be a comma-separated list of email addresses' })).min(1)),
    default: 'privacy@privacy-relay.example',
    doc: 'Comma-separated addresses the SMTP listener accepts mail for (any other recipient gets 550).',
  },
  smtpMaxMessageBytes: {
    env: 'INTAKE_SMTP_MAX_MESSAGE_BYTES',
    schema: envSchemas.positiveInt,
    default: String(10 * 1024 * 1024),
    doc: 'Largest mail the SMTP listener takes (advertised with SIZE; larger gets 552).',
  },
  smtpMemoryBudgetBytes: {
    env: 'INTAKE_SMTP_MEMORY_BUDGET_BYTES',
    schema: envSchemas.positiveInt,
    default: String(100 * 1024 * 1024),
    doc: 'Memory all mails in progress on the SMTP listener may hold together (each reserves its announced SIZE, else INTAKE_SMTP_MAX_MESSAGE_BYTES); a mail that does not fit gets 452 and its MTA retries later. At least INTAKE_SMTP_MAX_MESSAGE_BYTES.',
  },
  smtpTlsCertFile: {
    env: 'INTAKE_SMTP_TLS_CERT_FILE',
    schema: z.string(),
    default: '',
    doc: 'PEM certificate (chain) for STARTTLS on the SMTP listener; with INTAKE_SMTP_TLS_KEY_FILE. Read at start (restart after renewing). Empty: no STARTTLS (behind an MTA that does TLS).',
  },
  smtpTlsKeyFile: {
    env: 'INTAKE_SMTP_TLS_KEY_FILE',
    schema: z.string(),
    default: '',
    doc: 'PEM private key for STARTTLS on the SMTP listener; with INTAKE_SMTP_TLS_CERT_FILE.',
  },
  smtpRequireTls: {
    env: 'INTAKE_SMTP_REQUIRE_TLS',
    schema: envSchemas.boolean,
    default: 'false',
    doc: 'Refuse mail (530) from clients that did not STARTTLS first. Needs the TLS certificate and key.',
  },
  smtpTrustSender: {
    env: 'INTAKE_SMTP_TRUST_SENDER',
    schema: envSchemas.boolean,
    default: 'false',
    doc: 'Treat the From address of SMTP mail as verified when the topmost Authentication-Results field of our MTA (INTAKE_SMTP_AUTHSERV_ID from INTAKE_SMTP_TRUSTED_MTA_ADDRESSES, both required then) says dmarc=pass for the From domain; otherwise verified by link. The MTA must remove Authentication-Results fields with its authserv-id from incoming mail.',
  },
  smtpAuthservId: {
    env: 'INTAKE_SMTP_AUTHSERV_ID',
    schema: z.string().regex(/^[^\s;"()]*$/, 'must be one authserv-id (a host or domain name)'),
    default: '',
    doc: 'The authserv-id our MTA in front of the SMTP listener writes in its Authentication-Results fields (RFC 8601), e.g. its host name. Only its verdicts count for INTAKE_SMTP_TRUST_SENDER.',
  },
  smtpTrustedMtaAddresses: {
    env: 'INTAKE_SMTP_TRUSTED_MTA_ADDRESSES',
    schema: envSchemas.commaList(
      z.array(
        z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()], {
          message: 'must be comma-separated IP addresses or CIDR ranges',
        }),
      ),
    ),
    default: '',
    doc: 'Comma-separated IP addresses or CIDR ranges of our MTA: only mail it hands to the SMTP listener has its Authentication-Results read for INTAKE_SMTP_TRUST_SENDER (required then), since anyone connecting directly can write a field with our authserv-id.',
  },
  sesInboundTopicArns: {
    env: 'INTAKE_SES_INBOUND_TOPIC_ARNS',
    schema: envSchemas.snsTopicArns,
    default: '',
    doc: 'Comma-separated SNS topic ARNs whose SES inbound notifications `POST /v1/inbound/ses` accepts (empty: none).',
  },
  sesEventsTopicArns: {
    env: 'INTAKE_SES_EVENTS_TOPIC_ARNS',
    schema: envSchemas.snsTopicArns,
    default: '',
    doc: "Comma-separated SNS topic ARNs whose SES event notifications (delivery, bounce, complaint, …) `POST /v1/ses/events` accepts (empty: none). Set the subscription's delivery policy as docs/forwarding-delivery.md says.",
  },
  snsTrustedCaFile: {
    env: 'INTAKE_SNS_TRUSTED_CA_FILE',
    schema: z.string().min(1).optional(),
    doc: 'PEM file of a CA that must have issued the SNS signing certificate; unset trusts the certificate as fetched over TLS from the SNS host.',
  },
  snsSignatureVersions: {
    env: 'INTAKE_SNS_SIGNATURE_VERSIONS',
    schema: envSchemas.commaList(
      z.array(z.enum(['1', '2'], { message: 'must be 1 and/or 2' })).min(1, 'must name a version'),
    ),
    default: '1,2',
    doc: 'Comma-separated SNS SignatureVersions the SNS routes (`POST /v1/inbound/ses`, `POST /v1/ses/events`) accept: 1 (SHA1withRSA) and 2 (SHA256withRSA). "2" refuses SHA-1 (403); set the topic\'s SignatureVersion attribute to 2 first.',
  },
  sesInboundBodyLimitBytes: {
    env: 'INTAKE_SES_INBOUND_BODY_LIMIT_BYTES',
    schema: envSchemas.positiveInt,
    default: String(1024 * 1024),
    doc: 'Largest SNS notification body `POST /v1/inbound/ses` accepts (SES puts up to 150 KB of mail in it); larger gets 413.',
  },
  // --- retention ---
  retentionMinimiseAfterDays: {
    env: 'INTAKE_RETENTION_MINIMISE_AFTER_DAYS',
    schema: envSchemas.positiveInt,
    default: '183',
    doc: "Days after a request's last activity in intake at which intake minimises its record of it (docs/retention.md). A change applies from each record's next activity.",
  },
  retentionDeleteAfterDays: {
    env: 'INTAKE_RETENTION_DELETE_AFTER_DAYS',
    schema: envSchemas.positiveInt,
    default: '2192',
    doc: "Days after a request's last activity in intake at which intake deletes its records of it (its idempotency key: after its receipt). A change applies from each record's next activity.",
  },
  retentionSweepIntervalMs: {
    env: 'INTAKE_RETENTION_SWEEP_INTERVAL_MS',
    schema: envSchemas.positiveInt,
    default: '3600000',
    doc: 'How often each intake instance runs the retention sweep (it covers every day since the last sweep, so a longer interval only delays).',
  },
} satisfies ConfigSpec;

export type IntakeConfig = ConfigOf<typeof intakeConfigSpec>;
