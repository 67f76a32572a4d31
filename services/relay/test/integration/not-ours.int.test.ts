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
  const thirdTenantId = `tenant-third-${unique}`;

  beforeAll(async () => {
    await h.start();
    await h.addTenant(otherTenantId, 'Bolt Analytics Ltd', [otherPrivacy]);
    await h.addTenant(thirdTenantId, 'Cobalt Systems Ltd', [`privacy-${unique}@cobalt.example`]);
  });
  afterAll(() => h.stop());

  const queueEntry = async (requestId: string): Promise<QueueEntry | undefined> => {
    const queue = await h.operator('GET', '/triage');
    expect(queue.status).toBe(200);
    return (queue.body.entries as QueueEntry[]).find((entry) => entry.requestId === requestId);
  };
  /** The "not ours" link of the forward of `caseId` to `address`, once it came. */
  const notOursLink = async (address: string, caseId: string): Promise<string> => {
    const [mail] = await eventually(async () => {
      const mails = (await mailsTo(address)).filter((m) => (m.body.text ?? '').includes(caseId));
      return mails.length > 0 ? mails : undefined;
    });
    const link = [...(mail!.body.text ?? '').matchAll(/https:\/\/relay\.example\/case-links\/\S+/g)]
      .map((m) => m[0])
      .find((l) => l.includes(`/case-links/${caseId}/not-ours/`));
    expect(link).toBeDefined();
    return local(link!);
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

  it('When a request went to two tenants and one says not ours, then it stays with the other; when the other says so too, it is back in triage with both excluded and resolved once in that round', async () => {
    // Names a company the directory does not hold: the matcher sends it to triage.
    const requestId = await h.verifiedRequest({
      company: { name: 'Contoso Pharmaceuticals AG' },
      requester: { name: 'Ada Example', email: `ada2-${unique}@example.org` },
    });
    await eventually(() => queueEntry(requestId));
    const assigned = await h.operator('POST', `/triage/${requestId}/resolve`, {
      action: 'assign',
      tenantIds: [tenantId, otherTenantId],
    });
    expect(assigned.status).toBe(200);
    const caseId = caseIdFor(requestId, tenantId);
    const otherCaseId = caseIdFor(requestId, otherTenantId);
    const [first, second] = [await notOursLink(firstPrivacy, caseId), await notOursLink(otherPrivacy, otherCaseId)];

    expect((await fetch(first, { method: 'POST' })).status).toBe(200);
    await eventually(async () =>
      logsAbout(requestId, 'not ours applied').some((line) => line.includes('"outcome":"excluded"')) ? true : undefined,
    );
    expect(await queueEntry(requestId)).toBeUndefined();
    const decision = await h.operator('GET', `/triage/${requestId}`);
    expect(decision.body).toMatchObject({ decision: 'forward', round: 0, excluded: [{ tenantId, caseId }] });

    expect((await fetch(second, { method: 'POST' })).status).toBe(200);
    const entry = await eventually(() => queueEntry(requestId));
    expect(entry).toMatchObject({
      round: 1,
      reason: 'not-ours',
      excluded: [
        { tenantId, caseId },
        { tenantId: otherTenantId, caseId: otherCaseId },
      ],
    });

    // The new round is resolved once: of two different resolutions at once, one wins.
    const answers = await Promise.all([
      h.operator('POST', `/triage/${requestId}/resolve`, { action: 'reject-as-spam' }),
      h.operator('POST', `/triage/${requestId}/resolve`, { action: 'assign', tenantIds: [thirdTenantId] }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const loser = answers.find((a) => a.status === 409);
    expect(loser?.body.error?.code).toBe('TRIAGE_ALREADY_RESOLVED');
    const winner = answers[0]?.status === 200 ? { action: 'reject-as-spam' } : { action: 'assign' };
    const again = await h.operator('POST', `/triage/${requestId}/resolve`, { action: 'assign', tenantIds: [tenantId] });
    expect(again.status).toBe(422);
    expect(again.body.error?.details).toMatchObject({ excluded: [{ tenantId, reason: 'not-ours', caseId }] });
    const history = await h.operator('GET', `/triage/${requestId}`);
    expect(history.body).toMatchObject({
      round: 1,
      resolution: winner,
      history: [
        { round: 0, decidedBy: 'matcher', decision: 'triage' },
        { round: 0, decidedBy: 'operator', decision: 'forward', tenantIds: [tenantId, otherTenantId] },
        { round: 1, decidedBy: 'tenant', decision: 'triage' },
      ],
    });
    expect(await queueEntry(requestId)).toBeUndefined();
  });
});
