/**
 * "Not ours": a tenant closed its case saying the request is not theirs. The tenant is excluded
 * from the request for good (no matcher, redelivery or operator sends it there again), and the
 * request goes back to triage once nobody it was forwarded to in the current round still has it.
 * Pure: the caller reads the stored decision, applies this, and writes the result conditionally.
 */

/** Why a tenant may no longer receive a request. */
export interface TenantExclusion {
  tenantId: string;
  reason: 'not-ours';
  /** The case the tenant closed. */
  caseId: string;
  /** When the tenant said so (the closed event's `closedAt`). */
  closedAt: string;
  /** The `privacy.case.closed.v1` event that said so. */
  eventId: string;
}

/** A candidate tenant the matcher considered, with its score (reasons kept as the matcher gave them). */
export interface TriageCandidate {
  tenantId: string;
  score: number;
  reasons: { signal: string; score: number; detail?: string }[];
}

/** What the request's stored decision says now, as far as "not ours" needs it. */
export interface DecisionStanding {
  /** `forward`: tenants have it (`forwardedTenantIds`); `triage`: in the queue, or rejected by an operator. */
  decision: 'forward' | 'triage';
  /** The tenants this round forwarded it to (the matcher's, or the operator's assignment). */
  forwardedTenantIds: readonly string[];
  excluded: readonly TenantExclusion[];
}

export type NotOursOutcome =
  /** The tenant is excluded already: the event came again. Nothing changes. */
  | { outcome: 'duplicate' }
  /** Excluded; the request stays where it is (`stillWith`: tenants of this round that have not said "not ours"). */
  | { outcome: 'excluded'; excluded: TenantExclusion[]; stillWith: string[] }
  /** Excluded, and nobody of this round has the request any more: a new triage round. */
  | { outcome: 'back-to-triage'; excluded: TenantExclusion[] };

/**
 * Applies a tenant's "not ours" to the request's standing (`undefined`: no decision stored, e.g.
 * a case opened by an event from elsewhere). A request forwarded to several tenants goes back to
 * triage only when every one of them said "not ours": while one of them still has it (open, or
 * done, or escalated for want of a contact) the request is being handled, and the exclusion is
 * only recorded.
 */
export function applyNotOurs(standing: DecisionStanding | undefined, exclusion: TenantExclusion): NotOursOutcome {
  const previous = standing?.excluded ?? [];
  if (previous.some((e) => e.tenantId === exclusion.tenantId)) return { outcome: 'duplicate' };
  const excluded = [...previous, exclusion];
  if (!standing) return { outcome: 'back-to-triage', excluded };
  const isExcluded = (tenantId: string) => excluded.some((e) => e.tenantId === tenantId);
  const stillWith = standing.forwardedTenantIds.filter((tenantId) => !isExcluded(tenantId));
  const wasForwardedThere = standing.forwardedTenantIds.includes(exclusion.tenantId);
  if (standing.decision === 'forward' && wasForwardedThere && stillWith.length === 0) {
    return { outcome: 'back-to-triage', excluded };
  }
  return { outcome: 'excluded', excluded, stillWith: standing.decision === 'forward' ? stillWith : [] };
}

/** The candidates an operator is offered: the matcher's, without the excluded tenants, best first. */
export function candidatesOffered(
  candidates: readonly TriageCandidate[],
  excluded: readonly TenantExclusion[],
): TriageCandidate[] {
  const excludedIds = new Set(excluded.map((e) => e.tenantId));
  return candidates.filter((c) => !excludedIds.has(c.tenantId)).sort((a, b) => b.score - a.score);
}

/** The excluded tenants among `tenantIds` (an operator's assignment), in the order given. */
export function excludedAmong(tenantIds: readonly string[], excluded: readonly TenantExclusion[]): string[] {
  const excludedIds = new Set(excluded.map((e) => e.tenantId));
  return [...new Set(tenantIds)].filter((tenantId) => excludedIds.has(tenantId));
}
