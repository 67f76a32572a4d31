import {
  changeContactAddress,
  openCase,
  recordResendIntent,
  recordSendIntent,
  recordSent,
  type ForwardingCase,
} from './forwarding-case';
import { extendDeadline } from './extend-deadline';
import { MINIMISED, MINIMISED_AUDIT_WHAT, minimiseCase } from './minimise-case';

const at = new Date('2026-03-02T09:00:00Z');

function forwardedCase(): ForwardingCase {
  const opened = openCase({
    caseId: '0193a1c2-7d4e-8a10-9b7c-000000000001',
    requestId: '0193a1c2-7d4e-4a10-9b7c-000000000002',
    tenantId: 'acme',
    tenantName: 'Acme Ltd',
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
    by: { kind: 'operator', operatorId: 'alice@platform.example' },
  });
  const steps = [
    (c: ForwardingCase) => recordSendIntent(c, 0, at),
    (c: ForwardingCase) => recordSent(c, 0, 'ses-1', at),
    (c: ForwardingCase) => changeContactAddress(c, 1, 'new@acme.example', at, 'bob'),
    (c: ForwardingCase) => recordResendIntent(c, 1, at, 'bob'),
  ];
  let c = opened;
  for (const step of steps) {
    const result = step(c);
    if (!result.ok) throw new Error(JSON.stringify(result));
    c = result.case;
  }
  return {
    ...c,
    evidence: [{ sesMessageId: 'ses-1', receivedAt: at.toISOString(), rawNotification: '{"to":"first@acme.example"}' }],
  };
}

describe('Minimising a case (retention)', () => {
  it('When an extended case is minimised, then the reason its admin gave (free text) is gone from the extension and the audit trail', () => {
    const extended = extendDeadline(forwardedCase(), {
      reason: 'Ada Lovelace asked for ten years of records',
      today: '2026-03-02',
      at,
      by: { kind: 'admin-link' },
    });
    if (!extended.ok) throw new Error(JSON.stringify(extended));
    const after = minimiseCase(extended.case, new Date('2026-09-01T03:00:00Z'));
    expect(JSON.stringify(after)).not.toContain('Lovelace');
    expect(after.extension).toMatchObject({ reason: MINIMISED, to: extended.case.extension?.to });
  });

  it('When a case is minimised, then no address, operator id or raw notification is left, and ids, states, dates and SES ids stay', () => {
    const before = forwardedCase();
    const after = minimiseCase(before, new Date('2026-09-01T03:00:00Z'));
    const text = JSON.stringify(after);
    for (const personal of ['first@acme.example', 'second@acme.example', 'new@acme.example', 'alice', 'bob']) {
      expect(text).not.toContain(personal);
    }
    expect(after.evidence).toBeUndefined();
    expect(after.contacts.map((c) => c.email)).toEqual([MINIMISED, MINIMISED]);
    expect(after).toMatchObject({
      caseId: before.caseId,
      requestId: before.requestId,
      tenantId: 'acme',
      state: before.state,
      deadline: '2026-04-02',
      receivedOn: '2026-03-02',
    });
    expect(after.messages.map((m) => [m.sesMessageId, m.delivery, m.sentAt])).toEqual(
      before.messages.map((m) => [m.sesMessageId, m.delivery, m.sentAt]),
    );
    // The lines keep their place (the chain covers them by position) and one more says what happened.
    expect(after.audit.slice(0, -1).map((l) => l.at)).toEqual(before.audit.map((l) => l.at));
    expect(after.audit.at(-1)).toEqual({
      at: '2026-09-01T03:00:00.000Z',
      what: MINIMISED_AUDIT_WHAT,
      by: { kind: 'retention' },
    });
  });

  it('When a minimised case is minimised again, then nothing changes', () => {
    const once = minimiseCase(forwardedCase(), new Date('2026-09-01T03:00:00Z'));
    expect(minimiseCase(once, new Date('2026-09-02T03:00:00Z'))).toBe(once);
  });
});
