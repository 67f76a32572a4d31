import { AppError } from '@privacy-relay/shared/errors';
import { EVENTS } from '@privacy-relay/shared/events';
import { caseIdFor, type MatchCandidate, type MatchDecision, type TenantMatcher } from '../domain/matching';
import type {
  Clock,
  CounterpartyHasher,
  EventPublisher,
  MatchDecisionRepository,
  RelayRequestRepository,
  StoredMatchDecision,
} from './ports';

export interface MatchingDeps {
  requests: RelayRequestRepository;
  decisions: MatchDecisionRepository;
  matcher: TenantMatcher;
  hasher: CounterpartyHasher;
  publisher: EventPublisher;
  clock: Clock;
}

const CONTRACTS = {
  [EVENTS.caseMatchedV1.type]: EVENTS.caseMatchedV1,
  [EVENTS.caseTriageV1.type]: EVENTS.caseTriageV1,
  [EVENTS.caseClosedV1.type]: EVENTS.caseClosedV1,
} as const;

/** Builds the events a decision stands for: one `case.matched` per tenant, or one `case.triage`. */
export function eventsForDecision(
  requestId: string,
  decision: MatchDecision,
  now: Date,
  causationId: string | undefined,
): StoredMatchDecision['events'] {
  const meta = { correlationId: requestId, ...(causationId ? { causationId } : {}) };
  const reasons = (candidate: MatchCandidate) => candidate.reasons.slice(0, 20).map((reason) => ({ ...reason }));
  if (decision.decision === 'forward') {
    return decision.tenants.map((tenant) => ({
      type: EVENTS.caseMatchedV1.type,
      envelope: EVENTS.caseMatchedV1.create(
        {
          caseId: caseIdFor(requestId, tenant.tenantId),
          requestId,
          tenantId: tenant.tenantId,
          matchedAt: now.toISOString(),
          matchedBy: 'matcher',
          score: tenant.score,
          reasons: reasons(tenant),
        },
        meta,
      ),
    }));
  }
  return [
    {
      type: EVENTS.caseTriageV1.type,
      envelope: EVENTS.caseTriageV1.create(
        {
          requestId,
          queuedAt: now.toISOString(),
          reason: decision.reason,
          candidates: decision.candidates
            .slice(0, 20)
            .map((c) => ({ tenantId: c.tenantId, score: c.score, reasons: reasons(c) })),
        },
        meta,
      ),
    },
  ];
}

/** Publishes a stored decision's events (again, after a crash: same envelopes, same ids), then marks it. */
export async function publishDecision(
  deps: Pick<MatchingDeps, 'publisher' | 'decisions'>,
  stored: StoredMatchDecision,
): Promise<void> {
  for (const { type, envelope } of stored.events) {
    const contract = CONTRACTS[type as keyof typeof CONTRACTS];
    if (!contract) throw new AppError('UNKNOWN_STORED_EVENT', `stored decision holds an event of type ${type}`);
    await deps.publisher.publish(contract, contract.parse(envelope) as never);
  }
  await deps.decisions.markPublished(stored.requestId, stored.events);
}

/**
 * Matches a verified request against the tenant directory and publishes the outcome. The
 * decision is stored before it is published, so a redelivered "verified" event republishes the
 * same events rather than matching again against a directory that may have changed.
 */
export async function matchVerifiedRequest(
  deps: MatchingDeps,
  requestId: string,
  causationId?: string,
): Promise<{ decision: 'forward' | 'triage'; tenants: number; republished: boolean }> {
  const existing = await deps.decisions.find(requestId);
  if (existing?.published) return { decision: existing.decision, tenants: 0, republished: false };
  let stored = existing;
  if (!stored) {
    const request = await deps.requests.findById(requestId);
    if (!request) {
      throw new AppError('REQUEST_NOT_YET_KNOWN', 'matching a request the relay has not stored yet', {
        retriable: true,
      });
    }
    if (request.status !== 'verified') {
      throw new AppError('REQUEST_NOT_VERIFIED', 'an unverified request is never matched', { retriable: false });
    }
    const decision = deps.matcher.match({
      companyName: request.company?.name,
      companyEmail: request.company?.email,
      text: request.text,
      requesterHash: deps.hasher.hash(request.requester.email),
    });
    const now = deps.clock.now();
    stored = await deps.decisions.saveIfAbsent({
      requestId,
      decision: decision.decision,
      explanation: decision.explanation,
      events: eventsForDecision(requestId, decision, now, causationId),
      published: false,
      decidedBy: 'matcher',
      decidedAt: now,
      round: 0,
      revision: 1,
      excluded: [],
      candidates: decision.candidates.slice(0, 20).map((c) => ({
        tenantId: c.tenantId,
        score: c.score,
        reasons: c.reasons.slice(0, 20).map((reason) => ({ ...reason })),
      })),
      history: [],
    });
  }
  await publishDecision(deps, stored);
  return {
    decision: stored.decision,
    tenants: stored.decision === 'forward' ? stored.events.length : 0,
    republished: existing !== undefined,
  };
}
