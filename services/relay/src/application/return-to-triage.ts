import { AppError } from '@privacy-relay/shared/errors';
import { EVENTS, type CaseClosedV1, type MatchReason } from '@privacy-relay/shared/events';
import { applyNotOurs, candidatesOffered, type TenantExclusion } from '../domain/triage';
import { publishDecision, type MatchingDeps } from './match-verified-request';
import type { StoredMatchDecision } from './ports';
import { candidatesOf, standingOf, summaryOf } from './triage-decisions';

export interface NotOursResult {
  /** `ignored`: not a "not ours" close; `excluded`: recorded, another tenant of the round still has the request. */
  outcome: 'ignored' | 'duplicate' | 'excluded' | 'back-to-triage';
  round?: number;
}

/**
 * A tenant closed its case as "not ours" (`privacy.case.closed.v1`): the tenant is excluded from
 * the request for good, and once no tenant of the current round has the request any more it goes
 * back to the triage queue in a new round, with a `privacy.case.triage.v1` (reason `not-ours`)
 * stored in the decision's outbox by the same conditional update. At-least-once safe: a tenant
 * already excluded changes nothing (its triage event is published if it is still pending).
 */
export async function returnToTriage(
  deps: Pick<MatchingDeps, 'decisions' | 'publisher' | 'clock'>,
  event: CaseClosedV1,
): Promise<NotOursResult> {
  const { outcome, tenantId, requestId, caseId, closedAt } = event.payload;
  if (outcome !== 'not-ours' || !tenantId) return { outcome: 'ignored' };
  const exclusion: TenantExclusion = { tenantId, reason: 'not-ours', caseId, closedAt, eventId: event.id };
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await deps.decisions.find(requestId);
    const applied = applyNotOurs(current && standingOf(current), exclusion);
    if (applied.outcome === 'duplicate') {
      // A crash (or Kafka away) after the write: finish what it left.
      if (current && !current.published) await publishDecision(deps, current);
      return { outcome: 'duplicate', round: current?.round };
    }
    let next: StoredMatchDecision;
    if (applied.outcome === 'excluded' && current) {
      next = { ...current, excluded: applied.excluded, revision: current.revision + 1 };
    } else {
      next = backInTriage(current, requestId, applied.excluded, deps.clock.now(), event.id);
    }
    const stored = current ? await deps.decisions.replace(next, current) : await createdFirst(deps, next);
    // Lost to a concurrent change (an operator's resolution, another close): apply ours on top of it.
    if (!stored) continue;
    if (!next.published) await publishDecision(deps, next);
    return { outcome: applied.outcome, round: next.round };
  }
  throw new AppError('DECISION_CONFLICT', `the decision of request ${requestId} kept changing`, { retriable: true });
}

/** Stores `next` as the request's first decision; false when one was stored meanwhile. */
async function createdFirst(deps: Pick<MatchingDeps, 'decisions'>, next: StoredMatchDecision): Promise<boolean> {
  const stored = await deps.decisions.saveIfAbsent(next);
  return eventIdOf(stored.events[0]) === eventIdOf(next.events[0]);
}

function eventIdOf(event: StoredMatchDecision['events'][number] | undefined): string | undefined {
  return (event?.envelope as { id?: string } | undefined)?.id;
}

/** The next round of triage: the matcher's other candidates, every exclusion with why, the old state kept in the history. */
function backInTriage(
  current: StoredMatchDecision | undefined,
  requestId: string,
  excluded: TenantExclusion[],
  now: Date,
  causationId: string,
): StoredMatchDecision {
  const round = (current?.round ?? 0) + 1;
  const candidates = current ? candidatesOf(current) : [];
  const last = excluded.at(-1) as TenantExclusion;
  const triage = EVENTS.caseTriageV1.create(
    {
      requestId,
      queuedAt: now.toISOString(),
      reason: 'not-ours',
      candidates: candidatesOffered(candidates, excluded)
        .slice(0, 20)
        .map((c) => ({ tenantId: c.tenantId, score: c.score, reasons: c.reasons.slice(0, 20) as MatchReason[] })),
      excludedTenantIds: excluded.map((e) => e.tenantId).slice(-100),
      exclusions: excluded
        .slice(-100)
        .map(({ tenantId, reason, caseId, closedAt }) => ({ tenantId, reason, caseId, closedAt })),
      round,
    },
    { correlationId: requestId, causationId },
  );
  return {
    requestId,
    decision: 'triage',
    explanation: `Back in triage: every tenant it was forwarded to said it is not theirs (last ${last.tenantId}, case ${last.caseId}).`,
    events: [{ type: EVENTS.caseTriageV1.type, envelope: triage }],
    published: false,
    decidedBy: 'tenant',
    decidedAt: now,
    round,
    revision: (current?.revision ?? 0) + 1,
    excluded,
    candidates,
    history: current ? [...current.history, summaryOf(current)] : [],
  };
}
