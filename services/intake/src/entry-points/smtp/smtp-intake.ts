import { readFile } from 'node:fs/promises';
import { BlockList, isIPv6, type AddressInfo } from 'node:net';
import type { Logger } from '@privacy-relay/shared/logger';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream } from 'smtp-server';
import type { IntakeConfig } from '../../config';
import { ConfigError } from '@privacy-relay/shared/config';
import { verificationFromSmtpAuthenticationResults } from '../../domain/email-verification';
import { receiveEmail, type AcceptIncoming, type EmailLimits } from './receive-email';
import { SmtpMemoryBudget, SmtpReply, receiveSmtpData } from './smtp-data';

export type SmtpIntakeConfig = Pick<
  IntakeConfig,
  'smtpHost' | 'smtpPort' | 'privacyAddresses' | 'smtpMaxMessageBytes' | 'smtpTrustSender'
> &
  Partial<Pick<IntakeConfig, 'smtpMemoryBudgetBytes' | 'smtpAuthservId' | 'smtpTrustedMtaAddresses'>> &
  Partial<Pick<IntakeConfig, 'smtpTlsCertFile' | 'smtpTlsKeyFile' | 'smtpRequireTls'>>;

export interface SmtpIntakeOptions {
  config: SmtpIntakeConfig;
  /** `acceptRequest` bound to its dependencies; see {@link AcceptIncoming}. */
  accept: AcceptIncoming;
  /** Allowances of new requests per requester (From) address: beyond, 450 and nothing kept. */
  limits?: EmailLimits;
  logger: Logger;
  /** The name in the greeting and EHLO answer; the host name when absent. */
  serverName?: string;
}

export interface SmtpIntake {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stops taking connections and ends open ones; mail not yet answered 250 is not accepted. */
  stop(): Promise<void>;
}

/**
 * The SMTP listener for the privacy address(es). Only those recipients are accepted (others get
 * 550); a mail is answered 250 only once `accept` resolved, i.e. once Kafka holds the request, and
 * 451 when it could not be made durable, so the sending MTA keeps it and retries. Mail that can
 * never become a request gets 550 (no usable sender) or 554 (not parseable, nothing asked),
 * mail over the size limit 552, and mail that does not fit the memory budget shared by all
 * messages in progress (INTAKE_SMTP_MEMORY_BUDGET_BYTES) 452, so that the sender tries again later.
 *
 * STARTTLS is offered when a certificate and key are configured, and can be required (530 before
 * it). No AUTH: senders are the public; who they are is what verification establishes. Without a
 * certificate it is meant to sit behind the organisation's MTA (or on a private network), which
 * then handles TLS.
 */
export async function startSmtpIntake(options: SmtpIntakeOptions): Promise<SmtpIntake> {
  const { config, logger } = options;
  const log = logger.child({ component: 'smtp-intake' });
  const privacyAddresses = new Set(config.privacyAddresses.map((address) => address.toLowerCase()));
  const maxBytes = config.smtpMaxMessageBytes;
  const budget = new SmtpMemoryBudget(config.smtpMemoryBudgetBytes ?? 10 * maxBytes);
  if (budget.totalBytes < maxBytes) {
    throw new Error('INTAKE_SMTP_MEMORY_BUDGET_BYTES must be at least INTAKE_SMTP_MAX_MESSAGE_BYTES');
  }
  const tls = await readTlsFiles(config);
  const authservId = config.smtpAuthservId ?? '';
  const ourMtas = blockListOf(config.smtpTrustedMtaAddresses ?? []);
  if (config.smtpTrustSender && (authservId.trim() === '' || !ourMtas)) {
    throw new ConfigError([
      'INTAKE_SMTP_TRUST_SENDER=true needs INTAKE_SMTP_AUTHSERV_ID and INTAKE_SMTP_TRUSTED_MTA_ADDRESSES: the authserv-id and addresses of the MTA in front of the listener, whose Authentication-Results (dmarc=pass) alone make a From trusted',
    ]);
  }
  /** Only mail our MTA handed over carries its verdict; anyone else can write a field with its id. */
  const senderPolicyFor = (remoteAddress: string) => ({
    trustSender:
      config.smtpTrustSender && (ourMtas?.check(remoteAddress, isIPv6(remoteAddress) ? 'ipv6' : 'ipv4') ?? false),
    authservId,
  });

  /** Recipients refused per session (connection), whatever the transaction. */
  const refusedRecipients = new WeakMap<object, number>();
  const server = new SMTPServer({
    ...(options.serverName ? { name: options.serverName } : {}),
    banner: 'Privacy Relay: mail your data-protection request here',
    size: maxBytes,
    authOptional: true,
    disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(tls ? { key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' as const } : {}),
    // smtp-server's own log would print envelope addresses; ours names none.
    logger: false,
    maxClients: 200,
    socketTimeout: 120_000,
    closeTimeout: 5_000,

    onMailFrom(_address, session, callback) {
      if (!config.smtpRequireTls || session.secure) return callback();
      log.info({ reason: 'tls-required' }, 'smtp sender refused');
      return callback(new SmtpReply(530, '5.7.0 Must issue a STARTTLS command first'));
    },

    onRcptTo(address, session, callback) {
      if (privacyAddresses.has(address.address.trim().toLowerCase())) return callback();
      const refused = (refusedRecipients.get(session) ?? 0) + 1;
      refusedRecipients.set(session, refused);
      if (refused >= MAX_REFUSED_RECIPIENTS) {
        // Guessing addresses one after another (harvesting, relay probing): the session ends.
        log.info({ reason: 'too-many-refused-recipients' }, 'smtp session closed');
        return callback(new SmtpReply(421, '4.7.0 Too many refused recipients; closing the connection'));
      }
      log.info({ reason: 'unknown-recipient' }, 'smtp recipient refused');
      return callback(new SmtpReply(550, '5.1.1 Mailbox unavailable: this server only takes privacy requests'));
    },

    onData(stream: SMTPServerDataStream, session, callback) {
      receiveSmtpData(stream, callback, {
        maxBytes,
        budget,
        announcedBytes: announcedSize(session.envelope.mailFrom),
        logger: log,
        receive: (raw) =>
          receiveEmail(raw, {
            channel: 'email-smtp',
            ownAddresses: config.privacyAddresses,
            verify: (requesterIsSender, email) =>
              verificationFromSmtpAuthenticationResults(
                senderPolicyFor(session.remoteAddress),
                { senderAddress: email.from[0]?.address, authenticationResults: email.authenticationResults ?? [] },
                requesterIsSender,
              ),
            accept: options.accept,
            limits: options.limits,
            beyondLimit: 'refuse',
            logger: log,
            nullSender: session.envelope.mailFrom === false || session.envelope.mailFrom.address === '',
          }),
      });
    },
  });

  // Connection-level failures (a client resetting the socket, a bad command stream) are the
  // client's; they must never take the process down.
  server.on('error', (error) => log.warn({ err: error }, 'smtp connection error'));

  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.server.once('error', failed);
    server.listen(config.smtpPort, config.smtpHost, () => {
      server.server.off('error', failed);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  log.info({ port }, 'smtp intake listening');

  let stopping: Promise<void> | undefined;
  return {
    port,
    stop() {
      stopping ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return stopping;
    },
  };
}

/**
 * Refused recipients after which a session is closed with 421, as Postfix's
 * smtpd_hard_error_limit (20) does: a client naming our privacy address never gets near it.
 */
const MAX_REFUSED_RECIPIENTS = 20;

/** The SIZE the client announced with MAIL FROM, when it is a plain positive number. */
function announcedSize(mailFrom: SMTPServerAddress | false): number | undefined {
  const args = mailFrom ? (mailFrom.args as Record<string, string> | false) : false;
  const size = args ? args.SIZE : undefined;
  const bytes = size && /^\d{1,12}$/.test(size) ? Number(size) : undefined;
  return bytes && bytes > 0 ? bytes : undefined;
}

/** The STARTTLS certificate and key, read once at start; both or neither (a clear error otherwise). */
async function readTlsFiles(config: SmtpIntakeConfig): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  const certFile = config.smtpTlsCertFile ?? '';
  const keyFile = config.smtpTlsKeyFile ?? '';
  if (!certFile && !keyFile) {
    if (config.smtpRequireTls)
      throw new Error('INTAKE_SMTP_REQUIRE_TLS needs INTAKE_SMTP_TLS_CERT_FILE and INTAKE_SMTP_TLS_KEY_FILE');
    return undefined;
  }
  if (!certFile || !keyFile) {
    throw new Error('INTAKE_SMTP_TLS_CERT_FILE and INTAKE_SMTP_TLS_KEY_FILE are set together (or neither)');
  }
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  return { cert, key };
}

/** The addresses and CIDR ranges as a BlockList (IPv4-mapped IPv6 addresses match their IPv4 form); none: undefined. */
function blockListOf(entries: readonly string[]): BlockList | undefined {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const type = isIPv6(address) ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}
