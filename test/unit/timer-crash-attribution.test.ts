import type { StoredMail } from '../support/ses-store';
import { attributeCopies, countEscalatedEvents, escalationMailKey, type TopicEvent } from '../support/timer-crash-run';

// The timer SIGKILL run's verdict rests on these: which mails are escalation mails of which
// (case, step, recipient), which duplicate a kill explains, and which events fired twice.
const caseA = '0193a1c2-7d4e-8a10-9b7c-00000000000a';
const caseB = '0193a1c2-7d4e-8a10-9b7c-00000000000b';
const mail = (subject: string, caseId: string, to: string): StoredMail => ({
  messageId: `ses-${subject}-${to}`,
  destination: { to: [to] },
  subject,
  body: { text: `Acknowledge: https://relay.example/case-links/${caseId}/acknowledge/token` },
  at: 0,
});

describe('Counting the timer SIGKILL run', () => {
  it('When mails are read from the SES store, then reminders and admin mails are keyed by case, step and recipient, and the first forward is no escalation mail', () => {
    expect(escalationMailKey(mail('Reminder: Data-protection request', caseA, 'privacy@a.example'))).toBe(
      `${caseA}|reminder|privacy@a.example`,
    );
    expect(escalationMailKey(mail('Not acknowledged: Data-protection request', caseB, 'admin@b.example'))).toBe(
      `${caseB}|all-admins|admin@b.example`,
    );
    expect(escalationMailKey(mail('Data-protection request', caseA, 'privacy@a.example'))).toBeUndefined();
  });

  it('When a (case, step, recipient) got two mails, then only a kill at which that very mail stood without an SES id explains it', () => {
    const counts = new Map([
      [`${caseA}|reminder|privacy@a.example`, 2],
      [`${caseB}|all-admins|admin@b.example`, 2],
      [`${caseB}|reminder|privacy@b.example`, 1],
    ]);
    expect(
      attributeCopies(counts, [[`${caseB}|reminder|privacy@b.example`], [`${caseA}|reminder|privacy@a.example`]]),
    ).toEqual([
      { key: `${caseA}|reminder|privacy@a.example`, copies: 2, windowAtKill: 2 },
      { key: `${caseB}|all-admins|admin@b.example`, copies: 2, windowAtKill: undefined },
    ]);
  });

  const event = (offset: number, id: string, caseId: string, step: string, partition = 0): TopicEvent => ({
    partition,
    offset: String(offset),
    id,
    caseId,
    step,
  });

  it('When a step has two event ids, then it fired twice; copies of one id are not a second fire', () => {
    const counted = countEscalatedEvents(
      [
        event(0, 'e1', caseA, 'reminder'),
        event(1, 'e1', caseA, 'reminder'),
        event(2, 'e2', caseB, 'reminder'),
        event(3, 'e3', caseB, 'reminder'),
      ],
      [],
    );
    expect(counted.distinct).toBe(3);
    expect([...counted.idsByStep].filter(([, ids]) => ids.size > 1).map(([key]) => key)).toEqual([`${caseB}|reminder`]);
  });

  it('When an event is on the topic twice, then the copy is put on a kill with its case’s outbox open, else on the case’s next write, else on an outbox sweep', () => {
    const counted = countEscalatedEvents(
      [
        // caseA: e1, then e1 again right before e2's first copy (the next write published both).
        event(0, 'e1', caseA, 'reminder'),
        event(1, 'e1', caseA, 'reminder'),
        event(2, 'x', caseB, 'reminder', 1),
        event(2, 'e2', caseA, 'all-admins'),
        // caseB on partition 1: a copy on its own.
        event(3, 'x', caseB, 'reminder', 1),
      ],
      [[]],
    );
    expect(counted.republished).toEqual([
      { key: `${caseA}|reminder`, copies: 2, causes: ['next-write'] },
      { key: `${caseB}|reminder`, copies: 2, causes: ['outbox-sweep'] },
    ]);
    const atKill = countEscalatedEvents(
      [event(0, 'e1', caseA, 'reminder'), event(1, 'e1', caseA, 'reminder'), event(2, 'e2', caseA, 'all-admins')],
      [[caseB], [caseA]],
    );
    expect(atKill.republished).toEqual([{ key: `${caseA}|reminder`, copies: 2, causes: [{ kill: 2 }] }]);
  });
});
