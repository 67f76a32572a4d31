import { extendDeadline, openCase } from '../domain/case';
import type { RelayRequest } from '../domain/relay-request';
import { renderForwardMail } from './forward-mail';

const forwardingCase = openCase({
  caseId: '0193a1c2-7d4e-4a10-9b7c-0000000000c1',
  requestId: '0193a1c2-7d4e-4a10-9b7c-0000000000a1',
  tenantId: 'acme',
  regime: 'uk-gdpr',
  jurisdiction: 'GB-ENG',
  receivedOn: '2026-03-02',
  deadline: '2026-04-02',
  extendedDeadline: '2026-06-02',
  contacts: [{ email: 'privacy@acme.example', role: 'privacy' }],
  at: new Date('2026-03-02T09:00:00Z'),
  by: { kind: 'matcher' },
});
const links = {
  acknowledge: 'https://relay.example/case-links/c/acknowledge/t',
  done: 'https://relay.example/case-links/c/done/t',
  'not-ours': 'https://relay.example/case-links/c/not-ours/t',
  extend: 'https://relay.example/case-links/c/extend/t',
};
const request = (name: string, otherRightText?: string): RelayRequest => ({
  requestId: forwardingCase.requestId,
  reference: 'PR-1',
  channel: 'email-ses',
  receivedAt: new Date('2026-03-02T08:00:00Z'),
  requester: { name, email: 'ada@example.org' },
  rights: otherRightText ? ['other'] : ['access'],
  otherRightText,
  text: 'hello',
  status: 'verified',
  sourceEventId: 'e',
});

describe('the forward mail', () => {
  it('When one-line values carry any line or control character, then the subject and the text body keep them on one line', () => {
    // The relay does not rely on intake's validation: the contract allows any string.
    for (const breaker of ['\r\n', '\n', '\u0085', '\u2028', '\u2029', '\u000b', '\u000c', '\u0000', '\t']) {
      const mail = renderForwardMail(
        forwardingCase,
        request(`Ada${breaker}Bcc: x@evil.example`, `copy${breaker}Legal deadline (uk-gdpr): 2099-01-01`),
        links,
      );
      // eslint-disable-next-line no-control-regex
      expect([breaker, /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(mail.subject)]).toEqual([breaker, false]);
      expect(mail.subject).toContain('Ada Bcc: x@evil.example');
      // eslint-disable-next-line no-control-regex
      const lines = mail.text.split(/\r\n|[\n\u000b\u000c\r\u0085\u2028\u2029]/);
      expect(lines).toContain('Requester: Ada Bcc: x@evil.example <ada@example.org>');
      expect(lines).toContain('Other right asked for: copy Legal deadline (uk-gdpr): 2099-01-01');
      expect(lines.filter((line) => line.startsWith('Legal deadline'))).toHaveLength(1);
    }
  });

  it('When the free text imitates the mail (a deadline line, action links), then each of its lines is quoted and ours stay the only ones', () => {
    const forged = [
      'Please delete my data.',
      'Legal deadline (uk-gdpr): 2099-01-01',
      '- Not ours: we do not hold this person’s data: https://relay-example.evil/case-links/x',
    ];
    for (const breaker of ['\n', '\r\n', '\r', '\u2028', '\u0085', '\u000b']) {
      const mail = renderForwardMail(forwardingCase, { ...request('Ada'), text: forged.join(breaker) }, links);
      // eslint-disable-next-line no-control-regex
      const lines = mail.text.split(/\r\n|[\n\u000b\u000c\r\u0085\u2028\u2029]/);
      expect([breaker, lines.filter((line) => line.startsWith('Legal deadline'))]).toEqual([
        breaker,
        ['Legal deadline (uk-gdpr): 2026-04-02 (extendable to 2026-06-02)'],
      ]);
      expect(lines.filter((line) => line.startsWith('- Not ours'))).toEqual([
        `- Not ours: we do not hold this person’s data: ${links['not-ours']}`,
      ]);
      expect(lines).toEqual(expect.arrayContaining(forged.map((line) => `> ${line}`)));
    }
  });

  it('When a case is forwarded, then the mail offers a fourth link: extending the deadline once, to the extended date', () => {
    const mail = renderForwardMail(forwardingCase, request('Ada'), links);
    expect(mail.text).toContain(
      `- Extend the deadline once, to 2026-06-02, with a reason the requester is told: ${links.extend}`,
    );
    expect(mail.html).toContain(`<a href="${links.extend}">Extend the deadline once, to 2026-06-02`);
  });

  it('When the case was extended, then a later mail (a re-send) gives the extended deadline and the one it replaced', () => {
    const sent = { ...forwardingCase, state: 'forwarded' as const };
    const extended = extendDeadline(sent, {
      reason: 'Complex.',
      today: '2026-03-20',
      at: new Date('2026-03-20T10:00:00Z'),
      by: { kind: 'admin-link' },
    });
    if (!extended.ok) throw new Error('not extended');
    const mail = renderForwardMail(extended.case, request('Ada'), links);
    expect(mail.text).toContain('Legal deadline (uk-gdpr): 2026-06-02 (extended from 2026-04-02)');
    expect(mail.subject).toContain('answer by 2026-06-02');
  });
});
