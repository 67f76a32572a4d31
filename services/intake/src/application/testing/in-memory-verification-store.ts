import type { VerificationMethod, VerificationRecord, VerificationStore } from '../ports';

/** The verification store's contract in memory, for unit tests of the use cases. */
export class InMemoryVerificationStore implements VerificationStore {
  readonly records = new Map<string, VerificationRecord & { leaseUntil: number }>();
  async create(record: VerificationRecord) {
    if (this.records.has(record.requestId)) return { created: false };
    this.records.set(record.requestId, { ...record, leaseUntil: 0 });
    return { created: true };
  }
  async find(requestId: string) {
    const record = this.records.get(requestId);
    return record ? { ...record } : undefined;
  }
  async confirm(requestId: string, at: Date, method: VerificationMethod, leaseUntil: Date) {
    const record = this.records.get(requestId);
    if (!record || record.status !== 'pending') return false;
    Object.assign(record, { status: 'verified', verifiedAt: at, method, leaseUntil: leaseUntil.getTime() });
    return true;
  }
  async takePublishLease(requestId: string, now: Date, leaseUntil: Date) {
    const record = this.records.get(requestId);
    if (!record || record.status !== 'verified' || record.verifiedEventPublishedAt) return false;
    if (record.leaseUntil >= now.getTime()) return false;
    record.leaseUntil = leaseUntil.getTime();
    return true;
  }
  async releasePublishLease(requestId: string) {
    const record = this.records.get(requestId);
    if (record) record.leaseUntil = 0;
  }
  async markVerifiedPublished(requestId: string, at: Date) {
    const record = this.records.get(requestId);
    if (record) Object.assign(record, { verifiedEventPublishedAt: at, leaseUntil: 0 });
  }
  async takeCodeAttempt(requestId: string, max: number) {
    const record = this.records.get(requestId);
    if (record?.status === 'verified') return 'verified' as const;
    if (!record || record.codeAttempts >= max) return 'none-left' as const;
    record.codeAttempts += 1;
    return { attempts: record.codeAttempts };
  }
}
