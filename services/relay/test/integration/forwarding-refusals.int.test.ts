import { DEAD_LETTER_HEADERS } from '@privacy-relay/shared/kafka';
import { EVENTS, deadLetterTopicName, topicName } from '@privacy-relay/shared/events';
import { eventually, readTopic, testKafka } from '../../../../test/support/test-env';
import { PLATFORM_PRIVACY_TEAM_EMAIL } from '../../../../test/support/relay-env';
import { forwardingHarness } from '../support/forwarding-harness';

/**
 * SES refusing a forward, through real Kafka, the database and the SES endpoint. aws-ses-v2-local
 * refuses nothing by itself: the relay's SES client carries a middleware that answers SES's
 * refusal for the addresses in `refusals` (see the harness).
 */
describe('Forwarding a case that SES refuses, through real Kafka, the database and the SES endpoint', () => {
  const h = forwardingHarness('refusal', { sesRefusals: true });
  const { mailsTo, storedCase, matchedCase, eventsOn, refusals } = h;
  const { firstPrivacy, secondPrivacy } = h.contacts;
  const kafka = testKafka();

  beforeAll(() => h.start());
  afterAll(() => h.stop());
  afterEach(() => refusals.clear());

  /** The dead letters of case.matched for this case: the original event with the reason in its headers. */
  const deadLettersOf = (caseId: string) =>
    eventually(async () => {
      const topic = deadLetterTopicName(topicName(EVENTS.caseMatchedV1, h.ns.topicPrefix));
      const found = (await readTopic(kafka, topic, { timeoutMs: 1_000 })).filter(
        (m) => (JSON.parse(m.value) as { payload: { caseId: string } }).payload.caseId === caseId,
      );
      return found.length > 0 ? found : undefined;
    });

  it('When SES refuses the first privacy contact for good, then its message is rejected with the reason in the audit trail and a dead letter, and the second privacy contact gets the forward', async () => {
    refusals.set(firstPrivacy, 'rejected');
    const { caseId } = await matchedCase('2025-12-19T10:00:00Z');
    const [second] = await eventually(async () => {
      const mails = await mailsTo(secondPrivacy);
      return mails.length > 0 ? mails : undefined;
    });
    const stored = await eventually(async () => {
      const found = await storedCase(caseId);
      return found?.data.messages[1]?.sesMessageId ? found : undefined;
    });
    expect(stored.data.state).toBe('forwarded');
    expect(stored.data.messages).toEqual([
      expect.objectContaining({ contactIndex: 0, delivery: 'rejected' }),
      expect.objectContaining({ contactIndex: 1, delivery: 'sent', sesMessageId: second!.messageId }),
    ]);
    expect(stored.data.messages[0]?.sesMessageId).toBeUndefined();
    const audit = stored.data.audit as { what: string; reason?: string; contactIndex?: number }[];
    expect(audit.map((l) => [l.what, l.reason, l.contactIndex])).toEqual([
      ['matched', undefined, undefined],
      ['delivery rejected', 'MAIL_REJECTED', 0],
      ['forwarded', undefined, 1],
    ]);
    expect(JSON.stringify(audit)).not.toContain('@');

    const [deadLetter] = await deadLettersOf(caseId);
    expect(deadLetter?.headers[DEAD_LETTER_HEADERS.errorCode]).toBe('MAIL_REJECTED');
    expect(deadLetter?.headers[DEAD_LETTER_HEADERS.reason]).toContain('SES refused');
    expect(await mailsTo(firstPrivacy)).toEqual([]);
    expect(await mailsTo(secondPrivacy)).toHaveLength(1);
  });

  it('When SES refuses the first contact for good and the second as not verified (sandbox) until its attempts run out, then the case ends as no-contact-left, case.escalated tells the platform, and the refusal is dead-lettered', async () => {
    refusals.set(firstPrivacy, 'rejected');
    refusals.set(secondPrivacy, 'not-verified');
    const { caseId } = await matchedCase('2025-12-19T10:00:00Z');
    const [escalated] = await eventsOn(EVENTS.caseEscalatedV1, caseId);
    expect(escalated?.payload).toMatchObject({ caseId, step: 'no-contact-left' });
    // The platform's privacy team is mailed too (docs/escalation.md): once its SES id is recorded.
    const stored = await eventually(async () => {
      const found = await storedCase(caseId);
      return found?.data.audit.some((l) => l.what === 'escalation mail sent: no-contact-left') ? found : undefined;
    });
    expect(stored?.data.state).toBe('no-contact-left');
    expect(stored?.data.messages.map((m) => [m.contactIndex, m.delivery, m.sesMessageId])).toEqual([
      [0, 'rejected', undefined],
      [1, 'rejected', undefined],
    ]);
    const audit = stored!.data.audit as { what: string; reason?: string; contactIndex?: number }[];
    expect(audit.map((l) => [l.what, l.reason, l.contactIndex])).toEqual([
      ['matched', undefined, undefined],
      ['delivery rejected', 'MAIL_REJECTED', 0],
      ['delivery rejected', 'MAIL_RECIPIENT_NOT_VERIFIED', 1],
      ['no-contact-left', undefined, undefined],
      ['escalated: no-contact-left', undefined, undefined],
      ['escalation mail sent: no-contact-left', undefined, undefined],
    ]);
    const teamMails = (await mailsTo(PLATFORM_PRIVACY_TEAM_EMAIL)).filter((m) => m.subject.includes(caseId));
    expect(teamMails.map((m) => m.subject)).toEqual([`[Privacy Relay] No contact left: case ${caseId}`]);
    const deadLetters = await deadLettersOf(caseId);
    expect(deadLetters.map((m) => m.headers[DEAD_LETTER_HEADERS.errorCode])).toContain('MAIL_RECIPIENT_NOT_VERIFIED');
  });
});
