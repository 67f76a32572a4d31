import { EVENTS, type AnyEventContractShape, type EnvelopeOf } from '@privacy-relay/shared/events';
import { hashCounterpartyEmail, TenantIndex, TenantMatcher } from '../domain/matching';
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
  async replaceTriage(decision: StoredMatchDecision) {
    const current = this.byId.get(decision.requestId);
    if (current?.decision !== 'triage' || current.decidedBy !== 'matcher') return false;
    this.byId.set(decision.requestId, decision);
    return true;
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
