import { startLocalKafka, type LocalKafka } from '@privacy-relay/infra';
import { eventually } from '../../../../test/support/test-env';
import {
  linkPath,
  mailsTo,
  openForm,
  postForm,
  postJson,
  startIntake,
  uniqueEmail,
  validBody,
  type IntakeHarness,
} from '../support/intake-harness';

// Stopping Kafka must not disturb the other test files, so this file runs a broker of its own.
// That needs the local (no-Docker) stack's Java and Maven; elsewhere the file is skipped.
const describeLocal = process.env.TEST_STACK_SOURCE === 'local' ? describe : describe.skip;

describeLocal('Intake over HTTP while Kafka is away: nothing accepted is lost, nothing is doubled', () => {
  let kafka: LocalKafka;
  let h: IntakeHarness;

  beforeAll(async () => {
    kafka = await startLocalKafka({ log: () => undefined });
    h = await startIntake('kafkadown', {}, kafka.brokers);
  });

  afterAll(async () => {
    await h?.stop();
    await kafka?.close();
  });

  it('When Kafka is stopped, then the API and the form answer 503 with Retry-After; when it is back, the client retries with the same key and exactly one event exists for each', async () => {
    const apiEmail = uniqueEmail('down-api');
    const formEmail = uniqueEmail('down-form');
    const { cookie, formToken } = await openForm(h.baseUrl);
    const formFields: Array<[string, string]> = [
      ['formToken', formToken],
      ['name', 'Ada Example'],
      ['email', formEmail],
      ['rights', 'erasure'],
    ];
    // A request accepted while Kafka is up, whose confirmation will come while it is down.
    const verifyEmail = uniqueEmail('down-verify');
    expect((await postJson(h.baseUrl, validBody(verifyEmail))).status).toBe(202);
    const verificationMail = await eventually(async () =>
      (await mailsTo(verifyEmail)).find((mail) => mail.subject.startsWith('Confirm')),
    );
    const verifyPath = linkPath(verificationMail.body.text ?? '', 'verify');
    await kafka.stop();

    const refusedConfirm = await fetch(`${h.baseUrl}${verifyPath}`, { method: 'POST' });
    expect(refusedConfirm.status).toBe(503);
    expect(refusedConfirm.headers.get('retry-after')).toMatch(/^\d+$/);
    // Still unconfirmed as far as the page goes: it offers the button again.
    expect(await (await fetch(`${h.baseUrl}${verifyPath}`)).text()).toContain(`action="${verifyPath}"`);

    const refused = await postJson(h.baseUrl, validBody(apiEmail), { 'idempotency-key': 'retry-me' });
    expect(refused.status).toBe(503);
    expect(refused.json).toMatchObject({ error: { code: 'KAFKA_UNAVAILABLE' } });
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);

    const refusedForm = await postForm(h.baseUrl, formFields, cookie);
    expect(refusedForm.status).toBe(503);
    expect(refusedForm.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refusedForm.html).toContain('could not confirm');
    // The form comes back filled in, with the same token: sending it again is the same request.
    expect(refusedForm.html).toContain(`value="${formToken}"`);

    // Let the producer's own retries of the refused sends run out before the broker returns.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await kafka.start();

    expect((await h.receivedEvents(0)).filter((event) => event.payload.requester.email === apiEmail)).toEqual([]);

    // The client's retry loop: same key until it is accepted.
    const accepted = await eventually(
      async () => {
        const retry = await postJson(h.baseUrl, validBody(apiEmail), { 'idempotency-key': 'retry-me' });
        return retry.status === 202 ? retry : undefined;
      },
      60_000,
      'the retried request to be accepted',
    );
    const acceptedAgain = await postJson(h.baseUrl, validBody(apiEmail), { 'idempotency-key': 'retry-me' });
    expect(acceptedAgain.json.reference).toBe(accepted.json.reference);

    const acceptedForm = await eventually(async () => {
      const retry = await postForm(h.baseUrl, formFields, cookie);
      return retry.status === 202 ? retry : undefined;
    }, 60_000);
    expect(acceptedForm.html).toMatch(/PR-[0-9A-Z]{4}-[0-9A-Z]{4}/);

    await eventually(async () => {
      const retry = await fetch(`${h.baseUrl}${verifyPath}`, { method: 'POST' });
      return retry.status === 200 ? true : undefined;
    }, 60_000);
    await fetch(`${h.baseUrl}${verifyPath}`, { method: 'POST' });

    const events = await h.receivedEvents(3);
    const verifyRequestId = events.find((event) => event.payload.requester.email === verifyEmail)?.payload.requestId;
    expect((await h.verifiedEvents(1)).filter((event) => event.payload.requestId === verifyRequestId)).toHaveLength(1);
    expect(events.filter((event) => event.payload.requester.email === apiEmail)).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ reference: accepted.json.reference }) }),
    ]);
    expect(events.filter((event) => event.payload.requester.email === formEmail)).toHaveLength(1);
  });
});
