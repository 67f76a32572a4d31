import { EVENTS } from '@privacy-relay/shared/events';
import { candidatesOffered, type DecisionStanding, type TenantExclusion, type TriageCandidate } from '../domain/triage';
import type { DecisionRoundSummary, StoredMatchDecision } from './ports';

/** Reads of a stored decision that several use cases and the triage routes share. */

interface StoredPayload {
  tenantId?: unknown;
  reason?: unknown;
  queuedAt?: unknown;
  score?: unknown;
  reasons?: unknown;
  candidates?: unknown;
}

function payloadsOf(stored: StoredMatchDecision, type: string): StoredPayload[] {
  return stored.events
    .filter((e) => e.type === type)
    .map((e) => ((e.envelope as { payload?: StoredPayload }).payload ?? {}) as StoredPayload);
}

function idsOf(stored: StoredMatchDecision): string[] {
  return stored.events.map((e) => String((e.envelope as { id?: unknown }).id ?? ''));
}

/** The tenants this decision forwarded the request to (its `case.matched` events). */
export function forwardedTenantIdsOf(stored: StoredMatchDecision): string[] {
  return payloadsOf(stored, EVENTS.caseMatchedV1.type).map((p) => String(p.tenantId));
}

/** Waits for an operator: the matcher's triage, or back after "not ours" (not one an operator rejected). */
export function awaitsOperator(stored: StoredMatchDecision): boolean {
  return stored.decision === 'triage' && stored.decidedBy !== 'operator';
}

/** What "not ours" needs to know of the decision. */
export function standingOf(stored: StoredMatchDecision): DecisionStanding {
  return { decision: stored.decision, forwardedTenantIds: forwardedTenantIdsOf(stored), excluded: stored.excluded };
}

/**
 * The matcher's candidates: stored with the decision; for a decision stored before they were kept,
 * read from its triage event, else from its `case.matched` events.
 */
export function candidatesOf(stored: StoredMatchDecision): TriageCandidate[] {
  if (stored.candidates.length > 0) return stored.candidates;
  const [triage] = payloadsOf(stored, EVENTS.caseTriageV1.type);
  if (triage && Array.isArray(triage.candidates)) return triage.candidates as TriageCandidate[];
  return payloadsOf(stored, EVENTS.caseMatchedV1.type).map((p) => ({
    tenantId: String(p.tenantId),
    score: Number(p.score),
    reasons: (p.reasons ?? []) as TriageCandidate['reasons'],
  }));
}

/** The decision as a line of its history, kept when the next state replaces it. */
export function summaryOf(stored: StoredMatchDecision): DecisionRoundSummary {
  return {
    round: stored.round,
    decision: stored.decision,
    decidedBy: stored.decidedBy,
    decidedAt: stored.decidedAt,
    explanation: stored.explanation,
    tenantIds: forwardedTenantIdsOf(stored),
    ...(stored.resolution ? { resolution: stored.resolution } : {}),
    eventIds: idsOf(stored),
  };
}

/** An entry of the operator's triage queue. */
export interface TriageQueueEntry {
  requestId: string;
  queuedAt: string;
  round: number;
  /** The triage event's reason: the matcher's (`no-candidate`, `ambiguous`, …) or `not-ours`. */
  reason: string;
  explanation: string;
  /** The matcher's candidates without the excluded tenants, best first. */
  candidates: TriageCandidate[];
  /** Who said "not ours", when, and for which case: never to be assigned again. */
  excluded: Omit<TenantExclusion, 'eventId'>[];
}

export function triageQueueEntryOf(stored: StoredMatchDecision): TriageQueueEntry {
  const [triage] = payloadsOf(stored, EVENTS.caseTriageV1.type);
  return {
    requestId: stored.requestId,
    queuedAt: stored.decidedAt.toISOString(),
    round: stored.round,
    reason: typeof triage?.reason === 'string' ? triage.reason : 'unknown',
    explanation: stored.explanation,
    candidates: candidatesOffered(candidatesOf(stored), stored.excluded),
    excluded: stored.excluded.map(({ tenantId, reason, caseId, closedAt }) => ({ tenantId, reason, caseId, closedAt })),
  };
}
