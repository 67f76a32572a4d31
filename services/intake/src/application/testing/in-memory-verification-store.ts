import type { RequestVerifiedV1 } from '@privacy-relay/shared/events';
import type { VerificationMethod, VerificationRecord, VerificationStore } from '../ports';

/** The verification store's contract in memory, for unit tests of the use cases. */
export class InMemoryVerificationStore implements VerificationStore {
  readonly records = new Map<string, VerificationRecord & { outbox?: RequestVerifiedV1 }>();
  async create(record: VerificationRecord) {
    if (this.records.has(record.requestId)) return { created: false };
    this.records.set(record.requestId, { ...record });
    return { created: true };
  }
  async find(requestId: string) {
    const record = this.records.get(requestId);
    if (!record) return undefined;
    const { outbox: _outbox, ...copy } = record;
    return copy;
  }
  async confirm(requestId: string, at: Date, method: VerificationMethod, event: RequestVerifiedV1) {
    const record = this.records.get(requestId);
    if (!record || record.status !== 'pending') return false;
    Object.assign(record, { status: 'verified', verifiedAt: at, method, outbox: event });
    return true;
  }
  async markVerifiedPublished(requestId: string, eventId: string, at: Date) {
    const record = this.records.get(requestId);
    if (record?.outbox?.id === eventId) Object.assign(record, { verifiedEventPublishedAt: at, outbox: undefined });
  }
  async takeCodeAttempt(requestId: string, max: number) {
    const record = this.records.get(requestId);
    if (record?.status === 'verified') return 'verified' as const;
    if (!record || record.codeAttempts >= max) return 'none-left' as const;
    record.codeAttempts += 1;
    return { attempts: record.codeAttempts };
  }
}
