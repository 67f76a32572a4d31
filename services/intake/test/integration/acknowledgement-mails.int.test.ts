import { mailsTo, postJson, startIntake, uniqueEmail, validBody, type IntakeHarness } from '../support/intake-harness';
import { eventually } from '../../../../test/support/test-env';

describe('Acknowledgement mails: sent from the received event, so an outage delays them and loses none', () => {
  let first: IntakeHarness | undefined;
  let second: IntakeHarness | undefined;

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
  });

  it('When SES is unreachable and intake restarts, then the restarted intake sends the receipt and the verification mail, once each', async () => {
    first = await startIntake('ackmails', { SES_ENDPOINT: 'http://127.0.0.1:9' });
    const { ns } = first;
    const email = uniqueEmail('ackmails');
    const accepted = await postJson(first.baseUrl, validBody(email));
    // The request stands although no mail could go out.
    expect(accepted.status).toBe(202);
    await first.receivedEvents(1);
    await first.stop();
    first = undefined;
    expect(await mailsTo(email)).toEqual([]);

    // The same topics, database and consumer group, now with SES reachable.
    second = await startIntake('ackmails-restarted', {
      KAFKA_TOPIC_PREFIX: ns.topicPrefix,
      INTAKE_MONGODB_DATABASE: ns.dbName,
      INTAKE_KAFKA_GROUP_ID: ns.groupId,
    });
    const mails = await eventually(async () => {
      const found = await mailsTo(email);
      return found.length >= 2 ? found : undefined;
    });
    expect(mails).toHaveLength(2);
    expect(mails.map((mail) => mail.subject).sort()).toEqual([
      `Confirm your privacy request ${String(accepted.json.reference)}`,
      `We received your privacy request ${String(accepted.json.reference)}`,
    ]);
  });
});
