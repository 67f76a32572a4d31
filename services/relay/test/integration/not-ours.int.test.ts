import { EVENTS, topicName } from '@privacy-relay/shared/events';
import { caseIdFor } from '@privacy-relay/relay/domain/matching/case-id';
import { verifiedRequestEvents } from '../../../../test/support/fixtures';
import { eventually, readTopic, testKafka } from '../../../../test/support/test-env';
import { forwardingHarness } from '../support/forwarding-harness';

interface QueueEntry {
  requestId: string;
  round: number;
  reason: string;
  excluded: { tenantId: string; reason: string; caseId: string; closedAt: string }[];
  candidates: { tenantId: string }[];
}

describe('Not ours: back to triage with the tenant excluded, through real Kafka, the database and the SES endpoint', () => {
  const h = forwardingHarness('notours');
  const { unique, tenantId, mailsTo, local, storedCase, eventsOn, logLines } = h;
  const { firstPrivacy } = h.contacts;
  const otherTenantId = `tenant-other-${unique}`;
  const otherPrivacy = `privacy-${unique}@bolt.example`;

  beforeAll(async () => {
    await h.start();
    await h.addTenant(otherTenantId, 'Bolt Analytics Ltd', [otherPrivacy]);
  });
  afterAll(() => h.stop());

  const queueEntry = async (requestId: string): Promise<QueueEntry | undefined> => {
    const queue = await h.operator('GET', '/triage');
    expect(queue.status).toBe(200);
    return (queue.body.entries as QueueEntry[]).find((entry) => entry.requestId === requestId);
  };
  const logsAbout = (requestId: string, message: string) =>
    logLines.filter((line) => line.includes(requestId) && line.includes(`"msg":"${message}"`));

  it('When the tenant says not ours, then the request is back in the triage queue without it; assigning it again is refused, another tenant gets the forward', async () => {
    // The matcher forwards: the request names the harness tenant as written.
    const requestId = await h.verifiedRequest({
      company: { name: 'Acme Forwarding Ltd' },
      requester: { name: 'Ada Example', email: `ada-${unique}@example.org` },
    });
    const caseId = caseIdFor(requestId, tenantId);
    const [mail] = await eventually(async () => {
      const mails = (await mailsTo(firstPrivacy)).filter((m) => (m.body.text ?? '').includes(caseId));
      return mails.length > 0 ? mails : undefined;
    });
    const notOurs = [...(mail!.body.text ?? '').matchAll(/https:\/\/relay\.example\/case-links\/\S+/g)]
      .map((m) => m[0])
      .find((link) => link.includes(`/case-links/${caseId}/not-ours/`));
    expect(notOurs).toBeDefined();
    await eventually(async () => ((await storedCase(caseId))?.data.state === 'forwarded' ? true : undefined));
    expect(await queueEntry(requestId)).toBeUndefined();

    const posted = await fetch(local(notOurs!), { method: 'POST' });
    expect(posted.status).toBe(200);
    const [closed] = await eventsOn(EVENTS.caseClosedV1, caseId);
    expect(closed?.payload).toMatchObject({ outcome: 'not-ours', tenantId });

    // Back in the operator's queue: the tenant excluded, with why, when and which case.
    const entry = await eventually(() => queueEntry(requestId));
    expect(entry).toMatchObject({
      requestId,
      round: 1,
      reason: 'not-ours',
      excluded: [{ tenantId, reason: 'not-ours', caseId, closedAt: closed?.payload.closedAt }],
    });
    expect(entry.candidates.map((c) => c.tenantId)).not.toContain(tenantId);
    const kafka = testKafka();
    const triageTopic = topicName(EVENTS.caseTriageV1, h.ns.topicPrefix);
    const triageEvents = async () =>
      (await readTopic(kafka, triageTopic, { timeoutMs: 1_000 }))
        .map((m) => JSON.parse(m.value) as { payload: Record<string, unknown> })
        .filter((e) => e.payload.requestId === requestId);
    const [triaged] = await eventually(async () => {
      const found = await triageEvents();
      return found.length > 0 ? found : undefined;
    });
    expect(triaged?.payload).toMatchObject({ reason: 'not-ours', excludedTenantIds: [tenantId] });

    // The closed event again (at-least-once delivery) and the verified event again: no second
    // triage entry, no case.matched for the excluded tenant. The relay's log line for each is the marker.
    const matchedBefore = logsAbout(requestId, 'request matched').length;
    await h.publishAgain(EVENTS.caseClosedV1, closed as never);
    await eventually(async () =>
      logsAbout(requestId, 'not ours applied').some((line) => line.includes('"outcome":"duplicate"'))
        ? true
        : undefined,
    );
    const { verified } = verifiedRequestEvents({ requestId });
    await h.publishAgain(EVENTS.requestVerifiedV1, verified);
    await eventually(async () => (logsAbout(requestId, 'request matched').length > matchedBefore ? true : undefined));
    expect(await triageEvents()).toHaveLength(1);
    expect(await queueEntry(requestId)).toMatchObject({ round: 1, excluded: [{ tenantId }] });

    // An operator cannot send it back to the tenant that said not ours.
    const refused = await h.operator('POST', `/triage/${requestId}/resolve`, {
      action: 'assign',
      tenantIds: [tenantId],
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error?.code).toBe('TENANT_EXCLUDED');
    const alsoRefused = await h.operator('POST', `/triage/${requestId}/resolve`, {
      action: 'assign',
      tenantIds: [otherTenantId, tenantId],
    });
    expect(alsoRefused.status).toBe(422);

    // Another tenant: the operator's resolution of this round forwards there.
    const assigned = await h.operator('POST', `/triage/${requestId}/resolve`, {
      action: 'assign',
      tenantIds: [otherTenantId],
    });
    expect(assigned.status).toBe(200);
    const otherCaseId = caseIdFor(requestId, otherTenantId);
    await eventually(async () => {
      const mails = (await mailsTo(otherPrivacy)).filter((m) => (m.body.text ?? '').includes(otherCaseId));
      return mails.length > 0 ? mails : undefined;
    });
    expect(await queueEntry(requestId)).toBeUndefined();
    // The excluded tenant's contacts got the request once, from the matcher, never again.
    expect((await mailsTo(firstPrivacy)).filter((m) => (m.body.text ?? '').includes(caseId))).toHaveLength(1);
    const matchedForExcluded = (await readTopic(kafka, topicName(EVENTS.caseMatchedV1, h.ns.topicPrefix)))
      .map((m) => JSON.parse(m.value) as { payload: { requestId: string; tenantId: string } })
      .filter((e) => e.payload.requestId === requestId && e.payload.tenantId === tenantId);
    expect(matchedForExcluded).toHaveLength(1);
  });
});
