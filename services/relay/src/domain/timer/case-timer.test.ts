import {
  canClaim,
  caseTimerId,
  claimed,
  holdsClaim,
  retryDelayMs,
  unclaimedOutcome,
  type CaseTimer,
} from './case-timer';

const now = new Date('2026-11-30T10:06:10Z');
const timer: CaseTimer = {
  timerId: 'case-1:reminder',
  caseId: 'case-1',
  step: 'reminder',
  dueAt: new Date('2026-11-30T10:05:30Z'),
  dueBucket: '2026-11-30T10:05',
  payload: {},
  state: 'pending',
  fence: 0,
  claimUntil: new Date(0),
  attempts: 0,
};

describe('Case timer claims', () => {
  it('When a pending, unclaimed timer is swept in its own bucket, then it can be claimed; in another bucket, or fired, or cancelled, it cannot', () => {
    expect(canClaim(timer, '2026-11-30T10:05', now)).toBe(true);
    expect(canClaim(timer, '2026-11-30T10:04', now)).toBe(false);
    expect(canClaim({ ...timer, state: 'fired' }, '2026-11-30T10:05', now)).toBe(false);
    expect(canClaim({ ...timer, state: 'cancelled' }, '2026-11-30T10:05', now)).toBe(false);
  });

  it('When a timer is claimed, then the claim holds until the lease ends, and only the holder of the newest fence may complete it', () => {
    const first = claimed(timer, now, 30_000);
    expect(first.fence).toBe(1);
    expect(canClaim(first, '2026-11-30T10:05', new Date(now.getTime() + 29_999))).toBe(false);
    // The lease ran out while the first holder still worked: the timer is taken over.
    const later = new Date(now.getTime() + 30_000);
    expect(canClaim(first, '2026-11-30T10:05', later)).toBe(true);
    const second = claimed(first, later, 30_000);
    expect(holdsClaim(second, 2)).toBe(true);
    expect(holdsClaim(second, 1)).toBe(false);
    expect(holdsClaim({ ...second, state: 'fired' }, 2)).toBe(false);
  });

  it('When a claim fails, then a timer that is gone, ended or moved elsewhere is done for this bucket, one under a live claim is busy', () => {
    const bucket = '2026-11-30T10:05';
    expect(unclaimedOutcome(undefined, bucket, now)).toBe('done');
    expect(unclaimedOutcome({ ...timer, state: 'fired' }, bucket, now)).toBe('done');
    expect(unclaimedOutcome({ ...timer, dueBucket: '2026-12-30T10:05' }, bucket, now)).toBe('done');
    expect(unclaimedOutcome(claimed(timer, now, 1_000), bucket, now)).toBe('busy');
    expect(unclaimedOutcome(timer, bucket, now)).toBe('claimable');
  });

  it('When timer ids are made, then they name the case and the step, and refuse what would make them ambiguous', () => {
    expect(caseTimerId('0193a1c2-7d4e-4a10-9b7c-000000000001', 'all-admins')).toBe(
      '0193a1c2-7d4e-4a10-9b7c-000000000001:all-admins',
    );
    expect(() => caseTimerId('case-1', 'Reminder 1')).toThrow(RangeError);
    expect(() => caseTimerId('case:1', 'reminder')).toThrow(RangeError);
    expect(() => caseTimerId('', 'reminder')).toThrow(RangeError);
  });

  it('When fires keep failing, then retries back off from a minute and stop growing at an hour', () => {
    expect([1, 2, 3, 7, 8, 50].map(retryDelayMs)).toEqual([60_000, 120_000, 240_000, 3_600_000, 3_600_000, 3_600_000]);
  });
});
