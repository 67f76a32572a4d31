import { EVENTS } from '@privacy-relay/shared/events';
import { type ConsumerHandle, type RunConsumerOptions, route, runConsumer } from '@privacy-relay/shared/kafka';
import { collectExport, type CollectExportDeps } from '../../application/collect-export';

/**
 * Consumes `privacy.export.requested.v1` (a requester confirmed from their mailbox that they want
 * their export) and answers with `privacy.export.collected.v1`. A group of its own: an export
 * holds up no matching or forwarding. Logs ids and counts only, never the address.
 */
export function startExportEventsConsumer(
  options: Omit<RunConsumerOptions, 'routes'>,
  deps: CollectExportDeps,
): Promise<ConsumerHandle> {
  return runConsumer({
    ...options,
    routes: [
      route(EVENTS.exportRequestedV1, async (event) => {
        const { requests } = await collectExport(deps, event);
        options.logger.info({ exportId: event.payload.exportId, requests }, 'export collected');
      }),
    ],
  });
}
