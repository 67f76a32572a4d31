import { EVENTS } from '@privacy-relay/shared/events';
import { type ConsumerHandle, type RunConsumerOptions, route, runConsumer } from '@privacy-relay/shared/kafka';
import type { RelayRequestRepository } from '../../application/ports';
import { recordReceivedRequest } from '../../application/record-received-request';
import { recordVerifiedRequest } from '../../application/record-verified-request';

/** Consumes intake's events: received requests are stored, verified ones marked so. */
export function startRequestEventsConsumer(
  options: Omit<RunConsumerOptions, 'routes'>,
  repository: RelayRequestRepository,
): Promise<ConsumerHandle> {
  return runConsumer({
    ...options,
    routes: [
      route(EVENTS.requestReceivedV1, async (event) => {
        const { stored } = await recordReceivedRequest(repository, event);
        options.logger.info({ requestId: event.payload.requestId, stored }, 'request received');
      }),
      route(EVENTS.requestVerifiedV1, async (event) => {
        await recordVerifiedRequest(repository, event);
        options.logger.info({ requestId: event.payload.requestId }, 'request verified');
      }),
    ],
  });
}
