import { startIntake, type IntakeHarness } from '../support/intake-harness';

describe('Intake admin listener: metrics and readiness detail off the public port', () => {
  let harness: IntakeHarness;

  const get = async (port: number, path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, body: await response.text() };
  };

  beforeAll(async () => {
    harness = await startIntake('adminlistener', { INTAKE_ADMIN_HOST: '127.0.0.1', INTAKE_ADMIN_PORT: '0' });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('When /metrics is asked for on the public port, then it answers 404; the admin port serves the metrics', async () => {
    const { intake } = harness;
    const onPublic = await get(intake.port, '/metrics');
    expect(onPublic.status).toBe(404);
    expect(onPublic.body).not.toContain('process_cpu');

    expect(intake.adminPort).toBeGreaterThan(0);
    expect(intake.adminPort).not.toBe(intake.port);
    // A request on the public port shows up in the admin port's metrics: one registry for both.
    const metrics = await get(intake.adminPort, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('intake_mails_sent_total');
    expect(metrics.body).toMatch(/http_request_duration_seconds_count\{[^}]*route="unmatched"[^}]*status="404"/);
  });

  it('When /readyz is asked for on the public port, then it answers the status only; the admin port names each dependency', async () => {
    const { intake } = harness;
    const onPublic = await get(intake.port, '/readyz');
    expect(onPublic.status).toBe(200);
    expect(JSON.parse(onPublic.body)).toEqual({ status: 'ready' });
    expect((await get(intake.port, '/healthz')).status).toBe(200);

    const onAdmin = await get(intake.adminPort, '/readyz');
    expect(onAdmin.status).toBe(200);
    expect(JSON.parse(onAdmin.body)).toEqual({
      status: 'ready',
      checks: expect.arrayContaining([
        expect.objectContaining({ name: 'kafka', ok: true }),
        expect.objectContaining({ name: 'database', ok: true }),
      ]),
    });
    expect((await get(intake.adminPort, '/healthz')).status).toBe(200);
  });

  it('When a public route is asked for on the admin port, then it answers 404 (the admin port serves operations only)', async () => {
    expect((await get(harness.intake.adminPort, '/request')).status).toBe(404);
    expect((await get(harness.intake.port, '/request')).status).toBe(200);
  });
});
