import type { RequestVerifiedV1 } from '@privacy-relay/shared/events';
import type { RelayRequestRepository } from './ports';

/**
 * Marks a request verified. "Received" and "verified" travel on two topics, so nothing orders
 * them: a verification that comes first is kept, and the received event applies it (see
 * `recordReceivedRequest`). Waiting for the received event here instead would block the
 * consumer that is to deliver it.
 *
 * `known` says whether the request is stored (and can be matched now).
 */
export async function recordVerifiedRequest(
  repository: RelayRequestRepository,
  event: RequestVerifiedV1,
): Promise<{ known: boolean }> {
  const { requestId } = event.payload;
  const verifiedAt = new Date(event.payload.verifiedAt);
  if (await repository.markVerified(requestId, verifiedAt)) return { known: true };
  await repository.recordEarlyVerification(requestId, verifiedAt);
  // The received event may have been stored meanwhile (by another consumer): look once more, so
  // that one of the two sides always sees the other.
  return { known: await repository.markVerified(requestId, verifiedAt) };
}
