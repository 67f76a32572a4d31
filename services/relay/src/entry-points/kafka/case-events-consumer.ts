import { EVENTS } from '@privacy-relay/shared/events';
import { type ConsumerHandle, type RunConsumerOptions, route, runConsumer } from '@privacy-relay/shared/kafka';
import { forwardCase, openMatchedCase, type ForwardingDeps } from '../../application/forward-case';

/**
 * Consumes `privacy.case.matched.v1` (the matcher's and operators'): opens the case and forwards
 * it to the tenant's first privacy contact. Transient SES errors and version conflicts are retried
 * with backoff by the runner; a mail SES refuses for good is dead-lettered with the reason.
 * Delivery events (`privacy.mail.event.v1`) are not consumed here yet: the delivery tracking
 * decides the next contact and calls `forwardCase(deps, caseId, nextIndex)`.
 */
export function startCaseEventsConsumer(
  options: Omit<RunConsumerOptions, 'routes'>,
  deps: ForwardingDeps,
): Promise<ConsumerHandle> {
  return runConsumer({
    ...options,
    routes: [
      route(EVENTS.caseMatchedV1, async (event) => {
        const { caseId, requestId, tenantId } = event.payload;
        const { opened, case: forwardingCase } = await openMatchedCase(deps, event);
        options.logger.info(
          {
            caseId,
            requestId,
            tenantId,
            opened,
            deadline: forwardingCase.deadline,
            contacts: forwardingCase.contacts.length,
          },
          'case opened',
        );
        const result = await forwardCase(deps, caseId);
        options.logger.info({ caseId, requestId, tenantId, ...result }, 'case forwarded');
      }),
    ],
  });
}
