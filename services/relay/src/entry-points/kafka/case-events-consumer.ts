import { EVENTS } from '@privacy-relay/shared/events';
import { type ConsumerHandle, type RunConsumerOptions, route, runConsumer } from '@privacy-relay/shared/kafka';
import { continueForwarding, openMatchedCase, type ForwardingDeps } from '../../application/forward-case';
import { trackMailEvent } from '../../application/track-mail-event';

/**
 * Consumes `privacy.case.matched.v1` (the matcher's and operators'): opens the case and forwards
 * it to the tenant's first privacy contact; and `privacy.mail.event.v1`: applies SES's delivery
 * events to the case and moves on to the next privacy contact when the tracking says so.
 * Transient SES errors and version conflicts are retried with backoff by the runner; a mail SES
 * refuses for good is recorded `rejected` on the case, the case moves on to its next privacy
 * contact, and the event is then dead-lettered with the refusal's code as its reason.
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
        // The first forward (or, on a redelivery, whatever a crash left undone).
        const result = await continueForwarding(deps, forwardingCase);
        options.logger.info({ caseId, requestId, tenantId, ...result }, 'case forwarded');
      }),
      route(EVENTS.mailEventV1, async (event) => {
        const { caseId, sesMessageId, snsMessageId, status } = event.payload;
        const result = await trackMailEvent(deps, event);
        // Ids and the status only: the raw notification and recipients hold personal data.
        const fields = { caseId, sesMessageId, snsMessageId, status, eventId: event.id, ...result };
        if (result.outcome === 'applied' || result.outcome === 'duplicate' || result.outcome === 'superseded')
          options.logger.info(fields, 'mail event applied');
        else options.logger.warn(fields, 'mail event skipped: no such case or message');
      }),
    ],
  });
}
