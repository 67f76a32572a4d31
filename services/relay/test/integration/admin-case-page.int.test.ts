import { eventually } from '../../../../test/support/test-env';
import { forwardingHarness } from '../support/forwarding-harness';

/** A case page's forms, in page order: where each posts (undefined: back to the page's URL) and its button. */
function formsOf(html: string): { action: string | undefined; button: string }[] {
  return [
    ...html.matchAll(/<form method="post"(?: action="([^"]*)")?>[\s\S]*?<button type="submit"[^>]*>([^<]*)<\/button>/g),
  ].map((m) => ({ action: m[1]?.replace(/&amp;/g, '&'), button: m[2]! }));
}

/** Where the browser sends a form or follows a link of the page at `pageUrl`. */
const resolve = (href: string | undefined, pageUrl: string) =>
  href === undefined ? pageUrl : new URL(href, pageUrl).href;

/** Today's date where the harness's tenant counts its days (GB-ENG: Europe/London), and days between two dates. */
const londonToday = () =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/London',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());
const epochDay = (d: string) =>
  Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10))) / 86_400_000;

/**
 * The customer admin's case page (issue 17), reached from the forward's links with no account,
 * through real Kafka, the database and the SES endpoint.
 */
describe('The customer admin’s case page, from the forward’s links', () => {
  const h = forwardingHarness('casepage');
  const { unique, mailsTo, local, storedCase, matchedCase, logLines } = h;
  const { firstPrivacy } = h.contacts;

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  type Links = Record<'acknowledge' | 'done' | 'not-ours' | 'extend', string>;

  /** A case forwarded to its first privacy contact (its outbox published), and the links of that mail. */
  async function forwardedCase(receivedAt: string, who: string) {
    const { requestId, caseId } = await matchedCase(receivedAt, {
      requester: { name: `${who} <i>Tester</i>`, email: `${who.toLowerCase()}-${unique}@example.org` },
      rights: ['access', 'other'],
      otherRightText: `Tell ${who} who you sold it to`,
      text: `Line one of ${who}\nLine <b>two</b>`,
    });
    const mail = await eventually(async () => (await mailsTo(firstPrivacy)).find((m) => m.body.text?.includes(caseId)));
    const text = mail.body.text ?? '';
    const find = (action: string) =>
      local(new RegExp(`https://relay\\.example/case-links/${caseId}/${action}/\\S+`).exec(text)![0]);
    const links: Links = {
      acknowledge: find('acknowledge'),
      done: find('done'),
      'not-ours': find('not-ours'),
      extend: find('extend'),
    };
    const stored = await eventually(async () => {
      const doc = (await storedCase(caseId)) as unknown as {
        version: number;
        outboxPending: boolean;
        data: { state: string; deadline: string; extendedDeadline: string; receivedOn: string };
      } | null;
      return doc?.data.state === 'forwarded' && !doc.outboxPending ? doc : undefined;
    });
    return { requestId, caseId, links, stored, reference: `PR-${requestId.slice(0, 8).toUpperCase()}`, who };
  }

  const get = async (url: string) => {
    const response = await fetch(url);
    return { status: response.status, headers: response.headers, html: await response.text() };
  };
  const post = async (url: string, form: Record<string, string> = {}) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: response.status, html: await response.text() };
  };
  /** The URL of the page's "Back to the request" link. */
  const backOf = (html: string, pageUrl: string) =>
    resolve(/<a href="([^"]*)">Back to the request<\/a>/.exec(html)?.[1] ?? 'no back link', pageUrl);
  /** The URL the page's form with this button posts to. */
  const formFor = (html: string, pageUrl: string, button: RegExp) => {
    const form = formsOf(html).find((f) => button.test(f.button));
    if (!form) throw new Error(`no form with a button ${String(button)} on the page`);
    return resolve(form.action, pageUrl);
  };

  it('When the admin opens any link of the forward, then the case page shows what was asked, by whom, the deadline with the days left, its state and history, and every action — and nothing changes', async () => {
    const c = await forwardedCase(new Date().toISOString(), 'Grace');
    const { deadline, extendedDeadline, receivedOn } = c.stored.data;
    const left = epochDay(deadline) - epochDay(londonToday());
    expect(left).toBeGreaterThan(20);
    for (const [opened, link] of Object.entries(c.links)) {
      const page = await get(link);
      expect([opened, page.status, page.headers.get('cache-control')]).toEqual([opened, 200, 'no-store']);
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const { html } = page;
      expect(html).toContain(`<h1>Privacy request ${c.reference}</h1>`);
      // What was asked, by whom, when: every value from the request escaped.
      expect(html).toContain(`<dd>Grace &lt;i&gt;Tester&lt;/i&gt; &lt;grace-${unique}@example.org&gt;</dd>`);
      expect(html).toContain('<li>access (a copy of their data)</li><li>other</li>');
      expect(html).toContain('Tell Grace who you sold it to');
      expect(html).toContain('Line one of Grace<br>Line &lt;b&gt;two&lt;/b&gt;');
      expect(html).not.toContain('<b>two');
      expect(html).toContain(`<dt>Received</dt><dd>${receivedOn}</dd>`);
      // The deadline, the days left in the tenant's jurisdiction, the extension still possible.
      expect(html).toContain(
        `answer the requester by <strong>${deadline}</strong>: <strong>${left} days left</strong>`,
      );
      expect(html).toContain(`It can be extended once, to ${extendedDeadline}.`);
      // Where it stands, in plain words.
      expect(html).toContain(`Forwarded to your organisation on ${londonToday()}; not acknowledged yet.`);
      expect(html).toContain(`<li><strong>${londonToday()}</strong>: forwarded to your organisation by email</li>`);
      // Every action as a form: the link's own first, posting back to the link; the others each to
      // their own action's address under this case.
      const forms = formsOf(html);
      expect(forms.map((f) => f.button).sort()).toEqual(
        ['Acknowledge', 'Mark done', 'Not ours', `Extend the deadline to ${extendedDeadline}`].sort(),
      );
      expect(forms[0]!.action).toBeUndefined();
      for (const form of forms.slice(1)) {
        expect(resolve(form.action, link)).toMatch(
          new RegExp(`^http://127\\.0\\.0\\.1:\\d+/case-links/${c.caseId}/(acknowledge|done|not-ours|extend)/[^/]+$`),
        );
      }
    }
    const after = await storedCase(c.caseId);
    expect([after?.version, after?.data.state]).toEqual([c.stored.version, 'forwarded']);
  });

  it('When the deadline has passed, then the page says overdue by how many days and offers no extension', async () => {
    const c = await forwardedCase(new Date(Date.now() - 100 * 86_400_000).toISOString(), 'Olga');
    const overdue = epochDay(londonToday()) - epochDay(c.stored.data.deadline);
    expect(overdue).toBeGreaterThan(30);
    const { html } = await get(c.links.acknowledge);
    expect(html).toContain(`<strong class="error">overdue by ${overdue} days</strong>`);
    expect(html).not.toContain('<textarea');
    expect(formsOf(html).map((f) => f.button)).toEqual(['Acknowledge', 'Mark done', 'Not ours']);
  });

  it("When one case's page is reached with another case's token (mail link or a page's form token), then 403 with a page naming nothing of either case, and nothing changes", async () => {
    const a = await forwardedCase(new Date().toISOString(), 'Alice');
    const b = await forwardedCase(new Date().toISOString(), 'Bob');
    // Positive control: each link shows its own case and nothing of the other.
    const aPage = await get(a.links.acknowledge);
    expect(aPage.html).toContain(a.reference);
    expect(aPage.html).toContain('Alice &lt;i&gt;');
    expect(aPage.html).not.toContain(b.reference);
    expect(aPage.html).not.toContain('Bob');
    const bPage = await get(b.links.acknowledge);
    // A token minted by b's page for its "done" form.
    const bFormToken = formFor(bPage.html, b.links.acknowledge, /^Mark done$/)
      .split('/')
      .at(-1)!;
    const tokenOf = (link: string) => link.split('/').at(-1)!;
    const attempts: string[] = [];
    for (const action of ['acknowledge', 'done', 'not-ours', 'extend'] as const) {
      attempts.push(a.links[action].replace(tokenOf(a.links[action]), tokenOf(b.links[action])));
      attempts.push(b.links[action].replace(tokenOf(b.links[action]), tokenOf(a.links[action])));
    }
    attempts.push(a.links.done.replace(tokenOf(a.links.done), bFormToken));
    const secrets = [a, b].flatMap((c) => [
      c.reference,
      c.caseId,
      c.requestId,
      c.who,
      `${c.who.toLowerCase()}-${unique}`,
      c.stored.data.deadline,
    ]);
    for (const url of attempts) {
      for (const method of ['GET', 'POST'] as const) {
        const response = method === 'GET' ? await get(url) : await post(url, { reason: 'Cross-case attempt' });
        expect([method, response.status]).toEqual([method, 403]);
        expect(response.html).toContain('This link is not valid');
        for (const secret of secrets)
          expect([method, url, response.html.includes(secret)]).toEqual([method, url, false]);
        expect(response.html).not.toContain('Acme');
        expect(response.html).not.toContain('<form');
      }
    }
    for (const c of [a, b]) {
      const after = await storedCase(c.caseId);
      expect([after?.version, after?.data.state]).toEqual([c.stored.version, 'forwarded']);
    }
  });

  it('When the admin acknowledges, extends and marks done through the page, then each action is confirmed with what happened, what comes next and a way back, and the page follows', async () => {
    const c = await forwardedCase(new Date().toISOString(), 'Ida');
    const { deadline, extendedDeadline } = c.stored.data;
    const today = londonToday();
    const tokens = Object.values(c.links).map((link) => link.split('/').at(-1)!);

    // 1. Acknowledge: the link's own form posts back to the link.
    const opened = await get(c.links.acknowledge);
    const acknowledged = await post(formFor(opened.html, c.links.acknowledge, /^Acknowledge$/));
    expect(acknowledged.status).toBe(200);
    expect(acknowledged.html).toContain('<h1>Request acknowledged</h1>');
    expect(acknowledged.html).toContain('the request is acknowledged');
    expect(acknowledged.html).toContain('What comes next');
    expect(acknowledged.html).toContain(`The deadline is <strong>${deadline}</strong>`);
    expect(acknowledged.html).not.toContain('Ida');
    expect((await storedCase(c.caseId))?.data.state).toBe('acknowledged');

    // 2. Back on the case page: acknowledged, in the history, and the actions that still apply.
    let pageUrl = backOf(acknowledged.html, c.links.acknowledge);
    let page = await get(pageUrl);
    expect(page.status).toBe(200);
    expect(page.html).toContain(`Acknowledged on ${today}: your organisation is working on it.`);
    expect(page.html).toContain(`<li><strong>${today}</strong>: acknowledged</li>`);
    expect(page.html).toContain('<strong>Already recorded.</strong>');
    expect(formsOf(page.html).map((f) => f.button)).toEqual([
      'Mark done',
      'Not ours',
      `Extend the deadline to ${extendedDeadline}`,
    ]);

    // 3. Extend through the page's form (its own token, for this case and "extend").
    const extendUrl = formFor(page.html, pageUrl, /^Extend the deadline/);
    tokens.push(extendUrl.split('/').at(-1)!);
    const extended = await post(extendUrl, { reason: 'Twelve years of <records>.\nWe need the time.' });
    expect(extended.status).toBe(200);
    expect(extended.html).toContain('<h1>Deadline extended</h1>');
    expect(extended.html).toContain(`The deadline is now ${extendedDeadline} (it was ${deadline})`);
    expect(extended.html).toContain('Twelve years of &lt;records&gt;.<br>We need the time.');
    expect(extended.html).toContain(`Answer the requester by <strong>${extendedDeadline}</strong>`);
    pageUrl = backOf(extended.html, extendUrl);
    page = await get(pageUrl);
    expect(page.html).toContain(`Extended on ${today} from ${deadline} to ${extendedDeadline}, because:`);
    expect(page.html).toContain(`: deadline extended to ${extendedDeadline}, because:`);
    expect(page.html).toContain('<strong>Already extended.</strong>');
    expect(formsOf(page.html).map((f) => f.button)).toEqual(['Mark done', 'Not ours']);

    // 4. Done through the page's form; the case is closed and the page says so.
    const doneUrl = formFor(page.html, pageUrl, /^Mark done$/);
    tokens.push(doneUrl.split('/').at(-1)!);
    const done = await post(doneUrl);
    expect(done.status).toBe(200);
    expect(done.html).toContain('<h1>Request marked done</h1>');
    expect(done.html).toContain('Nothing more is needed from you.');
    page = await get(backOf(done.html, doneUrl));
    expect(page.html).toContain(`Marked done on ${today}. This request is closed.`);
    expect(page.html).toContain('Nothing more: this request is closed.');
    expect(page.html).not.toContain('<form');

    const stored = (await storedCase(c.caseId)) as unknown as {
      data: { state: string; deadline: string; audit: { what: string; by: { kind: string } }[] };
    };
    expect(stored.data.state).toBe('done');
    expect(stored.data.deadline).toBe(extendedDeadline);
    expect(stored.data.audit.filter((l) => l.by.kind === 'admin-link').map((l) => l.what)).toEqual([
      'acknowledged',
      'deadline extended',
      'done',
    ]);
    // No token, the mail's or a page's, in any log line: the access log names the route pattern.
    await eventually(async () => (logLines.some((l) => l.includes('"outcome":"done"')) ? true : undefined));
    expect(logLines.join('\n')).toContain('/case-links/:caseId/:action/:token');
    for (const token of tokens) expect(logLines.join('\n')).not.toContain(token.split('.').at(-1)!);
  });

  it('When the admin opens the done link and says not ours through the page, then it is confirmed, a repeat is already recorded, and the done link no longer applies', async () => {
    const c = await forwardedCase(new Date().toISOString(), 'Nora');
    const opened = await get(c.links.done);
    expect(formsOf(opened.html).map((f) => f.button)[0]).toBe('Mark done');
    const notOursUrl = formFor(opened.html, c.links.done, /^Not ours$/);
    const notOurs = await post(notOursUrl);
    expect(notOurs.status).toBe(200);
    expect(notOurs.html).toContain('<h1>Marked not ours</h1>');
    expect(notOurs.html).toContain('it will not be sent to your organisation again');
    expect((await storedCase(c.caseId))?.data.state).toBe('not-ours');
    const again = await post(notOursUrl);
    expect([again.status, again.html.includes('already recorded')]).toEqual([200, true]);
    const late = await post(c.links.done);
    expect(late.status).toBe(409);
    expect(late.html).toContain('Nothing was changed');
    expect(late.html).toContain('Back to the request');
    const page = await get(c.links.done);
    expect(page.html).toContain(`Marked not ours on ${londonToday()}: our privacy team has taken it back.`);
    expect(page.html).toContain('<strong>Not possible now.</strong>');
    expect(page.html).not.toContain('<form');
  });
});
