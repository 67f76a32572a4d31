import { openCase, recordSendIntent, recordSent, type ForwardingCase, type TransitionResult } from '../../domain/case';
import { daysLeft } from '../../domain/deadline';
import { casePage, daysLeftText } from './case-page';

const at = new Date('2026-03-02T09:00:00Z');
const ok = (result: TransitionResult): ForwardingCase => {
  if (!result.ok) throw new Error(result.reason);
  return result.case;
};
const forwarded = ok(
  recordSent(
    ok(
      recordSendIntent(
        openCase({
          caseId: '0193a1c2-7d4e-4a10-9b7c-0000000000c1',
          requestId: '0193a1c2-7d4e-4a10-9b7c-0000000000a1',
          tenantId: 'acme',
          regime: 'uk-gdpr',
          jurisdiction: 'GB-ENG',
          receivedOn: '2026-03-02',
          deadline: '2026-04-02',
          extendedDeadline: '2026-06-02',
          contacts: [{ email: 'privacy@acme.example', role: 'privacy' }],
          at,
          by: { kind: 'matcher' },
        }),
        0,
        at,
      ),
    ),
    0,
    'ses-1',
    at,
  ),
);
const targets = {
  acknowledge: '../acknowledge/t',
  done: '../done/t',
  'not-ours': '../not-ours/t',
  extend: '../extend/t',
};

describe('the case page', () => {
  it('When the days left are counted, then the deadline day is "due today", the next "overdue by 1 day", across a month end too', () => {
    const cases = [
      ['2026-04-02', '2026-03-02', '31 days left'],
      ['2026-04-02', '2026-04-01', '1 day left'],
      ['2026-04-02', '2026-04-02', 'due today'],
      ['2026-04-02', '2026-04-03', 'overdue by 1 day'],
      ['2026-02-28', '2026-03-02', 'overdue by 2 days'],
      ['2028-03-01', '2028-02-28', '2 days left'],
    ];
    for (const [deadline, today, text] of cases) {
      expect([deadline, today, daysLeftText(daysLeft(deadline!, today!))]).toEqual([deadline, today, text]);
    }
  });

  it('When the request is no longer held (retention), then the page still shows the case, its deadline and actions, and says so', () => {
    const page = casePage({
      forwardingCase: forwarded,
      request: undefined,
      today: '2026-03-10',
      opened: 'acknowledge',
      targets,
    });
    expect(page.title).toBe('Privacy request');
    expect(page.body).toContain('The request’s details are no longer held (received on 2026-03-02).');
    expect(page.body).toContain('<strong>23 days left</strong>');
    expect(page.body).toContain('<button type="submit">Acknowledge</button>');
  });

  it('When a link is opened before the relay has recorded the send, then the page says to reload, not that the action no longer applies', () => {
    const sending = ok(
      recordSendIntent(
        openCase({
          caseId: forwarded.caseId,
          requestId: forwarded.requestId,
          tenantId: 'acme',
          regime: 'uk-gdpr',
          jurisdiction: 'GB-ENG',
          receivedOn: '2026-03-02',
          deadline: '2026-04-02',
          extendedDeadline: '2026-06-02',
          contacts: [{ email: 'privacy@acme.example', role: 'privacy' }],
          at,
          by: { kind: 'matcher' },
        }),
        0,
        at,
      ),
    );
    const page = casePage({
      forwardingCase: sending,
      request: undefined,
      today: '2026-03-02',
      opened: 'acknowledge',
      targets,
    });
    expect(page.body).toContain('<strong>Not ready yet.</strong>');
    expect(page.body).not.toContain('no longer applies');
    expect(page.body).not.toContain('<button type="submit">Acknowledge</button>');
  });
});
