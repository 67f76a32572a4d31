import {
  openForm,
  postForm,
  postJson,
  startIntake,
  uniqueEmail,
  validBody,
  type IntakeHarness,
} from '../support/intake-harness';

describe('Intake over HTTP: a retry of the same idempotency key counts against no limit', () => {
  let h: IntakeHarness;

  beforeAll(async () => {
    h = await startIntake('retrynotcounted', {
      INTAKE_RATE_LIMIT_PER_IP_PER_MINUTE: '3',
      INTAKE_RATE_LIMIT_PER_EMAIL_PER_HOUR: '2',
    });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('When the same Idempotency-Key and the same form are sent five times each, then every one is answered with the one reference, and the allowances are left for new requests', async () => {
    const email = uniqueEmail('retry');
    const api = [];
    for (let i = 0; i < 5; i++) api.push(await postJson(h.baseUrl, validBody(email), { 'idempotency-key': 'k-1' }));
    expect(api.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202]);
    expect(new Set(api.map((answer) => answer.json.reference)).size).toBe(1);

    const form = await openForm(h.baseUrl);
    const fields: Array<[string, string]> = [
      ['formToken', form.formToken],
      ['name', 'Grace Example'],
      ['email', uniqueEmail('retry-form')],
      ['rights', 'access'],
      ['text', 'Please send me my data.'],
    ];
    const sent: number[] = [];
    for (let i = 0; i < 5; i++) sent.push((await postForm(h.baseUrl, fields, form.cookie)).status);
    expect(sent).toEqual([202, 202, 202, 202, 202]);

    // Two new requests so far from this client (of 3 a minute), one for this address (of 2 an hour).
    expect((await postJson(h.baseUrl, validBody(email), { 'idempotency-key': 'k-2' })).status).toBe(202);
    const overEmail = await postJson(h.baseUrl, validBody(email), { 'idempotency-key': 'k-3' });
    expect(overEmail.status).toBe(429);
    expect(overEmail.json).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    // Still a retry after the limits were reached: answered, not refused.
    expect((await postJson(h.baseUrl, validBody(email), { 'idempotency-key': 'k-1' })).json.reference).toBe(
      api[0]?.json.reference,
    );
  });
});
