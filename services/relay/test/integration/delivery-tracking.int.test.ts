import { eventually } from '../../../../test/support/test-env';
import { forwardingHarness } from '../support/forwarding-harness';

describe('Delivery tracking through real Kafka, the database and the SES endpoint', () => {
  const h = forwardingHarness('dlv');
  const { mailsTo, storedCase, matchedCase, publishMailEvent } = h;
  const { firstPrivacy, secondPrivacy } = h.contacts;

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('When the first privacy contact bounces for good, then the second gets the forward, the audit lists the bounce and both SES ids; a duplicate and a late Delivery change nothing', async () => {
    const { caseId } = await matchedCase('2025-12-19T10:00:00Z');
    const [first] = await eventually(async () => {
      const mails = await mailsTo(firstPrivacy);
      return mails.length > 0 ? mails : undefined;
    });
    await eventually(async () => ((await storedCase(caseId))?.data.state === 'forwarded' ? true : undefined));

    const bounce = {
      caseId,
      contactIndex: 0,
      sesMessageId: first!.messageId,
      snsMessageId: `sns-bounce-${h.unique}`,
      status: 'bounced' as const,
      bounceType: 'Permanent' as const,
      bounceSubType: 'General',
      occurredAt: new Date().toISOString(),
      rawNotification: `{"Type":"Notification","MessageId":"sns-bounce-${h.unique}","Signature":"c2ln"}`,
    };
    await publishMailEvent(bounce);

    const [second] = await eventually(async () => {
      const mails = await mailsTo(secondPrivacy);
      return mails.length > 0 ? mails : undefined;
    });
    const afterBounce = await eventually(async () => {
      const stored = await storedCase(caseId);
      return stored?.data.messages.length === 2 && stored.data.messages[1]?.sesMessageId ? stored : undefined;
    });
    expect(afterBounce.data.messages).toEqual([
      expect.objectContaining({ contactIndex: 0, sesMessageId: first!.messageId, delivery: 'bounced' }),
      expect.objectContaining({ contactIndex: 1, sesMessageId: second!.messageId, delivery: 'sent' }),
    ]);
    expect(afterBounce.data.audit.map((l) => [l.what, l.sesMessageId, l.snsMessageId])).toEqual([
      ['matched', undefined, undefined],
      ['forwarded', first!.messageId, undefined],
      ['delivery bounced Permanent/General', first!.messageId, bounce.snsMessageId],
      ['forwarded', second!.messageId, undefined],
    ]);
    expect(afterBounce.data.evidence).toEqual([
      expect.objectContaining({ snsMessageId: bounce.snsMessageId, rawNotification: bounce.rawNotification }),
    ]);

    // The SNS redelivery, then a Delivery SES reports late (it happened before the bounce), then a
    // marker: the second contact's Delivery. The same case key keeps them in order on one partition.
    await publishMailEvent(bounce);
    await publishMailEvent({
      caseId,
      contactIndex: 0,
      sesMessageId: first!.messageId,
      snsMessageId: `sns-late-delivery-${h.unique}`,
      status: 'delivered',
      occurredAt: new Date(Date.parse(bounce.occurredAt) - 1_000).toISOString(),
    });
    await publishMailEvent({
      caseId,
      contactIndex: 1,
      sesMessageId: second!.messageId,
      snsMessageId: `sns-marker-${h.unique}`,
      status: 'delivered',
      occurredAt: new Date().toISOString(),
    });
    const final = await eventually(async () => {
      const stored = await storedCase(caseId);
      return stored?.data.messages[1]?.delivery === 'delivered' ? stored : undefined;
    });
    // Only the marker was written: one version more, one audit line more, the first message still bounced.
    expect(final.version).toBe(afterBounce.version + 1);
    expect(final.data.messages[0]).toMatchObject({ delivery: 'bounced' });
    expect(final.data.audit.map((l) => [l.what, l.sesMessageId])).toEqual([
      ...afterBounce.data.audit.map((l) => [l.what, l.sesMessageId]),
      ['delivery delivered', second!.messageId],
    ]);
    expect(await mailsTo(firstPrivacy)).toHaveLength(1);
    expect(await mailsTo(secondPrivacy)).toHaveLength(1);
  });
});
