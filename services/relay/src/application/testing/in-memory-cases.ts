import type { Envelope } from '@privacy-relay/shared/events';
import type { ForwardingCase } from '../../domain/case';
import type { CaseRepository, StoredCase } from '../ports';

/**
 * The case repository's rules in memory, for the use cases' unit tests: a version guard on every
 * update, and an outbox that grows until marked published (an update with events answers with all
 * still pending, as the MongoDB repository does).
 */
export class InMemoryCases implements CaseRepository {
  readonly docs = new Map<string, { stored: StoredCase; outbox: Envelope[] }>();

  async find(id: string) {
    const doc = this.docs.get(id);
    return doc ? structuredClone(doc.stored) : undefined;
  }

  async listByRequest(id: string) {
    return [...this.docs.values()].filter((d) => d.stored.case.requestId === id).map((d) => structuredClone(d.stored));
  }

  async create(c: ForwardingCase) {
    if (this.docs.has(c.caseId)) return false;
    this.docs.set(c.caseId, { stored: { case: structuredClone(c), version: 1 }, outbox: [] });
    return true;
  }

  async update(next: ForwardingCase, expected: number, events: readonly Envelope[], _at?: Date) {
    const doc = this.docs.get(next.caseId);
    if (!doc || doc.stored.version !== expected) return false;
    doc.stored = { case: structuredClone(next), version: expected + 1 };
    doc.outbox.push(...events);
    return events.length > 0 ? [...doc.outbox] : [];
  }

  async markPublished(id: string) {
    const doc = this.docs.get(id);
    if (doc) doc.outbox = [];
  }
}
