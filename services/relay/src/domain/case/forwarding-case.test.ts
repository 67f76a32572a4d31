import {
  applyMailEvent,
  applyTenantAction,
  changeContactAddress,
  contactAwaitsForward,
  mustMoveToNextContact,
  recordResendIntent,
  recordSendRefused,
  markNoContactLeft,
  nextContactIndex,
  openCase,
  recordDelivery,
  recordSendIntent,
  recordSent,
  type ForwardingCase,
  type TransitionResult,
} from './forwarding-case';
import { recordEscalation, recordEscalationMail } from './escalation-ladder';

const at = new Date('2026-03-02T09:00:00Z');
const later = new Date('2026-03-02T10:00:00Z');

function fresh(): ForwardingCase {
  return openCase({
    caseId: '0193a1c2-7d4e-8a10-9b7c-000000000001',
    requestId: '0193a1c2-7d4e-4a10-9b7c-000000000002',
    tenantId: 'acme',
    regime: 'uk-gdpr',
    jurisdiction: 'GB-ENG',
    receivedOn: '2026-03-02',
    deadline: '2026-04-02',
    extendedDeadline: '2026-06-02',
    contacts: [
      { email: 'first@acme.example', role: 'privacy' },
      { email: 'second@acme.example', role: 'privacy' },
    ],
    at,
    by: { kind: 'matcher' },
  });
}

function ok(result: TransitionResult): ForwardingCase {
  if (!result.ok) throw new Error(`expected a transition, got ${JSON.stringify(result)}`);
  return result.case;
}

function forwarded(): ForwardingCase {
  return ok(recordSent(ok(recordSendIntent(fresh(), 0, at)), 0, 'ses-1', later));
}

describe('A forwarding case', () => {
  it('When opened, then it is matched with one audit line and no message', () => {
    const c = fresh();
    expect(c.state).toBe('matched');
    expect(c.messages).toEqual([]);
    expect(c.audit).toEqual([{ at: at.toISOString(), what: 'matched', by: { kind: 'matcher' } }]);
  });

  it('When the send intent is recorded, then the message is "sending" and the case still matched', () => {
    const c = ok(recordSendIntent(fresh(), 0, at));
    expect(c.state).toBe('matched');
    expect(c.messages).toEqual([
      {
        contactIndex: 0,
        email: 'first@acme.example',
        intentAt: at.toISOString(),
        delivery: 'sending',
        deliveryAt: at.toISOString(),
      },
    ]);
  });

  it('When SES accepts the message, then the case is forwarded and the audit line carries the SES message id', () => {
    const c = forwarded();
    expect(c.state).toBe('forwarded');
    expect(c.messages[0]).toMatchObject({ sesMessageId: 'ses-1', delivery: 'sent', sentAt: later.toISOString() });
    expect(c.audit.at(-1)).toEqual({
      at: later.toISOString(),
      what: 'forwarded',
      by: { kind: 'relay' },
      sesMessageId: 'ses-1',
      contactIndex: 0,
    });
  });

  it('When a second intent names a contact that already has a message, or no such contact, or a send is under way, then it is refused', () => {
    const sending = ok(recordSendIntent(fresh(), 0, at));
    expect(recordSendIntent(sending, 1, at)).toEqual({ ok: false, reason: 'send-under-way' });
    const c = forwarded();
    expect(recordSendIntent(c, 0, at)).toEqual({ ok: false, reason: 'message-exists' });
    expect(recordSendIntent(c, 5, at)).toEqual({ ok: false, reason: 'unknown-contact' });
    expect(nextContactIndex(c)).toBe(1);
    expect(nextContactIndex(ok(recordSendIntent(c, 1, at)))).toBeUndefined();
  });

  it('When a message id is recorded twice, then the second is "already" and changes nothing', () => {
    expect(recordSent(forwarded(), 0, 'ses-2', later)).toEqual({ ok: false, reason: 'already', state: 'forwarded' });
  });

  it('When forwarded, then acknowledge → done are allowed, each with an audit line naming who', () => {
    const acknowledged = ok(applyTenantAction(forwarded(), 'acknowledge', later, { kind: 'admin-link' }));
    expect(acknowledged.state).toBe('acknowledged');
    const done = ok(applyTenantAction(acknowledged, 'done', later, { kind: 'admin-link' }));
    expect(done.state).toBe('done');
    expect(done.audit.map((line) => line.what)).toEqual(['matched', 'forwarded', 'acknowledged', 'done']);
    expect(done.audit.at(-1)?.by).toEqual({ kind: 'admin-link' });
  });

  it('When forwarded or acknowledged, then not-ours is allowed', () => {
    expect(ok(applyTenantAction(forwarded(), 'not-ours', later, { kind: 'admin-link' })).state).toBe('not-ours');
    const acknowledged = ok(applyTenantAction(forwarded(), 'acknowledge', later, { kind: 'admin-link' }));
    expect(ok(applyTenantAction(acknowledged, 'not-ours', later, { kind: 'admin-link' })).state).toBe('not-ours');
  });

  it.each([
    ['matched', 'acknowledge'],
    ['matched', 'done'],
    ['matched', 'not-ours'],
  ] as const)('When %s, then %s is refused', (_state, action) => {
    expect(applyTenantAction(fresh(), action, later, { kind: 'admin-link' })).toEqual({
      ok: false,
      reason: 'not-allowed',
      from: 'matched',
      action,
    });
  });

  it('When a case is done, then acknowledge, not-ours, no-contact-left and another send are refused; done again is "already"', () => {
    const done = ok(applyTenantAction(forwarded(), 'done', later, { kind: 'admin-link' }));
    for (const action of ['acknowledge', 'not-ours'] as const) {
      expect(applyTenantAction(done, action, later, { kind: 'admin-link' })).toMatchObject({
        ok: false,
        reason: 'not-allowed',
        from: 'done',
      });
    }
    expect(markNoContactLeft(done, later, { kind: 'relay' })).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(recordSendIntent(done, 1, later)).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(applyTenantAction(done, 'done', later, { kind: 'admin-link' })).toEqual({
      ok: false,
      reason: 'already',
      state: 'done',
    });
  });

  it('When acknowledged, then acknowledging again is "already" and an acknowledged case cannot go back', () => {
    const acknowledged = ok(applyTenantAction(forwarded(), 'acknowledge', later, { kind: 'admin-link' }));
    expect(applyTenantAction(acknowledged, 'acknowledge', later, { kind: 'admin-link' })).toEqual({
      ok: false,
      reason: 'already',
      state: 'acknowledged',
    });
    expect(markNoContactLeft(acknowledged, later, { kind: 'relay' })).toMatchObject({ reason: 'not-allowed' });
  });

  it('When no contact is left, then a matched or forwarded case ends there', () => {
    expect(ok(markNoContactLeft(fresh(), later, { kind: 'relay' })).state).toBe('no-contact-left');
    expect(ok(markNoContactLeft(forwarded(), later, { kind: 'relay' })).state).toBe('no-contact-left');
  });

  it('When the delivery tracking reports a state for a message, then it is set beside that message and audited with the event', () => {
    const c = ok(recordDelivery(forwarded(), 'ses-1', 'bounced', later, { kind: 'mail-event', eventId: 'e-1' }));
    expect(c.messages[0]).toMatchObject({ delivery: 'bounced', deliveryAt: later.toISOString() });
    expect(c.audit.at(-1)).toMatchObject({
      what: 'delivery bounced',
      by: { kind: 'mail-event', eventId: 'e-1' },
      sesMessageId: 'ses-1',
    });
    expect(recordDelivery(c, 'unknown', 'delivered', later, { kind: 'relay' })).toEqual({
      ok: false,
      reason: 'unknown-message',
    });
  });
});

describe('Operators on a forwarding case', () => {
  const operator = { kind: 'operator', operatorId: 'alice' };

  it('When an operator re-sends to a contact that has a message, then a new message is recorded beside it with an audit line naming the operator; the relay itself still may not', () => {
    const c = ok(recordResendIntent(forwarded(), 0, later, 'alice'));
    expect(c.messages.map((m) => [m.contactIndex, m.delivery, m.requestedBy])).toEqual([
      [0, 'sent', undefined],
      [0, 'sending', operator],
    ]);
    expect(c.audit.at(-1)).toEqual({
      at: later.toISOString(),
      what: 're-send requested',
      by: operator,
      contactIndex: 0,
    });
    const resent = ok(recordSent(c, 0, 'ses-2', later));
    expect(resent.messages.map((m) => m.sesMessageId)).toEqual(['ses-1', 'ses-2']);
    // The automatic path (a redelivery) never sends a contact the case twice.
    expect(recordSendIntent(resent, 0, later)).toEqual({ ok: false, reason: 'message-exists' });
  });

  it('When the case is closed, the contact stopped, or a send under way, then a re-send is refused', () => {
    const done = ok(applyTenantAction(forwarded(), 'done', later, { kind: 'admin-link' }));
    expect(recordResendIntent(done, 0, later, 'alice')).toMatchObject({ ok: false, reason: 'not-allowed' });
    const complained = applyMailEvent(
      forwarded(),
      { sesMessageId: 'ses-1', status: 'complained', occurredAt: later.toISOString(), snsMessageId: 'sns-c' },
      later,
      { kind: 'mail-event', eventId: 'e' },
    );
    if (!complained.ok) throw new Error('complaint not applied');
    expect(recordResendIntent(complained.case, 0, later, 'alice')).toEqual({ ok: false, reason: 'contact-stopped' });
    const underWay = ok(recordSendIntent(fresh(), 0, at));
    expect(recordResendIntent(underWay, 1, later, 'alice')).toEqual({ ok: false, reason: 'send-under-way' });
    expect(recordResendIntent(forwarded(), 7, later, 'alice')).toEqual({ ok: false, reason: 'unknown-contact' });
  });

  it('When a send is refused by SES, then the message is rejected with the code, and once every message tried is dead the case must move on', () => {
    const refused = ok(recordSendRefused(ok(recordSendIntent(fresh(), 0, at)), 0, 'MAIL_REJECTED', later));
    expect(refused.messages[0]).toMatchObject({ delivery: 'rejected', refusal: 'MAIL_REJECTED' });
    expect(refused.audit.at(-1)).toMatchObject({ what: 'delivery rejected', reason: 'MAIL_REJECTED', contactIndex: 0 });
    expect(mustMoveToNextContact(refused)).toBe(true);
    expect(mustMoveToNextContact(forwarded())).toBe(false);
    expect(nextContactIndex(refused)).toBe(1);
  });

  it('When an operator changes a contact, then the audit line names the operator and no address, and the contact awaits the forward only if its mail never reached it', () => {
    const c = ok(changeContactAddress(forwarded(), 0, 'new@acme.example', later, 'alice'));
    expect(c.contacts[0]?.email).toBe('new@acme.example');
    expect(c.messages[0]?.email).toBe('first@acme.example');
    expect(c.audit.at(-1)).toEqual({ at: later.toISOString(), what: 'contact changed', by: operator, contactIndex: 0 });
    expect(JSON.stringify(c.audit)).not.toContain('@');
    expect(contactAwaitsForward(c, 0)).toBe(false);
    expect(contactAwaitsForward(c, 1)).toBe(true);
    const refused = ok(recordSendRefused(ok(recordSendIntent(fresh(), 0, at)), 0, 'MAIL_REJECTED', later));
    expect(contactAwaitsForward(refused, 0)).toBe(true);
    expect(changeContactAddress(c, 0, 'NEW@acme.example', later, 'alice')).toMatchObject({
      ok: false,
      reason: 'already',
    });
    expect(changeContactAddress(c, 9, 'x@acme.example', later, 'alice')).toEqual({
      ok: false,
      reason: 'unknown-contact',
    });
    const underWay = ok(recordSendIntent(fresh(), 0, at));
    expect(changeContactAddress(underWay, 0, 'x@acme.example', later, 'alice')).toEqual({
      ok: false,
      reason: 'send-under-way',
    });
  });
});

describe('SES events about escalation mails', () => {
  const reminded = (): ForwardingCase => {
    const recorded = ok(
      recordEscalation(forwarded(), {
        step: 'reminder',
        at: later,
        recipients: [
          { to: 'privacy-contact', contactIndex: 0 },
          { to: 'admin', email: 'boss@acme.example' },
        ],
      }),
    );
    const first = ok(recordEscalationMail(recorded, { step: 'reminder' }, 0, { sesMessageId: 'ses-r0' }, later));
    return ok(recordEscalationMail(first, { step: 'reminder' }, 1, { sesMessageId: 'ses-r1' }, later));
  };
  const event = (sesMessageId: string, status: 'delivered' | 'bounced' | 'complained', snsMessageId: string) => ({
    sesMessageId,
    status,
    occurredAt: later.toISOString(),
    snsMessageId,
    ...(status === 'bounced' ? { bounceType: 'Permanent' as const } : {}),
    rawNotification: `{"sns":"${snsMessageId}"}`,
  });
  const by = { kind: 'mail-event', eventId: 'e' } as const;

  it('When a reminder is delivered and then bounces, then the mail is tracked by precedence, audited and its notifications kept, and the case stays forwarded', () => {
    const delivered = applyMailEvent(reminded(), event('ses-r1', 'delivered', 'sns-1'), later, by);
    if (!delivered.ok) throw new Error(`not applied: ${delivered.reason}`);
    expect(delivered).toMatchObject({ escalationStep: 'reminder', contactIndex: undefined });
    expect(delivered.case.escalations?.[0]?.mails[1]).toMatchObject({ delivery: 'delivered' });
    const bounced = applyMailEvent(delivered.case, event('ses-r1', 'bounced', 'sns-2'), later, by);
    if (!bounced.ok) throw new Error(`not applied: ${bounced.reason}`);
    expect(bounced.case.escalations?.[0]?.mails[1]).toMatchObject({ delivery: 'bounced' });
    expect(bounced.case.audit.slice(-2).map((l) => l.what)).toEqual([
      'escalation mail delivered: reminder',
      'escalation mail bounced: reminder Permanent',
    ]);
    expect(bounced.case.evidence?.map((e) => e.snsMessageId)).toEqual(['sns-1', 'sns-2']);
    expect(bounced.case.state).toBe('forwarded');
    expect(bounced.case.messages).toEqual(forwarded().messages);
    expect(JSON.stringify(bounced.case.audit)).not.toContain('@');
    expect(applyMailEvent(bounced.case, event('ses-r1', 'bounced', 'sns-2'), later, by)).toEqual({
      ok: false,
      reason: 'duplicate',
    });
    expect(applyMailEvent(bounced.case, event('ses-r1', 'delivered', 'sns-3'), later, by)).toEqual({
      ok: false,
      reason: 'superseded',
    });
    expect(applyMailEvent(reminded(), event('ses-unknown', 'delivered', 'sns-4'), later, by)).toEqual({
      ok: false,
      reason: 'unknown-message',
    });
  });

  it('When a privacy contact complains about a reminder, then mail to that contact stops as for a forward', () => {
    const complained = applyMailEvent(reminded(), event('ses-r0', 'complained', 'sns-5'), later, by);
    if (!complained.ok) throw new Error(`not applied: ${complained.reason}`);
    expect(complained).toMatchObject({ contactIndex: 0, action: 'stop-and-flag-contact' });
    expect(complained.case.contacts[0]?.stopped).toMatchObject({ reason: 'complained', sesMessageId: 'ses-r0' });
    expect(recordResendIntent(complained.case, 0, later, 'alice')).toEqual({ ok: false, reason: 'contact-stopped' });
  });

  it('When a replaced contact complains about a mail sent to its old address, then the mail is tracked but the contact now at that place is not stopped', () => {
    const replaced = ok(changeContactAddress(reminded(), 0, 'new@acme.example', later, 'alice'));
    // The old address's forward (ses-1) and its reminder (ses-r0): its owner reports both as spam.
    for (const sesMessageId of ['ses-1', 'ses-r0']) {
      const complained = applyMailEvent(replaced, event(sesMessageId, 'complained', `sns-${sesMessageId}`), later, by);
      if (!complained.ok) throw new Error(`not applied: ${complained.reason}`);
      expect(complained.case.contacts[0]).toEqual({ email: 'new@acme.example', role: 'privacy' });
      expect(complained.action).toBe('none');
      expect(complained.case.audit.at(-1)?.what).toMatch(/^(delivery|escalation mail) complained/);
      expect(recordResendIntent(complained.case, 0, later, 'alice')).toMatchObject({ ok: true });
    }
  });
});
