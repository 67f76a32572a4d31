import { AppError, isRetriableError } from '@privacy-relay/shared/errors';
import { EVENTS } from '@privacy-relay/shared/events';
import { caseIdFor, type TenantIndex } from '../domain/matching';
import { excludedAmong } from '../domain/triage';
import type { Clock, EventPublisher, MatchDecisionRepository, StoredMatchDecision, TriageResolution } from './ports';
import { publishDecision } from './match-verified-request';
import { awaitsOperator, summaryOf } from './triage-decisions';

export type { TriageResolution };

/**
 * An operator resolves a request in triage: assigns one or more tenants (one `case.matched` each,
 * matched by "operator") or rejects it as spam (`case.closed`). Only a request waiting in triage
 * can be resolved (the matcher's triage, or back after "not ours"), and each triage round only
 * once: the same resolution again (from any operator) answers with the first one and republishes
 * its events; a different one is refused with 409. A tenant that said "not ours" is never
 * assigned (422 TENANT_EXCLUDED). The stored decision's conditional update decides between
 * concurrent changes, not the read before it. The resolution and its events are stored in one
 * document before they are published; `published: false` in the answer means Kafka did not take
 * them now and the outbox sweeper publishes them later.
 */
export async function resolveTriage(
  deps: { decisions: MatchDecisionRepository; publisher: EventPublisher; clock: Clock; index: TenantIndex },
  requestId: string,
  resolution: TriageResolution,
): Promise<StoredMatchDecision> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await deps.decisions.find(requestId);
    if (!current) throw new AppError('TRIAGE_NOT_FOUND', 'no decision for this request', { httpStatus: 404 });
    const excluded = resolution.action === 'assign' ? excludedAmong(resolution.tenantIds, current.excluded) : [];
    if (excluded.length > 0) {
      throw new AppError('TENANT_EXCLUDED', `tenant(s) said the request is not theirs: ${excluded.join(', ')}`, {
        httpStatus: 422,
        details: { excluded: current.excluded.filter((e) => excluded.includes(e.tenantId)).map(exclusionView) },
      });
    }
    if (!awaitsOperator(current)) {
      if (current.decidedBy === 'operator') return answerAgain(deps, current, resolution);
      throw new AppError('NOT_IN_TRIAGE', 'the request was forwarded by the matcher and is not in triage', {
        httpStatus: 409,
      });
    }
    const resolved = resolvedDecision(deps, current, resolution);
    if (await deps.decisions.replace(resolved, current)) return publishOrLeaveToSweeper(deps, resolved);
    // Changed between our read and our update (another resolution, a tenant's "not ours"): read again.
  }
  throw new AppError('TRIAGE_CONFLICT', 'the request kept changing; try again', { httpStatus: 409, retriable: true });
}

function exclusionView({ tenantId, reason, caseId, closedAt }: StoredMatchDecision['excluded'][number]) {
  return { tenantId, reason, caseId, closedAt };
}

/** The operator's resolution of `current`'s round, as the next state of the decision. */
function resolvedDecision(
  deps: { clock: Clock; index: TenantIndex },
  current: StoredMatchDecision,
  resolution: TriageResolution,
): StoredMatchDecision {
  const { requestId } = current;
  const now = deps.clock.now();
  const meta = { correlationId: requestId };
  let events: StoredMatchDecision['events'];
  if (resolution.action === 'assign') {
    const unknown = resolution.tenantIds.filter((id) => !deps.index.has(id));
    if (resolution.tenantIds.length === 0 || unknown.length > 0) {
      throw new AppError('UNKNOWN_TENANT', `unknown tenant(s): ${unknown.join(', ') || '(none given)'}`, {
        httpStatus: 422,
      });
    }
    events = [...new Set(resolution.tenantIds)].map((tenantId) => ({
      type: EVENTS.caseMatchedV1.type,
      envelope: EVENTS.caseMatchedV1.create(
        {
          caseId: caseIdFor(requestId, tenantId),
          requestId,
          tenantId,
          matchedAt: now.toISOString(),
          matchedBy: 'operator',
          score: 1,
          reasons: [{ signal: 'operator', score: 1 }],
          operatorId: resolution.operatorId,
        },
        meta,
      ),
    }));
  } else {
    events = [
      {
        type: EVENTS.caseClosedV1.type,
        envelope: EVENTS.caseClosedV1.create(
          {
            caseId: caseIdFor(requestId, 'triage'),
            requestId,
            closedAt: now.toISOString(),
            outcome: 'rejected-as-spam',
            by: 'operator',
            operatorId: resolution.operatorId,
          },
          meta,
        ),
      },
    ];
  }
  return {
    ...current,
    decision: resolution.action === 'assign' ? 'forward' : 'triage',
    explanation: resolution.action === 'assign' ? 'Assigned by an operator.' : 'Rejected as spam by an operator.',
    events,
    published: false,
    decidedBy: 'operator',
    decidedAt: now,
    resolution:
      resolution.action === 'assign'
        ? { action: 'assign', tenantIds: [...new Set(resolution.tenantIds)], operatorId: resolution.operatorId }
        : { action: 'reject-as-spam', operatorId: resolution.operatorId },
    revision: current.revision + 1,
    history: [...current.history, summaryOf(current)],
  };
}

/** Stored with its events in one document: when Kafka is away the outbox sweeper publishes them later. */
async function publishOrLeaveToSweeper(
  deps: Parameters<typeof publishDecision>[0],
  stored: StoredMatchDecision,
): Promise<StoredMatchDecision> {
  try {
    await publishDecision(deps, stored);
  } catch (error) {
    if (!isRetriableError(error)) throw error;
    return { ...stored, published: false };
  }
  return { ...stored, published: true };
}

/** An operator's resolution is already stored: the same one again is answered with it, another is refused. */
async function answerAgain(
  deps: Parameters<typeof publishDecision>[0],
  stored: StoredMatchDecision,
  resolution: TriageResolution,
): Promise<StoredMatchDecision> {
  if (!stored.resolution || !sameResolution(stored.resolution, resolution)) {
    throw new AppError('TRIAGE_ALREADY_RESOLVED', 'an operator already resolved this request differently', {
      httpStatus: 409,
      details: stored.resolution ? { resolution: stored.resolution } : undefined,
    });
  }
  return publishOrLeaveToSweeper(deps, stored);
}

/** Same action and the same set of tenants; who sent it does not matter. */
function sameResolution(a: TriageResolution, b: TriageResolution): boolean {
  if (a.action !== b.action) return false;
  if (a.action === 'reject-as-spam' || b.action === 'reject-as-spam') return true;
  const left = new Set(a.tenantIds);
  const right = new Set(b.tenantIds);
  return left.size === right.size && [...left].every((tenantId) => right.has(tenantId));
}
