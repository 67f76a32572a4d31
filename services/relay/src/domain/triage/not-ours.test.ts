import { applyNotOurs, candidatesOffered, excludedAmong, type TenantExclusion } from './not-ours';

const exclusion = (tenantId: string, n = 1): TenantExclusion => ({
  tenantId,
  reason: 'not-ours',
  caseId: `0193a1c2-7d4e-7a10-9b7c-00000000000${n}`,
  closedAt: '2026-03-02T10:00:00.000Z',
  eventId: `0193a1c2-7d4e-7a10-9b7c-10000000000${n}`,
});

describe('applyNotOurs', () => {
  it('When the only tenant a request went to says not ours, then it goes back to triage with that tenant excluded', () => {
    expect(applyNotOurs({ decision: 'forward', forwardedTenantIds: ['a'], excluded: [] }, exclusion('a'))).toEqual({
      outcome: 'back-to-triage',
      excluded: [exclusion('a')],
    });
  });

  it('When the same tenant says not ours again (a redelivered event), then nothing changes', () => {
    expect(
      applyNotOurs({ decision: 'triage', forwardedTenantIds: [], excluded: [exclusion('a')] }, exclusion('a')),
    ).toEqual({ outcome: 'duplicate' });
  });

  it('When one of two tenants says not ours, then it is excluded and the request stays with the other', () => {
    expect(applyNotOurs({ decision: 'forward', forwardedTenantIds: ['a', 'b'], excluded: [] }, exclusion('a'))).toEqual(
      { outcome: 'excluded', excluded: [exclusion('a')], stillWith: ['b'] },
    );
  });

  it('When the second of two tenants says not ours too, then it goes back to triage with both excluded', () => {
    expect(
      applyNotOurs(
        { decision: 'forward', forwardedTenantIds: ['a', 'b'], excluded: [exclusion('a')] },
        exclusion('b', 2),
      ),
    ).toEqual({ outcome: 'back-to-triage', excluded: [exclusion('a'), exclusion('b', 2)] });
  });

  it('When a tenant of an earlier round was excluded and this round’s tenant says not ours, then exclusions accumulate', () => {
    expect(
      applyNotOurs({ decision: 'forward', forwardedTenantIds: ['b'], excluded: [exclusion('a')] }, exclusion('b', 2)),
    ).toEqual({ outcome: 'back-to-triage', excluded: [exclusion('a'), exclusion('b', 2)] });
  });

  it('When no decision is stored for the request, then it goes to triage with the tenant excluded', () => {
    expect(applyNotOurs(undefined, exclusion('a'))).toEqual({ outcome: 'back-to-triage', excluded: [exclusion('a')] });
  });

  it('When the request is in triage already, then the exclusion is recorded and no new round starts', () => {
    expect(applyNotOurs({ decision: 'triage', forwardedTenantIds: [], excluded: [] }, exclusion('a'))).toEqual({
      outcome: 'excluded',
      excluded: [exclusion('a')],
      stillWith: [],
    });
  });

  it('When a tenant the round did not forward to says not ours, then the round’s tenants keep the request', () => {
    expect(applyNotOurs({ decision: 'forward', forwardedTenantIds: ['b'], excluded: [] }, exclusion('a'))).toEqual({
      outcome: 'excluded',
      excluded: [exclusion('a')],
      stillWith: ['b'],
    });
  });
});

describe('candidatesOffered and excludedAmong', () => {
  it('When tenants are excluded, then they are neither offered nor assignable', () => {
    const candidates = [
      { tenantId: 'a', score: 0.9, reasons: [] },
      { tenantId: 'c', score: 0.4, reasons: [] },
      { tenantId: 'b', score: 0.6, reasons: [] },
    ];
    expect(candidatesOffered(candidates, [exclusion('a')]).map((c) => c.tenantId)).toEqual(['b', 'c']);
    expect(excludedAmong(['c', 'a', 'a'], [exclusion('a')])).toEqual(['a']);
    expect(excludedAmong(['c'], [exclusion('a')])).toEqual([]);
  });
});
