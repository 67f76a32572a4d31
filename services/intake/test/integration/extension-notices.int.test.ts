import { randomUUID } from 'node:crypto';
import { EVENTS, type CaseExtendedV1Payload, type CaseForwardedV1Payload } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { eventually, testLogger } from '../../../../test/support/test-env';
import {
  linkPath,
  mailsTo,
  postJson,
  startIntake,
  uniqueEmail,
  validBody,
  type IntakeHarness,
} from '../support/intake-harness';

/**
 * The requester told of a deadline extension, through real Kafka, the database and the SES
 * endpoint: intake consumes `privacy.case.extended.v1` (here published by the test, as the relay
 * does) in the group that reads `privacy.case.forwarded.v1`.
 */
describe('The requester’s notice of a deadline extension (intake consumes privacy.case.extended.v1)', () => {
  let h: IntakeHarness;
  let publisher: KafkaEventPublisher;

  beforeAll(async () => {
    h = await startIntake('extnotice');
    publisher = new KafkaEventPublisher(h.kafka, { topicPrefix: h.ns.topicPrefix, logger: testLogger('test') });
    await publisher.connect();
  });
  afterAll(async () => {
    await publisher?.disconnect();
    await h?.stop();
  });

  /** A request made through the JSON API and confirmed through its link. */
  async function verifiedRequest(label: string) {
    const email = uniqueEmail(label);
    const accepted = await postJson(h.baseUrl, validBody(email));
    expect(accepted.status).toBe(202);
    const mails = await eventually(async () => {
      const found = await mailsTo(email);
      return found.length >= 2 ? found : undefined;
    });
    const text = (subject: string) => mails.find((m) => m.subject.startsWith(subject))?.body.text ?? '';
    const confirmed = await fetch(`${h.baseUrl}${linkPath(text('Confirm'), 'verify')}`, { method: 'POST' });
    expect(confirmed.status).toBe(200);
    const requestId = (await h.receivedEvents(1)).find((e) => e.payload.requester.email === email)!.payload.requestId;
    return {
      email,
      requestId,
      reference: String(accepted.json.reference),
      statusPath: linkPath(text('We received'), 'status'),
    };
  }

  const forwarded = (payload: Pick<CaseForwardedV1Payload, 'requestId' | 'caseId' | 'requesterEmail'>) =>
    publisher.publish(
      EVENTS.caseForwardedV1,
      EVENTS.caseForwardedV1.create(
        {
          tenantId: 'tenant-acme',
          tenantName: 'Acme <Widgets> Ltd',
          forwardedAt: new Date().toISOString(),
          deadline: { regime: 'uk-gdpr', dueOn: '2026-04-02', extendableTo: '2026-06-02' },
          recipients: [{ email: 'privacy@acme.example', role: 'privacy', sesMessageId: 'ses-1' }],
          ...payload,
        },
        { correlationId: payload.requestId },
      ),
    );

  const extended = (
    payload: Pick<CaseExtendedV1Payload, 'requestId' | 'caseId' | 'requesterEmail'> & Partial<CaseExtendedV1Payload>,
  ) =>
    publisher.publish(
      EVENTS.caseExtendedV1,
      EVENTS.caseExtendedV1.create(
        {
          tenantId: 'tenant-acme',
          tenantName: 'Acme <Widgets> Ltd',
          extendedAt: new Date().toISOString(),
          by: 'admin-link',
          regime: 'uk-gdpr',
          previousDueOn: '2026-04-02',
          dueOn: '2026-06-02',
          reason: 'Your request covers <b>twelve years</b> of records & archives.\nWe need the time.',
          ...payload,
        },
        { correlationId: payload.requestId },
      ),
    );

  const extensionNotices = async (email: string) =>
    (await mailsTo(email)).filter((m) => m.subject.includes(' has until '));
  const forwardNotices = async (email: string) => (await mailsTo(email)).filter((m) => m.subject.includes(' went to '));

  it('When a forwarded case is extended (and the event redelivered), then the requester gets one mail with the new deadline and the reason, and the status page shows them, escaped', async () => {
    const { email, requestId, reference, statusPath } = await verifiedRequest('extnotice');
    const caseId = randomUUID();
    await forwarded({ caseId, requestId, requesterEmail: email });
    await eventually(async () => ((await forwardNotices(email)).length > 0 ? true : undefined));
    await extended({ caseId, requestId, requesterEmail: email });
    const [notice] = await eventually(async () => {
      const found = await extensionNotices(email);
      return found.length > 0 ? found : undefined;
    });
    expect(notice?.subject).toBe(
      `Your privacy request ${reference}: Acme <Widgets> Ltd has until 2026-06-02 to answer`,
    );
    expect(notice?.body.text).toContain(
      `The deadline for Acme <Widgets> Ltd to answer your privacy request ${reference} was extended to 2026-06-02 (it was 2026-04-02), as UK GDPR allows once.`,
    );
    expect(notice?.body.text).toContain(
      '> Your request covers <b>twelve years</b> of records & archives.\n> We need the time.',
    );
    expect(notice?.body.html).toContain(
      'Your request covers &lt;b&gt;twelve years&lt;/b&gt; of records &amp; archives.<br>We need the time.',
    );
    expect(notice?.body.html).not.toContain('<b>twelve');

    // The redelivery, then a second case's extension of the same request (same key, same
    // partition, so it comes after): once the second notice is there, the redelivery was handled.
    await extended({ caseId, requestId, requesterEmail: email });
    const otherCase = randomUUID();
    await forwarded({ caseId: otherCase, requestId, requesterEmail: email });
    await extended({
      caseId: otherCase,
      requestId,
      requesterEmail: email,
      tenantName: 'Other Holdings plc',
      reason: 'Many requests.',
    });
    const both = await eventually(async () => {
      const found = await extensionNotices(email);
      return found.some((m) => m.subject.includes('Other Holdings plc')) ? found : undefined;
    });
    expect(both).toHaveLength(2);

    const page = await (await fetch(`${h.baseUrl}${statusPath}`)).text();
    expect(page).toContain(
      'extended to <strong>2026-06-02</strong> (from 2026-04-02) under UK GDPR: <q>Your request covers &lt;b&gt;twelve years&lt;/b&gt; of records &amp; archives.<br>We need the time.</q>',
    );
    expect(page).not.toContain('<b>twelve');
  });

  it('When the extension comes before its forward (another topic), then both are recorded and mailed, and the status page shows the forward with its extension', async () => {
    const { email, requestId, statusPath } = await verifiedRequest('extfirst');
    const caseId = randomUUID();
    await extended({ caseId, requestId, requesterEmail: email, reason: 'Came first.' });
    await eventually(async () => ((await extensionNotices(email)).length > 0 ? true : undefined));
    // Before its forward, the status page names no customer for it.
    expect(await (await fetch(`${h.baseUrl}${statusPath}`)).text()).not.toContain('Acme');
    await forwarded({ caseId, requestId, requesterEmail: email });
    await eventually(async () => ((await forwardNotices(email)).length > 0 ? true : undefined));
    const page = await (await fetch(`${h.baseUrl}${statusPath}`)).text();
    expect(page).toContain('Forwarded to <strong>Acme &lt;Widgets&gt; Ltd</strong>');
    expect(page).toContain(
      'extended to <strong>2026-06-02</strong> (from 2026-04-02) under UK GDPR: <q>Came first.</q>',
    );
  });
});
