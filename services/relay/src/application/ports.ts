import type {
  AnyEventContractShape,
  Envelope,
  EnvelopeOf,
  TenantDirectoryChangedV1Payload,
} from '@privacy-relay/shared/events';
import type { RetentionPhase } from '@privacy-relay/shared/retention';
import type { ForwardingCase } from '../domain/case';
import type { CaseFacts } from '../domain/console';
import type { HolidayCalendar } from '../domain/deadline';
import type { TenantExclusion, TriageCandidate } from '../domain/triage';
import type { RelayRequest } from '../domain/relay-request';

/** Stores the relay's requests. Writes are idempotent: events arrive at least once. */
export interface RelayRequestRepository {
  /** Inserts the request unless one with its id exists; true when it was new. */
  insertIfAbsent(request: RelayRequest): Promise<boolean>;
  /** Marks a request verified; false when the request is unknown (yet). */
  markVerified(requestId: string, verifiedAt: Date): Promise<boolean>;
  /** Keeps a verification whose request is not stored yet (first one wins; repeats change nothing). */
  recordEarlyVerification(requestId: string, verifiedAt: Date): Promise<void>;
  findEarlyVerification(requestId: string): Promise<Date | undefined>;
  findById(requestId: string): Promise<RelayRequest | undefined>;
}

/** The requests held for one requester address, for their export (equality lookups, never a scan). */
export interface RequesterRequestFinder {
  /** Every request stored with this address (case ignored), oldest first. */
  findByRequester(email: string): Promise<RelayRequest[]>;
}

/** Now, injected so tests move time instead of waiting. */
export interface Clock {
  now(): Date;
}

/** Publishes event envelopes; resolves once durable (structurally the shared Kafka publisher). */
export interface EventPublisher {
  publish<C extends AnyEventContractShape>(contract: C, envelope: EnvelopeOf<C>): Promise<void>;
}

/** Keyed hash of an address (HMAC with the relay's secret): how counterparties are stored and looked up. */
export interface CounterpartyHasher {
  hash(email: string): string;
}

/** A tenant as the directory holds it (the `tenant` of `tenant.directory.changed.v1`). */
export type TenantRecord = NonNullable<TenantDirectoryChangedV1Payload['tenant']> & { tenantId: string };

/** The result of applying a change: stale changes (older than what is stored) are skipped. */
export type DirectoryWrite = 'applied' | 'stale';

/** The tenant directory, persisted. Every write is idempotent and ordered by `changedAt`. */
export interface TenantDirectoryRepository {
  upsertTenant(tenant: TenantRecord, changedAt: Date): Promise<DirectoryWrite>;
  /** Leaves a tombstone so that an older "upserted" arriving late cannot revive the tenant. */
  deleteTenant(tenantId: string, changedAt: Date): Promise<DirectoryWrite>;
  addCounterparties(tenantId: string, hashes: readonly string[]): Promise<void>;
  removeCounterparties(tenantId: string, hashes: readonly string[]): Promise<void>;
  findTenant(tenantId: string): Promise<TenantRecord | undefined>;
  /** Every live tenant, streamed (the index is rebuilt from this at start). */
  allTenants(): AsyncIterable<TenantRecord>;
  /** Every counterparty hash with its tenant, streamed. */
  allCounterparties(): AsyncIterable<{ tenantId: string; hash: string }>;
}

/**
 * How far the stored directory has taken each partition of the directory topic: every change at
 * or below the recorded offset is in the database (instances apply a partition in order and
 * record after storing). A fresh instance rebuilds from the database and replays only what lies beyond.
 */
export interface DirectoryPositions {
  /** Records that the change at `offset` is stored; never moves a partition's position back. */
  recordApplied(topic: string, partition: number, offset: string): Promise<void>;
  /** Highest recorded offset per partition of `topic`. */
  appliedOffsets(topic: string): Promise<Map<number, number>>;
}

/** What an operator decided for a request in triage, and who (the id their credential names). */
export type TriageResolution =
  | { action: 'assign'; tenantIds: readonly string[]; operatorId: string }
  | { action: 'reject-as-spam'; operatorId: string };

/** One earlier state of a request's decision, kept when the next replaced it (the decision's history). */
export interface DecisionRoundSummary {
  round: number;
  decision: 'forward' | 'triage';
  decidedBy: StoredMatchDecision['decidedBy'];
  decidedAt: Date;
  explanation: string;
  /** The tenants it was forwarded to (its `case.matched` events). */
  tenantIds: string[];
  resolution?: TriageResolution;
  /** The ids of the events it published. */
  eventIds: string[];
}

/**
 * The decision for a request, with the envelopes it produced, kept so redelivery republishes them
 * unchanged. A request has one decision document; it moves through rounds: round 0 is the
 * matcher's (forward, or triage); each time every tenant of a round said "not ours" the request
 * comes back to triage (`decidedBy: "tenant"`) in the next round, where an operator resolves it
 * once more. An operator resolves each round once.
 */
export interface StoredMatchDecision {
  requestId: string;
  decision: 'forward' | 'triage';
  explanation: string;
  /** Envelopes of `privacy.case.matched.v1` / `privacy.case.triage.v1` / `privacy.case.closed.v1`, in order. */
  events: { type: string; envelope: unknown }[];
  /** Kafka holds all of `events`; until then they wait in the decision's outbox for the sweeper. */
  published: boolean;
  /** "tenant": back in triage because the tenants of the last round said "not ours". */
  decidedBy: 'matcher' | 'operator' | 'tenant';
  decidedAt: Date;
  /** The operator's resolution, when `decidedBy` is "operator" (absent on decisions stored before it was kept). */
  resolution?: TriageResolution;
  /** 0: the matcher's decision (and an operator's resolution of it); +1 per return to triage. */
  round: number;
  /** Guards every change of the stored decision (one conditional update each); 0 when stored before it was kept. */
  revision: number;
  /** Tenants that said "not ours": never forwarded to again, whatever the round. */
  excluded: TenantExclusion[];
  /** The matcher's candidates for the request (best first), offered to operators minus the excluded. */
  candidates: TriageCandidate[];
  /** The decision's earlier states, oldest first. */
  history: DecisionRoundSummary[];
}

export interface MatchDecisionRepository {
  find(requestId: string): Promise<StoredMatchDecision | undefined>;
  /** Stores the decision unless one exists for its request; returns what is stored. */
  saveIfAbsent(decision: StoredMatchDecision): Promise<StoredMatchDecision>;
  /**
   * Replaces the stored decision by `next` in one conditional single-document update, only while
   * it is still at `expected.revision`: of concurrent changes exactly one gets `true` (the others
   * read again). The outbox is rewritten only when `next` holds other events than `expected`.
   */
  replace(next: StoredMatchDecision, expected: StoredMatchDecision): Promise<boolean>;
  /** Requests waiting for an operator (the matcher's triage, or back after "not ours"), oldest first. */
  listTriage(limit: number): Promise<StoredMatchDecision[]>;
  /**
   * Kafka holds these events of the decision: its outbox is done (a decision replaced meanwhile
   * keeps its own events pending).
   */
  markPublished(requestId: string, events: StoredMatchDecision['events']): Promise<void>;
}

/** A case as stored: the domain case and the version that guards its next update. */
export interface StoredCase {
  case: ForwardingCase;
  version: number;
}

/**
 * The cases, one document each (`_id` = caseId). Every change is one single-document update
 * guarded by the version read; the events a change emits are stored in the same update, as the
 * document's outbox, and published after it (the sweeper publishes what a crash left pending).
 */
export interface CaseRepository {
  find(caseId: string): Promise<StoredCase | undefined>;
  /** A request's cases (one per tenant it was matched to), by request id (an equality filter on an index). */
  listByRequest(requestId: string): Promise<StoredCase[]>;
  /** Inserts a new case (version 1); false when one with its id exists. */
  create(forwardingCase: ForwardingCase, at: Date): Promise<boolean>;
  /**
   * Replaces the case when it still has `expectedVersion`, adding `events` to its outbox (after
   * any still pending); resolves with every event the outbox now holds unpublished, in order, or
   * false when someone else changed the case meanwhile (read again and retry).
   */
  update(
    next: ForwardingCase,
    expectedVersion: number,
    events: readonly Envelope[],
    at: Date,
    write?: CaseWrite,
  ): Promise<readonly Envelope[] | false>;
  /** Kafka holds `events`: the outbox is done, unless newer events were added meanwhile. */
  markPublished(caseId: string, events: readonly Envelope[]): Promise<void>;
}

/**
 * Why a case is written. Activity (the default) moves its retention days (docs/retention.md);
 * retention's own minimising keeps the day of deletion, drops the case's salt, and happens only
 * while the case is still due to be minimised on `dueOn`.
 */
export type CaseWrite = { kind: 'activity' } | { kind: 'minimise'; dueOn: string };

/** The cases retention reads and deletes, by `_id` (the day's ids come from its list, docs/retention.md). */
export interface CaseRetentionStore {
  /** Whether the case's `phase` is (still) due on `day`. */
  isDue(phase: RetentionPhase, day: string, caseId: string): Promise<boolean>;
  /** Deletes the case if its deletion is still due on `day`; true when it did. */
  deleteIfDue(caseId: string, day: string): Promise<boolean>;
  /** The latest due days among a request's cases (undefined: it has none, or none left to minimise). */
  latestDaysOfRequest(requestId: string): Promise<{ minimiseOn?: string; deleteOn?: string }>;
}

/** The relay's requests under retention (a request and what is keyed by its id: its match decision, an early verification). */
export interface RequestRetentionStore {
  /** Whether the request's `phase` is (still) due on `day`. */
  isDue(phase: RetentionPhase, day: string, requestId: string): Promise<boolean>;
  /**
   * Moves the request's `phase` from `day` to the later `to` (its cases are still active), listed
   * on `to` first; false when it changed meanwhile.
   */
  postpone(requestId: string, phase: RetentionPhase, day: string, to: string): Promise<boolean>;
  /**
   * Drops the requester's name and email, the company named and the free text, keeping
   * `requesterEmailKey` (for a later lookup), if still due on `day`; true when it did.
   */
  minimiseIfDue(requestId: string, day: string, requesterEmailKey: string | undefined, at: Date): Promise<boolean>;
  /** Deletes the request, its match decision and early verification, if still due on `day`. */
  deleteIfDue(requestId: string, day: string): Promise<boolean>;
}

/** One mail to one recipient, with SES message tags (`[A-Za-z0-9_-]` only) tying its events to the case. */
export interface CaseMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  tags: Readonly<Record<string, string>>;
}

/**
 * Sends one mail through SES (with the relay's configuration set); resolves with SES's message id.
 * Rejects with a retriable AppError when sending again may help (throttling, SES away), a
 * non-retriable one when SES refuses this mail for good (`MAIL_REJECTED`), and a retriable one
 * bounded by `maxAttempts` when SES refuses it until someone changes a setting (a sandbox
 * recipient not verified: `MAIL_RECIPIENT_NOT_VERIFIED`).
 */
/** The mailer's error codes for a mail SES refuses (for good, or until a setting changes): the case moves on once they are final. */
export const SEND_REFUSALS: ReadonlySet<string> = new Set(['MAIL_REJECTED', 'MAIL_RECIPIENT_NOT_VERIFIED']);

export interface CaseMailer {
  send(mail: CaseMail): Promise<{ messageId: string }>;
}

/** The public holidays of a jurisdiction; throws for a code the holiday library does not know. */
export interface HolidayCalendars {
  forJurisdiction(code: string): HolidayCalendar;
  /** The jurisdiction's IANA time zones (several for a country such as PT or ES), for the day of receipt. */
  timeZonesOf(code: string): readonly string[];
}

/** One line of the console's case list. */
export interface CaseSummary {
  caseId: string;
  state: ForwardingCase['state'];
  requestId: string;
  tenantId: string;
  tenantName?: string;
  receivedOn: string;
  deadline: string;
}

/** The cases in one state, for the operator console (read-only; at most `limit`, earliest deadline first). */
export interface CaseListing {
  listByState(state: ForwardingCase['state'], limit: number): Promise<CaseSummary[]>;
  /** How many cases are in each state (every state present). */
  countByState(): Promise<Record<ForwardingCase['state'], number>>;
  /**
   * What the dashboard and the escalated and overdue lists read of the cases (in these states, or
   * all), at most `limit` (per state when states are named); `partial` when there were more.
   */
  scanFacts(
    limit: number,
    states?: readonly ForwardingCase['state'][],
  ): Promise<{ cases: CaseFacts[]; partial: boolean }>;
  /** One tenant's cases, earliest deadline first, at most `limit`. */
  listByTenant(tenantId: string, limit: number): Promise<CaseSummary[]>;
}

/** A directory import started from the console: its rows' progress, kept so any page load can show it. */
export interface DirectoryImportJob {
  jobId: string;
  /** The console username who uploaded the file. */
  by: string;
  format: 'jsonl' | 'csv';
  /** `refused`: the file had bad rows and nothing was imported; `failed`: publishing stopped part way. */
  state: 'importing' | 'done' | 'refused' | 'failed';
  /** Good rows in the file, and how many of them are published so far. */
  total: number;
  done: number;
  /** The bad rows (at most the first 100) with their line numbers; `errorCount` counts them all. */
  errors: { line: number; message: string }[];
  errorCount: number;
  startedAt: Date;
  /** Moved by each step of progress: a job `importing` whose update is old has stopped (its instance went away). */
  updatedAt: Date;
}

/** The console's directory import jobs, one document each by `_id`. */
export interface DirectoryImportJobs {
  create(job: DirectoryImportJob): Promise<void>;
  progress(jobId: string, done: number, at: Date): Promise<void>;
  finish(jobId: string, state: 'done' | 'failed', done: number, at: Date): Promise<void>;
  find(jobId: string): Promise<DirectoryImportJob | undefined>;
  /** The latest jobs, newest first (a bounded scan: the collection holds one small document per upload). */
  listRecent(limit: number): Promise<DirectoryImportJob[]>;
}
