import { AppError, isRetriableError } from '@privacy-relay/shared/errors';
import { EVENTS } from '@privacy-relay/shared/events';
import { caseIdFor, type TenantIndex } from '../domain/matching';
import type { Clock, EventPublisher, MatchDecisionRepository, StoredMatchDecision } from './ports';
import { publishDecision } from './match-verified-request';

export type TriageResolution =
  | { action: 'assign'; tenantIds: readonly string[]; operatorId: string }
  | { action: 'reject-as-spam'; operatorId: string };

/**
 * An operator resolves a request in triage: assigns one or more tenants (one `case.matched` each,
 * matched by "operator") or rejects it as spam (`case.closed`). Only a request in triage can be
 * resolved; resolving it again with the same answer republishes the same events. The resolution
 * and its events are stored in one document before they are published; `published: false` in the
 * answer means Kafka did not take them now and the outbox sweeper publishes them later.
 */
export async function resolveTriage(
  deps: { decisions: MatchDecisionRepository; publisher: EventPublisher; clock: Clock; index: TenantIndex },
  requestId: string,
  resolution: TriageResolution,
): Promise<StoredMatchDecision> {
  const current = await deps.decisions.find(requestId);
  if (!current) throw new AppError('TRIAGE_NOT_FOUND', 'no decision for this request', { httpStatus: 404 });
  if (current.decidedBy === 'operator') {
    await publishDecision(deps, current);
    return current;
  }
  if (current.decision !== 'triage') {
    throw new AppError('NOT_IN_TRIAGE', 'the request was already forwarded by the matcher', { httpStatus: 409 });
  }
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
          },
          meta,
        ),
      },
    ];
  }
  const resolved: StoredMatchDecision = {
    requestId,
    decision: resolution.action === 'assign' ? 'forward' : 'triage',
    explanation: resolution.action === 'assign' ? 'Assigned by an operator.' : 'Rejected as spam by an operator.',
    events,
    published: false,
    decidedBy: 'operator',
    decidedAt: now,
  };
  if (!(await deps.decisions.replaceTriage(resolved))) {
    throw new AppError('NOT_IN_TRIAGE', 'the request left triage meanwhile', { httpStatus: 409 });
  }
  try {
    await publishDecision(deps, resolved);
  } catch (error) {
    // Stored with its events in one document: the outbox sweeper publishes them once Kafka is back.
    if (!isRetriableError(error)) throw error;
    return resolved;
  }
  return { ...resolved, published: true };
}
