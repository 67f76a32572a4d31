import { AppError } from '@privacy-relay/shared/errors';
import { EVENTS, type Envelope } from '@privacy-relay/shared/events';
import { changeContactAddress, type EscalationLadder, type ForwardingCase } from '../domain/case';
import type { PlainDate } from '../domain/deadline';
import { caseIdFor } from '../domain/matching/case-id';
import type { RelayRequest } from '../domain/relay-request';
import {
  bucketAfter,
  canClaim,
  caseTimerId,
  claimed,
  dueBucketOf,
  holdsClaim,
  unclaimedOutcome,
  type CaseTimer,
  type TimerPayload,
} from '../domain/timer';
import { CaseLinks } from './case-links';
import type { CaseTimerStore, ClaimResult, ScheduleOutcome } from './case-timer-ports';
import { fireLadderStep } from './escalate-case';
import { extendCase } from './extend-case';
import { actOnCase, continueForwarding, noContactLeft, openMatchedCase, type ForwardingDeps } from './forward-case';
import type { CaseMail, TenantRecord } from './ports';
import { sweepDueTimers } from './sweep-due-timers';
import { InMemoryCases } from './testing/in-memory-cases';

const requestId = '0193a1c2-7d4e-4a10-9b7c-00000000001a';
const tenantId = 'acme';
const caseId = caseIdFor(requestId, tenantId);
const TEAM = 'privacy-team@platform.test';
const DEFAULTS: EscalationLadder = {
  reminderAfterWorkingDays: 3,
  allAdminsAfterDays: 7,
  privacyTeamAfterDays: 14,
  deadlineWarningWorkingDays: 5,
};
// England's bank holidays of spring 2026 (Good Friday, Easter Monday, early May, spring).
const HOLIDAYS = new Set(['2026-04-03', '2026-04-06', '2026-05-04', '2026-05-25']);

/** The timer store's rules in memory: move a pending timer, keep a fired one, refuse a cancelled case. */
class MemoryTimerStore implements CaseTimerStore {
  readonly timers = new Map<string, CaseTimer>();
  readonly dueLists = new Map<string, string[]>();
  readonly cancelledCases = new Set<string>();
  cursor: string | undefined;

  async schedule(caseId: string, step: string, dueAt: Date, payload: TimerPayload): Promise<ScheduleOutcome> {
    if (this.cancelledCases.has(caseId)) return 'cancelled';
    const timerId = caseTimerId(caseId, step);
    const existing = this.timers.get(timerId);
    if (existing && existing.state !== 'pending') return existing.state;
    if (existing && existing.dueAt.getTime() === dueAt.getTime()) return 'unchanged';
    const dueBucket = dueBucketOf(dueAt);
    this.dueLists.set(dueBucket, [...(this.dueLists.get(dueBucket) ?? []), timerId]);
    this.timers.set(timerId, {
      timerId,
      caseId,
      step,
      dueAt,
      dueBucket,
      payload,
      state: 'pending',
      fence: existing?.fence ?? 0,
      claimUntil: new Date(0),
      attempts: 0,
    });
    return existing ? 'moved' : 'scheduled';
  }
  async cancelForCase(caseId: string) {
    this.cancelledCases.add(caseId);
    let cancelled = 0;
    for (const [id, timer] of this.timers)
      if (timer.caseId === caseId && timer.state === 'pending') {
        this.timers.set(id, { ...timer, state: 'cancelled' });
        cancelled += 1;
      }
    return cancelled;
  }
  async lastSweptBucket() {
    return this.cursor;
  }
  async recordSwept(bucket: string) {
    if (this.cursor === undefined || this.cursor < bucket) this.cursor = bucket;
  }
  async closeBucket(bucket: string) {
    return this.dueLists.get(bucket) ?? [];
  }
  async claim(timerId: string, bucket: string, now: Date, leaseMs: number): Promise<ClaimResult> {
    const timer = this.timers.get(timerId);
    if (timer && canClaim(timer, bucket, now)) {
      const next = claimed(timer, now, leaseMs);
      this.timers.set(timerId, next);
      return { claimed: true, timer: next };
    }
    const outcome = unclaimedOutcome(timer, bucket, now);
    return { claimed: false, outcome: outcome === 'claimable' ? 'busy' : outcome };
  }
  async complete(timerId: string, fence: number) {
    const timer = this.timers.get(timerId);
    if (!timer || !holdsClaim(timer, fence)) return false;
    this.timers.set(timerId, { ...timer, state: 'fired', claimUntil: new Date(0) });
    return true;
  }
  async retryLater(timerId: string, fence: number, retryAt: Date) {
    const timer = this.timers.get(timerId);
    if (!timer || !holdsClaim(timer, fence)) return false;
    const dueBucket = dueBucketOf(retryAt);
    this.dueLists.set(dueBucket, [...(this.dueLists.get(dueBucket) ?? []), timerId]);
    this.timers.set(timerId, {
      ...timer,
      dueAt: retryAt,
      dueBucket,
      claimUntil: new Date(0),
      attempts: timer.attempts + 1,
    });
    return true;
  }
}

function setup(options: { escalation?: TenantRecord['escalation'] } = {}) {
  let now = new Date('2026-03-02T09:00:00Z'); // a Monday: received and forwarded the same day
  const clock = { now: () => now };
  const cases = new InMemoryCases();
  const timers = new MemoryTimerStore();
  const sent: CaseMail[] = [];
  const published: Envelope[] = [];
  const request: RelayRequest = {
    requestId,
    reference: 'PR-7',
    channel: 'api',
    receivedAt: now,
    requester: { name: 'Ada Lovelace', email: 'ada@example.org' },
    rights: ['access'],
    text: 'my data please',
    status: 'verified',
    sourceEventId: 'e',
  };
  const tenant: TenantRecord = {
    tenantId,
    legalName: 'Acme Ltd',
    aliases: [],
    domains: [],
    contacts: [
      { email: 'one@acme.example', role: 'privacy' },
      { email: 'boss@acme.example', role: 'admin' },
      { email: 'two@acme.example', role: 'privacy' },
      { email: 'cto@acme.example', role: 'admin' },
    ],
    regime: 'uk-gdpr',
    jurisdiction: 'GB-ENG',
    ...(options.escalation ? { escalation: options.escalation } : {}),
  };
  const holidays = {
    forJurisdiction: () => ({ isPublicHoliday: (date: PlainDate) => HOLIDAYS.has(date) }),
    timeZonesOf: () => ['Europe/London'],
  };
  let nextId = 0;
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
    holidays,
    mailer: {
      send: async (mail) => {
        sent.push(mail);
        return { messageId: `ses-${++nextId}` };
      },
    },
    links: new CaseLinks('unit-test-link-secret-0123456789abcdef', 'https://relay.example', 120 * 86_400_000),
    publisher: { publish: async (_c, envelope) => void published.push(envelope as Envelope) },
    clock,
    ladder: { timers, defaults: DEFAULTS, platformPrivacyTeamEmail: TEAM, holidays },
  };
  const matched = EVENTS.caseMatchedV1.create(
    { caseId, requestId, tenantId, matchedAt: now.toISOString(), matchedBy: 'matcher', score: 1, reasons: [] },
    { correlationId: requestId },
  );
  return {
    deps,
    cases,
    timers,
    sent,
    published,
    /** Opens and forwards the case (the first mail to the first privacy contact). */
    async forward() {
      const { case: opened } = await openMatchedCase(deps, matched);
      await continueForwarding(deps, opened);
      timers.cursor = dueBucketOf(new Date(now.getTime() - 60_000));
    },
    /** Moves the clock to `at` and sweeps what came due, as the relay's sweeper does. */
    async at(iso: string) {
      now = new Date(iso);
      // Minutes with nothing due are skipped (a sweep of them finds empty lists), so a test spans months quickly.
      const pending = [...timers.timers.values()].filter((t) => t.state === 'pending').map((t) => t.dueBucket);
      const first = pending.sort()[0];
      const recent = dueBucketOf(new Date(now.getTime() - 120_000));
      const skipTo = first === undefined || bucketAfter(first, -1) > recent ? recent : bucketAfter(first, -1);
      if (timers.cursor !== undefined && timers.cursor < skipTo) timers.cursor = skipTo;
      return sweepDueTimers(
        { store: timers, clock, fire: async (timer) => void (await fireLadderStep(deps, timer)) },
        { leaseMs: 300_000, maxBuckets: 200_000, firstSweepLookback: 60, concurrency: 2 },
      );
    },
    /** Mails after the forward, as [step tag, recipient]. */
    escalationMails: () => sent.filter((m) => m.tags.step).map((m) => [m.tags.step, m.to]),
    stepsPublished: () =>
      published
        .filter((e) => e.type === 'privacy.case.escalated' && e.version === 2)
        .map((e) => (e.payload as { step: string }).step),
  };
}

// Forwarded Monday 2 March 2026, 09:00 UTC, in England: the deadline is Thursday 2 April.
const RUNGS = [
  { step: 'reminder', before: '2026-03-05T08:59:00Z', after: '2026-03-05T09:01:30Z', to: ['one@acme.example'] },
  {
    step: 'all-admins',
    before: '2026-03-09T08:59:00Z',
    after: '2026-03-09T09:01:30Z',
    to: ['boss@acme.example', 'cto@acme.example'],
  },
  { step: 'platform-privacy-team', before: '2026-03-16T08:59:00Z', after: '2026-03-16T09:01:30Z', to: [TEAM] },
  // Five working days before 2 April, at the start of that day in London (GMT).
  { step: 'deadline-warning', before: '2026-03-25T23:59:00Z', after: '2026-03-26T00:01:30Z', to: [TEAM] },
  // The day after the deadline begins in London (BST): the requester is told.
  { step: 'deadline-passed', before: '2026-04-02T22:59:00Z', after: '2026-04-02T23:01:30Z', to: ['ada@example.org'] },
] as const;

describe('The escalation ladder, driven by the clock', () => {
  it('When nobody acknowledges a forwarded case, then the reminder, all admins, the platform team, the deadline warning and the deadline passed fire each at its time, once, with their mails and events', async () => {
    const ladder = setup();
    await ladder.forward();
    const expected: (readonly [string, string])[] = [];
    for (const rung of RUNGS) {
      await ladder.at(rung.before);
      expect(ladder.escalationMails()).toEqual(expected);
      await ladder.at(rung.after);
      expected.push(...rung.to.map((to) => [rung.step, to] as const));
      expect(ladder.escalationMails()).toEqual(expected);
    }
    expect(ladder.stepsPublished()).toEqual(RUNGS.map((r) => r.step));
    // A sweep much later, and each timer fired again by hand (a second claim): nothing more.
    await ladder.at('2026-06-30T12:00:00Z');
    for (const timer of ladder.timers.timers.values()) await fireLadderStep(ladder.deps, { ...timer, fence: 99 });
    expect(ladder.escalationMails()).toEqual(expected);
    expect(ladder.stepsPublished()).toHaveLength(RUNGS.length);
    const stored = (await ladder.cases.find(caseId))!.case;
    expect(stored.escalations?.map((e) => [e.step, e.mails.every((m) => m.sesMessageId)])).toEqual(
      RUNGS.map((r) => [r.step, true]),
    );
    expect(stored.audit.filter((l) => l.what.startsWith('escalated: ')).map((l) => l.what)).toEqual(
      RUNGS.map((r) => `escalated: ${r.step}`),
    );
  });

  it('When the rungs mail, then the reminder and the admins get the forward with its links, the platform team gets ids and no requester data, the requester learns what they can do', async () => {
    const ladder = setup();
    await ladder.forward();
    await ladder.at('2026-04-03T12:00:00Z');
    const mail = (step: string) => ladder.deps && ladder.sent.find((m) => m.tags.step === step)!;
    expect(mail('reminder').subject).toMatch(/^Reminder: /);
    expect(mail('reminder').text).toContain('https://relay.example/case-links/');
    expect(mail('all-admins').text).toContain('You receive it as an admin of Acme Ltd');
    for (const step of ['platform-privacy-team', 'deadline-warning']) {
      expect(mail(step).text).toContain(caseId);
      expect(`${mail(step).subject}${mail(step).text}${mail(step).html}`).not.toMatch(/Ada|ada@|my data please/);
    }
    expect(mail('deadline-passed').text).toContain('had to answer you by 2026-04-02');
    expect(mail('deadline-passed').text).toContain('https://ico.org.uk/make-a-complaint/');
    expect(mail('deadline-passed').tags).toEqual({ caseId, step: 'deadline-passed' });
  });

  it('When the reminder and the admins get the forward, then each mail’s links are bound to its recipient: refused once the contact is replaced or the directory no longer lists the admin', async () => {
    const ladder = setup();
    await ladder.forward();
    await ladder.at(RUNGS[1].after);
    const tokenIn = (mail: CaseMail) => /case-links\/[^/]+\/acknowledge\/(\S+)/.exec(mail.text)![1]!;
    const current = (await ladder.cases.find(caseId))!.case;
    const now = ladder.deps.clock.now();
    const check = (c: ForwardingCase, token: string, admins: string[]) =>
      ladder.deps.links.check(c, 'acknowledge', token, now, async () => admins);
    const forward = ladder.sent.find((m) => m.tags.contactIndex === '0')!;
    const reminder = ladder.sent.find((m) => m.tags.step === 'reminder')!;
    const boss = ladder.sent.find((m) => m.tags.step === 'all-admins' && m.to === 'boss@acme.example')!;
    for (const mail of [forward, reminder]) {
      expect(await check(current, tokenIn(mail), [])).toMatchObject({
        ok: true,
        recipient: { kind: 'contact', contactIndex: 0, email: 'one@acme.example' },
      });
    }
    expect(await check(current, tokenIn(boss), ['cto@acme.example', 'boss@acme.example'])).toMatchObject({
      ok: true,
      recipient: { kind: 'admin', email: 'boss@acme.example' },
    });
    // The directory drops the admin; an operator replaces the contact.
    expect(await check(current, tokenIn(boss), ['cto@acme.example'])).toEqual({
      ok: false,
      reason: 'recipient-replaced',
    });
    const replaced = changeContactAddress(current, 0, 'new@acme.example', now, 'op');
    if (!replaced.ok) throw new Error('not replaced');
    for (const mail of [forward, reminder]) {
      expect(await check(replaced.case, tokenIn(mail), [])).toEqual({ ok: false, reason: 'recipient-replaced' });
    }
    // The admin's link does not pass as a contact's, nor a contact's as an admin's.
    expect((await check(replaced.case, tokenIn(boss), [])).ok).toBe(false);
    expect((await check(current, tokenIn(reminder).replace('_c0.', '_a.'), ['one@acme.example'])).ok).toBe(false);
  });

  it.each([0, 1, 2, 3, 4])(
    'When the tenant acknowledges after rung %i fired, then none of the later rungs fires',
    async (acknowledgedAfter) => {
      const ladder = setup();
      await ladder.forward();
      for (const rung of RUNGS.slice(0, acknowledgedAfter + 1)) await ladder.at(rung.after);
      const before = ladder.escalationMails();
      expect(await actOnCase(ladder.deps, caseId, 'acknowledge')).toMatchObject({ outcome: 'done' });
      await ladder.at('2026-06-30T12:00:00Z');
      expect(ladder.escalationMails()).toEqual(before);
      expect(ladder.stepsPublished()).toEqual(RUNGS.slice(0, acknowledgedAfter + 1).map((r) => r.step));
    },
  );

  it('When the tenant acknowledges before the first rung, then nothing escalates, and a timer firing anyway (cancel lost) sends nothing', async () => {
    const ladder = setup();
    await ladder.forward();
    const pending = [...ladder.timers.timers.values()];
    expect(pending).toHaveLength(5);
    await actOnCase(ladder.deps, caseId, 'acknowledge');
    expect([...ladder.timers.timers.values()].every((t) => t.state === 'cancelled')).toBe(true);
    for (const timer of pending) expect(await fireLadderStep(ladder.deps, timer)).toBe('not-needed');
    await ladder.at('2026-06-30T12:00:00Z');
    expect(ladder.escalationMails()).toEqual([]);
  });

  it('When the deadline is extended after the reminder, then the warning and the deadline passed follow the new deadline, the other rungs keep their times', async () => {
    const ladder = setup();
    await ladder.forward();
    await ladder.at(RUNGS[0].after);
    expect(await extendCase(ladder.deps, caseId, 'We need the archive team', { kind: 'admin-link' })).toMatchObject({
      outcome: 'extended',
    });
    await ladder.at('2026-04-03T12:00:00Z');
    expect(ladder.stepsPublished()).toEqual(['reminder', 'all-admins', 'platform-privacy-team']);
    // The extended deadline, 2 June (Tuesday): five working days before it is 26 May (25 May is a bank holiday: not counted).
    await ladder.at('2026-05-25T22:59:00Z');
    expect(ladder.stepsPublished()).toHaveLength(3);
    await ladder.at('2026-05-25T23:01:30Z');
    expect(ladder.stepsPublished()).toEqual(['reminder', 'all-admins', 'platform-privacy-team', 'deadline-warning']);
    await ladder.at('2026-06-02T22:59:00Z');
    expect(ladder.stepsPublished()).toHaveLength(4);
    await ladder.at('2026-06-02T23:01:30Z');
    expect(ladder.escalationMails().at(-1)).toEqual(['deadline-passed', 'ada@example.org']);
    expect(ladder.sent.at(-1)!.text).toContain('had to answer you by 2026-06-02');
  });

  it('When the deadline is extended after its warning, then the new deadline gets its own warning, and an old timer that fires finds the deadline moved', async () => {
    const ladder = setup();
    await ladder.forward();
    const oldPassed = ladder.timers.timers.get(caseTimerId(caseId, 'deadline-passed-2026-04-02'))!;
    await ladder.at(RUNGS[3].after);
    await extendCase(ladder.deps, caseId, 'Archive team', { kind: 'operator', operatorId: 'op' });
    expect(await fireLadderStep(ladder.deps, oldPassed)).toBe('moved');
    await ladder.at('2026-06-03T12:00:00Z');
    expect(ladder.stepsPublished()).toEqual([
      ...RUNGS.slice(0, 4).map((r) => r.step),
      'deadline-warning',
      'deadline-passed',
    ]);
    const deadlines = (await ladder.cases.find(caseId))!.case.escalations!.map((e) => e.deadline).filter(Boolean);
    expect(deadlines).toEqual(['2026-04-02', '2026-06-02', '2026-06-02']);
  });

  it("When a tenant overrides the ladder in the directory, then its rungs follow the override and working days skip the jurisdiction's holidays", async () => {
    const ladder = setup({ escalation: { reminderAfterWorkingDays: 1, deadlineWarningWorkingDays: 2 } });
    await ladder.forward();
    const dueOf = (step: string) => ladder.timers.timers.get(caseTimerId(caseId, step))!.dueAt.toISOString();
    expect(dueOf('reminder')).toBe('2026-03-03T09:00:00.000Z');
    expect(dueOf('all-admins')).toBe('2026-03-09T09:00:00.000Z');
    // Two working days before Thursday 2 April: 31 March, at its start in London (BST since 29 March).
    expect(dueOf('deadline-warning-2026-04-02')).toBe('2026-03-30T23:00:00.000Z');
    expect((await ladder.cases.find(caseId))!.case.ladder).toEqual({
      ...DEFAULTS,
      reminderAfterWorkingDays: 1,
      deadlineWarningWorkingDays: 2,
    });
  });

  it('When SES is away as a rung fires, then the timer is retried and the mail goes out once SES is back, once', async () => {
    const ladder = setup();
    await ladder.forward();
    ladder.sent.length = 0;
    let fail = true;
    const send = ladder.deps.mailer.send;
    ladder.deps.mailer.send = async (mail) => {
      if (fail) throw new AppError('MAIL_UNAVAILABLE', 'SES away', { retriable: true });
      return send(mail);
    };
    const report = await ladder.at(RUNGS[0].after);
    expect(report.failed).toBe(1);
    expect(ladder.escalationMails()).toEqual([]);
    fail = false;
    await ladder.at('2026-03-05T10:30:00Z');
    expect(ladder.escalationMails()).toEqual([['reminder', 'one@acme.example']]);
    expect(ladder.stepsPublished()).toEqual(['reminder']);
  });
});

describe('No contact left', () => {
  it('When a case runs out of contacts, then the platform team is mailed once (v1 and v2 events), and the ladder is cancelled', async () => {
    const ladder = setup();
    await ladder.forward();
    expect(await noContactLeft(ladder.deps, caseId)).toBe(true);
    expect(await noContactLeft(ladder.deps, caseId)).toBe(false);
    expect(ladder.escalationMails()).toEqual([['no-contact-left', TEAM]]);
    expect(ladder.sent.at(-1)!.text).not.toMatch(/Ada|ada@/);
    expect(ladder.published.filter((e) => e.type === 'privacy.case.escalated').map((e) => e.version)).toEqual([1, 2]);
    await ladder.at('2026-06-30T12:00:00Z');
    expect(ladder.escalationMails()).toEqual([['no-contact-left', TEAM]]);
  });

  it("When SES is away as the case runs out of contacts, then the redelivered event's follow-up sends the platform team's mail", async () => {
    const ladder = setup();
    await ladder.forward();
    const send = ladder.deps.mailer.send;
    let fail = true;
    ladder.deps.mailer.send = async (mail) => {
      if (fail) throw new AppError('MAIL_UNAVAILABLE', 'SES away', { retriable: true });
      return send(mail);
    };
    await expect(noContactLeft(ladder.deps, caseId)).rejects.toMatchObject({ code: 'MAIL_UNAVAILABLE' });
    fail = false;
    await continueForwarding(ladder.deps, (await ladder.cases.find(caseId))!.case);
    await continueForwarding(ladder.deps, (await ladder.cases.find(caseId))!.case);
    expect(ladder.escalationMails()).toEqual([['no-contact-left', TEAM]]);
  });
});
