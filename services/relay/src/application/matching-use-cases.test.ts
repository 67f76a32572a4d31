import { EVENTS, type AnyEventContractShape, type EnvelopeOf } from '@privacy-relay/shared/events';
import { caseIdFor, hashCounterpartyEmail, TenantIndex, TenantMatcher } from '../domain/matching';
import type { RelayRequest } from '../domain/relay-request';
import { matchVerifiedRequest, type MatchingDeps } from './match-verified-request';
import type {
  DirectoryWrite,
  EventPublisher,
  MatchDecisionRepository,
  RelayRequestRepository,
  StoredMatchDecision,
  TenantDirectoryRepository,
  TenantRecord,
} from './ports';
import { resolveTriage } from './resolve-triage';
import { returnToTriage } from './return-to-triage';
import { awaitsOperator, triageQueueEntryOf } from './triage-decisions';
import { applyDirectoryChange, rebuildTenantIndex } from './tenant-directory';

class InMemoryDirectory implements TenantDirectoryRepository {
  readonly tenants = new Map<string, { tenant?: TenantRecord; changedAt: Date }>();
  readonly counterparties = new Map<string, { tenantId: string; hash: string }>();
  async upsertTenant(tenant: TenantRecord, changedAt: Date): Promise<DirectoryWrite> {
    const current = this.tenants.get(tenant.tenantId);
    if (current && current.changedAt > changedAt) return 'stale';
    this.tenants.set(tenant.tenantId, { tenant, changedAt });
    return 'applied';
  }
  async deleteTenant(tenantId: string, changedAt: Date): Promise<DirectoryWrite> {
    const current = this.tenants.get(tenantId);
    if (current && current.changedAt > changedAt) return 'stale';
    this.tenants.set(tenantId, { changedAt });
    return 'applied';
  }
  async addCounterparties(tenantId: string, hashes: readonly string[]) {
    for (const hash of hashes) this.counterparties.set(`${tenantId}:${hash}`, { tenantId, hash });
  }
  async removeCounterparties(tenantId: string, hashes: readonly string[]) {
    for (const hash of hashes) this.counterparties.delete(`${tenantId}:${hash}`);
  }
  async findTenant(tenantId: string) {
    return this.tenants.get(tenantId)?.tenant;
  }
  async *allTenants() {
    for (const { tenant } of this.tenants.values()) if (tenant) yield tenant;
  }
  async *allCounterparties() {
    yield* this.counterparties.values();
  }
}

class InMemoryDecisions implements MatchDecisionRepository {
  readonly byId = new Map<string, StoredMatchDecision>();
  async find(requestId: string) {
    return this.byId.get(requestId);
  }
  async saveIfAbsent(decision: StoredMatchDecision) {
    if (!this.byId.has(decision.requestId)) this.byId.set(decision.requestId, decision);
    return this.byId.get(decision.requestId) as StoredMatchDecision;
  }
  async replace(next: StoredMatchDecision, expected: StoredMatchDecision) {
    const current = this.byId.get(next.requestId);
    if (current?.revision !== expected.revision) return false;
    this.byId.set(next.requestId, next.events === expected.events ? { ...next, published: current.published } : next);
    return true;
  }
  async listTriage(limit: number) {
    return [...this.byId.values()].filter(awaitsOperator).slice(0, limit);
  }
  async markPublished(requestId: string) {
    const current = this.byId.get(requestId);
    if (current) this.byId.set(requestId, { ...current, published: true });
  }
}

class RecordingPublisher implements EventPublisher {
  readonly published: { type: string; payload: Record<string, unknown> }[] = [];
  failNext = false;
  async publish<C extends AnyEventContractShape>(contract: C, envelope: EnvelopeOf<C>) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('kafka away');
    }
    this.published.push({ type: contract.type, payload: envelope.payload as Record<string, unknown> });
  }
}

const KEY = 'unit-test-counterparty-key-0123456789';
const hasher = { hash: (email: string) => hashCounterpartyEmail(KEY, email) };
const clock = { now: () => new Date('2026-03-02T10:00:00.000Z') };

function directoryEvent(tenantId: string, legalName: string, changedAt: string, extra: Record<string, unknown> = {}) {
  return EVENTS.tenantDirectoryChangedV1.create(
    { tenantId, changedAt, change: 'upserted', tenant: { legalName }, ...extra },
    { correlationId: tenantId },
  );
}

function verifiedRequest(requestId: string, company: RelayRequest['company'], email = 'ada@example.org'): RelayRequest {
  return {
    requestId,
    reference: 'PR-1',
    channel: 'api',
    receivedAt: new Date('2026-03-02T09:00:00.000Z'),
    requester: { name: 'Ada', email },
    rights: ['access'],
    company,
    text: '',
    status: 'verified',
    verifiedAt: new Date('2026-03-02T09:05:00.000Z'),
    sourceEventId: 'e1',
  };
}

async function setUp() {
  const repository = new InMemoryDirectory();
  const index = new TenantIndex();
  const requests = new Map<string, RelayRequest>();
  const requestRepository: RelayRequestRepository = {
    insertIfAbsent: async (r) => !requests.has(r.requestId) && !!requests.set(r.requestId, r),
    markVerified: async () => true,
    recordEarlyVerification: async () => undefined,
    findEarlyVerification: async () => undefined,
    findById: async (id) => requests.get(id),
  };
  const decisions = new InMemoryDecisions();
  const publisher = new RecordingPublisher();
  const deps: MatchingDeps = {
    requests: requestRepository,
    decisions,
    matcher: new TenantMatcher(index),
    hasher,
    publisher,
    clock,
  };
  await applyDirectoryChange(
    { repository, index, hasher },
    directoryEvent('tenant-juro', 'Juro Online Limited', '2026-03-01T08:00:00.000Z', {
      counterpartyEmailsAdded: ['ada@example.org'],
    }),
  );
  await applyDirectoryChange(
    { repository, index, hasher },
    directoryEvent('tenant-joro', 'Joro Home Ltd', '2026-03-01T08:00:00.000Z'),
  );
  return { repository, index, requests, decisions, publisher, deps };
}

describe('Matching use cases', () => {
  it('When a counterparty email arrives in a directory event, then only its keyed hash is stored', async () => {
    const { repository } = await setUp();
    const stored = [...repository.counterparties.values()];
    expect(stored).toEqual([{ tenantId: 'tenant-juro', hash: hasher.hash('ada@example.org') }]);
    expect(JSON.stringify(stored)).not.toContain('ada@');
  });

  it('When an older directory change arrives after a newer one, then it is skipped', async () => {
    const { repository, index } = await setUp();
    const older = await applyDirectoryChange(
      { repository, index, hasher },
      directoryEvent('tenant-juro', 'Old Juro Name Ltd', '2026-02-01T08:00:00.000Z'),
    );
    expect(older.outcome).toBe('stale');
    expect((await repository.findTenant('tenant-juro'))?.legalName).toBe('Juro Online Limited');
  });

  it('When the index is rebuilt from the stored directory, then it matches as the live one did', async () => {
    const { repository } = await setUp();
    const rebuilt = new TenantIndex();
    expect(await rebuildTenantIndex(repository, rebuilt)).toEqual({ tenants: 2, counterparties: 1 });
    const decision = new TenantMatcher(rebuilt).match({ requesterHash: hasher.hash('ADA@example.org') });
    expect(decision.decision === 'forward' && decision.tenants.map((t) => t.tenantId)).toEqual(['tenant-juro']);
  });

  it('When a verified request names a tenant, then one case.matched is published with a stable case id', async () => {
    const { deps, requests, publisher } = await setUp();
    const id = '0193a1c2-7d4e-7a10-9b7c-000000000001';
    requests.set(id, verifiedRequest(id, { name: 'JURO ONLINE Ltd.' }, 'someone@gmail.com'));
    await matchVerifiedRequest(deps, id);
    expect(publisher.published).toHaveLength(1);
    expect(publisher.published[0]).toMatchObject({
      type: EVENTS.caseMatchedV1.type,
      payload: { requestId: id, tenantId: 'tenant-juro', matchedBy: 'matcher' },
    });
  });

  it('When a verified request names its company only in its text, then it is matched on that name', async () => {
    const { deps, requests, publisher } = await setUp();
    const id = '0193a1c2-7d4e-7a10-9b7c-000000000009';
    requests.set(id, {
      ...verifiedRequest(id, undefined, 'someone@gmail.com'),
      text: 'Please erase my data.\nCompany: Joro Home Ltd\nThank you.',
    });
    await matchVerifiedRequest(deps, id);
    expect(publisher.published[0]).toMatchObject({
      type: EVENTS.caseMatchedV1.type,
      payload: { requestId: id, tenantId: 'tenant-joro' },
    });
  });

  it('When publishing fails after the decision was stored, then a retry publishes the same events', async () => {
    const { deps, requests, publisher } = await setUp();
    const id = '0193a1c2-7d4e-7a10-9b7c-000000000002';
    requests.set(id, verifiedRequest(id, { name: 'Joro Home' }, 'x@gmail.com'));
    publisher.failNext = true;
    await expect(matchVerifiedRequest(deps, id)).rejects.toThrow('kafka away');
    await matchVerifiedRequest(deps, id);
    await matchVerifiedRequest(deps, id);
    expect(publisher.published.map((e) => e.payload.tenantId)).toEqual(['tenant-joro']);
  });

  it('When a request names an unknown company, then it goes to triage, and an operator can assign it', async () => {
    const { deps, requests, publisher, index, decisions } = await setUp();
    const id = '0193a1c2-7d4e-7a10-9b7c-000000000003';
    requests.set(id, verifiedRequest(id, { name: 'Contoso Pharmaceuticals' }, 'x@gmail.com'));
    await matchVerifiedRequest(deps, id);
    expect(publisher.published[0]).toMatchObject({
      type: EVENTS.caseTriageV1.type,
      payload: { reason: 'no-candidate' },
    });

    await resolveTriage({ decisions, publisher, clock, index }, id, {
      action: 'assign',
      tenantIds: ['tenant-joro'],
      operatorId: 'op-1',
    });
    expect(publisher.published[1]).toMatchObject({
      type: EVENTS.caseMatchedV1.type,
      payload: { tenantId: 'tenant-joro', matchedBy: 'operator', operatorId: 'op-1' },
    });
    await expect(
      resolveTriage({ decisions, publisher, clock, index }, id, { action: 'reject-as-spam', operatorId: 'op-2' }),
    ).rejects.toMatchObject({ code: 'TRIAGE_ALREADY_RESOLVED', httpStatus: 409 });
    const again = await resolveTriage({ decisions, publisher, clock, index }, id, {
      action: 'assign',
      tenantIds: ['tenant-joro', 'tenant-joro'],
      operatorId: 'op-2',
    });
    expect(again).toMatchObject({
      decidedBy: 'operator',
      decision: 'forward',
      resolution: { action: 'assign', tenantIds: ['tenant-joro'], operatorId: 'op-1' },
    });
    expect(publisher.published[2]).toEqual(publisher.published[1]);
  });

  it('When an operator rejects a triaged request as spam, then a case.closed is published', async () => {
    const { deps, requests, publisher, index, decisions } = await setUp();
    const id = '0193a1c2-7d4e-7a10-9b7c-000000000004';
    requests.set(id, verifiedRequest(id, { name: 'Nobody Knows Ltd' }, 'x@gmail.com'));
    await matchVerifiedRequest(deps, id);
    await resolveTriage({ decisions, publisher, clock, index }, id, { action: 'reject-as-spam', operatorId: 'op' });
    expect(publisher.published.at(-1)).toMatchObject({
      type: EVENTS.caseClosedV1.type,
      payload: { outcome: 'rejected-as-spam', by: 'operator', operatorId: 'op' },
    });
  });

  it('When an operator names a tenant the directory does not hold, then nothing is published', async () => {
    const { deps, requests, publisher, index, decisions } = await setUp();
    const id = '0193a1c2-7d4e-7a10-9b7c-000000000005';
    requests.set(id, verifiedRequest(id, { name: 'Nobody Knows Ltd' }, 'x@gmail.com'));
    await matchVerifiedRequest(deps, id);
    await expect(
      resolveTriage({ decisions, publisher, clock, index }, id, {
        action: 'assign',
        tenantIds: ['nope'],
        operatorId: 'op',
      }),
    ).rejects.toMatchObject({ code: 'UNKNOWN_TENANT' });
    expect(publisher.published).toHaveLength(1);
  });
});

/** A tenant's admin link said "not ours" for its case of the request, as actOnCase publishes it. */
function notOurs(requestId: string, tenantId: string, closedAt = '2026-03-03T10:00:00.000Z') {
  return EVENTS.caseClosedV1.create(
    { caseId: caseIdFor(requestId, tenantId), requestId, tenantId, closedAt, outcome: 'not-ours', by: 'admin-link' },
    { correlationId: requestId },
  );
}

describe('Not ours: back to triage with the tenant excluded', () => {
  /** A request the matcher forwarded to tenant-juro (the requester is its counterparty). */
  async function forwardedToJuro() {
    const context = await setUp();
    // A runner-up the matcher names among its candidates, but does not forward to.
    await applyDirectoryChange(
      { repository: context.repository, index: context.index, hasher },
      directoryEvent('tenant-juro-group', 'Juro Online Group Limited', '2026-03-01T08:00:00.000Z'),
    );
    const id = '0193a1c2-7d4e-7a10-9b7c-0000000000a1';
    context.requests.set(id, verifiedRequest(id, { name: 'Juro Online Limited' }));
    await matchVerifiedRequest(context.deps, id);
    expect(context.publisher.published.map((e) => e.payload.tenantId)).toEqual(['tenant-juro']);
    return { ...context, id, resolving: { ...context, clock } };
  }

  it('When the tenant says not ours, then the request is in the triage queue again, the tenant excluded with why, and its other candidates offered', async () => {
    const { deps, decisions, publisher, id } = await forwardedToJuro();
    const closed = notOurs(id, 'tenant-juro');
    expect(await returnToTriage(deps, closed)).toMatchObject({ outcome: 'back-to-triage', round: 1 });

    const [entry] = (await decisions.listTriage(10)).map(triageQueueEntryOf);
    expect(entry).toMatchObject({
      requestId: id,
      round: 1,
      reason: 'not-ours',
      excluded: [
        {
          tenantId: 'tenant-juro',
          reason: 'not-ours',
          caseId: caseIdFor(id, 'tenant-juro'),
          closedAt: '2026-03-03T10:00:00.000Z',
        },
      ],
    });
    expect(entry?.candidates.map((c) => c.tenantId)).toEqual(['tenant-juro-group']);
    expect(publisher.published.at(-1)).toMatchObject({
      type: EVENTS.caseTriageV1.type,
      payload: {
        requestId: id,
        reason: 'not-ours',
        round: 1,
        excludedTenantIds: ['tenant-juro'],
        exclusions: [{ tenantId: 'tenant-juro', caseId: caseIdFor(id, 'tenant-juro') }],
      },
    });
    expect((await decisions.find(id))?.history).toMatchObject([
      { round: 0, decision: 'forward', tenantIds: ['tenant-juro'] },
    ]);
  });

  it('When the closed event comes again, then there is no second triage entry and no second event', async () => {
    const { deps, decisions, publisher, id } = await forwardedToJuro();
    const closed = notOurs(id, 'tenant-juro');
    await returnToTriage(deps, closed);
    const before = publisher.published.length;
    const stored = await decisions.find(id);
    expect(await returnToTriage(deps, closed)).toMatchObject({ outcome: 'duplicate' });
    expect(publisher.published).toHaveLength(before);
    expect(await decisions.find(id)).toEqual(stored);
    expect(await decisions.listTriage(10)).toHaveLength(1);
  });

  it('When the triage event could not be published, then the redelivered closed event publishes it (same event)', async () => {
    const { deps, publisher, id } = await forwardedToJuro();
    const closed = notOurs(id, 'tenant-juro');
    publisher.failNext = true;
    await expect(returnToTriage(deps, closed)).rejects.toThrow('kafka away');
    await returnToTriage(deps, closed);
    const triage = publisher.published.filter((e) => e.type === EVENTS.caseTriageV1.type);
    expect(triage).toHaveLength(1);
    expect(triage[0]?.payload).toMatchObject({ reason: 'not-ours' });
  });

  it('When the verified event is redelivered after not ours, then no case.matched goes out for the excluded tenant', async () => {
    const { deps, publisher, id } = await forwardedToJuro();
    await returnToTriage(deps, notOurs(id, 'tenant-juro'));
    const before = publisher.published.length;
    await matchVerifiedRequest(deps, id);
    expect(publisher.published.slice(before).filter((e) => e.type === EVENTS.caseMatchedV1.type)).toEqual([]);
  });

  it('When an operator assigns an excluded tenant, then 422 TENANT_EXCLUDED; another tenant is assigned in the new round, and a different second resolution of that round is 409', async () => {
    const { deps, decisions, publisher, index, id } = await forwardedToJuro();
    await returnToTriage(deps, notOurs(id, 'tenant-juro'));
    const before = publisher.published.length;
    for (const tenantIds of [['tenant-juro'], ['tenant-joro', 'tenant-juro']]) {
      await expect(
        resolveTriage({ decisions, publisher, clock, index }, id, { action: 'assign', tenantIds, operatorId: 'op' }),
      ).rejects.toMatchObject({ code: 'TENANT_EXCLUDED', httpStatus: 422 });
    }
    expect(publisher.published).toHaveLength(before);

    const resolved = await resolveTriage({ decisions, publisher, clock, index }, id, {
      action: 'assign',
      tenantIds: ['tenant-joro'],
      operatorId: 'op',
    });
    expect(resolved).toMatchObject({ round: 1, decidedBy: 'operator', decision: 'forward' });
    expect(publisher.published.at(-1)).toMatchObject({
      type: EVENTS.caseMatchedV1.type,
      payload: { tenantId: 'tenant-joro', matchedBy: 'operator' },
    });
    expect(await decisions.listTriage(10)).toEqual([]);
    await expect(
      resolveTriage({ decisions, publisher, clock, index }, id, { action: 'reject-as-spam', operatorId: 'op-2' }),
    ).rejects.toMatchObject({ code: 'TRIAGE_ALREADY_RESOLVED', httpStatus: 409 });
  });

  it('When the tenant an operator assigned says not ours too, then a new round starts with both excluded, and it can be resolved again', async () => {
    const { deps, decisions, publisher, index, id } = await forwardedToJuro();
    await returnToTriage(deps, notOurs(id, 'tenant-juro'));
    await resolveTriage({ decisions, publisher, clock, index }, id, {
      action: 'assign',
      tenantIds: ['tenant-joro'],
      operatorId: 'op',
    });
    expect(await returnToTriage(deps, notOurs(id, 'tenant-joro', '2026-03-04T10:00:00.000Z'))).toMatchObject({
      outcome: 'back-to-triage',
      round: 2,
    });
    const stored = await decisions.find(id);
    expect(stored?.excluded.map((e) => e.tenantId)).toEqual(['tenant-juro', 'tenant-joro']);
    expect(stored?.history.map((h) => [h.round, h.decidedBy, h.decision])).toEqual([
      [0, 'matcher', 'forward'],
      [1, 'tenant', 'triage'],
      [1, 'operator', 'forward'],
    ]);
    expect(publisher.published.at(-1)?.payload).toMatchObject({ excludedTenantIds: ['tenant-juro', 'tenant-joro'] });
    await expect(
      resolveTriage({ decisions, publisher, clock, index }, id, { action: 'reject-as-spam', operatorId: 'op' }),
    ).resolves.toMatchObject({ round: 2, resolution: { action: 'reject-as-spam' } });
  });

  it('When one of two tenants says not ours and the other still has the request, then it stays out of triage until the other says so too', async () => {
    const { deps, decisions, publisher, index, requests } = await setUp();
    const id = '0193a1c2-7d4e-7a10-9b7c-0000000000a2';
    requests.set(id, verifiedRequest(id, { name: 'Nobody Knows Ltd' }, 'x@gmail.com'));
    await matchVerifiedRequest(deps, id);
    await resolveTriage({ decisions, publisher, clock, index }, id, {
      action: 'assign',
      tenantIds: ['tenant-juro', 'tenant-joro'],
      operatorId: 'op',
    });
    const before = publisher.published.length;
    expect(await returnToTriage(deps, notOurs(id, 'tenant-juro'))).toMatchObject({ outcome: 'excluded' });
    expect(await decisions.listTriage(10)).toEqual([]);
    expect(publisher.published).toHaveLength(before);
    expect((await decisions.find(id))?.excluded.map((e) => e.tenantId)).toEqual(['tenant-juro']);

    expect(await returnToTriage(deps, notOurs(id, 'tenant-joro'))).toMatchObject({ outcome: 'back-to-triage' });
    expect((await decisions.listTriage(10)).map(triageQueueEntryOf)).toMatchObject([
      { requestId: id, excluded: [{ tenantId: 'tenant-juro' }, { tenantId: 'tenant-joro' }] },
    ]);
  });

  it('When a writer read the decision before an operator resolved it, then its conditional update loses and changes nothing', async () => {
    const { deps, decisions, publisher, index, id } = await forwardedToJuro();
    await returnToTriage(deps, notOurs(id, 'tenant-juro'));
    const stale = await decisions.find(id);
    await resolveTriage({ decisions, publisher, clock, index }, id, {
      action: 'assign',
      tenantIds: ['tenant-joro'],
      operatorId: 'op',
    });
    // A writer that read before the resolution loses its conditional update.
    expect(await decisions.replace({ ...stale!, revision: stale!.revision + 1, excluded: [] }, stale!)).toBe(false);
    expect((await decisions.find(id))?.excluded.map((e) => e.tenantId)).toEqual(['tenant-juro']);
  });

  it('When a case closes as done or is rejected as spam, then nothing returns to triage', async () => {
    const { deps, decisions, id } = await forwardedToJuro();
    const done = EVENTS.caseClosedV1.create(
      {
        caseId: caseIdFor(id, 'tenant-juro'),
        requestId: id,
        tenantId: 'tenant-juro',
        closedAt: '2026-03-03T10:00:00.000Z',
        outcome: 'done',
        by: 'admin-link',
      },
      { correlationId: id },
    );
    expect(await returnToTriage(deps, done)).toEqual({ outcome: 'ignored' });
    expect(await decisions.listTriage(10)).toEqual([]);
  });
});
