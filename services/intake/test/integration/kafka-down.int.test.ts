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
// That needs the local (no-Docker) stack's Java and Maven; elsewhere the file is skipped
// (TEST_KAFKA_OF_ITS_OWN=1 runs it where the stack comes from the environment but Java is here).
const describeLocal =
  process.env.TEST_STACK_SOURCE === 'local' || process.env.TEST_KAFKA_OF_ITS_OWN === '1' ? describe : describe.skip;

describeLocal('Intake over HTTP while Kafka is away: nothing accepted is lost, nothing is doubled', () => {
  let kafka: LocalKafka;
  let h: IntakeHarness;

  beforeAll(async () => {
    kafka = await startLocalKafka({ log: () => undefined });
    h = await startIntake('kafkadown', { INTAKE_OUTBOX_SWEEP_INTERVAL_MS: '200' }, kafka.brokers);
  });

  afterAll(async () => {
    await h?.stop();
    await kafka?.close();
  });

  it('When Kafka is stopped, then the API and the form answer 503 with Retry-After and a confirmation is recorded but not yet called confirmed; when it is back, the client retries with the same key, the confirmation is published with no further click, and exactly one event exists for each', async () => {
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
    const receipt = await eventually(async () =>
      (await mailsTo(verifyEmail)).find((mail) => /\/status\//.test(mail.body.text ?? '')),
    );
    const statusPath = linkPath(receipt.body.text ?? '', 'status');
    await kafka.stop();

    // The confirmation is stored with its event in the same document: recorded, not lost, and
    // not called "confirmed" before Kafka holds it.
    const recordedConfirm = await fetch(`${h.baseUrl}${verifyPath}`, { method: 'POST' });
    expect(recordedConfirm.status).toBe(202);
    expect(await recordedConfirm.text()).toContain('recorded');
    const statusWhileDown = await (await fetch(`${h.baseUrl}${statusPath}`)).text();
    expect(statusWhileDown).toContain('being recorded');
    expect(statusWhileDown).not.toContain('Confirmed');

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

    // No further click: the outbox sweeper publishes the confirmation once Kafka is back.
    const events = await h.receivedEvents(3);
    const verifyRequestId = events.find((event) => event.payload.requester.email === verifyEmail)?.payload.requestId;
    const verified = await eventually(
      async () => {
        const found = (await h.verifiedEvents(0)).filter((event) => event.payload.requestId === verifyRequestId);
        return found.length > 0 ? found : undefined;
      },
      60_000,
      'the stored confirmation to be published',
    );
    expect(verified).toHaveLength(1);
    expect(
      await eventually(async () => {
        const page = await (await fetch(`${h.baseUrl}${statusPath}`)).text();
        return page.includes('Confirmed') ? page : undefined;
      }),
    ).not.toContain('being recorded');
    expect(events.filter((event) => event.payload.requester.email === apiEmail)).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ reference: accepted.json.reference }) }),
    ]);
    expect(events.filter((event) => event.payload.requester.email === formEmail)).toHaveLength(1);
  });
});
