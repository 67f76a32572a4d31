import { EVENTS } from '@privacy-relay/shared/events';
import { type ConsumerHandle, type RunConsumerOptions, route, runConsumer } from '@privacy-relay/shared/kafka';
import type { CounterpartyHasher, TenantDirectoryRepository } from '../../application/ports';
import { applyDirectoryChange } from '../../application/tenant-directory';
import type { TenantIndex } from '../../domain/matching';

/** Keeps the stored directory and this instance's matching index current from directory events. */
export function startDirectoryEventsConsumer(
  options: Omit<RunConsumerOptions, 'routes'>,
  deps: { repository: TenantDirectoryRepository; index: TenantIndex; hasher: CounterpartyHasher },
): Promise<ConsumerHandle> {
  return runConsumer({
    ...options,
    routes: [
      route(EVENTS.tenantDirectoryChangedV1, async (event) => {
        const { outcome } = await applyDirectoryChange(deps, event);
        options.logger.info(
          { tenantId: event.payload.tenantId, change: event.payload.change, outcome },
          'directory changed',
        );
      }),
    ],
  });
}
