import { AppError } from '@privacy-relay/shared/errors';
import { EVENTS, type Envelope } from '@privacy-relay/shared/events';
import { caseIdFor } from '../domain/matching/case-id';
import type { RelayRequest } from '../domain/relay-request';
import { CaseLinks } from './case-links';
import { actOnCase, continueForwarding, forwardCase, openMatchedCase, type ForwardingDeps } from './forward-case';
import { changeContact, resendCase } from './operate-case';
import { trackMailEvent } from './track-mail-event';
import type { CaseMail, CaseRepository, TenantRecord } from './ports';
import { InMemoryCases } from './testing/in-memory-cases';

const now = new Date('2026-03-02T09:00:00Z');
const requestId = '0193a1c2-7d4e-4a10-9b7c-00000000000a';
const tenantId = 'acme';
const caseId = caseIdFor(requestId, tenantId);

function setup(
  mailer: (mail: CaseMail) => Promise<{ messageId: string }>,
  overrides: {
    receivedAt?: Date;
    tenant?: Partial<TenantRecord>;
    timeZones?: readonly string[];
    status?: RelayRequest['status'];
  } = {},
) {
  const cases = new InMemoryCases();
  const sent: CaseMail[] = [];
  const published: Envelope[] = [];
  const request: RelayRequest = {
    requestId,
    reference: 'PR-1',
    channel: 'api',
    receivedAt: overrides.receivedAt ?? new Date('2026-01-31T12:00:00Z'),
    requester: { name: 'Ada', email: 'ada@example.org' },
    rights: ['access'],
    text: 'hello',
    status: overrides.status ?? 'verified',
    sourceEventId: 'e',
  };
  const tenant: TenantRecord = {
    tenantId,
    legalName: 'Acme',
    aliases: [],
    domains: [],
    contacts: [
      { email: 'one@acme.example', role: 'privacy' },
      { email: 'two@acme.example', role: 'privacy' },
    ],
    regime: 'uk-gdpr',
    ...overrides.tenant,
  };
  const deps: ForwardingDeps = {
    cases,
    requests: {
      findById: async () => request,
      insertIfAbsent: async () => true,
      markVerified: async () => true,
      recordEarlyVerification: async () => undefined,
      findEarlyVerification: async () => undefined,
    },
    directory: { findTenant: async () => tenant } as unknown as ForwardingDeps['directory'],
    holidays: {
      forJurisdiction: () => ({ isPublicHoliday: () => false }),
      timeZonesOf: () => overrides.timeZones ?? ['Europe/London'],
    },
    mailer: {
      send: async (mail) => {
        sent.push(mail);
        return mailer(mail);
      },
    },
    links: new CaseLinks('unit-test-link-secret-0123456789abcdef', 'https://relay.example', 86_400_000),
    publisher: { publish: async (_c, envelope) => void published.push(envelope as Envelope) },
    clock: { now: () => now },
  };
  const matched = EVENTS.caseMatchedV1.create(
    { caseId, requestId, tenantId, matchedAt: now.toISOString(), matchedBy: 'matcher', score: 1, reasons: [] },
    { correlationId: requestId },
  );
  return { deps, cases, sent, published, matched };
}

describe('Forwarding a case', () => {
  it.each([
    // 05:00 UTC on 10 March is still 9 March in California (21:00 PST): the period starts a day earlier.
    ['2026-03-10T05:00:00Z', 'ccpa', 'US-CA', ['America/Los_Angeles'], '2026-03-09'],
    // 23:30 UTC on 31 March is 1 April in Berlin (01:30 CEST): received on the 1st there.
    ['2026-03-31T23:30:00Z', 'eu-gdpr', 'DE', ['Europe/Berlin'], '2026-04-01'],
    // 23:30 UTC on 30 June is 1 July in London (BST).
    ['2026-06-30T23:30:00Z', 'uk-gdpr', 'GB-ENG', ['Europe/London'], '2026-07-01'],
    // A country over several zones: the earliest local date (the deadline never falls later than anywhere there).
    ['2026-04-30T23:30:00Z', 'eu-gdpr', 'PT', ['Europe/Lisbon', 'Atlantic/Azores'], '2026-04-30'],
  ] as const)(
    'When a request received at %s goes to a %s tenant in %s, then the day of receipt is the local date there',
    async (receivedAt, regime, jurisdiction, timeZones, receivedOn) => {
      const { deps, matched } = setup(async () => ({ messageId: 'ses-1' }), {
        receivedAt: new Date(receivedAt),
        tenant: { regime, jurisdiction },
        timeZones,
      });
      expect((await openMatchedCase(deps, matched)).case.receivedOn).toBe(receivedOn);
    },
  );

  it('When a case.matched names a request the requester never verified, then no case is opened and nothing is mailed (dead-lettered after a few tries)', async () => {
    const { deps, matched, sent, cases } = setup(async () => ({ messageId: 'ses-1' }), {
      status: 'awaiting-verification',
    });
    const error = await openMatchedCase(deps, matched).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'CASE_REQUEST_UNVERIFIED' });
    expect(cases.docs.size).toBe(0);
    expect(sent).toEqual([]);
  });

  it('When a matched event comes twice, then one case is opened, with the deadline from the day of receipt, and one mail goes out', async () => {
    const { deps, sent, published, matched, cases } = setup(async () => ({ messageId: 'ses-1' }));
    expect((await openMatchedCase(deps, matched)).opened).toBe(true);
    expect((await openMatchedCase(deps, matched)).opened).toBe(false);
    expect(await forwardCase(deps, caseId)).toEqual({ outcome: 'sent', contactIndex: 0, sesMessageId: 'ses-1' });
    expect(await forwardCase(deps, caseId)).toEqual({ outcome: 'already-sent' });
    expect(sent.map((m) => [m.to, m.tags])).toEqual([['one@acme.example', { caseId, contactIndex: '0' }]]);
    // 31 January + 1 month is 28 February 2026 (a Saturday): the next working day.
    expect((await cases.find(caseId))?.case).toMatchObject({ state: 'forwarded', deadline: '2026-03-02' });
    expect(published.map((e) => e.type)).toEqual(['privacy.case.forwarded']);
    expect(cases.docs.get(caseId)?.outbox).toEqual([]);
  });

  it('When a case is opened and forwarded to its first contact, then the store is written 3 times (insert with the send intent, sent with the outbox, published), the intent before the send', async () => {
    const writes: string[] = [];
    const { deps, cases, matched, sent } = setup(async () => {
      // The intent is stored before SES is asked.
      writes.push(`send (stored messages: ${(await cases.find(caseId))?.case.messages.map((m) => m.delivery).join()})`);
      return { messageId: 'ses-1' };
    });
    const counting: CaseRepository = {
      find: (id) => cases.find(id),
      listByRequest: (id) => cases.listByRequest(id),
      create: async (c) => (writes.push('create'), cases.create(c)),
      update: async (c, v, events, at) => (
        writes.push(`update${events.length ? ' +outbox' : ''}`),
        cases.update(c, v, events, at)
      ),
      markPublished: async (id) => (writes.push('markPublished'), cases.markPublished(id)),
    };
    const countingDeps = { ...deps, cases: counting };
    const { case: opened } = await openMatchedCase(countingDeps, matched);
    expect(await continueForwarding(countingDeps, opened)).toMatchObject({ outcome: 'sent', contactIndex: 0 });
    expect(writes).toEqual(['create', 'send (stored messages: sending)', 'update +outbox', 'markPublished']);
    expect(sent).toHaveLength(1);
    // Behaviour otherwise the same: one audit line per transition, the intent not audited.
    expect((await cases.find(caseId))?.case.audit.map((l) => l.what)).toEqual(['matched', 'forwarded']);
  });

  it('When a crash left a send intent without a message id, then the next run sends to that same contact again (the one duplicate window)', async () => {
    const { deps, sent, matched, cases } = setup(async () => ({ messageId: 'ses-2' }));
    // The case is opened with the send intent for its first contact; a crash comes before the send.
    await openMatchedCase(deps, matched);
    expect((await cases.find(caseId))?.case.messages).toEqual([
      expect.objectContaining({ contactIndex: 0, delivery: 'sending' }),
    ]);
    expect(await forwardCase(deps, caseId, 1)).toEqual({ outcome: 'sent', contactIndex: 0, sesMessageId: 'ses-2' });
    expect(sent.map((m) => m.to)).toEqual(['one@acme.example']);
  });

  it('When SES refuses the first contact for good, then its message is rejected with the reason code in the audit, the second contact gets the forward, and the refusal still reaches the consumer for its dead letter', async () => {
    const { deps, matched, cases, published, sent } = setup(async (mail) => {
      if (mail.to === 'one@acme.example') throw new AppError('MAIL_REJECTED', 'SES refused the mail');
      return { messageId: 'ses-2' };
    });
    await openMatchedCase(deps, matched);
    await expect(forwardCase(deps, caseId)).rejects.toMatchObject({ code: 'MAIL_REJECTED', retriable: false });
    const stored = (await cases.find(caseId))!.case;
    expect(stored.state).toBe('forwarded');
    expect(stored.messages.map((m) => [m.contactIndex, m.delivery, m.sesMessageId])).toEqual([
      [0, 'rejected', undefined],
      [1, 'sent', 'ses-2'],
    ]);
    expect(stored.audit.map((l) => [l.what, l.reason, l.contactIndex, l.sesMessageId])).toEqual([
      ['matched', undefined, undefined, undefined],
      ['delivery rejected', 'MAIL_REJECTED', 0, undefined],
      ['forwarded', undefined, 1, 'ses-2'],
    ]);
    // No personal data in the audit trail: no address, no SES error text.
    expect(JSON.stringify(stored.audit)).not.toContain('@');
    expect(sent.map((m) => m.to)).toEqual(['one@acme.example', 'two@acme.example']);
    expect(published.map((e) => e.type)).toEqual(['privacy.case.forwarded']);
    // A redelivery sends nothing again.
    await forwardCase(deps, caseId);
    expect(sent).toHaveLength(2);
  });

  it('When SES refuses every privacy contact for good, then the case ends as no-contact-left and tells the platform (case.escalated)', async () => {
    const { deps, matched, cases, published, sent } = setup(async () => {
      throw new AppError('MAIL_REJECTED', 'SES refused the mail');
    });
    await openMatchedCase(deps, matched);
    await expect(forwardCase(deps, caseId)).rejects.toMatchObject({ code: 'MAIL_REJECTED', retriable: false });
    const stored = (await cases.find(caseId))!.case;
    expect(stored.state).toBe('no-contact-left');
    expect(stored.messages.map((m) => m.delivery)).toEqual(['rejected', 'rejected']);
    expect(sent).toHaveLength(2);
    expect(published.map((e) => [e.type, (e.payload as { step?: string }).step])).toEqual([
      ['privacy.case.escalated', 'no-contact-left'],
    ]);
  });

  it('When SES refuses the recipient as not verified (sandbox), then it is retried until its attempts run out, then rejected like a refusal for good and the next contact gets it', async () => {
    const { deps, matched, cases, sent } = setup(async (mail) => {
      if (mail.to === 'one@acme.example')
        throw new AppError('MAIL_RECIPIENT_NOT_VERIFIED', 'not verified', { retriable: true, maxAttempts: 3 });
      return { messageId: 'ses-2' };
    });
    await openMatchedCase(deps, matched);
    for (let attempt = 1; attempt < 3; attempt++) {
      await expect(forwardCase(deps, caseId)).rejects.toMatchObject({
        code: 'MAIL_RECIPIENT_NOT_VERIFIED',
        retriable: true,
      });
      expect((await cases.find(caseId))!.case.messages.map((m) => m.delivery)).toEqual(['sending']);
    }
    await expect(forwardCase(deps, caseId)).rejects.toMatchObject({
      code: 'MAIL_RECIPIENT_NOT_VERIFIED',
      retriable: false,
    });
    const stored = (await cases.find(caseId))!.case;
    expect(stored.messages.map((m) => [m.contactIndex, m.delivery])).toEqual([
      [0, 'rejected'],
      [1, 'sent'],
    ]);
    expect(stored.audit.find((l) => l.what === 'delivery rejected')?.reason).toBe('MAIL_RECIPIENT_NOT_VERIFIED');
    expect(sent.map((m) => m.to)).toEqual([
      'one@acme.example',
      'one@acme.example',
      'one@acme.example',
      'two@acme.example',
    ]);
  });

  it('When SES is only away (transient), then the error stays retriable and the intent stays for the retry', async () => {
    const { deps, matched, cases } = setup(async () => {
      throw new AppError('MAIL_UNAVAILABLE', 'SES did not accept the mail', { retriable: true });
    });
    await openMatchedCase(deps, matched);
    await expect(forwardCase(deps, caseId)).rejects.toMatchObject({ code: 'MAIL_UNAVAILABLE', retriable: true });
    expect((await cases.find(caseId))?.case.messages).toEqual([expect.objectContaining({ delivery: 'sending' })]);
  });

  it('When the tenant acknowledges twice, then one event and the second is "already"', async () => {
    const { deps, matched, published } = setup(async () => ({ messageId: 'ses-1' }));
    await openMatchedCase(deps, matched);
    await forwardCase(deps, caseId);
    expect((await actOnCase(deps, caseId, 'acknowledge')).outcome).toBe('done');
    expect((await actOnCase(deps, caseId, 'acknowledge')).outcome).toBe('already');
    expect(published.map((e) => e.type)).toEqual(['privacy.case.forwarded', 'privacy.case.acknowledged']);
  });

  it('When the contact list is exhausted, then the case ends as no-contact-left', async () => {
    const { deps, matched, cases } = setup(async () => ({ messageId: 'ses-1' }));
    await openMatchedCase(deps, matched);
    await forwardCase(deps, caseId);
    expect(await forwardCase(deps, caseId, 2)).toEqual({ outcome: 'no-contact-left' });
    expect((await cases.find(caseId))?.case.state).toBe('no-contact-left');
  });
});

function mailEvent(
  sesMessageId: string,
  status: 'sent' | 'delivered' | 'bounced' | 'complained' | 'delayed',
  snsMessageId: string,
  extra: { bounceType?: 'Permanent' | 'Transient'; contactIndex?: number; caseId?: string; occurredAt?: string } = {},
) {
  const { occurredAt, ...rest } = extra;
  return EVENTS.mailEventV1.create(
    {
      caseId,
      sesMessageId,
      status,
      snsMessageId,
      occurredAt: occurredAt ?? '2026-03-02T09:05:00.000Z',
      rawNotification: `{"Type":"Notification","MessageId":"${snsMessageId}","Signature":"sig"}`,
      ...rest,
    },
    { correlationId: caseId },
  );
}

describe('Tracking the delivery of a forwarded case', () => {
  async function forwarded() {
    let n = 0;
    const s = setup(async () => ({ messageId: `ses-${++n}` }));
    await openMatchedCase(s.deps, s.matched);
    await forwardCase(s.deps, caseId);
    return s;
  }

  it("When the first contact's message bounces for good, then the next privacy contact gets the forward and the audit trail lists the bounce with both SES ids and the SNS id", async () => {
    const { deps, cases, sent } = await forwarded();
    const outcome = await trackMailEvent(
      deps,
      mailEvent('ses-1', 'bounced', 'sns-b1', { bounceType: 'Permanent', contactIndex: 0 }),
    );
    expect(outcome).toMatchObject({ outcome: 'applied', action: 'next-contact' });
    expect(sent.map((m) => [m.to, m.tags.contactIndex])).toEqual([
      ['one@acme.example', '0'],
      ['two@acme.example', '1'],
    ]);
    const stored = (await cases.find(caseId))!.case;
    expect(stored.messages.map((m) => [m.contactIndex, m.sesMessageId, m.delivery])).toEqual([
      [0, 'ses-1', 'bounced'],
      [1, 'ses-2', 'sent'],
    ]);
    expect(stored.audit.map((l) => [l.what, l.sesMessageId, l.snsMessageId])).toEqual([
      ['matched', undefined, undefined],
      ['forwarded', 'ses-1', undefined],
      ['delivery bounced Permanent', 'ses-1', 'sns-b1'],
      ['forwarded', 'ses-2', undefined],
    ]);
    expect(stored.evidence).toEqual([
      expect.objectContaining({
        snsMessageId: 'sns-b1',
        sesMessageId: 'ses-1',
        rawNotification: expect.stringContaining('sns-b1'),
      }),
    ]);
  });

  it('When the bounce comes again and a Delivery arrives after it, then nothing changes', async () => {
    const { deps, cases, sent } = await forwarded();
    const bounce = mailEvent('ses-1', 'bounced', 'sns-b1', { bounceType: 'Permanent', contactIndex: 0 });
    await trackMailEvent(deps, bounce);
    const before = await cases.find(caseId);
    expect((await trackMailEvent(deps, bounce)).outcome).toBe('duplicate');
    expect(
      (
        await trackMailEvent(
          deps,
          mailEvent('ses-1', 'delivered', 'sns-d1', { occurredAt: '2026-03-02T09:01:00.000Z' }),
        )
      ).outcome,
    ).toBe('superseded');
    expect(await cases.find(caseId)).toEqual(before);
    expect(sent).toHaveLength(2);
  });

  it('When an event names a message the case never sent (a contactIndex tag alone), then it is skipped and nothing changes', async () => {
    const { deps, cases, sent } = await forwarded();
    const before = await cases.find(caseId);
    const outcome = await trackMailEvent(
      deps,
      mailEvent('ses-forged', 'bounced', 'sns-x', { bounceType: 'Permanent', contactIndex: 0 }),
    );
    expect(outcome).toEqual({ outcome: 'unknown-message' });
    expect(await cases.find(caseId)).toEqual(before);
    expect(sent).toHaveLength(1);
  });

  it('When the case is unknown, then the event is skipped', async () => {
    const { deps } = await forwarded();
    const otherCase = caseIdFor(requestId, 'other-tenant');
    expect(await trackMailEvent(deps, mailEvent('ses-1', 'bounced', 'sns-y', { caseId: otherCase }))).toEqual({
      outcome: 'unknown-case',
    });
  });

  it('When the contact complains, then mail to that contact stops, the contact is flagged and nobody else is sent to', async () => {
    const { deps, cases, sent } = await forwarded();
    const outcome = await trackMailEvent(deps, mailEvent('ses-1', 'complained', 'sns-c1'));
    expect(outcome).toMatchObject({ outcome: 'applied', action: 'stop-and-flag-contact' });
    const stored = (await cases.find(caseId))!.case;
    expect(stored.contacts[0]).toMatchObject({ stopped: { reason: 'complained', sesMessageId: 'ses-1' } });
    expect(stored.audit.map((l) => l.what)).toContain('contact stopped and flagged: complaint');
    expect(sent).toHaveLength(1);
  });

  it('When the last privacy contact bounces too, then the case ends as no-contact-left and its outbox tells the platform (case.escalated no-contact-left)', async () => {
    const { deps, cases, published } = await forwarded();
    await trackMailEvent(deps, mailEvent('ses-1', 'bounced', 'sns-b1', { bounceType: 'Permanent' }));
    const outcome = await trackMailEvent(deps, mailEvent('ses-2', 'bounced', 'sns-b2', { bounceType: 'Permanent' }));
    expect(outcome).toMatchObject({ outcome: 'applied', action: 'next-contact', followUp: 'no-contact-left' });
    expect((await cases.find(caseId))?.case.state).toBe('no-contact-left');
    expect(published.at(-1)).toMatchObject({
      type: 'privacy.case.escalated',
      payload: { caseId, step: 'no-contact-left' },
    });
  });

  it('When the contact soft-bounces or SES reports a delay, then the case keeps waiting: recorded and audited, nobody else is sent to', async () => {
    const { deps, cases, sent } = await forwarded();
    expect(await trackMailEvent(deps, mailEvent('ses-1', 'delayed', 'sns-d1'))).toMatchObject({
      outcome: 'applied',
      action: 'none',
      followUp: 'none',
    });
    expect(
      await trackMailEvent(
        deps,
        mailEvent('ses-1', 'bounced', 'sns-t1', { bounceType: 'Transient', occurredAt: '2026-03-02T10:00:00.000Z' }),
      ),
    ).toMatchObject({ outcome: 'applied', action: 'retry-contact-later', followUp: 'none' });
    const stored = (await cases.find(caseId))!.case;
    expect(stored.state).toBe('forwarded');
    expect(stored.messages.map((m) => m.delivery)).toEqual(['bounced']);
    expect(stored.audit.slice(-2).map((l) => l.what)).toEqual(['delivery delayed', 'delivery bounced Transient']);
    expect(sent).toHaveLength(1);
  });

  it('When a permanent bounce arrives after the tenant acknowledged, then the message is recorded bounced but the case stays acknowledged and nobody else is sent to', async () => {
    const { deps, cases, sent, published } = await forwarded();
    await actOnCase(deps, caseId, 'acknowledge');
    expect(
      await trackMailEvent(deps, mailEvent('ses-1', 'bounced', 'sns-b1', { bounceType: 'Permanent' })),
    ).toMatchObject({ outcome: 'applied', action: 'next-contact', followUp: 'none' });
    const stored = (await cases.find(caseId))!.case;
    expect(stored.state).toBe('acknowledged');
    expect(stored.messages.map((m) => m.delivery)).toEqual(['bounced']);
    expect(sent).toHaveLength(1);
    expect(published.map((e) => e.type)).toEqual(['privacy.case.forwarded', 'privacy.case.acknowledged']);
  });

  it('When the next forward failed after the bounce was recorded, then the redelivered bounce still sends it', async () => {
    let n = 0;
    let failNext = false;
    const s = setup(async () => {
      if (failNext) {
        failNext = false;
        throw new AppError('MAIL_THROTTLED', 'slow down', { retriable: true });
      }
      return { messageId: `ses-${++n}` };
    });
    await openMatchedCase(s.deps, s.matched);
    await forwardCase(s.deps, caseId);
    failNext = true;
    const bounce = mailEvent('ses-1', 'bounced', 'sns-b1', { bounceType: 'Permanent' });
    await expect(trackMailEvent(s.deps, bounce)).rejects.toMatchObject({ code: 'MAIL_THROTTLED' });
    expect(await trackMailEvent(s.deps, bounce)).toMatchObject({ outcome: 'duplicate', followUp: 'sent' });
    expect((await s.cases.find(caseId))?.case.messages.map((m) => m.sesMessageId)).toEqual(['ses-1', 'ses-2']);
  });
});

describe('Operators acting on a case', () => {
  async function forwarded(mailer?: (mail: CaseMail) => Promise<{ messageId: string }>) {
    let n = 0;
    const s = setup(mailer ?? (async () => ({ messageId: `ses-${++n}` })));
    await openMatchedCase(s.deps, s.matched);
    await forwardCase(s.deps, caseId);
    return s;
  }

  it('When an operator re-sends, then the contact of the latest message gets a new message with its own SES id, audited with the operator id; a redelivered matched event still sends nothing', async () => {
    const { deps, cases, sent } = await forwarded();
    expect(await resendCase(deps, caseId, undefined, 'alice')).toEqual({
      outcome: 'sent',
      contactIndex: 0,
      sesMessageId: 'ses-2',
    });
    const stored = (await cases.find(caseId))!.case;
    expect(stored.messages.map((m) => [m.contactIndex, m.sesMessageId, m.requestedBy?.operatorId])).toEqual([
      [0, 'ses-1', undefined],
      [0, 'ses-2', 'alice'],
    ]);
    expect(stored.audit.slice(-2).map((l) => [l.what, l.by, l.sesMessageId])).toEqual([
      ['re-send requested', { kind: 'operator', operatorId: 'alice' }, undefined],
      ['forwarded', { kind: 'relay' }, 'ses-2'],
    ]);
    expect(await forwardCase(deps, caseId)).toEqual({ outcome: 'already-sent' });
    expect(sent.map((m) => m.to)).toEqual(['one@acme.example', 'one@acme.example']);
  });

  it('When the case is unknown or closed, the contact unknown or stopped, then the re-send is refused and nothing is sent', async () => {
    const { deps, sent } = await forwarded();
    expect(await resendCase(deps, caseIdFor(requestId, 'nobody'), 0, 'alice')).toEqual({ outcome: 'not-found' });
    expect(await resendCase(deps, caseId, 5, 'alice')).toEqual({ outcome: 'contact-not-found' });
    await trackMailEvent(deps, mailEvent('ses-1', 'complained', 'sns-c1'));
    expect(await resendCase(deps, caseId, 0, 'alice')).toEqual({ outcome: 'contact-stopped' });
    await actOnCase(deps, caseId, 'done');
    expect(await resendCase(deps, caseId, 1, 'alice')).toEqual({ outcome: 'closed' });
    expect(sent).toHaveLength(1);
  });

  it('When an operator changes the address of a contact whose mail bounced for good, then the forward goes to the new address; a delivered contact is changed without a send', async () => {
    const { deps, cases, sent } = await forwarded();
    expect(await changeContact(deps, caseId, 1, 'two-new@acme.example', 'bob')).toEqual({
      outcome: 'changed',
      forward: { outcome: 'sent', contactIndex: 1, sesMessageId: 'ses-2' },
    });
    // Contact 1 had no message: it gets the forward at its new address; contact 0 (delivered) then is changed quietly.
    expect(await changeContact(deps, caseId, 0, 'one-new@acme.example', 'bob')).toEqual({ outcome: 'changed' });
    await trackMailEvent(deps, mailEvent('ses-1', 'bounced', 'sns-b1', { bounceType: 'Permanent' }));
    expect(await changeContact(deps, caseId, 0, 'one-new@acme.example', 'bob')).toEqual({ outcome: 'unchanged' });
    expect(await changeContact(deps, caseId, 0, 'one-newer@acme.example', 'bob')).toMatchObject({
      outcome: 'changed',
      forward: { contactIndex: 0, sesMessageId: 'ses-3' },
    });
    expect(sent.map((m) => m.to)).toEqual(['one@acme.example', 'two-new@acme.example', 'one-newer@acme.example']);
    const stored = (await cases.find(caseId))!.case;
    expect(stored.messages.map((m) => m.email)).toEqual([
      'one@acme.example',
      'two-new@acme.example',
      'one-newer@acme.example',
    ]);
    expect(stored.audit.filter((l) => l.what === 'contact changed')).toHaveLength(3);
    expect(JSON.stringify(stored.audit)).not.toContain('@');
  });

  it('When the replaced address’s old mail bounces for good after the change, then the new address gets the forward; the case does not end as no-contact-left', async () => {
    let n = 0;
    const s = setup(async () => ({ messageId: `ses-${++n}` }), {
      tenant: { contacts: [{ email: 'one@acme.example', role: 'privacy' }] },
    });
    await openMatchedCase(s.deps, s.matched);
    await forwardCase(s.deps, caseId);
    // Changed while the old mail is still in flight: the new address gets nothing yet.
    expect(await changeContact(s.deps, caseId, 0, 'one-new@acme.example', 'bob')).toEqual({ outcome: 'changed' });
    // The old address's server (its former holder's) bounces the old mail.
    await trackMailEvent(s.deps, mailEvent('ses-1', 'bounced', 'sns-b1', { bounceType: 'Permanent' }));
    const stored = (await s.cases.find(caseId))!.case;
    expect(stored.state).toBe('forwarded');
    expect(s.sent.map((m) => m.to)).toEqual(['one@acme.example', 'one-new@acme.example']);
  });
});
