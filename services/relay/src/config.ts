import { commonConfigSpec, envSchemas, type ConfigOf, type ConfigSpec } from '@privacy-relay/shared/config';
import { z } from 'zod';
import { parseEd25519PrivateKey } from './domain/evidence/signing-key';
import { CONSOLE_ROLES, parsePasswordHash, type ConsoleRole, type ConsoleUser } from './domain/console';

/** One operator credential: who it is and the SHA-256 of their bearer token (never the token). */
export interface OperatorTokenEntry {
  operatorId: string;
  tokenSha256: Buffer;
}

const operatorTokenEntry = z
  .string()
  .regex(
    /^[A-Za-z0-9._@-]{1,200}:[0-9a-fA-F]{64}$/,
    'each entry must be operatorId:sha256hex (the id letters, digits, ".", "_", "@", "-"; 64 hex digits)',
  )
  .transform((entry): OperatorTokenEntry => {
    const [operatorId = '', hash = ''] = entry.split(':');
    return { operatorId, tokenSha256: Buffer.from(hash, 'hex') };
  });

const operatorTokensSchema = envSchemas
  .commaList(z.array(operatorTokenEntry))
  // A transform, not a refine: it runs only when every entry parsed.
  .transform((entries, context) => {
    if (new Set(entries.map((e) => e.tokenSha256.toString('hex'))).size !== entries.length) {
      context.addIssue({
        code: 'custom',
        message: 'the same token hash is listed twice (one token must name one operator)',
      });
      return z.NEVER;
    }
    return entries;
  });

const consoleUserEntry = z
  .string()
  .regex(
    /^[A-Za-z0-9._@-]{1,200}:(viewer|operator):scrypt\$\S+$/,
    'each entry must be username:viewer|operator:scrypt$… (the name letters, digits, ".", "_", "@", "-"; the hash from `relay console hash-password`)',
  )
  .transform((entry, context): ConsoleUser => {
    const [username = '', role = '', hash = ''] = entry.split(':');
    const passwordHash = parsePasswordHash(hash);
    if ('problem' in passwordHash) {
      context.addIssue({ code: 'custom', message: `${username}: the password hash ${passwordHash.problem}` });
      return z.NEVER;
    }
    return { username, role: role as ConsoleRole, passwordHash };
  });

const consoleUsersSchema = envSchemas.commaList(z.array(consoleUserEntry)).transform((users, context) => {
  if (new Set(users.map((u) => u.username)).size !== users.length) {
    context.addIssue({ code: 'custom', message: 'a username is listed twice' });
    return z.NEVER;
  }
  return users;
});

/** Every variable the relay reads (the README table lists them). */
export const relayConfigSpec = {
  ...commonConfigSpec,
  host: {
    env: 'RELAY_HOST',
    schema: z.string().min(1),
    default: '127.0.0.1',
    doc: 'Address the relay HTTP server binds (its operator API and /metrics are for the internal network: bind the address that network reaches, never a public one).',
  },
  port: { env: 'RELAY_PORT', schema: envSchemas.port, default: '3001', doc: 'Relay HTTP port (0 picks a free one).' },
  mongodbDatabase: {
    env: 'RELAY_MONGODB_DATABASE',
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be a database name'),
    default: 'privacy_relay',
    doc: "Database holding the relay's requests, cases and directory.",
  },
  kafkaGroupId: {
    env: 'RELAY_KAFKA_GROUP_ID',
    schema: z.string().min(1).max(200),
    default: 'privacy-relay',
    doc: 'Kafka consumer group of the relay.',
  },
  kafkaSessionTimeoutMs: {
    env: 'RELAY_KAFKA_SESSION_TIMEOUT_MS',
    schema: envSchemas.positiveInt.refine((ms) => ms >= 6000 && ms <= 300_000, 'must be 6000 to 300000'),
    default: '30000',
    doc: "How long Kafka's group coordinator waits for a silent relay consumer before it gives its partitions to others. A relay that was killed (not stopped) holds up its replacement's start of work by up to this long; shorter means quicker recovery and more rebalances on a long pause (6000 to 300000, the broker's default bounds).",
  },
  outboxSweepIntervalMs: {
    env: 'RELAY_OUTBOX_SWEEP_INTERVAL_MS',
    schema: envSchemas.positiveInt,
    default: '5000',
    doc: "How often the relay publishes decisions (matcher's or operator's) stored while their events could not be published (Kafka away, a crash in between).",
  },
  counterpartyHmacKey: {
    env: 'RELAY_COUNTERPARTY_HMAC_KEY',
    schema: z.string().min(32, 'must be at least 32 characters'),
    secret: true,
    doc: 'Required. Secret key of the HMAC-SHA256 under which counterparty emails are stored and looked up (at least 32 characters; changing it orphans every stored hash). `npm start` and the tests set a development key.',
  },
  directoryGroupId: {
    env: 'RELAY_DIRECTORY_GROUP_ID',
    schema: z.string().max(200),
    default: '',
    doc: 'Override of the Kafka consumer group reading `tenant.directory.changed.v1` into the in-memory matching index. Empty (the default): each instance makes its own group at start, `<RELAY_KAFKA_GROUP_ID>.directory.<uuid>`, and deletes it on a graceful stop, so every instance reads every partition. A set value must differ between instances (instances sharing it would each see only some changes); it keeps its offsets across restarts.',
  },
  operatorTokens: {
    env: 'RELAY_OPERATOR_TOKENS',
    schema: operatorTokensSchema,
    default: '',
    secret: true,
    doc: 'Operators allowed on the operator API: comma-separated `operatorId:sha256hex(token)`; requests send `Authorization: Bearer <token>`. Only hashes, never tokens (use random tokens of at least 32 characters: `openssl rand -hex 32`, hash with `printf %s TOKEN | sha256sum`). Empty: every operator request gets 401. `npm start` and the tests set `dev-operator` with the token `dev-operator-token`.',
  },
  // --- operator console (docs/console.md) ---
  consoleUsers: {
    env: 'RELAY_CONSOLE_USERS',
    schema: consoleUsersSchema,
    default: '',
    secret: true,
    doc: `Users of the operator console (/console): comma-separated \`username:role:hash\`, role ${CONSOLE_ROLES.join(' or ')}, the hash from \`relay console hash-password\` (scrypt). Empty: nobody can sign in. \`npm start\` and the tests set \`dev-operator\` (password \`dev-operator-password\`) and \`dev-viewer\` (\`dev-viewer-password\`).`,
  },
  consoleSessionTtlMinutes: {
    env: 'RELAY_CONSOLE_SESSION_TTL_MINUTES',
    schema: envSchemas.positiveInt.refine((minutes) => minutes <= 7 * 24 * 60, 'must be at most 10080 (a week)'),
    default: '480',
    doc: 'How long a console session lasts after sign-in, in minutes, however active (then the user signs in again). Sign-out ends it at once.',
  },
  consoleSignInLimit: {
    env: 'RELAY_CONSOLE_SIGN_IN_LIMIT',
    schema: envSchemas.positiveInt,
    default: '10',
    doc: 'Sign-in attempts allowed per client address in 15 minutes (then 429 until the window passes).',
  },
  // --- forwarding ---
  publicUrl: {
    env: 'RELAY_PUBLIC_URL',
    schema: envSchemas.url.transform((value) => value.replace(/\/+$/, '')),
    default: 'http://localhost:3001',
    doc: "Public base URL of the relay's admin links (`/case-links/...`), put in the mails forwarded to tenants' privacy contacts. Only the admin-link routes need to be reachable there.",
  },
  linkSecret: {
    env: 'RELAY_LINK_SECRET',
    schema: z.string().min(32, 'must be at least 32 characters'),
    secret: true,
    doc: 'Required. HMAC key signing the admin links (acknowledge, done, not ours) of forwarded cases (at least 32 characters; changing it invalidates every link sent). `npm start` and the tests set a development key.',
  },
  linkTtlDays: {
    env: 'RELAY_LINK_TTL_DAYS',
    schema: envSchemas.positiveInt,
    default: '120',
    doc: 'How long an admin link in a forwarded case stays valid, in days (the default outlasts the longest extended deadline, three months).',
  },
  mailFrom: {
    env: 'RELAY_MAIL_FROM',
    schema: z.email(),
    default: 'privacy-relay@example.com',
    doc: "Sender address of the mails forwarding cases to tenants' privacy contacts (must be verified in SES).",
  },
  sesConfigurationSet: {
    env: 'RELAY_SES_CONFIGURATION_SET',
    schema: z.string().regex(/^[A-Za-z0-9_-]{0,64}$/, 'must be an SES configuration set name'),
    default: '',
    doc: 'SES configuration set of the forwarded mails: its event destination (SNS) publishes their Send/Delivery/Bounce/Complaint/Reject/DeliveryDelay events. Empty sends without one (no delivery tracking).',
  },
  // --- evidence ---
  evidenceSigningKey: {
    env: 'RELAY_EVIDENCE_SIGNING_KEY',
    schema: z.string().transform((value, context) => {
      try {
        return parseEd25519PrivateKey(value.replace(/\\n/g, '\n'));
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
    secret: true,
    doc: 'Required. Ed25519 private key signing the evidence checkpoints (docs/evidence.md): PKCS#8 PEM, or the base64 of its DER on one line (`openssl genpkey -algorithm ed25519 -outform DER | base64 -w0`). Its public key is written beside the checkpoints. `npm start` and the tests set a development key.',
  },
  evidenceDir: {
    env: 'RELAY_EVIDENCE_DIR',
    schema: z.string().min(1),
    doc: "Required. Directory of the signed evidence checkpoints, outside the database: each written once (O_EXCL), never rewritten. Shared by every relay instance; make it append-only for the relay's user in production (docs/evidence.md). `npm start` and the tests set one.",
  },
  evidenceCheckpointIntervalMs: {
    env: 'RELAY_EVIDENCE_CHECKPOINT_INTERVAL_MS',
    schema: envSchemas.positiveInt,
    default: '60000',
    doc: 'How often the relay signs a checkpoint of the case audit chains that grew since the last one (nothing is written when none grew).',
  },
  // --- retention ---
  retentionMinimiseAfterDays: {
    env: 'RELAY_RETENTION_MINIMISE_AFTER_DAYS',
    schema: envSchemas.positiveInt,
    default: '183',
    doc: "Days after a case's (or request's) last activity at which the relay minimises its personal data (docs/retention.md). A change applies from each record's next activity.",
  },
  retentionDeleteAfterDays: {
    env: 'RELAY_RETENTION_DELETE_AFTER_DAYS',
    schema: envSchemas.positiveInt,
    default: '2192',
    doc: "Days after a case's (or request's) last activity at which the relay deletes it (six years by default). A change applies from each record's next activity.",
  },
  retentionSweepIntervalMs: {
    env: 'RELAY_RETENTION_SWEEP_INTERVAL_MS',
    schema: envSchemas.positiveInt,
    default: '3600000',
    doc: 'How often each relay instance runs the retention sweep (it covers every day since the last sweep, so a longer interval only delays).',
  },
  // --- escalation ---
  platformPrivacyTeamEmail: {
    env: 'RELAY_PLATFORM_PRIVACY_TEAM_EMAIL',
    schema: z.email(),
    doc: "Required. The platform's privacy team's address: the escalation ladder's third rung, the deadline warnings and every case that ran out of contacts are mailed there (case id, tenant and state; no requester's personal data). `npm start` and the tests set a development address.",
  },
  escalationReminderWorkingDays: {
    env: 'RELAY_ESCALATION_REMINDER_WORKING_DAYS',
    schema: envSchemas.positiveInt.refine((n) => n <= 60, 'must be 1 to 60'),
    default: '3',
    doc: "Default ladder: working days (the tenant's jurisdiction's) after the first forward at which an unacknowledged case is sent again to the same privacy contacts. A tenant's `escalation.reminderAfterWorkingDays` in the directory wins.",
  },
  escalationAllAdminsDays: {
    env: 'RELAY_ESCALATION_ALL_ADMINS_DAYS',
    schema: envSchemas.positiveInt.refine((n) => n <= 120, 'must be 1 to 120'),
    default: '7',
    doc: "Default ladder: calendar days after the first forward (moved to the next working day) at which an unacknowledged case goes to all the tenant's admin contacts. A tenant's `escalation.allAdminsAfterDays` wins.",
  },
  escalationPrivacyTeamDays: {
    env: 'RELAY_ESCALATION_PRIVACY_TEAM_DAYS',
    schema: envSchemas.positiveInt.refine((n) => n <= 180, 'must be 1 to 180'),
    default: '14',
    doc: "Default ladder: calendar days after the first forward (moved to the next working day) at which the platform's privacy team is told of an unacknowledged case. A tenant's `escalation.privacyTeamAfterDays` wins.",
  },
  deadlineWarningWorkingDays: {
    env: 'RELAY_DEADLINE_WARNING_WORKING_DAYS',
    schema: envSchemas.positiveInt.refine((n) => n <= 30, 'must be 1 to 30'),
    default: '5',
    doc: "Default ladder: working days before the deadline in force at which the platform's privacy team is warned about an unacknowledged case. A tenant's `escalation.deadlineWarningWorkingDays` wins.",
  },
  timerSweepIntervalMs: {
    env: 'RELAY_TIMER_SWEEP_INTERVAL_MS',
    schema: envSchemas.positiveInt,
    default: '15000',
    doc: 'How often each relay instance sweeps the escalation timers that came due (a timer fires within about a minute plus this after its due time; any number of instances may sweep at once).',
  },
  timerLeaseMs: {
    env: 'RELAY_TIMER_LEASE_MS',
    schema: envSchemas.positiveInt.refine((ms) => ms >= 10_000, 'must be at least 10000'),
    default: '300000',
    doc: 'How long a sweep holds its claim on a due timer. Far longer than a fire takes (a few writes and SES calls); a timer whose sweeper died is taken over after it.',
  },
  timerSweepMaxBuckets: {
    env: 'RELAY_TIMER_SWEEP_MAX_BUCKETS',
    schema: envSchemas.positiveInt,
    default: '120',
    doc: 'Most due minutes one timer sweep takes (after a downtime, the backlog is caught up over several sweeps, oldest first, none skipped).',
  },
  timerSweepConcurrency: {
    env: 'RELAY_TIMER_SWEEP_CONCURRENCY',
    schema: envSchemas.positiveInt.refine((n) => n <= 64, 'must be 1 to 64'),
    default: '8',
    doc: 'Timers of one due minute fired side by side by one sweep.',
  },
  timerFirstSweepLookbackMinutes: {
    env: 'RELAY_TIMER_FIRST_SWEEP_LOOKBACK_MINUTES',
    schema: envSchemas.positiveInt,
    default: '1440',
    doc: 'Where the very first timer sweep of a database starts, in minutes before now (later sweeps continue from the stored cursor).',
  },
} satisfies ConfigSpec;

export type RelayConfig = ConfigOf<typeof relayConfigSpec>;
