import type { RetentionPhase, RetentionTarget } from '@privacy-relay/shared/retention';
import type { VerificationRetentionStore } from './ports';

/**
 * Intake's request records (`verifications`, with the acknowledgement mails' record keyed by the
 * same id) under retention (docs/retention.md). Every write is conditional on the record still
 * being due that day, so a second run or a second instance changes nothing.
 */
export class VerificationRetention implements RetentionTarget {
  readonly name = 'verifications';
  readonly phases: readonly RetentionPhase[] = ['minimise', 'delete'];

  constructor(private readonly store: VerificationRetentionStore) {}

  isDue(phase: RetentionPhase, day: string, requestId: string): Promise<boolean> {
    return this.store.isDue(phase, day, requestId);
  }

  async apply(phase: RetentionPhase, day: string, requestId: string, now: Date): Promise<'done' | 'skipped'> {
    const done =
      phase === 'minimise'
        ? await this.store.minimiseIfDue(requestId, day, now)
        : await this.store.deleteIfDue(requestId, day);
    return done ? 'done' : 'skipped';
  }
}
