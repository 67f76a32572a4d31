import type { RelayRequest } from '../domain/relay-request';

/** Stores the relay's requests. Writes are idempotent: events arrive at least once. */
export interface RelayRequestRepository {
  /** Inserts the request unless one with its id exists; true when it was new. */
  insertIfAbsent(request: RelayRequest): Promise<boolean>;
  /** Marks a request verified; false when the request is unknown (yet). */
  markVerified(requestId: string, verifiedAt: Date): Promise<boolean>;
  findById(requestId: string): Promise<RelayRequest | undefined>;
}
