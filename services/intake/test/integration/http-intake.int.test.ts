import { randomUUID } from 'node:crypto';
import { RequesterLinks } from '@privacy-relay/intake/application/requester-links';
import { referenceFor } from '@privacy-relay/intake/domain/reference';
import { verificationCodeFor } from '@privacy-relay/shared/tokens';
import {
  TEST_LINK_SECRET,
  linkPath,
  mailsTo,
  openForm,
  postForm,
  postJson,
  startIntake,
  uniqueEmail,
  validBody,
  type IntakeHarness,
} from '../support/intake-harness';
import { eventually } from '../../../../test/support/test-env';

describe('Intake over HTTP: the JSON API and the web form become durable, verified requests', () => {
  let h: IntakeHarness;

  beforeAll(async () => {
    h = await startIntake('httpintake');
  });

  afterAll(async () => {
    await h?.stop();
  });

  /** Posts a marker request and returns every received event once it is readable: anything published before is too. */
  async function eventsUpToMarker(marker: string) {
    await postJson(h.baseUrl, validBody(marker));
    return eventually(async () => {
      const all = await h.receivedEvents(1);
      return all.some((event) => event.payload.requester.email === marker) ? all : undefined;
    });
  }

  it('When a valid JSON request is posted, then it answers 202 with a reference and status URL, and exactly one schema-valid event is on Kafka', async () => {
    const email = uniqueEmail('api');
    const response = await postJson(h.baseUrl, validBody(email), { 'idempotency-key': 'api-one' });
    expect(response.status).toBe(202);
    expect(response.json).toEqual({
      reference: expect.stringMatching(/^PR-[0-9A-Z]{4}-[0-9A-Z]{4}$/),
      statusUrl: expect.stringMatching(/^http:\/\/intake\.test\/status\/status\./),
    });
    const events = (await h.receivedEvents(1)).filter((event) => event.payload.requester.email === email);
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toMatchObject({
      reference: response.json.reference,
      channel: 'api',
      rights: ['access', 'erasure'],
      company: { name: 'Juro Online Limited' },
      verification: { status: 'pending' },
    });
  });

  it('When the same Idempotency-Key is posted again, then the same reference comes back and still one event exists', async () => {
    const email = uniqueEmail('idem');
    const first = await postJson(h.baseUrl, validBody(email), { 'idempotency-key': 'same-key' });
    const second = await postJson(h.baseUrl, validBody(email), { 'idempotency-key': 'same-key' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.json.reference).toBe(first.json.reference);
    // A marker request after the duplicate: once it is readable, so is anything the duplicate published.
    const marker = uniqueEmail('marker');
    const events = await eventsUpToMarker(marker);
    expect(events.filter((event) => event.payload.requester.email === email)).toHaveLength(1);
    // One request, so one receipt and one verification mail (the mail consumer sends from the one event).
    await eventually(async () => ((await mailsTo(email)).length >= 2 ? true : undefined));
    await eventually(async () => ((await mailsTo(marker)).length === 2 ? true : undefined));
    expect(await mailsTo(email)).toHaveLength(2);
  });

  it('When an Idempotency-Key comes back with other content, then 422 and nothing more is published; an edited form sent again gets a fresh form', async () => {
    const email = uniqueEmail('reuse');
    const first = await postJson(h.baseUrl, validBody(email), { 'idempotency-key': 'reused-key' });
    expect(first.status).toBe(202);
    const edited = { ...validBody(email), text: 'On second thought: erase everything.' };
    const reused = await postJson(h.baseUrl, edited, { 'idempotency-key': 'reused-key' });
    expect(reused.status).toBe(422);
    expect(reused.json).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });

    const formEmail = uniqueEmail('reuse-form');
    const { cookie, formToken } = await openForm(h.baseUrl);
    const fields = (text: string): Array<[string, string]> => [
      ['formToken', formToken],
      ['name', 'Grace Example'],
      ['email', formEmail],
      ['rights', 'access'],
      ['text', text],
    ];
    expect((await postForm(h.baseUrl, fields('First.'), cookie)).status).toBe(202);
    const resent = await postForm(h.baseUrl, fields('Edited after going back.'), cookie);
    expect(resent.status).toBe(422);
    expect(resent.html).toContain('sent before with other answers');
    const freshToken = /name="formToken" value="([^"]+)"/.exec(resent.html)?.[1];
    expect(freshToken).toBeDefined();
    expect(freshToken).not.toBe(formToken);
    expect(resent.html).toContain('Edited after going back.');

    const events = await eventsUpToMarker(uniqueEmail('reuse-marker'));
    expect(events.filter((event) => event.payload.requester.email === email)).toHaveLength(1);
    expect(events.filter((event) => event.payload.requester.email === formEmail)).toHaveLength(1);
  });

  it('When no Idempotency-Key is sent, then each call is a new request with its own reference', async () => {
    const email = uniqueEmail('nokey');
    const a = await postJson(h.baseUrl, validBody(email));
    const b = await postJson(h.baseUrl, validBody(email));
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(a.json.reference).not.toBe(b.json.reference);
  });

  it('When the form is opened, then it works without JavaScript: labelled fields, a hidden form token and a CSRF cookie', async () => {
    const { html, cookie, formToken } = await openForm(h.baseUrl);
    expect(html).not.toContain('<script');
    expect(html).toContain('<form method="post" action="/request"');
    for (const field of ['name', 'email', 'companyName', 'companyEmail', 'text', 'regimeHint', 'otherRightText']) {
      expect(html).toContain(`<label for="${field}">`);
    }
    expect(html).toContain('<legend>');
    expect(cookie).toMatch(/^intake_csrf=/);
    expect(formToken).toMatch(/^form\./);
  });

  it('When the form is posted, then it answers 202 with the reference, one event is on Kafka and the receipt and verification mails are in SES', async () => {
    const email = uniqueEmail('form');
    const { cookie, formToken } = await openForm(h.baseUrl);
    const fields: Array<[string, string]> = [
      ['formToken', formToken],
      ['name', 'Grace Example'],
      ['email', email],
      ['rights', 'access'],
      ['rights', 'portability'],
      ['companyName', 'Acme & Sons Ltd'],
      ['text', 'Everything you hold.'],
      ['regimeHint', 'uk-gdpr'],
    ];
    const first = await postForm(h.baseUrl, fields, cookie);
    expect(first.status).toBe(202);
    const reference = /PR-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(first.html)?.[0];
    expect(reference).toBeDefined();
    // A double click sends the same token: same reference, no second request.
    const again = await postForm(h.baseUrl, fields, cookie);
    expect(again.status).toBe(202);
    expect(again.html).toContain(reference);

    const marker = uniqueEmail('marker');
    const events = await eventsUpToMarker(marker);
    const mine = events.filter((event) => event.payload.requester.email === email);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.payload).toMatchObject({
      reference,
      channel: 'web-form',
      rights: ['access', 'portability'],
      company: { name: 'Acme & Sons Ltd' },
      regimeHint: 'uk-gdpr',
      idempotencyKey: expect.stringMatching(/^web-form:/),
    });

    const mails = await eventually(async () => {
      const found = await mailsTo(email);
      return found.length >= 2 ? found : undefined;
    });
    expect(mails.map((mail) => mail.subject).sort()).toEqual([
      `Confirm your privacy request ${reference}`,
      `We received your privacy request ${reference}`,
    ]);
    expect(mails.every((mail) => mail.from === 'privacy@relay.test')).toBe(true);
  });

  it('When the form is posted without its cookie or with a forged token, then it is refused with 403 and nothing is published', async () => {
    const email = uniqueEmail('csrf');
    const { formToken } = await openForm(h.baseUrl);
    const withoutCookie = await postForm(
      h.baseUrl,
      [
        ['formToken', formToken],
        ['name', 'Eve'],
        ['email', email],
        ['rights', 'access'],
      ],
      '',
    );
    expect(withoutCookie.status).toBe(403);
    const { cookie } = await openForm(h.baseUrl);
    const forged = await postForm(
      h.baseUrl,
      [
        ['formToken', 'form.AAAAAAAAAAAAAAAAAAAAAA.zzzzzz.AAAAAAAAAAAAAAAAAAAAAA'],
        ['name', 'Eve'],
        ['email', email],
        ['rights', 'access'],
      ],
      cookie,
    );
    expect(forged.status).toBe(403);
    expect((await h.receivedEvents(0)).some((event) => event.payload.requester.email === email)).toBe(false);
  });

  it('When a form post is invalid, then the form comes back with 400, the messages and the values, escaped', async () => {
    const { cookie, formToken } = await openForm(h.baseUrl);
    const response = await postForm(
      h.baseUrl,
      [
        ['formToken', formToken],
        ['name', '<script>alert(1)</script>'],
        ['email', 'not-an-address'],
        ['text', '"><img src=x onerror=alert(2)>'],
      ],
      cookie,
    );
    expect(response.status).toBe(400);
    expect(response.html).toContain('must be an email address');
    expect(response.html).toContain('name at least one right');
    expect(response.html).not.toContain('<script>alert(1)');
    expect(response.html).not.toContain('<img src=x');
    expect(response.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(response.html).toContain(`value="${formToken}"`);
  });

  it('When the verification link is opened, then GET only shows a confirm page; POST publishes privacy.request.verified.v1 exactly once', async () => {
    const email = uniqueEmail('verify');
    const accepted = await postJson(h.baseUrl, validBody(email));
    expect(accepted.status).toBe(202);
    const mail = await eventually(async () => (await mailsTo(email)).find((m) => m.subject.startsWith('Confirm')));
    const verifyPath = linkPath(mail.body.text ?? '', 'verify');

    const page = await fetch(`${h.baseUrl}${verifyPath}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`action="${verifyPath}"`);
    const statusPath = new URL(String(accepted.json.statusUrl)).pathname;
    expect(await (await fetch(`${h.baseUrl}${statusPath}`)).text()).toContain('Waiting for you to confirm');

    const confirms = await Promise.all([1, 2, 3].map(() => fetch(`${h.baseUrl}${verifyPath}`, { method: 'POST' })));
    // The click that confirmed publishes (200 "confirmed"); a click racing it may find the
    // confirmation stored and its event still on its way (202 "recorded"): nothing is doubled.
    const statuses = confirms.map((response) => response.status);
    expect(statuses).toContain(200);
    expect(statuses.every((status) => status === 200 || status === 202)).toBe(true);

    const requestId = (await h.receivedEvents(1)).find((event) => event.payload.requester.email === email)?.payload
      .requestId;
    const verified = await eventually(async () => {
      const all = await h.verifiedEvents(1);
      return all.some((event) => event.payload.requestId === requestId) ? all : undefined;
    });
    expect(verified.filter((event) => event.payload.requestId === requestId)).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ requestId, method: 'email-link' }) }),
    ]);
    expect(await (await fetch(`${h.baseUrl}${statusPath}`)).text()).toContain('Confirmed');
  });

  it('When the mailed code is typed on the status page, then the request is verified; a wrong code is refused', async () => {
    const email = uniqueEmail('code');
    const accepted = await postJson(h.baseUrl, validBody(email));
    const statusPath = new URL(String(accepted.json.statusUrl)).pathname;
    const mail = await eventually(async () => (await mailsTo(email)).find((m) => m.subject.startsWith('Confirm')));
    const code = /code on your request's status page: (\d{6})/.exec(mail.body.text ?? '')?.[1] ?? '';
    const post = (value: string) =>
      fetch(`${h.baseUrl}${statusPath}/code`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ code: value }).toString(),
      });
    const wrong = await post(code === '000000' ? '111111' : '000000');
    expect(wrong.status).toBe(400);
    const right = await post(code);
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('your request is confirmed');
  });

  it('When a status or verification token is forged or of the wrong kind, then 404 and nothing is revealed', async () => {
    const email = uniqueEmail('forged');
    const accepted = await postJson(h.baseUrl, validBody(email));
    const statusPath = new URL(String(accepted.json.statusUrl)).pathname;
    const statusToken = statusPath.split('/')[2] ?? '';
    expect((await fetch(`${h.baseUrl}/verify/${statusToken}`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${h.baseUrl}/status/${statusToken.slice(0, -2)}xx`)).status).toBe(404);
    expect((await fetch(`${h.baseUrl}/status/nonsense`)).status).toBe(404);
    expect(await (await fetch(`${h.baseUrl}/status/${statusToken.slice(0, -2)}xx`)).text()).toContain('not valid');
  });

  it('When a status link we signed names a request whose state is not stored (yet), then the page shows its reference as received, and a code cannot be checked yet', async () => {
    // A call without Idempotency-Key until the mail consumer stores its state; another instance's
    // write behind the answer still in flight.
    const links = new RequesterLinks(TEST_LINK_SECRET, 'http://intake.test');
    const requestId = randomUUID();
    const statusPath = new URL(links.statusUrl(requestId, new Date())).pathname;
    const response = await fetch(`${h.baseUrl}${statusPath}`);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain(referenceFor(requestId));
    expect(page).toContain('Received');
    const code = await fetch(`${h.baseUrl}${statusPath}/code`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ code: verificationCodeFor(TEST_LINK_SECRET, requestId) }).toString(),
    });
    expect(code.status).toBe(409);
  });

  it('When /docs is asked for, then the OpenAPI document describes POST /v1/requests', async () => {
    const spec = (await (await fetch(`${h.baseUrl}/docs/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toContain('/v1/requests');
    expect((await fetch(`${h.baseUrl}/docs`)).status).toBeLessThan(400);
  });

  it('When any page is served, then security headers are set', async () => {
    const response = await fetch(`${h.baseUrl}/request`);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBeTruthy();

    // The JSON API: the headers that matter for a response nobody renders, not the page set.
    const api = await fetch(`${h.baseUrl}/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(validBody(uniqueEmail('headers'))),
    });
    expect(api.status).toBe(202);
    expect(api.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('x-frame-options')).toBe('DENY');
    expect(api.headers.get('strict-transport-security')).toBeTruthy();
    expect(api.headers.get('x-dns-prefetch-control')).toBeNull();

    // Refusals carry them too.
    const refused = await fetch(`${h.baseUrl}/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"requester":',
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
