import { randomUUID } from 'node:crypto';
import { EVENTS } from '@privacy-relay/shared/events';
import { eventually } from '../../../../test/support/test-env';
import { forwardingHarness } from '../support/forwarding-harness';

interface ExtendedCase {
  version: number;
  data: {
    state: string;
    deadline: string;
    extendedDeadline: string;
    originalDeadline?: string;
    extension?: { by: { kind: string; operatorId?: string }; reason: string; from: string; to: string };
    audit: { what: string; by: { kind: string; operatorId?: string }; deadline?: string; text?: string }[];
  };
  auditChain: { record: Record<string, unknown> }[];
}

/**
 * The deadline extension through real Kafka, the database and the SES endpoint: the tenant's
 * signed link (GET shows a form and changes nothing, POST extends once) and the operator API.
 */
describe('Extending a case’s deadline, once, with a reason (admin link and operator API)', () => {
  const h = forwardingHarness('extension');
  const { mailsTo, storedCase, matchedCase, operator, logLines } = h;
  const { firstPrivacy } = h.contacts;

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  const stored = async (caseId: string) => (await storedCase(caseId)) as unknown as ExtendedCase;

  /** A case forwarded to its first privacy contact, the extend link of that mail, and the case once its outbox is published. */
  async function forwardedCase(receivedAt = new Date().toISOString()) {
    const { requestId, caseId } = await matchedCase(receivedAt);
    const mail = await eventually(async () => (await mailsTo(firstPrivacy)).find((m) => m.body.text?.includes(caseId)));
    const extendLink = new RegExp(`(https://relay\\.example/case-links/${caseId}/extend/\\S+)`).exec(
      mail.body.text ?? '',
    )?.[1];
    expect(extendLink).toBeDefined();
    const before = await eventually(async () => {
      const doc = (await storedCase(caseId)) as unknown as (ExtendedCase & { outboxPending: boolean }) | null;
      return doc?.data.state === 'forwarded' && !doc.outboxPending ? doc : undefined;
    });
    return { requestId, caseId, mail, link: h.local(extendLink!), before };
  }

  const post = (link: string, reason?: string) =>
    fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: reason === undefined ? '' : new URLSearchParams({ reason }).toString(),
    });

  it('When the admin opens the extend link, then a form asks for a reason and nothing changes; a POST with a reason extends the case once, a second POST is refused', async () => {
    const { requestId, caseId, mail, link, before } = await forwardedCase();
    const { deadline, extendedDeadline } = before.data;
    expect(mail.body.text).toContain(
      `Extend the deadline once, to ${extendedDeadline}, with a reason the requester is told`,
    );

    const page = await fetch(link);
    expect(page.status).toBe(200);
    const form = await page.text();
    expect(form).toContain('<textarea id="reason" name="reason"');
    expect(form).toContain(`must be answered by <strong>${deadline}</strong>`);
    expect(form).toContain(`to <strong>${extendedDeadline}</strong>`);
    expect((await stored(caseId)).version).toBe(before.version);

    // No reason: the form again, with the message, and nothing changes.
    const empty = await post(link, '   ');
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('Please say why the deadline is extended');
    expect((await stored(caseId)).version).toBe(before.version);

    const reason = 'Your request covers <b>twelve years</b> of records & archives.\nWe need the extra time.';
    const extended = await post(link, reason);
    expect(extended.status).toBe(200);
    const done = await extended.text();
    expect(done).toContain(`The deadline is now ${extendedDeadline} (it was ${deadline})`);
    expect(done).toContain('Your request covers &lt;b&gt;twelve years&lt;/b&gt; of records &amp; archives.<br>We need');
    expect(done).not.toContain('<b>twelve');

    const after = await stored(caseId);
    expect(after.version).toBe(before.version + 1);
    expect(after.data).toMatchObject({
      state: 'forwarded',
      deadline: extendedDeadline,
      originalDeadline: deadline,
      extension: { by: { kind: 'admin-link' }, reason, from: deadline, to: extendedDeadline },
    });
    expect(after.data.audit.at(-1)).toMatchObject({
      what: 'deadline extended',
      by: { kind: 'admin-link' },
      text: reason,
    });
    // The chain holds the reason only as a salted hash.
    const chained = after.auditChain.at(-1)!.record;
    expect(chained).toMatchObject({ what: 'deadline extended', deadline: extendedDeadline });
    expect(String(chained.text)).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);

    const [event] = await h.eventsOn(EVENTS.caseExtendedV1, caseId);
    expect(event?.payload).toMatchObject({
      caseId,
      requestId,
      tenantId: h.tenantId,
      tenantName: 'Acme Forwarding Ltd',
      requesterEmail: `ada-${h.unique}@example.org`,
      by: 'admin-link',
      regime: 'uk-gdpr',
      previousDueOn: deadline,
      dueOn: extendedDeadline,
      reason,
    });

    // Once only: another POST (another reason) is refused and changes nothing; the page says so.
    const again = await post(link, 'Another reason.');
    expect(again.status).toBe(409);
    expect(await again.text()).toContain(`already extended, to ${extendedDeadline}`);
    const reopened = await (await fetch(link)).text();
    expect(reopened).toContain('Already extended');
    expect(reopened).not.toContain('<textarea');
    expect((await stored(caseId)).version).toBe(after.version);
    // The outbox held one event: the second POST added none.
    expect(await h.eventsOn(EVENTS.caseExtendedV1, caseId)).toHaveLength(1);

    // Free text never reaches the log.
    expect(logLines.some((line) => line.includes('twelve years'))).toBe(false);
    expect(logLines.some((line) => line.includes('"action":"extend"') && line.includes('"outcome":"extended"'))).toBe(
      true,
    );
  });

  it('When the original deadline day has passed, then the link says it is too late and its POST is refused with 409', async () => {
    const { caseId, link, before } = await forwardedCase('2025-06-02T10:00:00Z');
    expect(before.data.deadline).toBe('2025-07-02');
    const page = await (await fetch(link)).text();
    expect(page).toContain('Too late to extend');
    expect(page).not.toContain('<textarea');
    const refused = await post(link, 'We are late.');
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('The deadline (2025-07-02) has passed');
    expect((await stored(caseId)).version).toBe(before.version);
  });

  it('When an operator extends through the API, then 401 without a token, 400 for a bad reason or field, 404 for no case, 200 once, then 409 ALREADY_EXTENDED; a late case gets 409 DEADLINE_PASSED', async () => {
    const { caseId, before } = await forwardedCase();
    const path = `/v1/cases/${caseId}/extension`;
    for (const authorization of [undefined, 'Bearer not-a-token']) {
      const response = await fetch(`http://127.0.0.1:${h.relay.port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ reason: 'Complex.' }),
      });
      expect(response.status).toBe(401);
    }
    const bad = [
      [{}, 'INVALID_INPUT'],
      [{ reason: '  ' }, 'INVALID_INPUT'],
      [{ reason: 'x'.repeat(1001) }, 'INVALID_INPUT'],
      [{ reason: 42 }, 'INVALID_INPUT'],
      [{ reason: 'Complex.', operatorId: 'someone-else' }, 'UNKNOWN_FIELD'],
    ] as const;
    for (const [body, code] of bad) {
      const answer = await operator('POST', path, body);
      expect([JSON.stringify(body).slice(0, 40), answer.status, answer.body.error?.code]).toEqual([
        JSON.stringify(body).slice(0, 40),
        400,
        code,
      ]);
    }
    expect((await operator('POST', `/v1/cases/${randomUUID()}/extension`, { reason: 'x' })).status).toBe(404);
    expect((await stored(caseId)).version).toBe(before.version);

    const ok = await operator('POST', path, { reason: '  Three systems to search.  ' });
    expect([ok.status, ok.body]).toEqual([
      200,
      {
        caseId,
        outcome: 'extended',
        deadline: before.data.extendedDeadline,
        originalDeadline: before.data.deadline,
        extendedAt: expect.any(String),
      },
    ]);
    const after = await stored(caseId);
    expect(after.data.extension).toMatchObject({
      by: { kind: 'operator', operatorId: 'dev-operator' },
      reason: 'Three systems to search.',
    });
    const [event] = await h.eventsOn(EVENTS.caseExtendedV1, caseId);
    expect(event?.payload).toMatchObject({
      by: 'operator',
      operatorId: 'dev-operator',
      reason: 'Three systems to search.',
    });
    const listed = await operator('GET', `/v1/cases/${caseId}`);
    expect(listed.body).toMatchObject({
      deadline: before.data.extendedDeadline,
      originalDeadline: before.data.deadline,
    });

    const again = await operator('POST', path, { reason: 'Once more.' });
    expect([again.status, again.body.error?.code]).toEqual([409, 'ALREADY_EXTENDED']);
    expect((await stored(caseId)).version).toBe(after.version);

    const late = await forwardedCase('2025-06-03T10:00:00Z');
    const tooLate = await operator('POST', `/v1/cases/${late.caseId}/extension`, { reason: 'Late.' });
    expect([tooLate.status, tooLate.body.error?.code]).toEqual([409, 'DEADLINE_PASSED']);
    expect((await stored(late.caseId)).version).toBe(late.before.version);
  });
});
