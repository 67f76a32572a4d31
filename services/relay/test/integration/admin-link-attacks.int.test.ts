import { eventually } from '../../../../test/support/test-env';
import { forwardingHarness } from '../support/forwarding-harness';

describe('Admin links under attack: HEAD, concurrent POSTs, a case that moved on', () => {
  const h = forwardingHarness('atk');
  const { unique, mailsTo, local, storedCase, matchedCase } = h;
  const { firstPrivacy } = h.contacts;

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  const linksOf = async (caseId: string, contact = firstPrivacy) => {
    const [mail] = await eventually(async () => {
      const mails = (await mailsTo(contact)).filter((m) => (m.body.text ?? '').includes(`/case-links/${caseId}/`));
      return mails.length > 0 ? mails : undefined;
    });
    const text = mail!.body.text ?? '';
    const find = (action: string) =>
      local([...text.matchAll(new RegExp(`https://relay\\.example/case-links/${caseId}/${action}/\\S+`, 'g'))][0]![0]);
    // Past `matched`: the relay has recorded the send (a link opened before says "not ready yet").
    await eventually(async () => {
      const state = (await storedCase(caseId))?.data.state;
      return state !== undefined && state !== 'matched' ? true : undefined;
    });
    return { acknowledge: find('acknowledge'), done: find('done'), notOurs: find('not-ours'), extend: find('extend') };
  };

  it('When a valid link is fetched with HEAD, then nothing changes and the answer is not cached', async () => {
    const { caseId } = await matchedCase(new Date().toISOString());
    const links = await linksOf(caseId);
    const before = await storedCase(caseId);
    for (const link of [links.acknowledge, links.done, links.notOurs]) {
      const head = await fetch(link, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('cache-control')).toBe('no-store');
      expect(head.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const after = await storedCase(caseId);
    expect(after?.version).toBe(before?.version);
    expect(after?.data.state).toBe('forwarded');
  });

  it('When done and not-ours are posted at the same moment, then exactly one wins and the audit has one end', async () => {
    const { caseId } = await matchedCase(new Date().toISOString());
    const links = await linksOf(caseId);
    const answers = await Promise.all(
      [links.done, links.notOurs, links.done, links.notOurs].map((link) => fetch(link, { method: 'POST' })),
    );
    const statuses = answers.map((a) => a.status);
    const after = await storedCase(caseId);
    const ends = after!.data.audit.filter((line) => line.what === 'done' || line.what === 'not-ours');
    expect(ends).toHaveLength(1);
    const winner = ends[0]!.what;
    // The winner's two posts: one acted, one found it already done; the loser's two: refused.
    expect(statuses.filter((s) => s === 409)).toHaveLength(2);
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(after!.data.state).toBe(winner);
  });

  it('When a done case gets acknowledge and not-ours, then both are refused and nothing changes', async () => {
    const { caseId } = await matchedCase(new Date().toISOString());
    const links = await linksOf(caseId);
    expect((await fetch(links.done, { method: 'POST' })).status).toBe(200);
    const done = await storedCase(caseId);
    for (const link of [links.acknowledge, links.notOurs]) {
      const response = await fetch(link, { method: 'POST' });
      expect(response.status).toBe(409);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const html = await response.text();
      expect(html).toContain('Nothing was changed');
      // The page names nothing of the requester.
      expect(html).not.toContain('Ada');
      expect(html).not.toContain(`ada-${unique}`);
    }
    expect((await fetch(links.done, { method: 'POST' })).status).toBe(200);
    const after = await storedCase(caseId);
    expect(after?.version).toBe(done?.version);
    expect(after?.data.state).toBe('done');
  });

  it('When the tenant has said "not ours", then its links no longer show who asked or what they wrote (the wrong company holds no right to them)', async () => {
    const { caseId } = await matchedCase(new Date().toISOString());
    const links = await linksOf(caseId);
    const before = await (await fetch(links.acknowledge)).text();
    // Before: the page shows the request (the forward's own content).
    expect(before).toContain(`ada-${unique}@example.org`);
    expect((await fetch(links.notOurs, { method: 'POST' })).status).toBe(200);
    for (const link of [links.acknowledge, links.done, links.notOurs]) {
      const page = await fetch(link);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Marked not ours');
      expect(html).not.toContain('Ada');
      expect(html).not.toContain(`ada-${unique}`);
      expect(html).not.toContain('Please send me');
      expect(html).not.toContain('<form');
    }
  });

  /** The action targets of a case page's forms (each a page token for this case), resolved against the page's URL. */
  const formTargetsOf = async (pageUrl: string) => {
    const html = await (await fetch(pageUrl)).text();
    return [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => new URL(m[1]!, pageUrl).href);
  };

  it('When an operator replaces the contact a forward was mailed to, then the links in that mail and the forms of a page they opened no longer act or show the request; the other contact’s links, and the new address’s, do', async () => {
    const { caseId } = await matchedCase(new Date().toISOString());
    const old = await linksOf(caseId);
    const oldForms = await formTargetsOf(old.acknowledge);
    expect(oldForms).toHaveLength(3);
    // The second privacy contact gets the case too (an operator's re-send): links of its own.
    expect((await h.operator('POST', `/v1/cases/${caseId}/resend`, { contactIndex: 1 })).status).toBe(200);
    const second = await linksOf(caseId, h.contacts.secondPrivacy);
    const replacement = `replacement-${unique}@acme.example`;
    const changed = await h.operator('PUT', `/v1/cases/${caseId}/contacts/0`, { email: replacement });
    expect(changed.status).toBe(200);
    const before = await storedCase(caseId);

    for (const link of [old.acknowledge, old.done, old.notOurs, old.extend, ...oldForms]) {
      for (const method of ['GET', 'POST']) {
        const response = await fetch(link, { method });
        expect([method, link, response.status]).toEqual([method, link, 403]);
        expect(response.headers.get('cache-control')).toBe('no-store');
        const html = await response.text();
        expect(html).toContain('This link no longer works');
        expect(html).toContain('Nothing was changed');
        expect(html).not.toContain('Ada');
        expect(html).not.toContain(`ada-${unique}`);
        expect(html).not.toContain('Please send me');
        expect(html).not.toContain(replacement);
      }
    }
    const after = await storedCase(caseId);
    expect(after?.version).toBe(before?.version);
    expect(after?.data.state).toBe('forwarded');

    // The contact nobody replaced: its links still act.
    expect((await fetch(second.acknowledge, { method: 'POST' })).status).toBe(200);
    expect((await storedCase(caseId))?.data.state).toBe('acknowledged');
    // The new address, once mailed, holds working links.
    expect((await h.operator('POST', `/v1/cases/${caseId}/resend`, { contactIndex: 0 })).status).toBe(200);
    const fresh = await linksOf(caseId, replacement);
    expect((await fetch(fresh.done, { method: 'POST' })).status).toBe(200);
    expect((await storedCase(caseId))?.data.state).toBe('done');
    // Still nothing for the old address, whatever the case's state.
    expect((await fetch(old.done)).status).toBe(403);
  });

  it('When a link mailed to contact 0 is re-labelled for another contact or for an admin, then it is refused and nothing changes', async () => {
    const { caseId } = await matchedCase(new Date().toISOString());
    const links = await linksOf(caseId);
    const before = await storedCase(caseId);
    const token = links.done.split('/').at(-1)!;
    const [purpose, subject, expiry, mac] = token.split('.') as [string, string, string, string];
    const base = links.done.slice(0, -token.length);
    for (const relabelled of [`${caseId}_c1`, `${caseId}_a`, caseId, `${subject.toUpperCase()}`, `${caseId}_c00`]) {
      const response = await fetch(`${base}${purpose}.${relabelled}.${expiry}.${mac}`, { method: 'POST' });
      expect([relabelled, response.status]).toEqual([relabelled, 403]);
    }
    expect((await storedCase(caseId))?.version).toBe(before?.version);
  });
});
