import { EVENTS } from '@privacy-relay/shared/events';
import { bucketAfter, dueBucketOf } from '@privacy-relay/relay/domain/timer/index';
import { PLATFORM_PRIVACY_TEAM_EMAIL } from '../../../../test/support/relay-env';
import { eventually, stackEndpoints } from '../../../../test/support/test-env';
import { forwardingHarness, type StoredMail } from '../support/forwarding-harness';

interface LadderCase {
  data: {
    state: string;
    deadline: string;
    escalations?: { step: string; deadline?: string; mails: { to: string; sesMessageId?: string }[] }[];
  };
}

interface TimerDoc {
  _id: string;
  step: string;
  dueAt: Date;
  dueBucket: string;
  state: string;
}

/** The relay's clock, moved by the test (the sweeper and every use case read it). */
function movableClock(start: Date) {
  let now = start;
  return { now: () => now, set: (at: Date) => (now = at) };
}

const MINUTE = 60_000;

/**
 * The escalation ladder through real Kafka, FerretDB and the SES endpoint, with the relay's clock
 * injected and moved: the relay's own sweeper fires the timers. Three cases forwarded together:
 * one nobody acknowledges (every rung), one acknowledged after the reminder (nothing more), one
 * extended after the reminder (its deadline rungs follow the new deadline).
 */
describe('The escalation ladder, moved by the clock, through Kafka, the database and SES', () => {
  const clock = movableClock(new Date());
  const h = forwardingHarness('ladder', {
    clock,
    env: { RELAY_TIMER_SWEEP_INTERVAL_MS: '200', RELAY_TIMER_FIRST_SWEEP_LOOKBACK_MINUTES: '2' },
  });
  const { firstPrivacy, admin } = h.contacts;

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  const timers = () => h.db.collection<TimerDoc>('case_timers');
  const lists = () => h.db.collection<{ _id: string; lastSwept?: string }>('case_timer_lists');
  const ladderCase = async (caseId: string) => (await h.storedCase(caseId)) as unknown as LadderCase;
  const timer = async (caseId: string, step: string) =>
    eventually(
      async () => (await timers().findOne({ _id: `${caseId}:${step}` })) ?? undefined,
      20_000,
      `timer ${step}`,
    );

  async function sesStore(): Promise<StoredMail[]> {
    const response = await fetch(`${stackEndpoints().sesEndpoint}/store`);
    return ((await response.json()) as { emails: StoredMail[] }).emails;
  }

  /**
   * Moves the clock. Minutes in which nothing is due are skipped in the stored sweep cursor (a
   * sweep of them would only find empty lists), never past a pending timer's minute.
   */
  async function moveTo(at: Date): Promise<void> {
    // What came due before is swept in full first (its timers completed), so none is left pending behind.
    await sweptThrough(dueBucketOf(new Date(clock.now().getTime() - 2 * MINUTE)));
    clock.set(at);
    const pending = await timers().find({ state: 'pending' }).toArray();
    const first = pending.map((t) => t.dueBucket).sort()[0];
    const recent = dueBucketOf(new Date(at.getTime() - 2 * MINUTE));
    const target = first === undefined || bucketAfter(first, -1) > recent ? recent : bucketAfter(first, -1);
    const moved = await lists().updateOne(
      { _id: 'sweep-cursor', lastSwept: { $lt: target } },
      { $set: { lastSwept: target } },
    );
    if (moved.matchedCount === 0 && !(await lists().findOne({ _id: 'sweep-cursor' })))
      await lists().insertOne({ _id: 'sweep-cursor', lastSwept: target });
  }

  /** Waits until the sweep has swept every minute up to `bucket` in full (the positive marker that nothing else is coming). */
  const sweptThrough = (bucket: string) =>
    eventually(
      async () => {
        const cursor = await lists().findOne({ _id: 'sweep-cursor' });
        return cursor?.lastSwept !== undefined && cursor.lastSwept >= bucket ? true : undefined;
      },
      20_000,
      `sweep through ${bucket}`,
    );

  /** The steps recorded on the case, once each of their mails has its SES id. */
  const stepsOnceSent = (caseId: string, count: number) =>
    eventually(
      async () => {
        const escalations = (await ladderCase(caseId)).data.escalations ?? [];
        const done = escalations.length >= count && escalations.every((e) => e.mails.every((m) => m.sesMessageId));
        return done ? escalations : undefined;
      },
      20_000,
      `${count} steps of ${caseId}`,
    );

  async function forwarded() {
    const { requestId, caseId } = await h.matchedCase(clock.now().toISOString());
    const mail = await eventually(async () =>
      (await h.mailsTo(firstPrivacy)).find((m) => m.body.text?.includes(caseId)),
    );
    const reminder = await timer(caseId, 'reminder');
    return { requestId, caseId, mail, reminder };
  }

  it('When nobody acknowledges one case, one is acknowledged and one extended after the reminder, then each rung fires once at its time, only for the case still waiting, following the deadline in force', async () => {
    const waiting = await forwarded();
    const acknowledged = await forwarded();
    const extended = await forwarded();
    const { deadline } = (await ladderCase(waiting.caseId)).data;
    const due = async (step: string) => (await timer(waiting.caseId, step)).dueAt;
    const allAdmins = await due('all-admins');
    const team = await due('platform-privacy-team');
    const warning = await due(`deadline-warning-${deadline}`);
    const passed = await due(`deadline-passed-${deadline}`);

    // Just before the reminder nothing fires (the sweep has swept through that minute's predecessor).
    await moveTo(new Date(waiting.reminder.dueAt.getTime() - 2 * MINUTE));
    await sweptThrough(dueBucketOf(new Date(waiting.reminder.dueAt.getTime() - 3 * MINUTE)));
    expect((await ladderCase(waiting.caseId)).data.escalations ?? []).toEqual([]);

    // The reminder: the same privacy contact, the forward again with its links.
    await moveTo(new Date(Math.max(waiting.reminder.dueAt.getTime(), extended.reminder.dueAt.getTime()) + 2 * MINUTE));
    for (const { caseId } of [waiting, acknowledged, extended]) {
      const [reminder] = await stepsOnceSent(caseId, 1);
      expect(reminder).toMatchObject({ step: 'reminder', mails: [{ to: 'privacy-contact' }] });
    }
    const reminders = (await h.mailsTo(firstPrivacy)).filter((m) => m.subject.startsWith('Reminder: '));
    expect(reminders.filter((m) => m.body.text?.includes(waiting.caseId))).toHaveLength(1);

    // The tenant acknowledges one case (its admin link); an operator extends another.
    const acknowledgeLink = new RegExp(
      `(https://relay\\.example/case-links/${acknowledged.caseId}/acknowledge/\\S+)`,
    ).exec(acknowledged.mail.body.text ?? '')?.[1];
    const click = await fetch(h.local(acknowledgeLink!), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(click.status).toBe(200);
    const extension = await h.operator('POST', `/v1/cases/${extended.caseId}/extension`, {
      reason: 'The request covers several systems.',
    });
    expect(extension.status).toBe(200);
    const newDeadline = (await ladderCase(extended.caseId)).data.deadline;
    expect(newDeadline > deadline).toBe(true);
    const newWarning = (await timer(extended.caseId, `deadline-warning-${newDeadline}`)).dueAt;
    const newPassed = (await timer(extended.caseId, `deadline-passed-${newDeadline}`)).dueAt;
    expect(
      (
        await timers()
          .find({ _id: { $regex: `^${acknowledged.caseId}:` } })
          .toArray()
      )
        .map((t) => t.state)
        .sort(),
    ).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled', 'fired']);

    // All the admins; then the platform's privacy team.
    await moveTo(new Date(allAdmins.getTime() + 2 * MINUTE));
    await stepsOnceSent(waiting.caseId, 2);
    await moveTo(new Date(team.getTime() + 2 * MINUTE));
    await stepsOnceSent(waiting.caseId, 3);
    // The deadline warning and the deadline passed (the requester told) of the first deadline.
    await moveTo(new Date(warning.getTime() + 2 * MINUTE));
    await stepsOnceSent(waiting.caseId, 4);
    await moveTo(new Date(passed.getTime() + 2 * MINUTE));
    const steps = await stepsOnceSent(waiting.caseId, 5);
    expect(steps.map((e) => [e.step, e.mails.map((m) => m.to)])).toEqual([
      ['reminder', ['privacy-contact']],
      ['all-admins', ['admin']],
      ['platform-privacy-team', ['platform-team']],
      ['deadline-warning', ['platform-team']],
      ['deadline-passed', ['requester']],
    ]);
    await sweptThrough(dueBucketOf(passed));
    // The extended case had the forward's rungs, not the first deadline's.
    expect((await ladderCase(extended.caseId)).data.escalations?.map((e) => e.step)).toEqual([
      'reminder',
      'all-admins',
      'platform-privacy-team',
    ]);
    // Its own deadline's rungs come at the new deadline.
    await moveTo(new Date(newWarning.getTime() + 2 * MINUTE));
    await stepsOnceSent(extended.caseId, 4);
    await moveTo(new Date(newPassed.getTime() + 2 * MINUTE));
    const extendedSteps = await stepsOnceSent(extended.caseId, 5);
    expect(extendedSteps.slice(3).map((e) => [e.step, e.deadline])).toEqual([
      ['deadline-warning', newDeadline],
      ['deadline-passed', newDeadline],
    ]);
    await sweptThrough(dueBucketOf(newPassed));
    // The acknowledged case: the reminder only.
    expect((await ladderCase(acknowledged.caseId)).data.escalations?.map((e) => e.step)).toEqual(['reminder']);

    // Counted from the SES endpoint's store: every recorded mail there once, to whom the step says.
    const store = await sesStore();
    const byId = new Map(store.map((m) => [m.messageId, m]));
    const recipientsOf = async (caseId: string) =>
      ((await ladderCase(caseId)).data.escalations ?? []).flatMap((e) =>
        e.mails.map((m) => [e.step, byId.get(m.sesMessageId!)?.destination.to.join()]),
      );
    const requester = `ada-${h.unique}@example.org`;
    expect(await recipientsOf(waiting.caseId)).toEqual([
      ['reminder', firstPrivacy],
      ['all-admins', admin],
      ['platform-privacy-team', PLATFORM_PRIVACY_TEAM_EMAIL],
      ['deadline-warning', PLATFORM_PRIVACY_TEAM_EMAIL],
      ['deadline-passed', requester],
    ]);
    expect(await recipientsOf(acknowledged.caseId)).toEqual([['reminder', firstPrivacy]]);
    for (const { caseId } of [waiting, acknowledged, extended]) {
      const about = store.filter((m) => `${m.subject}\n${m.body.text ?? ''}`.includes(caseId));
      // The forward, then the reminder (contact), the admins' and the team's two: none twice.
      const expected = caseId === acknowledged.caseId ? 2 : 5;
      expect(about).toHaveLength(expected);
    }
    const teamMails = store.filter(
      (m) => m.destination.to.includes(PLATFORM_PRIVACY_TEAM_EMAIL) && m.body.text?.includes(waiting.caseId),
    );
    expect(teamMails.map((m) => m.subject)).toEqual([
      `[Privacy Relay] Not acknowledged: case ${waiting.caseId}`,
      `[Privacy Relay] Deadline near: case ${waiting.caseId}`,
    ]);
    expect(teamMails.map((m) => m.body.text).join()).not.toContain(requester);
    const told = store.filter((m) => m.destination.to.includes(requester) && m.subject.includes('deadline'));
    expect(told.map((m) => m.body.text?.includes(`had to answer you by ${deadline}`))).toContain(true);
    expect(told.map((m) => m.body.text?.includes(`had to answer you by ${newDeadline}`))).toContain(true);
    expect(told).toHaveLength(2);

    // Each step once on the v2 topic.
    const events = await h.eventsOn(EVENTS.caseEscalatedV2, waiting.caseId, 5);
    expect(events.map((e) => e.payload.step)).toEqual(steps.map((s) => s.step));
  });
});
