import type { RequestReceivedV1 } from '@privacy-relay/shared/events';
import { relayRequestFromReceived } from '../domain/relay-request';
import type { RelayRequestRepository } from './ports';

/**
 * Keeps what intake accepted. A redelivered event finds its record already there and changes
 * nothing. A verification that arrived before this event (it travels on another topic) is applied
 * now. `verified` says whether the request can be matched.
 */
export async function recordReceivedRequest(
  repository: RelayRequestRepository,
  event: RequestReceivedV1,
): Promise<{ stored: boolean; verified: boolean }> {
  const { requestId } = event.payload;
  const stored = await repository.insertIfAbsent(relayRequestFromReceived(event.payload, event.id));
  if (event.payload.verification.status === 'verified') return { stored, verified: true };
  const verifiedEarly = await repository.findEarlyVerification(requestId);
  if (!verifiedEarly) return { stored, verified: false };
  await repository.markVerified(requestId, verifiedEarly);
  return { stored, verified: true };
}
