import { todayIn } from '../deadline';
import { auditRecordOf } from './audit-chain';
import {
  checkExtensionReason,
  currentDeadline,
  extendDeadline,
  originalDeadlineOf,
  type ExtensionResult,
} from './extend-deadline';
import {
  applyTenantAction,
  markNoContactLeft,
  openCase,
  recordSendIntent,
  recordSent,
  type Actor,
  type ForwardingCase,
  type TransitionResult,
} from './forwarding-case';

const at = new Date('2026-03-02T09:00:00Z');
const onExtension = new Date('2026-03-20T11:00:00Z');
const admin = { kind: 'admin-link' } as const;
const operator = { kind: 'operator', operatorId: 'op-1' } as const;

function ok(result: TransitionResult | ExtensionResult): ForwardingCase {
  if (!result.ok) throw new Error(`expected a transition, got ${JSON.stringify(result)}`);
  return result.case;
}

function matched(): ForwardingCase {
  return ok(
    recordSendIntent(
      openCase({
        caseId: '0193a1c2-7d4e-8a10-9b7c-000000000001',
        requestId: '0193a1c2-7d4e-4a10-9b7c-000000000002',
        tenantId: 'acme',
        regime: 'uk-gdpr',
        jurisdiction: 'GB-ENG',
        receivedOn: '2026-03-02',
        deadline: '2026-04-02',
        extendedDeadline: '2026-06-02',
        contacts: [{ email: 'first@acme.example', role: 'privacy' }],
        at,
        by: { kind: 'matcher' },
      }),
      0,
      at,
    ),
  );
}

const forwarded = (): ForwardingCase => ok(recordSent(matched(), 0, 'ses-1', at));

const extend = (
  c: ForwardingCase,
  today: string,
  reason = 'Twelve years of records in three systems.',
  by: Actor = admin,
) => extendDeadline(c, { reason, today, at: onExtension, by });

describe('Extending a case’s deadline (once, before the original deadline, with a reason)', () => {
  it('When a forwarded case is extended before its deadline, then its deadline is the extended one, the original is kept, and one audit line names who and carries the reason as `text` (salted-hashed in the chain)', () => {
    const before = forwarded();
    const c = ok(extend(before, '2026-03-20'));
    expect(c.deadline).toBe('2026-06-02');
    expect(currentDeadline(c)).toBe('2026-06-02');
    expect(c.originalDeadline).toBe('2026-04-02');
    expect(originalDeadlineOf(c)).toBe('2026-04-02');
    expect(originalDeadlineOf(before)).toBe('2026-04-02');
    expect(c.extension).toEqual({
      at: onExtension.toISOString(),
      by: admin,
      reason: 'Twelve years of records in three systems.',
      from: '2026-04-02',
      to: '2026-06-02',
    });
    expect(c.state).toBe('forwarded');
    // The reason's words stay out of the hash chain: its record holds a salted hash in their place.
    expect(JSON.stringify(auditRecordOf(c.audit.at(-1)!, 'salt'))).not.toContain('Twelve years');
    expect(c.audit.slice(before.audit.length)).toEqual([
      {
        at: onExtension.toISOString(),
        what: 'deadline extended',
        by: admin,
        deadline: '2026-06-02',
        text: 'Twelve years of records in three systems.',
      },
    ]);
  });

  it('When an acknowledged case is extended by an operator, then the operator is named', () => {
    const acknowledged = ok(applyTenantAction(forwarded(), 'acknowledge', at, admin));
    const c = ok(extend(acknowledged, '2026-03-20', 'Complex request.', operator));
    expect(c.state).toBe('acknowledged');
    expect(c.audit.at(-1)?.by).toEqual(operator);
    expect(c.extension?.by).toEqual(operator);
  });

  it('When it is extended on the deadline day itself, then that is still in time', () => {
    expect(ok(extend(forwarded(), '2026-04-02')).deadline).toBe('2026-06-02');
  });

  it('When the deadline day has passed, then it is refused as deadline-passed and nothing changes', () => {
    expect(extend(forwarded(), '2026-04-03')).toEqual({
      ok: false,
      reason: 'deadline-passed',
      deadline: '2026-04-02',
      today: '2026-04-03',
    });
  });

  it('When a case was extended once, then a second extension is `already`, even with another reason and still in time', () => {
    const once = ok(extend(forwarded(), '2026-03-20'));
    const again = extend(once, '2026-03-21', 'Another reason.', operator);
    expect(again).toEqual({ ok: false, reason: 'already', extension: once.extension });
  });

  it.each([
    ['matched (not forwarded yet)', () => matched()],
    ['done', () => ok(applyTenantAction(forwarded(), 'done', at, admin))],
    ['not ours', () => ok(applyTenantAction(forwarded(), 'not-ours', at, admin))],
    ['no contact left', () => ok(markNoContactLeft(forwarded(), at, { kind: 'relay' }))],
  ])('When the case is %s, then an extension is not allowed', (_label, make) => {
    const c = make();
    expect(extend(c, '2026-03-20')).toEqual({ ok: false, reason: 'not-allowed', from: c.state });
  });

  it.each([
    ['empty', '', 'empty'],
    ['blank', '   \n\t  ', 'empty'],
    ['1001 characters', 'x'.repeat(1001), 'too-long'],
    ['1001 characters between spaces', `  ${'x'.repeat(1001)}  `, 'too-long'],
  ])('When the reason is %s, then it is refused as %s and nothing changes', (_label, reason, problem) => {
    expect(extend(forwarded(), '2026-03-20', reason)).toEqual({ ok: false, reason: 'invalid-reason', problem });
  });

  it('When the reason is 1000 characters once trimmed, then it is taken, trimmed', () => {
    const reason = 'y'.repeat(1000);
    expect(ok(extend(forwarded(), '2026-03-20', `  ${reason}\n `)).extension?.reason).toBe(reason);
  });
});

describe('checkExtensionReason', () => {
  it('When a reason has Windows line breaks and control characters, then lines stay lines and controls become spaces', () => {
    expect(checkExtensionReason(' First line\r\nsecond\u0000line\u0007 ')).toEqual({
      ok: true,
      reason: 'First line\nsecond line',
    });
  });

  it('When the reason is not text at all, then it is empty', () => {
    expect(checkExtensionReason(undefined)).toEqual({ ok: false, problem: 'empty' });
    expect(checkExtensionReason(42)).toEqual({ ok: false, problem: 'empty' });
  });
});

describe('todayIn: the date now in a jurisdiction', () => {
  it.each([
    ['2026-04-03T06:30:00Z', 'US-CA', '2026-04-02', 'still the 2nd in California (UTC−7)'],
    ['2026-04-02T23:30:00Z', 'GB-ENG', '2026-04-03', 'already the 3rd in London (BST, UTC+1)'],
    ['2026-01-02T23:30:00Z', 'GB-SCT', '2026-01-02', 'still the 2nd in Edinburgh (GMT)'],
    ['2026-04-02T22:30:00Z', 'DE-BY', '2026-04-03', 'already the 3rd in Munich (CEST)'],
    ['2026-04-02T21:30:00Z', 'FI', '2026-04-03', 'already the 3rd in Helsinki (EEST)'],
    ['2026-04-02T23:30:00Z', 'PT-20', '2026-04-02', 'still the 2nd in the Azores (UTC+0 in summer)'],
  ])('At %s in %s it is %s (%s)', (instant, jurisdiction, day) => {
    expect(todayIn(jurisdiction, new Date(instant))).toBe(day);
  });
});
