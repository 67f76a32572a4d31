import { isRetriableError } from '@privacy-relay/shared/errors';
import { EVENTS, type CaseExtendedV1Payload } from '@privacy-relay/shared/events';
import { notifyExtension, type NotifyExtensionDeps } from './notify-extension';
import { notifyForward, type NotifyForwardDeps } from './notify-forward';
import type {
  ForwardExtension,
  OutgoingMail,
  RequestExtensionLog,
  RequestForward,
  RequestForwardLog,
  VerificationRecord,
} from './ports';
import { RequesterLinks } from './requester-links';

const requestId = '0193a1c2-7d4e-4a10-9b7c-0000000000b1';
const caseId = '0193a1c2-9f00-4b21-8c3d-4e5f60718293';

/** The store's contract in memory: verified only; a forward and its extension each once, in either order. */
class InMemoryForwardLog implements RequestForwardLog, RequestExtensionLog {
  readonly records = new Map<string, VerificationRecord>();
  readonly partial = new Map<string, Partial<RequestForward>>();
  private entry(id: string, key: string): Partial<RequestForward> {
    const k = `${id}/${key}`;
    if (!this.partial.has(k)) this.partial.set(k, { caseId: key });
    return this.partial.get(k)!;
  }
  view(id: string): VerificationRecord {
    const record = this.records.get(id)!;
    const forwards = [...this.partial.entries()]
      .filter(([k, f]) => k.startsWith(`${id}/`) && f.forwardedAt)
      .map(([, f]) => structuredClone(f) as RequestForward);
    return { ...structuredClone(record), ...(forwards.length ? { forwards } : {}) };
  }
  async recordForward(id: string, forward: RequestForward) {
    const record = this.records.get(id);
    if (!record) return { outcome: 'unknown' as const };
    if (record.status !== 'verified') return { outcome: 'unverified' as const };
    const stored = this.entry(id, forward.caseId);
    const known = stored.forwardedAt !== undefined;
    if (!known) Object.assign(stored, { ...forward, extension: stored.extension });
    return { outcome: known ? ('known' as const) : ('recorded' as const), record: this.view(id) };
  }
  async markNoticeSent(id: string, key: string, at: Date) {
    this.entry(id, key).noticeSentAt = at;
  }
  async recordExtension(id: string, key: string, extension: ForwardExtension) {
    const record = this.records.get(id);
    if (!record) return { outcome: 'unknown' as const };
    if (record.status !== 'verified') return { outcome: 'unverified' as const };
    const stored = this.entry(id, key);
    const known = stored.extension !== undefined;
    if (!known) stored.extension = { ...extension };
    return {
      outcome: known ? ('known' as const) : ('recorded' as const),
      record: this.view(id),
      stored: structuredClone(stored.extension!),
    };
  }
  async markExtensionNoticeSent(id: string, key: string, at: Date) {
    const stored = this.entry(id, key);
    if (stored.extension) stored.extension.noticeSentAt = at;
  }
}

function harness(status: VerificationRecord['status'] | 'missing' = 'verified', now = '2026-03-20T11:01:00Z') {
  const forwards = new InMemoryForwardLog();
  if (status !== 'missing')
    forwards.records.set(requestId, {
      requestId,
      reference: 'PR-AAAA-BBBB',
      channel: 'web-form',
      rights: ['access'],
      receivedAt: new Date('2026-03-02T09:00:00Z'),
      status,
      codeAttempts: 0,
      expiresAt: new Date('2026-03-05T09:00:00Z'),
    });
  const sent: OutgoingMail[] = [];
  const warned: string[] = [];
  const deps: NotifyForwardDeps & NotifyExtensionDeps = {
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

const reason = 'Your request covers <b>twelve years</b> of records.\nBcc: x@evil.example';

const extended = (overrides: Partial<CaseExtendedV1Payload> = {}) =>
  EVENTS.caseExtendedV1.create(
    {
      caseId,
      requestId,
      tenantId: 'tenant-acme',
      tenantName: 'Acme <Widgets> Ltd',
      requesterEmail: 'ada@example.org',
      extendedAt: '2026-03-20T11:00:00.000Z',
      by: 'admin-link',
      regime: 'uk-gdpr',
      previousDueOn: '2026-04-02',
      dueOn: '2026-06-02',
      reason,
      ...overrides,
    },
    { correlationId: requestId },
  );

const forwarded = () =>
  EVENTS.caseForwardedV1.create(
    {
      caseId,
      requestId,
      tenantId: 'tenant-acme',
      tenantName: 'Acme <Widgets> Ltd',
      requesterEmail: 'ada@example.org',
      forwardedAt: '2026-03-20T09:00:00.000Z',
      deadline: { regime: 'uk-gdpr', dueOn: '2026-04-02', extendableTo: '2026-06-02' },
      recipients: [{ email: 'privacy@acme.example', role: 'privacy', sesMessageId: 'ses-1' }],
    },
    { correlationId: requestId },
  );

describe('notifyExtension: the requester is told the new deadline and the reason', () => {
  it('When a forwarded case is extended, then the requester gets one mail with the new deadline, the old one and the reason (escaped, quoted), and a redelivery mails nothing', async () => {
    const { deps, forwards, sent } = harness();
    await notifyForward(deps, forwarded());
    expect(await notifyExtension(deps, extended())).toBe('mailed');
    expect(await notifyExtension(deps, extended())).toBe('already-mailed');
    const notices = sent.filter((m) => m.subject.includes(' has until '));
    expect(notices).toHaveLength(1);
    const [mail] = notices;
    expect(mail?.to).toBe('ada@example.org');
    expect(mail?.subject).toBe('Your privacy request PR-AAAA-BBBB: Acme <Widgets> Ltd has until 2026-06-02 to answer');
    expect(mail?.text).toContain(
      'The deadline for Acme <Widgets> Ltd to answer your privacy request PR-AAAA-BBBB was extended to 2026-06-02 (it was 2026-04-02), as UK GDPR allows once.',
    );
    expect(mail?.text).toContain('> Your request covers <b>twelve years</b> of records.\n> Bcc: x@evil.example');
    expect(mail?.text.split('\n')).not.toContain('Bcc: x@evil.example');
    expect(mail?.html).toContain(
      'Your request covers &lt;b&gt;twelve years&lt;/b&gt; of records.<br>Bcc: x@evil.example',
    );
    expect(mail?.html).not.toContain('<b>twelve');
    const [forward] = forwards.view(requestId).forwards ?? [];
    expect(forward?.extension).toMatchObject({ dueOn: '2026-06-02', previousDueOn: '2026-04-02', reason });
  });

  it('When the extension comes before its forward (two topics), then it is recorded and mailed at once, and the forward is still recorded and noticed when it comes', async () => {
    const { deps, forwards, sent } = harness();
    expect(await notifyExtension(deps, extended())).toBe('mailed');
    expect(await notifyForward(deps, forwarded())).toBe('mailed');
    expect(sent.map((m) => m.subject)).toEqual([
      'Your privacy request PR-AAAA-BBBB: Acme <Widgets> Ltd has until 2026-06-02 to answer',
      'Your privacy request PR-AAAA-BBBB went to Acme <Widgets> Ltd',
    ]);
    expect(forwards.view(requestId).forwards?.[0]).toMatchObject({
      tenantName: 'Acme <Widgets> Ltd',
      extension: { dueOn: '2026-06-02' },
    });
  });

  it('When the request is not verified here, then nothing is recorded or mailed; when its state is not stored yet, it is retried', async () => {
    const unverified = harness('pending');
    expect(await notifyExtension(unverified.deps, extended())).toBe('unverified');
    expect(unverified.sent).toEqual([]);
    expect(unverified.warned).toEqual([`unverified ${JSON.stringify({ requestId, caseId })}`]);
    const missing = harness('missing');
    const error = await notifyExtension(missing.deps, extended()).catch((e: unknown) => e);
    expect(isRetriableError(error)).toBe(true);
  });

  it('When the extension is older than the notice window, or has no address, then it is recorded and not mailed', async () => {
    const stale = harness('verified', '2026-03-25T11:00:00Z');
    expect(await notifyExtension(stale.deps, extended())).toBe('not-mailed');
    expect(stale.sent).toEqual([]);
    const noAddress = harness();
    expect(await notifyExtension(noAddress.deps, extended({ requesterEmail: undefined }))).toBe('not-mailed');
    expect(noAddress.warned).toEqual([`no-address ${JSON.stringify({ requestId, caseId })}`]);
  });
});
