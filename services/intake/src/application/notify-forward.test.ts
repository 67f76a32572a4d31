import { isRetriableError } from '@privacy-relay/shared/errors';
import { EVENTS, type CaseForwardedV1Payload } from '@privacy-relay/shared/events';
import { requestStateFor } from './accept-request';
import { notifyForward, type NotifyForwardDeps } from './notify-forward';
import type { OutgoingMail, RequestForward, RequestForwardLog, VerificationRecord } from './ports';
import { RequesterLinks } from './requester-links';

const requestId = '0193a1c2-7d4e-4a10-9b7c-0000000000b1';
const caseId = '0193a1c2-9f00-4b21-8c3d-4e5f60718293';
const otherCaseId = '0193a1c2-9f00-4b21-8c3d-4e5f60718294';
const forwardedAt = '2026-03-02T09:20:03.000Z';

function state(status: VerificationRecord['status']): VerificationRecord {
  return {
    requestId,
    reference: 'PR-AAAA-BBBB',
    channel: 'web-form',
    rights: ['access'],
    receivedAt: new Date('2026-03-02T09:00:00Z'),
    status,
    codeAttempts: 0,
    expiresAt: new Date('2026-03-05T09:00:00Z'),
  };
}

/** The store's contract in memory: verified only, one forward per case id. */
class InMemoryForwardLog implements RequestForwardLog {
  readonly records = new Map<string, VerificationRecord>();
  async recordForward(id: string, forward: RequestForward) {
    const record = this.records.get(id);
    if (!record) return { outcome: 'unknown' as const };
    if (record.status !== 'verified') return { outcome: 'unverified' as const };
    const known = record.forwards?.some((f) => f.caseId === forward.caseId) ?? false;
    if (!known) record.forwards = [...(record.forwards ?? []), { ...forward }];
    return { outcome: known ? ('known' as const) : ('recorded' as const), record: structuredClone(record) };
  }
  async markNoticeSent(id: string, forwardCaseId: string, at: Date) {
    const forward = this.records.get(id)?.forwards?.find((f) => f.caseId === forwardCaseId);
    if (forward) forward.noticeSentAt = at;
  }
}

function harness(status: VerificationRecord['status'] | 'missing' = 'verified', now = '2026-03-02T09:21:00Z') {
  const forwards = new InMemoryForwardLog();
  if (status !== 'missing') forwards.records.set(requestId, state(status));
  const sent: OutgoingMail[] = [];
  const warned: string[] = [];
  const deps: NotifyForwardDeps = {
    forwards,
    mailer: {
      async send(mail) {
        sent.push(mail);
        return { messageId: `m${sent.length}` };
      },
    },
    clock: { now: () => new Date(now) },
    links: new RequesterLinks('unit-test-secret-0123456789abcdef012345', 'https://intake.example'),
    noticeMaxAgeMs: 72 * 3600_000,
    onUnverified: (ids) => warned.push(`unverified ${JSON.stringify(ids)}`),
    onNotMailed: (ids, reason) => warned.push(`${reason} ${JSON.stringify(ids)}`),
  };
  return { deps, forwards, sent, warned };
}

const forwarded = (overrides: Partial<CaseForwardedV1Payload> = {}) =>
  EVENTS.caseForwardedV1.create(
    {
      caseId,
      requestId,
      tenantId: 'tenant-acme',
      tenantName: 'Acme Widgets Ltd',
      requesterEmail: 'ada@example.org',
      forwardedAt,
      deadline: { regime: 'uk-gdpr', dueOn: '2026-04-02', extendableTo: '2026-06-02' },
      recipients: [{ email: 'privacy@acme.example', role: 'privacy', sesMessageId: 'ses-1' }],
      ...overrides,
    },
    { correlationId: requestId },
  );

describe('notifyForward: the requester is told which customer got the request, and the deadline', () => {
  it('When a verified request is forwarded, then its requester gets one mail naming the customer, the date and both deadlines, and the forward is on the state', async () => {
    const { deps, forwards, sent } = harness();
    expect(await notifyForward(deps, forwarded())).toBe('mailed');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      to: 'ada@example.org',
      subject: 'Your privacy request PR-AAAA-BBBB went to Acme Widgets Ltd',
    });
    expect(sent[0]?.text).toContain(
      'We forwarded your privacy request PR-AAAA-BBBB to Acme Widgets Ltd on 2026-03-02.',
    );
    expect(sent[0]?.text).toContain('Under UK GDPR they must answer you by 2026-04-02.');
    expect(sent[0]?.text).toContain('They may extend that to 2026-06-02');
    expect(sent[0]?.text).toMatch(/https:\/\/intake\.example\/status\/\S+/);
    expect(forwards.records.get(requestId)?.forwards).toEqual([
      expect.objectContaining({
        caseId,
        tenantName: 'Acme Widgets Ltd',
        noticeSentAt: new Date('2026-03-02T09:21:00Z'),
      }),
    ]);
  });

  it('When the same forwarded event comes again, then nothing more is mailed or recorded; a second case of the request is listed beside the first and mailed once', async () => {
    const { deps, forwards, sent } = harness();
    await notifyForward(deps, forwarded());
    expect(await notifyForward(deps, forwarded())).toBe('already-mailed');
    expect(sent).toHaveLength(1);
    await notifyForward(deps, forwarded({ caseId: otherCaseId, tenantId: 'tenant-other', tenantName: 'Other Ltd' }));
    await notifyForward(deps, forwarded({ caseId: otherCaseId, tenantId: 'tenant-other', tenantName: 'Other Ltd' }));
    expect(sent.map((m) => m.subject)).toEqual([
      'Your privacy request PR-AAAA-BBBB went to Acme Widgets Ltd',
      'Your privacy request PR-AAAA-BBBB went to Other Ltd',
    ]);
    expect(forwards.records.get(requestId)?.forwards?.map((f) => f.caseId)).toEqual([caseId, otherCaseId]);
  });

  it('When the request is not verified here, then nothing is recorded or mailed, and the warning names ids only', async () => {
    const { deps, forwards, sent, warned } = harness('pending');
    expect(await notifyForward(deps, forwarded())).toBe('unverified');
    expect(sent).toEqual([]);
    expect(forwards.records.get(requestId)?.forwards).toBeUndefined();
    expect(warned).toEqual([`unverified ${JSON.stringify({ requestId, caseId })}`]);
  });

  it('When the request has no state here yet, then the event is retried (bounded), not dropped', async () => {
    const { deps, sent } = harness('missing');
    const failure = await notifyForward(deps, forwarded()).catch((error: unknown) => error);
    expect(isRetriableError(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'FORWARD_REQUEST_UNKNOWN', maxAttempts: 10 });
    expect(sent).toEqual([]);
  });

  it('When the forward is older than the notice window (a new group reading from the start), then it is recorded and not mailed', async () => {
    const { deps, forwards, sent, warned } = harness('verified', '2026-03-06T09:21:00Z');
    expect(await notifyForward(deps, forwarded())).toBe('not-mailed');
    expect(sent).toEqual([]);
    expect(forwards.records.get(requestId)?.forwards).toHaveLength(1);
    expect(warned).toEqual([`stale ${JSON.stringify({ requestId, caseId })}`]);
  });

  it('When the customer name carries markup and line breaks, then the HTML escapes it and the subject and text keep it on its line', async () => {
    const { deps, sent } = harness();
    await notifyForward(deps, forwarded({ tenantName: 'Evil <script>x</script>\r\nBcc: a@b.example Ltd' }));
    const [mail] = sent;
    expect(mail?.subject).toBe(
      'Your privacy request PR-AAAA-BBBB went to Evil <script>x</script> Bcc: a@b.example Ltd',
    );
    expect(mail?.html).toContain('Evil &lt;script&gt;x&lt;/script&gt;');
    expect(mail?.html).not.toContain('<script>');
    expect(mail?.text.split('\n').some((line) => line.startsWith('Bcc:'))).toBe(false);
  });

  it('When a forwarded event names an address other than the requester intake received the request from, then nothing is mailed to it (and the forward is recorded)', async () => {
    const { deps, forwards, sent, warned } = harness('missing');
    // The state as intake stores it from its own received event (the requester: ada@example.org).
    const received = EVENTS.requestReceivedV1.create(
      {
        requestId,
        reference: 'PR-AAAA-BBBB',
        idempotencyKey: `test:${requestId}`,
        channel: 'api',
        receivedAt: '2026-03-02T09:00:00.000Z',
        requester: { name: 'Ada Example', email: 'Ada@Example.org' },
        rights: ['access'],
        text: 'Please send me a copy of my data.',
        verification: { status: 'verified', method: 'ses-verdicts' },
      },
      { correlationId: requestId },
    );
    const keys = { verificationTtlMs: 72 * 3600_000, secret: 'unit-test-secret-0123456789abcdef012345' };
    forwards.records.set(requestId, requestStateFor(received, keys));
    // A forged (or mis-keyed) event: another requester's address for this request.
    expect(await notifyForward(deps, forwarded({ requesterEmail: 'mallory@evil.example' }))).toBe('not-mailed');
    expect(sent).toEqual([]);
    expect(warned).toEqual([`address-mismatch ${JSON.stringify({ requestId, caseId })}`]);
    expect(forwards.records.get(requestId)?.forwards).toHaveLength(1);
    // The requester's own address (in any case) is mailed.
    expect(await notifyForward(deps, forwarded({ caseId: otherCaseId, requesterEmail: 'ada@EXAMPLE.org' }))).toBe(
      'mailed',
    );
    expect(sent.map((m) => m.to)).toEqual(['ada@EXAMPLE.org']);
  });

  it('When the event carries no customer name or no requester address (an older producer), then the tenant id stands in, or nothing is mailed', async () => {
    const unnamed = harness();
    await notifyForward(unnamed.deps, forwarded({ tenantName: undefined }));
    expect(unnamed.sent[0]?.subject).toBe('Your privacy request PR-AAAA-BBBB went to tenant-acme');
    const noAddress = harness();
    expect(await notifyForward(noAddress.deps, forwarded({ requesterEmail: undefined }))).toBe('not-mailed');
    expect(noAddress.sent).toEqual([]);
    expect(noAddress.forwards.records.get(requestId)?.forwards).toHaveLength(1);
  });
});
