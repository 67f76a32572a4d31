import { AppError } from '@privacy-relay/shared/errors';
import { EVENTS } from '@privacy-relay/shared/events';
import { extendDeadline, type Actor, type CaseExtension, type ForwardingCase } from '../domain/case';
import { todayIn } from '../domain/deadline';
import { scheduleLadderAfterWrite } from './escalate-case';
import { publish, type ForwardingDeps } from './forward-case';

export type ExtendDeps = Pick<
  ForwardingDeps,
  'cases' | 'requests' | 'publisher' | 'clock' | 'onPublishFailed' | 'ladder'
>;

/** What asking for an extension came to; the refusals carry what the answer tells the asker. */
export type ExtendOutcome =
  | { outcome: 'extended'; case: ForwardingCase }
  | { outcome: 'invalid-reason'; problem: 'empty' | 'too-long' }
  | { outcome: 'already'; extension: CaseExtension }
  | { outcome: 'not-allowed'; case: ForwardingCase }
  | { outcome: 'deadline-passed'; deadline: string }
  | { outcome: 'not-found' };

/** Writers racing on one case: re-read and re-apply this often. */
const MAX_ATTEMPTS = 5;

/**
 * Extends a case's deadline once, for the tenant (admin link) or an operator: the domain decides
 * (`extendDeadline`, with today's date in the case's jurisdiction), and the change and its
 * `privacy.case.extended.v1` go in one version-guarded update (the case's outbox), published
 * right after. The event carries the requester's address (from the relay's stored request) and the
 * reason, so that intake can tell the requester; the reason is never logged.
 */
export async function extendCase(
  deps: ExtendDeps,
  caseId: string,
  reason: unknown,
  by: Extract<Actor, { kind: 'admin-link' | 'operator' }>,
): Promise<ExtendOutcome> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await deps.cases.find(caseId);
    if (!stored) return { outcome: 'not-found' };
    const now = deps.clock.now();
    const result = extendDeadline(stored.case, { reason, today: todayIn(stored.case.jurisdiction, now), at: now, by });
    if (!result.ok) {
      switch (result.reason) {
        case 'invalid-reason':
          return { outcome: 'invalid-reason', problem: result.problem };
        case 'already':
          return { outcome: 'already', extension: result.extension };
        case 'not-allowed':
          return { outcome: 'not-allowed', case: stored.case };
        case 'deadline-passed':
          return { outcome: 'deadline-passed', deadline: result.deadline };
      }
    }
    const extended = result.case;
    const extension = extended.extension!;
    const { requestId, tenantId, tenantName, regime } = extended;
    const request = await deps.requests.findById(requestId);
    const event = EVENTS.caseExtendedV1.create(
      {
        caseId,
        requestId,
        tenantId,
        ...(tenantName ? { tenantName } : {}),
        ...(request ? { requesterEmail: request.requester.email } : {}),
        extendedAt: extension.at,
        by: by.kind,
        ...(by.kind === 'operator' ? { operatorId: by.operatorId } : {}),
        regime,
        previousDueOn: extension.from,
        dueOn: extension.to,
        reason: extension.reason,
      },
      { correlationId: requestId },
    );
    const pending = await deps.cases.update(extended, stored.version, [event], now);
    if (pending) {
      await publish(deps, caseId, pending);
      // The deadline's rungs follow the new deadline (a crash before this: the old rungs, firing, schedule the new).
      await scheduleLadderAfterWrite(deps, extended);
      return { outcome: 'extended', case: extended };
    }
  }
  throw new AppError('CASE_VERSION_CONFLICT', `case ${caseId} changed meanwhile; try again`, {
    retriable: true,
    httpStatus: 503,
  });
}
