import { EVENTS } from '@privacy-relay/shared/events';
import { type ConsumerHandle, type RunConsumerOptions, route, runConsumer } from '@privacy-relay/shared/kafka';
import { matchVerifiedRequest, type MatchingDeps } from '../../application/match-verified-request';
import type { RelayRequestRepository } from '../../application/ports';
import { recordReceivedRequest } from '../../application/record-received-request';
import { recordVerifiedRequest } from '../../application/record-verified-request';
import { returnToTriage } from '../../application/return-to-triage';

/**
 * Consumes intake's events: received requests are stored, verified ones marked so and matched;
 * and, with matching, `privacy.case.closed.v1`: a tenant's "not ours" excludes it from the
 * request and, once no tenant of the round has it, puts the request back in triage.
 * A request that arrives already verified (an email with passing SPF/DKIM) is matched at once, and
 * so is one whose verification came first (the two events are on different topics).
 */
export function startRequestEventsConsumer(
  options: Omit<RunConsumerOptions, 'routes'>,
  repository: RelayRequestRepository,
  matching?: MatchingDeps,
): Promise<ConsumerHandle> {
  return runConsumer({
    ...options,
    routes: [
      route(EVENTS.requestReceivedV1, async (event) => {
        const { stored, verified } = await recordReceivedRequest(repository, event);
        options.logger.info({ requestId: event.payload.requestId, stored, verified }, 'request received');
        if (matching && verified) {
          const outcome = await matchVerifiedRequest(matching, event.payload.requestId, event.id);
          options.logger.info({ requestId: event.payload.requestId, ...outcome }, 'request matched');
        }
      }),
      route(EVENTS.requestVerifiedV1, async (event) => {
        const { known } = await recordVerifiedRequest(repository, event);
        options.logger.info({ requestId: event.payload.requestId, known }, 'request verified');
        // Not stored yet: the received event, when it comes, applies the verification and matches.
        if (matching && known) {
          const outcome = await matchVerifiedRequest(matching, event.payload.requestId, event.id);
          options.logger.info({ requestId: event.payload.requestId, ...outcome }, 'request matched');
        }
      }),
      ...(matching
        ? [
            route(EVENTS.caseClosedV1, async (event) => {
              const result = await returnToTriage(matching, event);
              if (result.outcome === 'ignored') return;
              const { requestId, caseId, tenantId } = event.payload;
              options.logger.info({ requestId, caseId, tenantId, ...result }, 'not ours applied');
            }),
          ]
        : []),
    ],
  });
}
