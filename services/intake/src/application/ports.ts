import type {
  Channel,
  Deadline,
  ExportRequestedV1,
  RequestReceivedV1,
  RequestVerifiedV1,
  Right,
} from '@privacy-relay/shared/events';
import type { SealedExport } from '../domain/export-sealing';

/** Now. Injected so that tests move time instead of waiting. */
export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  newRequestId(): string;
}

/**
 * What the ledger keeps per idempotency key: identifiers, times and a keyed hash of the content,
 * never the content itself (no personal data). A retry rebuilds the event from its own content with these.
 */
export interface LedgerEntry {
  idempotencyKey: string;
  requestId: string;
  reference: string;
  /** The received event's id and time: every attempt for this key sends that same event. */
  eventId: string;
  receivedAt: Date;
  /** `contentDigest` of the first attempt (absent on entries written before it was kept). */
  contentDigest?: string | undefined;
}

/** One submission's place in the allowances of new requests (per requester address, per client). */
export interface SubmissionCounter {
  /** Counts the submission in every allowance, or in none and false when one of them is used up. */
  tryCount(): boolean;
  /** Takes back what `tryCount` counted. */
  uncount(): void;
  /** Counts a refused submission against the client's allowance (refusals are not free to repeat). */
  countRefusal(): void;
}

/**
 * Intake's memory of idempotency keys. One key, one request id and one event, however often the
 * client retries. Writes are inserts (single-document, atomic).
 */
export interface RequestLedger {
  /** Records the entry unless the key is known; returns what is recorded for the key either way. */
  claim(entry: LedgerEntry): Promise<{ entry: LedgerEntry; created: boolean }>;
  /** Whether the key was claimed before. */
  has(idempotencyKey: string): Promise<boolean>;
}

/** Publishes `privacy.request.received.v1` and resolves once it is durable (acks from all ISR). */
export interface ReceivedRequestPublisher {
  publishReceived(event: RequestReceivedV1): Promise<void>;
}

/** One email to one recipient. Plain text always; HTML optional and escaped by whoever builds it. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** Sends mail (SES in production and tests); resolves with the provider's message id. */
export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
}

/** How a requester proved, or will prove, that the address is theirs. */
export type VerificationMethod = 'email-link' | 'ses-verdicts' | 'smtp-policy';

/**
 * Intake's verification state of one request. Holds no personal data of the requester's: what the
 * status page shows (reference, received date, rights, state, the customers it went to and, once a
 * customer extended the deadline, the reason it gave — free text that may hold personal data) and
 * the count of wrong codes (the code is derived from
 * the request id with the link secret, never stored).
 */
export interface VerificationRecord {
  requestId: string;
  reference: string;
  channel: Channel;
  rights: Right[];
  receivedAt: Date;
  status: 'pending' | 'verified';
  method?: VerificationMethod | undefined;
  verifiedAt?: Date | undefined;
  /** Codes entered so far (each counted before it is compared); at the limit, only the link works. */
  codeAttempts: number;
  /** After this the link and code are refused. */
  expiresAt: Date;
  /**
   * Set once Kafka holds `privacy.request.verified.v1`. Verified without it: the confirmation is
   * stored and its event waits in the outbox ("confirming" on the pages).
   */
  verifiedEventPublishedAt?: Date | undefined;
  /**
   * A keyed hash of the requester's address (`requesterKeyOf`, never the address): the forward
   * notice goes only to the address that hashes to it. Absent on records stored before it was kept.
   */
  requesterKey?: string | undefined;
  /** The customers the request went to (one per case), oldest first; only ever on a verified request. */
  forwards?: RequestForward[] | undefined;
}

/** The request records intake keeps, under retention (docs/retention.md): by `_id`, the day's ids from its list. */
export interface VerificationRetentionStore {
  /** Whether the record's `phase` is (still) due on `day`. */
  isDue(phase: 'minimise' | 'delete', day: string, requestId: string): Promise<boolean>;
  /** Drops the customers' names from its forwards and its published events, if still due on `day`. */
  minimiseIfDue(requestId: string, day: string, at: Date): Promise<boolean>;
  /** Deletes the record and its acknowledgement mails' record, if still due on `day`. */
  deleteIfDue(requestId: string, day: string): Promise<boolean>;
}

/**
 * One case of the request forwarded to a customer, as the requester is told of it: the customer's
 * name (the directory's, not personal data) and the legal deadline.
 */
export interface RequestForward {
  caseId: string;
  tenantId: string;
  /** Absent for a case the relay opened before it kept the name. */
  tenantName?: string | undefined;
  forwardedAt: Date;
  deadline: Deadline;
  /** When SES took the requester's notice of this forward (a redelivery mails nothing then). */
  noticeSentAt?: Date | undefined;
  /** The case's one deadline extension (`privacy.case.extended.v1`), as the requester is told of it. */
  extension?: ForwardExtension | undefined;
}

/**
 * A case's deadline extension as intake keeps it for the requester: the new deadline, the one it
 * replaced and the reason given. The reason is the tenant's (or an operator's) free text and may
 * hold personal data: it is shown to the requester (escaped) and never logged.
 */
export interface ForwardExtension {
  extendedAt: Date;
  /** The deadline now (YYYY-MM-DD). */
  dueOn: string;
  previousDueOn: string;
  reason: string;
  /** When SES took the requester's notice of the extension (a redelivery mails nothing then). */
  noticeSentAt?: Date | undefined;
}

/**
 * The forwards recorded on a request's state (the verification document), each a single-document
 * update keyed by case id, so a redelivered `privacy.case.forwarded.v1` changes nothing.
 */
export interface RequestForwardLog {
  /**
   * Adds the forward to the request's state unless it holds that case. Only a verified request
   * takes one: `unverified` / `unknown` (no state stored yet) otherwise. With the state as stored.
   */
  recordForward(
    requestId: string,
    forward: RequestForward,
  ): Promise<{ outcome: 'recorded' | 'known'; record: VerificationRecord } | { outcome: 'unverified' | 'unknown' }>;
  /** SES took the requester's notice of this case. */
  markNoticeSent(requestId: string, caseId: string, at: Date): Promise<void>;
}

/** The extensions recorded beside the forwards on a request's state, each once per case. */
export interface RequestExtensionLog {
  /**
   * Adds the case's extension to the request's state unless it holds one (a case is extended
   * once). Only a verified request takes one. It does not wait for the case's forward: the two
   * events travel on different topics, so either may come first; a forward not recorded yet is
   * filled in beside it when its event comes. With the state as stored.
   */
  recordExtension(
    requestId: string,
    caseId: string,
    extension: ForwardExtension,
  ): Promise<
    | { outcome: 'recorded' | 'known'; record: VerificationRecord; stored: ForwardExtension }
    | { outcome: 'unverified' | 'unknown' }
  >;
  /** SES took the requester's notice of this case's extension. */
  markExtensionNoticeSent(requestId: string, caseId: string, at: Date): Promise<void>;
}

/**
 * Verification state, one document per request; every change is a single-document atomic update
 * (no transactions): a confirmation and the event it owes Kafka are written together.
 */
export interface VerificationStore {
  /**
   * Inserts the record unless one exists for the request; `created` says which. `deferrable`:
   * nobody waits for it, so the store may hold it back longer to write it with others.
   */
  create(record: VerificationRecord, options?: { deferrable?: boolean }): Promise<{ created: boolean }>;
  find(requestId: string): Promise<VerificationRecord | undefined>;
  /**
   * Atomically pending → verified, with the verified event stored in the same document as owed to
   * Kafka (the outbox; a sweeper publishes it if nobody marks it published). Resolves true only for
   * the one caller whose update made the transition.
   */
  confirm(requestId: string, at: Date, method: VerificationMethod, event: RequestVerifiedV1): Promise<boolean>;
  /** Kafka holds the verified event `eventId`: the outbox is done. */
  markVerifiedPublished(requestId: string, eventId: string, at: Date): Promise<void>;
  /**
   * Counts one code attempt before the code is compared, in one conditional atomic update: only
   * while the request is pending and fewer than `max` attempts were counted. Resolves with the
   * attempts counted so far (this one included), `none-left` at the limit (or for an unknown
   * request), `verified` when it was confirmed meanwhile.
   */
  takeCodeAttempt(requestId: string, max: number): Promise<{ attempts: number } | 'none-left' | 'verified'>;
}

/** Publishes `privacy.request.verified.v1`; resolves once Kafka holds it (retriable AppError when down). */
export interface VerifiedRequestPublisher {
  publishVerified(event: RequestVerifiedV1): Promise<void>;
}

/** An acknowledgement mail to the requester: the receipt, or the verification mail (link and code). */
export type AcknowledgementMail = 'receipt' | 'verification';

/**
 * Which acknowledgement mails of a request went out, one record per request, each mail noted as
 * soon as SES took it: a redelivered event sends only those that had not gone out.
 */
export interface AcknowledgementMailLog {
  sentOf(requestId: string): Promise<ReadonlySet<AcknowledgementMail>>;
  recordSent(requestId: string, mail: AcknowledgementMail, at: Date): Promise<void>;
}

/**
 * A requester's export as intake keeps it until it expires: sealed (AES-256-GCM) under a key that
 * only the mailed link carries, or the fact that nothing was held. Keyed by export id.
 */
export interface StoredExport {
  exportId: string;
  /** Absent when nothing was held (the mail said so; there is nothing to download). */
  sealed?: SealedExport | undefined;
  expiresAt: Date;
  /** When SES took the mail with the link (a redelivered collection mails nothing then). */
  mailedAt?: Date | undefined;
}

/**
 * The exports, one document each. Deleted by day: each carries the day after its expiry
 * (`YYYY-MM-DD`), swept by equality from a durable cursor (FerretDB v1 has no TTL index and
 * pushes only equality down).
 */
export interface ExportStore {
  find(exportId: string): Promise<StoredExport | undefined>;
  /** Stores the export, replacing one not mailed yet (a redelivery re-seals under a new key); false when it was mailed. */
  saveUnlessMailed(entry: StoredExport, deleteOn: string): Promise<boolean>;
  markMailed(exportId: string, at: Date): Promise<void>;
  /** Deletes the exports due for deletion on `day`; how many. */
  deleteDueOn(day: string): Promise<number>;
  /** The last day swept completely (none yet: undefined). */
  sweptThrough(): Promise<string | undefined>;
  recordSweptThrough(day: string): Promise<void>;
}

/** Publishes `privacy.export.requested.v1`; resolves once Kafka holds it (retriable AppError when down). */
export interface ExportRequestPublisher {
  publishExportRequested(event: ExportRequestedV1): Promise<void>;
}
