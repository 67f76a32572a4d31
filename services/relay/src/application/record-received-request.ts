import type { RequestReceivedV1 } from '@privacy-relay/shared/events';
import { relayRequestFromReceived } from '../domain/relay-request';
import type { RelayRequestRepository } from './ports';

/** Keeps what intake accepted. A redelivered event finds its record already there and changes nothing. */
export async function recordReceivedRequest(
  repository: RelayRequestRepository,
  event: RequestReceivedV1,
): Promise<{ stored: boolean }> {
  const stored = await repository.insertIfAbsent(relayRequestFromReceived(event.payload, event.id));
  return { stored };
}
