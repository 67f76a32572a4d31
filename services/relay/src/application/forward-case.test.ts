import { AppError } from '@privacy-relay/shared/errors';
import { EVENTS, type Envelope } from '@privacy-relay/shared/events';
import { recordSendIntent, type ForwardingCase } from '../domain/case';
import { caseIdFor } from '../domain/matching/case-id';
import type { RelayRequest } from '../domain/relay-request';
import { CaseLinks } from './case-links';
import { actOnCase, forwardCase, openMatchedCase, type ForwardingDeps } from './forward-case';
import type { CaseMail, CaseRepository, StoredCase, TenantRecord } from './ports';

const now = new Date('2026-03-02T09:00:00Z');
const requestId = '0193a1c2-7d4e-4a10-9b7c-00000000000a';
const tenantId = 'acme';
const caseId = caseIdFor(requestId, tenantId);

class InMemoryCases implements CaseRepository {
  readonly docs = new Map<string, { stored: StoredCase; outbox: Envelope[] }>();
  async find(id: string) {
    const doc = this.docs.get(id);
    return doc ? structuredClone(doc.stored) : undefined;
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

function setup(mailer: (mail: CaseMail) => Promise<{ messageId: string }>) {
  const cases = new InMemoryCases();
  const sent: CaseMail[] = [];
  const published: Envelope[] = [];
  const request: RelayRequest = {
    requestId,
    reference: 'PR-1',
    channel: 'api',
    receivedAt: new Date('2026-01-31T12:00:00Z'),
    requester: { name: 'Ada', email: 'ada@example.org' },
    rights: ['access'],
    text: 'hello',
    status: 'verified',
    sourceEventId: 'e',
  };
  const tenant: TenantRecord = {
    tenantId,
    legalName: 'Acme',
    aliases: [],
    domains: [],
    contacts: [
      { email: 'one@acme.example', role: 'privacy' },
      { email: 'two@acme.example', role: 'privacy' },
    ],
    regime: 'uk-gdpr',
  };
  const deps: ForwardingDeps = {
    cases,
    requests: {
      findById: async () => request,
      insertIfAbsent: async () => true,
      markVerified: async () => true,
      recordEarlyVerification: async () => undefined,
      findEarlyVerification: async () => undefined,
    },
    directory: { findTenant: async () => tenant } as unknown as ForwardingDeps['directory'],
    holidays: { forJurisdiction: () => ({ isPublicHoliday: () => false }) },
    mailer: {
      send: async (mail) => {
        sent.push(mail);
        return mailer(mail);
      },
    },
    links: new CaseLinks('unit-test-link-secret-0123456789abcdef', 'https://relay.example', 86_400_000),
    publisher: { publish: async (_c, envelope) => void published.push(envelope as Envelope) },
    clock: { now: () => now },
  };
  const matched = EVENTS.caseMatchedV1.create(
    { caseId, requestId, tenantId, matchedAt: now.toISOString(), matchedBy: 'matcher', score: 1, reasons: [] },
    { correlationId: requestId },
  );
  return { deps, cases, sent, published, matched };
}

describe('Forwarding a case', () => {
  it('When a matched event comes twice, then one case is opened, with the deadline from the day of receipt, and one mail goes out', async () => {
    const { deps, sent, published, matched, cases } = setup(async () => ({ messageId: 'ses-1' }));
    expect((await openMatchedCase(deps, matched)).opened).toBe(true);
    expect((await openMatchedCase(deps, matched)).opened).toBe(false);
    expect(await forwardCase(deps, caseId)).toEqual({ outcome: 'sent', contactIndex: 0, sesMessageId: 'ses-1' });
    expect(await forwardCase(deps, caseId)).toEqual({ outcome: 'already-sent' });
    expect(sent.map((m) => [m.to, m.tags])).toEqual([['one@acme.example', { caseId, contactIndex: '0' }]]);
    // 31 January + 1 month is 28 February 2026 (a Saturday): the next working day.
    expect((await cases.find(caseId))?.case).toMatchObject({ state: 'forwarded', deadline: '2026-03-02' });
    expect(published.map((e) => e.type)).toEqual(['privacy.case.forwarded']);
    expect(cases.docs.get(caseId)?.outbox).toEqual([]);
  });

  it('When a crash left a send intent without a message id, then the next run sends to that same contact again (the one duplicate window)', async () => {
    const { deps, sent, matched, cases } = setup(async () => ({ messageId: 'ses-2' }));
    await openMatchedCase(deps, matched);
    const stored = (await cases.find(caseId))!;
    const intent = recordSendIntent(stored.case, 0, now);
    if (!intent.ok) throw new Error('intent refused');
    await cases.update(intent.case, stored.version, [], now);
    expect(await forwardCase(deps, caseId, 1)).toEqual({ outcome: 'sent', contactIndex: 0, sesMessageId: 'ses-2' });
    expect(sent.map((m) => m.to)).toEqual(['one@acme.example']);
  });

  it('When SES refuses for good, then the error reaches the consumer (dead-letter) and the intent stays recorded without a message id', async () => {
    const { deps, matched, cases, published } = setup(async () => {
      throw new AppError('MAIL_REJECTED', 'SES refused the mail');
    });
    await openMatchedCase(deps, matched);
    await expect(forwardCase(deps, caseId)).rejects.toMatchObject({ code: 'MAIL_REJECTED', retriable: false });
    expect((await cases.find(caseId))?.case.messages).toEqual([expect.objectContaining({ delivery: 'sending' })]);
    expect(published).toEqual([]);
  });

  it('When the tenant acknowledges twice, then one event and the second is "already"', async () => {
    const { deps, matched, published } = setup(async () => ({ messageId: 'ses-1' }));
    await openMatchedCase(deps, matched);
    await forwardCase(deps, caseId);
    expect((await actOnCase(deps, caseId, 'acknowledge')).outcome).toBe('done');
    expect((await actOnCase(deps, caseId, 'acknowledge')).outcome).toBe('already');
    expect(published.map((e) => e.type)).toEqual(['privacy.case.forwarded', 'privacy.case.acknowledged']);
  });

  it('When the contact list is exhausted, then the case ends as no-contact-left', async () => {
    const { deps, matched, cases } = setup(async () => ({ messageId: 'ses-1' }));
    await openMatchedCase(deps, matched);
    expect(await forwardCase(deps, caseId, 2)).toEqual({ outcome: 'no-contact-left' });
    expect((await cases.find(caseId))?.case.state).toBe('no-contact-left');
  });
});
