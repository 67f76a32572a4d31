import { signToken } from '@privacy-relay/shared/tokens';
import { EVENTS } from '@privacy-relay/shared/events';
import { eventually } from '../../../../test/support/test-env';
import { FORWARDING_LINK_SECRET, forwardingHarness } from '../support/forwarding-harness';

describe('Forwarding a matched case through real Kafka, the database and the SES endpoint', () => {
  const h = forwardingHarness('fwd');
  const { unique, tenantId, logLines, mailsTo, local, storedCase, eventsOn, matchedCase } = h;
  const { firstPrivacy } = h.contacts;

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('When a case is matched, then its forward reaches the first privacy contact with the deadline and working links; GET changes nothing, POST acknowledges once', async () => {
    // Received on Friday 19 December 2025: one month later is Monday 19 January 2026.
    const { requestId, caseId } = await matchedCase('2025-12-19T10:00:00Z');
    const [mail] = await eventually(async () => {
      const mails = await mailsTo(firstPrivacy);
      return mails.length > 0 ? mails : undefined;
    });
    expect(mail).toBeDefined();
    const text = mail!.body.text ?? '';
    const html = mail!.body.html ?? '';
    expect(mail!.subject).toContain('answer by 2026-01-19');
    expect(text).toContain('Legal deadline (uk-gdpr): 2026-01-19 (extendable to 2026-03-19)');
    expect(text).toContain(`ada-${unique}@example.org`);
    expect(text).toContain('Received: 2025-12-19');
    // Every value from the request is escaped in the HTML body.
    expect(html).toContain('Ada &lt;b&gt;Example&lt;/b&gt;');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    // No other contact got it (the admin contact is not a privacy contact; the second waits for the tracking).
    expect(await mailsTo(`admin-${unique}@acme.example`)).toEqual([]);
    expect(await mailsTo(`second-${unique}@acme.example`)).toEqual([]);

    const links = [...text.matchAll(/https:\/\/relay\.example\/case-links\/\S+/g)].map((m) => m[0]);
    const acknowledge = links.find((link) => link.includes(`/case-links/${caseId}/acknowledge/`));
    expect(acknowledge).toBeDefined();
    expect(links).toHaveLength(4); // acknowledge, done, not ours, extend

    const forwarded = await eventually(async () => {
      const stored = await storedCase(caseId);
      return stored?.data.state === 'forwarded' ? stored : undefined;
    });
    expect(forwarded.data.deadline).toBe('2026-01-19');
    expect(forwarded.data.messages).toEqual([
      expect.objectContaining({ sesMessageId: mail!.messageId, delivery: 'sent' }),
    ]);

    // A mail scanner opens the link: a page with a button, nothing changes.
    const page = await fetch(local(acknowledge!));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<button type="submit">Acknowledge</button>');
    expect((await storedCase(caseId))?.version).toBe(forwarded.version);

    const posted = await fetch(local(acknowledge!), { method: 'POST' });
    expect(posted.status).toBe(200);
    expect(await posted.text()).toContain('the request is acknowledged');
    const again = await fetch(local(acknowledge!), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('already recorded');

    const acknowledged = await storedCase(caseId);
    expect(acknowledged?.data.state).toBe('acknowledged');
    expect(acknowledged?.data.audit.map((line) => [line.what, line.by.kind, line.sesMessageId])).toEqual([
      ['matched', 'operator', undefined],
      ['forwarded', 'relay', mail!.messageId],
      ['acknowledged', 'admin-link', undefined],
    ]);

    const [forwardedEvent] = await eventsOn(EVENTS.caseForwardedV1, caseId);
    expect(forwardedEvent?.payload).toMatchObject({
      requestId,
      tenantId,
      // For the requester's notice (intake mails it): the directory's name and the requester's address.
      tenantName: 'Acme Forwarding Ltd',
      requesterEmail: `ada-${h.unique}@example.org`,
      deadline: { regime: 'uk-gdpr', dueOn: '2026-01-19', extendableTo: '2026-03-19' },
      recipients: [{ email: firstPrivacy, role: 'privacy', sesMessageId: mail!.messageId }],
    });
    const acknowledgedEvents = await eventsOn(EVENTS.caseAcknowledgedV1, caseId);
    expect(acknowledgedEvents).toHaveLength(1);
    expect(acknowledgedEvents[0]?.payload).toMatchObject({ requestId, tenantId, via: 'admin-link' });

    // The token in the path never reaches the log: the access log names the route pattern.
    const token = acknowledge!.split('/').at(-1)!;
    expect(logLines.join('\n')).toContain('/case-links/:caseId/:action/:token');
    expect(logLines.join('\n')).not.toContain(token);
  });

  it('When a link is tampered with, expired, for another case or for another action, then a clear page says so and nothing changes', async () => {
    const { caseId } = await matchedCase(new Date().toISOString());
    const other = await matchedCase(new Date().toISOString());
    const base = `http://127.0.0.1:${h.relay.port}/case-links`;
    const forwarded = await eventually(async () => {
      const stored = await storedCase(caseId);
      return stored?.data.state === 'forwarded' ? stored : undefined;
    });
    const sign = (purpose: string, subject: string, expiresAt: number) =>
      signToken(FORWARDING_LINK_SECRET, { purpose, subject, expiresAt });
    const inAnHour = Math.floor(Date.now() / 1000) + 3600;
    const valid = sign('case-acknowledge', caseId, inAnHour);
    const attempts = {
      tampered: `${base}/${caseId}/acknowledge/${valid.slice(0, -2)}${valid.endsWith('AA') ? 'BB' : 'AA'}`,
      expired: `${base}/${caseId}/acknowledge/${sign('case-acknowledge', caseId, Math.floor(Date.now() / 1000) - 60)}`,
      crossCase: `${base}/${caseId}/acknowledge/${sign('case-acknowledge', other.caseId, inAnHour)}`,
      wrongAction: `${base}/${caseId}/done/${valid}`,
      otherSecret: `${base}/${caseId}/acknowledge/${signToken('another-secret-of-at-least-32-characters!', { purpose: 'case-acknowledge', subject: caseId, expiresAt: inAnHour })}`,
    };
    for (const [what, url] of Object.entries(attempts)) {
      for (const method of ['GET', 'POST']) {
        const response = await fetch(url, { method });
        expect([what, method, response.status]).toEqual([what, method, 403]);
        expect(await response.text()).toContain('This link is not valid');
      }
    }
    const after = await storedCase(caseId);
    expect(after?.version).toBe(forwarded.version);
    expect(after?.data.state).toBe('forwarded');
    // The valid link still works afterwards: the refusals changed nothing.
    expect((await fetch(`${base}/${caseId}/acknowledge/${valid}`, { method: 'POST' })).status).toBe(200);
    expect((await storedCase(caseId))?.data.state).toBe('acknowledged');
  });
});
