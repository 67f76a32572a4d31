import { AppError } from '@privacy-relay/shared/errors';
import type { RequestVerifiedV1 } from '@privacy-relay/shared/events';
import type { RelayRequestRepository } from './ports';

/**
 * Marks a request verified. Both events are keyed by request id, so "verified" cannot overtake
 * "received" on one partition; an unknown request therefore means the record is not written
 * yet (a retriable state), never that it is to be skipped.
 */
export async function recordVerifiedRequest(
  repository: RelayRequestRepository,
  event: RequestVerifiedV1,
): Promise<void> {
  const found = await repository.markVerified(event.payload.requestId, new Date(event.payload.verifiedAt));
  if (!found) {
    throw new AppError('REQUEST_NOT_YET_KNOWN', 'verified event for a request the relay has not stored yet', {
      retriable: true,
    });
  }
}
