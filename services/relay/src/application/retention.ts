import {
  addDays,
  utcDay,
  type RetentionPhase,
  type RetentionPolicy,
  type RetentionTarget,
} from '@privacy-relay/shared/retention';
import { minimiseCase } from '../domain/case';
import type {
  CaseRepository,
  CaseRetentionStore,
  CounterpartyHasher,
  MatchDecisionRepository,
  RelayRequestRepository,
  RequestRetentionStore,
} from './ports';

/**
 * The relay's cases under retention (docs/retention.md). Minimising goes through the case
 * repository's guarded update like every case write: the version guard, the hash chain and an
 * audit line ("personal data minimised", by retention) come with it.
 */
export class CaseRetention implements RetentionTarget {
  readonly name = 'cases';
  readonly phases: readonly RetentionPhase[] = ['minimise', 'delete'];

  constructor(private readonly cases: CaseRepository & CaseRetentionStore) {}

  isDue(phase: RetentionPhase, day: string, caseId: string): Promise<boolean> {
    return this.cases.isDue(phase, day, caseId);
  }

  async apply(phase: RetentionPhase, day: string, caseId: string, now: Date): Promise<'done' | 'skipped'> {
    if (phase === 'delete') return (await this.cases.deleteIfDue(caseId, day)) ? 'done' : 'skipped';
    const stored = await this.cases.find(caseId);
    if (!stored) return 'skipped';
    const written = await this.cases.update(minimiseCase(stored.case, now), stored.version, [], now, {
      kind: 'minimise',
      dueOn: day,
    });
    return written === false ? 'skipped' : 'done';
  }
}

/**
 * The relay's requests under retention. A request lives as long as the latest of its cases: one
 * due while a case of it is still active (or while it waits in triage) is postponed, not minimised.
 * Deleting it deletes its match decision and early verification too.
 */
export class RequestRetention implements RetentionTarget {
  readonly name = 'requests';
  readonly phases: readonly RetentionPhase[] = ['minimise', 'delete'];

  constructor(
    private readonly deps: {
      requests: RelayRequestRepository & RequestRetentionStore;
      cases: CaseRetentionStore;
      decisions: MatchDecisionRepository;
      /** Keys the requester's address kept on a minimised request (the counterparty hash: same key, same form). */
      hasher: CounterpartyHasher;
      policy: RetentionPolicy;
    },
  ) {}

  isDue(phase: RetentionPhase, day: string, requestId: string): Promise<boolean> {
    return this.deps.requests.isDue(phase, day, requestId);
  }

  async apply(phase: RetentionPhase, day: string, requestId: string, now: Date): Promise<'done' | 'skipped'> {
    const { requests, hasher } = this.deps;
    const later = await this.laterDay(phase, day, requestId, now);
    if (later !== undefined) return (await requests.postpone(requestId, phase, day, later)) ? 'done' : 'skipped';
    if (phase === 'delete') return (await requests.deleteIfDue(requestId, day)) ? 'done' : 'skipped';
    const request = await requests.findById(requestId);
    if (!request) return 'skipped';
    const emailHash = request.requester?.email ? hasher.hash(request.requester.email) : undefined;
    return (await requests.minimiseIfDue(requestId, day, emailHash, now)) ? 'done' : 'skipped';
  }

  /** The day the request is due instead, when a case of it (or triage) still needs it. */
  private async laterDay(
    phase: RetentionPhase,
    day: string,
    requestId: string,
    now: Date,
  ): Promise<string | undefined> {
    const latest = await this.deps.cases.latestDaysOfRequest(requestId);
    const caseDay = phase === 'minimise' ? latest.minimiseOn : latest.deleteOn;
    if (caseDay !== undefined && caseDay > day) return caseDay;
    if (phase === 'minimise') {
      const decision = await this.deps.decisions.find(requestId);
      // Waiting for an operator: the operator needs the request as it came.
      if (decision?.decision === 'triage' && decision.decidedBy !== 'operator') {
        return addDays(utcDay(now), this.deps.policy.minimiseAfterDays);
      }
    }
    return undefined;
  }
}
