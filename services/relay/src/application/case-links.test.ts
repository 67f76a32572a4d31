import { signToken } from '@privacy-relay/shared/tokens';
import {
  changeContactAddress,
  openCase,
  recordEscalation,
  recordEscalationMail,
  recordResendIntent,
  recordSendIntent,
  recordSent,
  type ForwardingCase,
  type TransitionResult,
} from '../domain/case';
import { CaseLinks, PAGE_FORM_TOKEN_TTL_MS, type CaseLinkAction, type LinkRecipient } from './case-links';

const SECRET = 'unit-test-relay-link-secret-0123456789abcdef';
const TTL_MS = 30 * 86_400_000;
const caseId = '0193a1c2-7d4e-4a10-9b7c-0000000000c1';
const otherCaseId = '0193a1c2-7d4e-4a10-9b7c-0000000000c2';
const start = new Date('2026-03-02T09:00:00Z');
const later = new Date('2026-03-03T09:00:00Z');
const first = 'privacy@acme.example';
const second = 'second@acme.example';
const admin = 'admin@acme.example';

const ok = (result: TransitionResult): ForwardingCase => {
  if (!result.ok) throw new Error(`transition refused: ${result.reason}`);
  return result.case;
};

/** A case mailed to both its privacy contacts on `start`. */
function mailedToBoth(id = caseId): ForwardingCase {
  const opened = openCase({
    caseId: id,
    requestId: '0193a1c2-7d4e-4a10-9b7c-0000000000a1',
    tenantId: 'acme',
    regime: 'uk-gdpr',
    jurisdiction: 'GB-ENG',
    receivedOn: '2026-03-02',
    deadline: '2026-04-02',
    extendedDeadline: '2026-06-02',
    contacts: [
      { email: first, role: 'privacy' },
      { email: second, role: 'privacy' },
    ],
    at: start,
    by: { kind: 'matcher' },
  });
  const toFirst = ok(recordSent(ok(recordSendIntent(opened, 0, start)), 0, 'ses-1', start));
  return ok(recordSent(ok(recordResendIntent(toFirst, 1, start, 'op')), 1, 'ses-2', start));
}

const links = new CaseLinks(SECRET, 'https://relay.example', TTL_MS);
const contact = (contactIndex: number, email: string): LinkRecipient => ({ kind: 'contact', contactIndex, email });
const tokenOf = (url: string) => url.split('/').at(-1)!;
const tokenFor = (action: CaseLinkAction, recipient: LinkRecipient, id = caseId) =>
  tokenOf(links.linkFor(id, action, start, recipient));
const admins =
  (...emails: string[]) =>
  async () =>
    emails;
const check = (current: ForwardingCase, token: string, action: CaseLinkAction = 'done', adminsNow = admins(admin)) =>
  links.check(current, action, token, later, adminsNow);
const replaced = (current: ForwardingCase, index: number, email: string) =>
  ok(changeContactAddress(current, index, email, later, 'op'));

describe('admin links bound to the address they were mailed to', () => {
  it('When both contacts were mailed, then each one’s links pass, for their own action only', async () => {
    const current = mailedToBoth();
    expect(await check(current, tokenFor('done', contact(0, first)))).toMatchObject({
      ok: true,
      recipient: contact(0, first),
    });
    expect(await check(current, tokenFor('done', contact(1, second)))).toMatchObject({ ok: true });
    expect(await check(current, tokenFor('acknowledge', contact(0, first)))).toMatchObject({ ok: false });
  });

  it('When contact 0 is replaced, then its links (and its page’s form tokens) say "replaced", contact 1’s still pass, and the new address’s pass', async () => {
    const mailed = mailedToBoth();
    const oldLink = tokenFor('done', contact(0, first));
    const oldForm = links.pageTokenFor(caseId, 'not-ours', later, later.getTime() / 1000 + 3600, contact(0, first));
    const current = replaced(mailed, 0, 'new@acme.example');
    expect(await check(current, oldLink)).toEqual({ ok: false, reason: 'recipient-replaced' });
    expect(await check(current, oldForm, 'not-ours')).toEqual({ ok: false, reason: 'recipient-replaced' });
    expect(await check(current, tokenFor('done', contact(1, second)))).toMatchObject({ ok: true });
    expect(await check(current, tokenFor('done', contact(0, 'new@acme.example')))).toMatchObject({ ok: true });
  });

  it('When contact 0 is now someone else (the old address moved to place 1), then the token for contact 0 is refused: the place and the address must both hold', async () => {
    const mailed = mailedToBoth();
    const oldLink = tokenFor('done', contact(0, first));
    // Contact 1 replaced by contact 0's address, contact 0 by another: an index shift in effect.
    const shifted = replaced(replaced(mailed, 1, first), 0, 'someone-else@acme.example');
    expect(shifted.contacts.map((c) => c.email)).toEqual(['someone-else@acme.example', first]);
    expect((await check(shifted, oldLink)).ok).toBe(false);
    // A list that lost its first contact (the old place 1 now at 0): the old contact 1's link is refused at 0.
    const removed: ForwardingCase = { ...mailed, contacts: mailed.contacts.slice(1) };
    expect((await check(removed, tokenFor('done', contact(1, second)))).ok).toBe(false);
    expect((await check(removed, tokenFor('done', contact(0, first)))).ok).toBe(false);
  });

  it('When an address differs only in case or surrounding spaces, then it is the same recipient', async () => {
    const current = mailedToBoth();
    expect((await check(current, tokenFor('done', contact(0, ' PRIVACY@Acme.Example ')))).ok).toBe(true);
  });

  it('When a contact is replaced and later set back to the old address, then the old address’s links pass again (it is the contact again)', async () => {
    const oldLink = tokenFor('done', contact(0, first));
    const back = replaced(replaced(mailedToBoth(), 0, 'new@acme.example'), 0, first);
    expect((await check(back, oldLink)).ok).toBe(true);
  });

  it('When a token’s recipient is re-labelled (another contact, an admin, no recipient, another case), then it is refused', async () => {
    const current = mailedToBoth();
    const [purpose, subject, expiry, mac] = tokenFor('done', contact(0, first)).split('.') as [
      string,
      string,
      string,
      string,
    ];
    for (const relabelled of [`${caseId}_c1`, `${caseId}_a`, caseId, `${otherCaseId}_c0`, `${subject}_c0`]) {
      const result = await check(current, `${purpose}.${relabelled}.${expiry}.${mac}`);
      expect([relabelled, result.ok]).toEqual([relabelled, false]);
    }
  });

  it('When case A’s link is used on case B (same tenant, same contact address), then it is refused as another case’s', async () => {
    const caseB = mailedToBoth(otherCaseId);
    expect(await check(caseB, tokenFor('done', contact(0, first)))).toEqual({ ok: false, reason: 'other-case' });
    const forged = signToken(`${SECRET}-other`, { purpose: 'case-done', subject: `${otherCaseId}_c0`, expiresAt: 2e9 });
    expect((await check(caseB, forged)).ok).toBe(false);
  });

  it('When a contact index is out of the case’s list, then the link is refused, never an exception', async () => {
    const current = mailedToBoth();
    for (const index of [2, 999]) {
      expect((await check(current, tokenFor('done', contact(index, first)))).ok).toBe(false);
    }
  });

  it('When an escalation’s admin link is used, then it passes while the directory lists that admin (in any place) and is refused once it does not', async () => {
    const current = mailedToBoth();
    const adminLink = tokenFor('acknowledge', { kind: 'admin', email: admin });
    expect(await check(current, adminLink, 'acknowledge', admins('other-admin@acme.example', admin))).toMatchObject({
      ok: true,
      recipient: { kind: 'admin', email: admin },
    });
    expect((await check(current, adminLink, 'acknowledge', admins('other-admin@acme.example'))).ok).toBe(false);
    expect((await check(current, adminLink, 'acknowledge', admins())).ok).toBe(false);
    // An admin's address that is also a privacy contact's: the admin link does not pass as the contact's.
    const asContact = tokenFor('acknowledge', { kind: 'admin', email: first });
    expect((await check(current, asContact, 'acknowledge', admins())).ok).toBe(false);
  });

  it('When a link signed before links named their recipient is used, then it passes unless a contact changed after it was signed', async () => {
    const legacy = signToken(SECRET, {
      purpose: 'case-done',
      subject: caseId,
      expiresAt: Math.floor((start.getTime() + TTL_MS) / 1000),
    });
    const mailed = mailedToBoth();
    expect(await check(mailed, legacy)).toEqual({ ok: true, expiresAt: expect.any(Number) });
    expect(await check(replaced(mailed, 1, 'new@acme.example'), legacy)).toEqual({
      ok: false,
      reason: 'recipient-replaced',
    });
    // A change before it was signed: the link went to the addresses as they were then, which stand.
    const changedBefore = ok(
      changeContactAddress(mailed, 1, 'new@acme.example', new Date(start.getTime() - 1000), 'op'),
    );
    expect(await check(changedBefore, legacy)).toMatchObject({ ok: true });
  });

  it('When a link signed before links named their recipient went out in an all-admins mail, then it is refused once the directory drops an admin that mail went to', async () => {
    const legacy = signToken(SECRET, {
      purpose: 'case-done',
      subject: caseId,
      expiresAt: Math.floor((start.getTime() + TTL_MS) / 1000),
    });
    const escalated = ok(
      recordEscalationMail(
        ok(
          recordEscalation(mailedToBoth(), {
            step: 'all-admins',
            at: start,
            recipients: [{ to: 'admin', email: admin }],
          }),
        ),
        { step: 'all-admins' },
        0,
        { sesMessageId: 'ses-a' },
        start,
      ),
    );
    expect(await check(escalated, legacy, 'done', admins(admin))).toMatchObject({ ok: true });
    // The link cannot say which mail it came in: the dropped admin's is one it may be.
    expect(await check(escalated, legacy, 'done', admins('other-admin@acme.example'))).toEqual({
      ok: false,
      reason: 'recipient-replaced',
    });
    expect(await check(escalated, legacy, 'done', admins(admin.toUpperCase()))).toMatchObject({ ok: true });
  });

  it('When a page token is minted for a link’s recipient, then it is bound like the link and never outlives it', async () => {
    const notAfter = Math.floor(start.getTime() / 1000) + 600;
    const token = links.pageTokenFor(caseId, 'extend', start, notAfter, contact(1, second));
    expect(token.split('.')[2]).toBe(notAfter.toString(36));
    const current = mailedToBoth();
    expect(await links.check(current, 'extend', token, start, admins())).toMatchObject({ ok: true });
    expect((await links.check(current, 'extend', token, new Date((notAfter + 1) * 1000), admins())).ok).toBe(false);
    expect(PAGE_FORM_TOKEN_TTL_MS).toBeGreaterThan(600_000);
  });
});
