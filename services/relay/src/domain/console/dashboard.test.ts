import {
  daysLeftBucket,
  forwardOutcome,
  forwardsPerDay,
  isEscalated,
  isOverdue,
  openCasesByDaysLeft,
  type CaseFacts,
} from './dashboard';

const NOW = new Date('2026-06-15T22:30:00Z'); // already 16 June in Berlin (UTC+2), still 15 June in London (UTC+1)

const facts = (overrides: Partial<CaseFacts>): CaseFacts => ({
  caseId: 'c',
  state: 'forwarded',
  requestId: 'r',
  tenantId: 't',
  jurisdiction: 'GB-ENG',
  receivedOn: '2026-05-01',
  deadline: '2026-06-30',
  escalations: [],
  messages: [],
  ...overrides,
});

describe('The console dashboard’s counting', () => {
  it.each([
    [-1, 'overdue'],
    [0, '0-3'],
    [3, '0-3'],
    [4, '4-7'],
    [14, '8-14'],
    [15, '15-30'],
    [30, '15-30'],
    [31, 'over-30'],
  ] as const)('When %i days are left, then the bucket is %s', (days, bucket) => {
    expect(daysLeftBucket(days)).toBe(bucket);
  });

  it('When days left are counted, then today is the case’s jurisdiction’s (the deadline’s day itself is not overdue)', () => {
    const london = facts({ deadline: '2026-06-15', jurisdiction: 'GB-ENG' });
    const berlin = facts({ deadline: '2026-06-15', jurisdiction: 'DE' });
    expect(isOverdue(london, NOW)).toBe(false);
    expect(isOverdue(berlin, NOW)).toBe(true);
  });

  it('When cases are closed, then they are neither overdue nor in the chart; acknowledged ones are not escalated', () => {
    const closed = facts({ state: 'done', deadline: '2026-01-01' });
    expect(isOverdue(closed, NOW)).toBe(false);
    expect(openCasesByDaysLeft([closed, facts({ deadline: '2026-06-16' })], NOW)).toEqual({
      overdue: 0,
      '0-3': 1,
      '4-7': 0,
      '8-14': 0,
      '15-30': 0,
      'over-30': 0,
    });
    const step = [{ step: 'reminder', at: '2026-06-10T00:00:00Z' }];
    expect(isEscalated(facts({ escalations: step }))).toBe(true);
    expect(isEscalated(facts({ escalations: step, state: 'acknowledged' }))).toBe(false);
    expect(isEscalated(facts({}))).toBe(false);
  });

  it('When forwards are counted per day, then each falls on the UTC day SES took it (its intent when never taken), by outcome, within the window', () => {
    const days = forwardsPerDay(
      [
        facts({
          messages: [
            { intentAt: '2026-06-15T10:00:00Z', sentAt: '2026-06-15T10:00:01Z', delivery: 'delivered' },
            { intentAt: '2026-06-14T23:59:59Z', delivery: 'rendering-failed' },
            { intentAt: '2026-06-02T10:00:00Z', sentAt: '2026-06-02T10:00:00Z', delivery: 'delayed' },
            { intentAt: '2026-06-01T10:00:00Z', sentAt: '2026-06-01T10:00:00Z', delivery: 'bounced' },
          ],
        }),
      ],
      NOW,
      14,
    );
    expect(days.map((d) => d.day)).toHaveLength(14);
    expect(days[0]?.day).toBe('2026-06-02');
    expect(days.at(-1)).toMatchObject({ day: '2026-06-15', total: 1, counts: { delivered: 1 } });
    expect(days.at(-2)).toMatchObject({ day: '2026-06-14', total: 1, counts: { rejected: 1 } });
    expect(days[0]).toMatchObject({ total: 1, counts: { pending: 1 } });
    expect(days.reduce((sum, d) => sum + d.total, 0)).toBe(3);
  });

  it.each([
    ['sending', 'pending'],
    ['sent', 'pending'],
    ['delayed', 'pending'],
    ['delivered', 'delivered'],
    ['bounced', 'bounced'],
    ['complained', 'complained'],
    ['rejected', 'rejected'],
    ['rendering-failed', 'rejected'],
  ] as const)('When a message is %s, then its outcome is %s', (delivery, outcome) => {
    expect(forwardOutcome(delivery)).toBe(outcome);
  });
});
