import { randomUUID } from 'node:crypto';
import { EVENTS, type CaseForwardedV1Payload } from '@privacy-relay/shared/events';
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
 * The requester's notice through real Kafka, the database and the SES endpoint: intake consumes
 * `privacy.case.forwarded.v1` as the relay publishes it (here published by the test).
 */
describe("The requester's notice of a forward (intake consumes privacy.case.forwarded.v1)", () => {
  let h: IntakeHarness;
  let publisher: KafkaEventPublisher;

  beforeAll(async () => {
    h = await startIntake('fwdnotice');
    publisher = new KafkaEventPublisher(h.kafka, { topicPrefix: h.ns.topicPrefix, logger: testLogger('test') });
    await publisher.connect();
  });
  afterAll(async () => {
    await publisher?.disconnect();
    await h?.stop();
  });

  /** A request made through the JSON API; confirmed through its link unless `confirm` is false. */
  async function request(label: string, confirm = true) {
    const email = uniqueEmail(label);
    const accepted = await postJson(h.baseUrl, validBody(email));
    expect(accepted.status).toBe(202);
    const mails = await eventually(async () => {
      const found = await mailsTo(email);
      return found.length >= 2 ? found : undefined;
    });
    const text = (subject: string) => mails.find((m) => m.subject.startsWith(subject))?.body.text ?? '';
    if (confirm) {
      const confirmed = await fetch(`${h.baseUrl}${linkPath(text('Confirm'), 'verify')}`, { method: 'POST' });
      expect(confirmed.status).toBe(200);
    }
    const requestId = (await h.receivedEvents(1)).find((e) => e.payload.requester.email === email)!.payload.requestId;
    return {
      email,
      requestId,
      reference: String(accepted.json.reference),
      statusPath: linkPath(text('We received'), 'status'),
    };
  }

  const forwarded = (payload: Partial<CaseForwardedV1Payload> & Pick<CaseForwardedV1Payload, 'requestId'>) =>
    publisher.publish(
      EVENTS.caseForwardedV1,
      EVENTS.caseForwardedV1.create(
        {
          caseId: randomUUID(),
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

  const notices = async (email: string) => (await mailsTo(email)).filter((m) => m.subject.includes(' went to '));
  const noticeCount = async (outcome: string) => {
    const metrics = await (await fetch(`http://127.0.0.1:${h.intake.adminPort}/metrics`)).text();
    const line = metrics
      .split('\n')
      .find((l) => l.startsWith('intake_forward_notices_total{') && l.includes(`outcome="${outcome}"`));
    return Number(line?.split(' ').at(-1) ?? 0);
  };

  it('When a verified request is forwarded twice over (a redelivery) and then to a second customer, then the requester gets one notice per customer and the status page lists both with their deadlines', async () => {
    const { email, requestId, reference, statusPath } = await request('fwdnotice');
    const caseId = randomUUID();
    await forwarded({ caseId, requestId, requesterEmail: email });
    const [first] = await eventually(async () => {
      const found = await notices(email);
      return found.length > 0 ? found : undefined;
    });
    expect(first?.subject).toBe(`Your privacy request ${reference} went to Acme <Widgets> Ltd`);
    expect(first?.body.text).toContain('Under UK GDPR they must answer you by 2026-04-02.');
    expect(first?.body.html).toContain('<strong>Acme &lt;Widgets&gt; Ltd</strong>');

    // The redelivery, then a second customer's case of the same request (same key, same
    // partition, so it comes after): once its notice is there, the redelivery was handled.
    await forwarded({ caseId, requestId, requesterEmail: email });
    await forwarded({
      requestId,
      requesterEmail: email,
      tenantId: 'tenant-other',
      tenantName: 'Other Holdings plc',
      deadline: { regime: 'ccpa', dueOn: '2026-04-16', extendableTo: '2026-05-31' },
    });
    const both = await eventually(async () => {
      const found = await notices(email);
      return found.some((m) => m.subject.endsWith('Other Holdings plc')) ? found : undefined;
    });
    expect(both.map((m) => m.subject).sort()).toEqual([
      `Your privacy request ${reference} went to Acme <Widgets> Ltd`,
      `Your privacy request ${reference} went to Other Holdings plc`,
    ]);

    const page = await (await fetch(`${h.baseUrl}${statusPath}`)).text();
    const today = new Date().toISOString().slice(0, 10);
    expect(page).toContain(
      `Forwarded to <strong>Acme &lt;Widgets&gt; Ltd</strong> on ${today}; they must answer by <strong>2026-04-02</strong> (extendable to 2026-06-02) under UK GDPR.`,
    );
    expect(page).toContain(
      `Forwarded to <strong>Other Holdings plc</strong> on ${today}; they must answer by <strong>2026-04-16</strong> (extendable to 2026-05-31)`,
    );
  });

  it('When a request that was never confirmed is said to be forwarded, then the requester is not mailed and the status page names no customer', async () => {
    const { email, requestId, statusPath } = await request('fwdunverified', false);
    const before = await noticeCount('unverified');
    await forwarded({ requestId, requesterEmail: email, tenantName: 'Secret Holder Ltd' });
    // The positive marker: intake counted the event as one for an unverified request.
    await eventually(async () => ((await noticeCount('unverified')) > before ? true : undefined));
    expect(await notices(email)).toEqual([]);
    const page = await (await fetch(`${h.baseUrl}${statusPath}`)).text();
    expect(page).toContain('Waiting for you to confirm');
    expect(page).not.toContain('Secret Holder');
    expect(page).not.toContain('Forwarded to');
  });
});
