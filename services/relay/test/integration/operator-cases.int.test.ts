import { randomUUID } from 'node:crypto';
import { DEV_OPERATOR_TOKEN } from '../../../../test/support/relay-env';
import { eventually } from '../../../../test/support/test-env';
import { forwardingHarness, type StoredMail } from '../support/forwarding-harness';

interface CaseBody {
  caseId: string;
  state: string;
  version: number;
  contacts: { index: number; email: string; stopped?: unknown }[];
  messages: { contactIndex: number; email: string; sesMessageId?: string; delivery: string }[];
  audit: { what: string; by: { kind: string; operatorId?: string }; sesMessageId?: string; contactIndex?: number }[];
  evidence?: { rawNotification: string }[];
  error?: { code: string; message: string };
}

describe('The operator case API through real Kafka, the database and the SES endpoint', () => {
  const h = forwardingHarness('opcases', { sesRefusals: true });
  const { mailsTo, storedCase, matchedCase, publishMailEvent, refusals, unique } = h;
  const { firstPrivacy, secondPrivacy } = h.contacts;

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  const call = async (method: string, path: string, options: { token?: string | null; body?: unknown } = {}) => {
    const headers: Record<string, string> = {};
    const token = options.token === undefined ? DEV_OPERATOR_TOKEN : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`http://127.0.0.1:${h.relay.port}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : undefined) as CaseBody & Record<string, unknown>,
    };
  };

  const mailTo = (address: string, count = 1): Promise<StoredMail[]> =>
    eventually(async () => {
      const mails = await mailsTo(address);
      return mails.length >= count ? mails : undefined;
    });

  /** A case forwarded to its first privacy contact, and that mail. */
  async function forwardedCase() {
    const { requestId, caseId } = await matchedCase('2025-12-19T10:00:00Z');
    await eventually(async () => ((await storedCase(caseId))?.data.state === 'forwarded' ? true : undefined));
    const first = (await mailsTo(firstPrivacy)).find((m) => m.body.text?.includes(caseId));
    return { requestId, caseId, first: first! };
  }

  it('When no or an unknown bearer token is presented, then every case route answers 401 and nothing changes', async () => {
    const { caseId } = await forwardedCase();
    const before = await storedCase(caseId);
    for (const token of [null, 'not-a-token']) {
      expect((await call('GET', `/v1/cases/${caseId}`, { token })).status).toBe(401);
      expect((await call('GET', `/v1/cases?requestId=${randomUUID()}`, { token })).status).toBe(401);
      expect((await call('POST', `/v1/cases/${caseId}/resend`, { token, body: {} })).status).toBe(401);
      const put = await call('PUT', `/v1/cases/${caseId}/contacts/0`, { token, body: { email: 'x@acme.example' } });
      expect([put.status, put.body.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
    }
    expect((await storedCase(caseId))?.version).toBe(before?.version);
  });

  it('When an operator reads a case, then it has its messages, delivery states, contacts and audit trail, the raw SNS notifications only with ?evidence=1; a request lists its cases', async () => {
    const { requestId, caseId, first } = await forwardedCase();
    const raw = `{"Type":"Notification","MessageId":"sns-delivery-${unique}","Signature":"c2ln"}`;
    await publishMailEvent({
      caseId,
      contactIndex: 0,
      sesMessageId: first.messageId,
      snsMessageId: `sns-delivery-${unique}`,
      status: 'delivered',
      occurredAt: new Date().toISOString(),
      rawNotification: raw,
    });
    await eventually(async () =>
      (await storedCase(caseId))?.data.messages[0]?.delivery === 'delivered' ? true : undefined,
    );
    const read = await call('GET', `/v1/cases/${caseId}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ caseId, requestId, tenantId: h.tenantId, state: 'forwarded' });
    expect(read.body.contacts).toEqual([
      { index: 0, email: firstPrivacy, role: 'privacy' },
      { index: 1, email: secondPrivacy, role: 'privacy' },
    ]);
    expect(read.body.messages).toEqual([
      expect.objectContaining({ contactIndex: 0, sesMessageId: first.messageId, delivery: 'delivered' }),
    ]);
    expect(read.body.audit.map((l) => [l.what, l.sesMessageId])).toEqual([
      ['matched', undefined],
      ['forwarded', first.messageId],
      ['delivery delivered', first.messageId],
    ]);
    expect(JSON.stringify(read.body)).not.toContain('Signature');
    const withEvidence = await call('GET', `/v1/cases/${caseId}?evidence=1`);
    expect(withEvidence.body.evidence).toEqual([expect.objectContaining({ rawNotification: raw })]);

    const listed = await call('GET', `/v1/cases?requestId=${requestId}`);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      requestId,
      cases: [
        { caseId, tenantId: h.tenantId, state: 'forwarded', deadline: '2026-01-19', extendedDeadline: '2026-03-19' },
      ],
    });
    expect((await call('GET', `/v1/cases?requestId=${randomUUID()}`)).body).toMatchObject({ cases: [] });
  });

  it('When a case is unknown or the input is bad, then 404 or 400 with a clear code, and nothing changes', async () => {
    const { caseId } = await forwardedCase();
    const before = await storedCase(caseId);
    const unknown = randomUUID();
    for (const [method, path, body] of [
      ['GET', `/v1/cases/${unknown}`, undefined],
      ['POST', `/v1/cases/${unknown}/resend`, {}],
      ['PUT', `/v1/cases/${unknown}/contacts/0`, { email: 'x@acme.example' }],
    ] as const) {
      const answer = await call(method, path, { body });
      expect([method, answer.status, answer.body.error?.code]).toEqual([method, 404, 'CASE_NOT_FOUND']);
    }
    const cases: [string, string, unknown, number, string][] = [
      ['GET', '/v1/cases/not-a-uuid', undefined, 400, 'INVALID_INPUT'],
      ['GET', `/v1/cases/${caseId}?raw=1`, undefined, 400, 'UNKNOWN_FIELD'],
      ['GET', '/v1/cases', undefined, 400, 'INVALID_INPUT'],
      ['POST', `/v1/cases/${caseId}/resend`, { contactIndex: 0, operatorId: 'mallory' }, 400, 'UNKNOWN_FIELD'],
      ['POST', `/v1/cases/${caseId}/resend`, { contactIndex: -1 }, 400, 'INVALID_INPUT'],
      ['POST', `/v1/cases/${caseId}/resend`, { contactIndex: 7 }, 404, 'CONTACT_NOT_FOUND'],
      ['PUT', `/v1/cases/${caseId}/contacts/0`, { email: 'not an address' }, 400, 'INVALID_INPUT'],
      ['PUT', `/v1/cases/${caseId}/contacts/0`, { email: 'x@acme.example', role: 'admin' }, 400, 'UNKNOWN_FIELD'],
      ['PUT', `/v1/cases/${caseId}/contacts/x`, { email: 'x@acme.example' }, 400, 'INVALID_INPUT'],
      ['PUT', `/v1/cases/${caseId}/contacts/9`, { email: 'x@acme.example' }, 404, 'CONTACT_NOT_FOUND'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const answer = await call(method, path, { body });
      expect([method, path, answer.status, answer.body.error?.code]).toEqual([method, path, status, code]);
    }
    expect((await storedCase(caseId))?.version).toBe(before?.version);
  });

  it('When an operator re-sends, then the contact gets a new message with its own SES id, audited with the operator id; a complained contact is refused with 409', async () => {
    const { caseId, first } = await forwardedCase();
    const resent = await call('POST', `/v1/cases/${caseId}/resend`, { body: { contactIndex: 0 } });
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({ caseId, outcome: 'sent', contactIndex: 0 });
    const mails = (await mailTo(firstPrivacy)).filter((m) => m.body.text?.includes(caseId));
    expect(mails.map((m) => m.messageId).sort()).toEqual([first.messageId, resent.body.sesMessageId].sort());
    const read = await call('GET', `/v1/cases/${caseId}`);
    expect(read.body.messages.map((m) => [m.contactIndex, m.sesMessageId])).toEqual([
      [0, first.messageId],
      [0, resent.body.sesMessageId],
    ]);
    expect(read.body.audit.slice(-2).map((l) => [l.what, l.by.kind, l.by.operatorId, l.sesMessageId])).toEqual([
      ['re-send requested', 'operator', 'dev-operator', undefined],
      ['forwarded', 'relay', undefined, resent.body.sesMessageId],
    ]);

    await publishMailEvent({
      caseId,
      contactIndex: 0,
      sesMessageId: first.messageId,
      snsMessageId: `sns-complaint-${unique}`,
      status: 'complained',
      occurredAt: new Date().toISOString(),
    });
    await eventually(async () =>
      (await call('GET', `/v1/cases/${caseId}`)).body.contacts[0]?.stopped ? true : undefined,
    );
    const refused = await call('POST', `/v1/cases/${caseId}/resend`, { body: { contactIndex: 0 } });
    expect([refused.status, refused.body.error?.code]).toEqual([409, 'CONTACT_STOPPED']);
  });

  it('When an operator changes the address of a contact that bounced for good, then the forward goes to the new address, and the audit says "contact changed" by the operator without any address; SES refusing the new one is 422', async () => {
    const { caseId, first } = await forwardedCase();
    await publishMailEvent({
      caseId,
      contactIndex: 0,
      sesMessageId: first.messageId,
      snsMessageId: `sns-bounce-${caseId}`,
      status: 'bounced',
      bounceType: 'Permanent',
      bounceSubType: 'General',
      occurredAt: new Date().toISOString(),
    });
    // The bounce moves the case on to the second contact first.
    await eventually(async () => ((await storedCase(caseId))?.data.messages[1]?.sesMessageId ? true : undefined));
    const newAddress = `renamed-${unique}@acme.example`;
    const changed = await call('PUT', `/v1/cases/${caseId}/contacts/0`, { body: { email: newAddress } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ caseId, contactIndex: 0, outcome: 'changed', forward: { contactIndex: 0 } });
    const [mail] = await mailTo(newAddress);
    expect(mail?.body.text).toContain(caseId);
    const read = await call('GET', `/v1/cases/${caseId}`);
    expect(read.body.contacts[0]?.email).toBe(newAddress);
    expect(read.body.messages.map((m) => [m.contactIndex, m.email, m.delivery])).toEqual([
      [0, firstPrivacy, 'bounced'],
      [1, secondPrivacy, 'sent'],
      [0, newAddress, 'sent'],
    ]);
    expect(read.body.audit.find((l) => l.what === 'contact changed')).toMatchObject({
      by: { kind: 'operator', operatorId: 'dev-operator' },
      contactIndex: 0,
    });
    expect(JSON.stringify(read.body.audit)).not.toContain('@');
    expect((await call('PUT', `/v1/cases/${caseId}/contacts/0`, { body: { email: newAddress } })).body.outcome).toBe(
      'unchanged',
    );

    // SES refuses the address the operator gives next: 422, recorded as rejected.
    const blocked = `blocked-${unique}@acme.example`;
    refusals.set(blocked, 'rejected');
    await publishMailEvent({
      caseId,
      contactIndex: 0,
      sesMessageId: mail!.messageId,
      snsMessageId: `sns-bounce-again-${caseId}`,
      status: 'bounced',
      bounceType: 'Permanent',
      occurredAt: new Date().toISOString(),
    });
    await eventually(async () =>
      (await storedCase(caseId))?.data.messages[2]?.delivery === 'bounced' ? true : undefined,
    );
    const refused = await call('PUT', `/v1/cases/${caseId}/contacts/0`, { body: { email: blocked } });
    expect([refused.status, refused.body.error?.code]).toEqual([422, 'MAIL_REJECTED']);
    const after = await call('GET', `/v1/cases/${caseId}`);
    expect(after.body.messages.at(-1)).toMatchObject({ contactIndex: 0, delivery: 'rejected' });
    expect(after.body.state).toBe('forwarded');
    expect(await mailsTo(blocked)).toEqual([]);
  });
});
