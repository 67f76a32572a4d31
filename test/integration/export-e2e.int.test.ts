import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { intakeConfigSpec } from '@privacy-relay/intake/config';
import { exportRows, type ExportBundle } from '@privacy-relay/intake/domain/export-bundle';
import { createIntakeService, type IntakeService } from '@privacy-relay/intake/intake-service';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import { createRelayService, type RelayService } from '@privacy-relay/relay/relay-service';
import { parse } from 'csv-parse/sync';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import { relayTestEnv, intakeTestEnv } from '../support/relay-env';
import { linkIn, mailTo } from '../support/ses-store';
import {
  connectTestDatabase,
  createTestTopics,
  discardTestDatabase,
  eventually,
  testKafka,
  testLogger,
  testNamespace,
} from '../support/test-env';

const INTAKE_URL = 'https://intake.example';
const EXPORT_TTL_HOURS = 48;

/**
 * The requester's export through real Kafka, the database and the SES endpoint, intake and relay
 * both running here: a requester with a forwarded case asks, confirms from the mail, downloads
 * JSON and CSV; an address with nothing held gets the same answer and a "nothing held" mail;
 * another requester's data never appears; the links stop working when the clock moves past them.
 */
describe('The requester’s export end to end', () => {
  const ns = testNamespace('e2eexport');
  const logger = testLogger('e2e');
  const unique = Math.random().toString(36).slice(2, 10);
  const tenantId = `tenant-exp-${unique}`;
  const tenantName = `Export ${unique} Widgets Ltd`;
  const domain = `export-${unique}.example`;
  const contact = `privacy-${unique}@${domain}`;
  const ada = `ada-${unique}@requester.example`;
  const bob = `bob-${unique}@requester.example`;
  const nobody = `nobody-${unique}@requester.example`;
  const bobSecret = `BOB-SECRET-${unique}`;
  let clockOffsetMs = 0;
  let kafka: Kafka;
  let publisher: KafkaEventPublisher;
  let intake: IntakeService;
  let relay: RelayService;
  let relayDb: Connection;

  const intakeBase = () => `http://127.0.0.1:${intake.port}`;
  const local = (link: string) => link.replace(INTAKE_URL, intakeBase());
  const intakeDb = () => relayDb.useDb(`${ns.dbName}_intake`);

  const askByForm = (email: string) =>
    fetch(`${intakeBase()}/export`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([['email', email]]).toString(),
    });
  const confirmLinkFor = async (email: string) =>
    local(
      linkIn(
        (await mailTo(email, /^Confirm your request for a copy of your data/, 'the export confirmation')).body.text,
        /https:\/\/intake\.example\/export\/confirm\/\S+/,
      ),
    );
  const postRequest = (email: string, text: string) =>
    fetch(`${intakeBase()}/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        requester: { name: `Requester ${unique}`, email },
        rights: ['access'],
        company: { name: tenantName, email: `privacy@${domain}` },
        text,
      }),
    });

  beforeAll(async () => {
    kafka = testKafka();
    await createTestTopics(kafka, ns.topicPrefix);
    publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
    await publisher.connect();
    relayDb = await connectTestDatabase(ns.dbName, logger);
    await publisher.publish(
      EVENTS.tenantDirectoryChangedV1,
      EVENTS.tenantDirectoryChangedV1.create(
        {
          tenantId,
          changedAt: new Date().toISOString(),
          change: 'upserted',
          tenant: {
            legalName: tenantName,
            aliases: [],
            domains: [domain],
            contacts: [{ email: contact, role: 'privacy' }],
            regime: 'uk-gdpr',
            jurisdiction: 'GB-ENG',
          },
        },
        { correlationId: tenantId },
      ),
    );
    relay = createRelayService(
      loadConfig(relayConfigSpec, relayTestEnv(ns, { RELAY_MAIL_FROM: 'relay@relay.test' })),
      testLogger('relay'),
    );
    await relay.start();
    intake = createIntakeService(
      loadConfig(
        intakeConfigSpec,
        intakeTestEnv(ns, {
          INTAKE_PUBLIC_URL: INTAKE_URL,
          INTAKE_MAIL_FROM: 'privacy@relay.test',
          INTAKE_LINK_SECRET: 'e2e-intake-link-secret-0123456789abcdef0123',
          INTAKE_EXPORT_TTL_HOURS: String(EXPORT_TTL_HOURS),
          INTAKE_EXPORT_SWEEP_INTERVAL_MS: '200',
        }),
      ),
      testLogger('intake'),
      { clock: { now: () => new Date(Date.now() + clockOffsetMs) } },
    );
    await intake.start();
  });

  afterAll(async () => {
    await intake?.stop();
    await relay?.stop();
    await publisher?.disconnect();
    if (relayDb)
      await intakeDb()
        .dropDatabase()
        .catch(() => undefined);
    await discardTestDatabase(relayDb);
  });

  it('When a requester with a forwarded case asks and confirms, then the mailed link gives their requests and case as JSON and as CSV, nothing of anyone else, and an address with nothing held gets the same answer and a "nothing held" mail; moved past their lives, both links are refused and the export is deleted', async () => {
    // Ada's request, confirmed and forwarded (she is told which customer has it); Bob's, never confirmed.
    expect((await postRequest(ada, 'Please send me a copy of my data.')).status).toBe(202);
    expect((await postRequest(bob, `Bob's own words ${bobSecret}`)).status).toBe(202);
    const verifyLink = local(
      linkIn(
        (await mailTo(ada, /^Confirm your privacy request/, 'the verification mail')).body.text,
        /https:\/\/intake\.example\/verify\/\S+/,
      ),
    );
    expect((await fetch(verifyLink, { method: 'POST' })).status).toBe(200);
    const forward = await mailTo(contact, /./, 'the forward to the privacy contact');
    const caseId = /case-links\/([0-9a-f-]{36})\//.exec(forward.body.text ?? '')?.[1] ?? '';
    await mailTo(ada, / went to /, "the requester's notice");
    await mailTo(bob, /^Confirm your privacy request/, "Bob's verification mail");

    // Asking: the same answer for an address with a case and one with nothing, by form and by API.
    const [adaAsked, nobodyAsked] = await Promise.all([askByForm(ada), askByForm(nobody)]);
    expect(adaAsked.status).toBe(202);
    expect(nobodyAsked.status).toBe(adaAsked.status);
    expect(await nobodyAsked.text()).toBe(await adaAsked.text());
    const apiAsked = await fetch(`${intakeBase()}/v1/exports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `api-${nobody}` }),
    });
    expect(apiAsked.status).toBe(202);

    // Confirming from the mailbox: the GET shows a button, only the POST acts.
    const adaConfirm = await confirmLinkFor(ada);
    expect(await (await fetch(adaConfirm)).text()).toContain('<button type="submit">Confirm</button>');
    expect((await fetch(adaConfirm, { method: 'POST' })).status).toBe(202);
    const nobodyConfirm = await confirmLinkFor(nobody);
    expect((await fetch(nobodyConfirm, { method: 'POST' })).status).toBe(202);

    // Nothing held: the mailbox is told so, with no link.
    const nothing = await mailTo(nobody, /we hold nothing/, 'the "nothing held" mail');
    expect(nothing.body.text).not.toMatch(/\/exports\//);

    // Ada's export: the link, the page, the JSON.
    const ready = await mailTo(ada, /^Your copy of your data is ready/, 'the export link');
    const exportLink = local(linkIn(ready.body.text, /https:\/\/intake\.example\/exports\/\S+/));
    expect((await fetch(exportLink)).status).toBe(200);
    const jsonResponse = await fetch(`${exportLink}/json`);
    expect(jsonResponse.status).toBe(200);
    expect(jsonResponse.headers.get('content-disposition')).toContain('attachment');
    const jsonText = await jsonResponse.text();
    const bundle = JSON.parse(jsonText) as ExportBundle;
    expect(bundle.email).toBe(ada);
    expect(bundle.requests).toHaveLength(1);
    const [request] = bundle.requests;
    expect(request?.requester.email).toBe(ada);
    expect(request?.text).toBe('Please send me a copy of my data.');
    expect(request?.status).toBe('verified');
    expect(request?.decision?.decision).toBe('forward');
    expect(request?.cases.map((c) => [c.caseId, c.tenantName, c.state])).toEqual([[caseId, tenantName, 'forwarded']]);
    expect(request?.intake?.verification.status).toBe('verified');
    expect(request?.intake?.forwards.map((f) => f.caseId)).toEqual([caseId]);
    // No contact's address (someone else's data) and nothing of Bob's.
    expect(jsonText).not.toContain(contact);
    expect(jsonText).not.toContain(bob);
    expect(jsonText).not.toContain(bobSecret);

    // The CSV, read back by a CSV parser: the same rows as the JSON's.
    const csvResponse = await fetch(`${exportLink}/csv`);
    expect(csvResponse.headers.get('content-type')).toContain('text/csv');
    const csvText = await csvResponse.text();
    const rows = parse(csvText, { columns: true, bom: true }) as Record<string, string>[];
    expect(rows).toEqual(
      exportRows(bundle).map((row) => (/^[=+\-@\t\r]/.test(row.value) ? { ...row, value: `'${row.value}` } : row)),
    );
    expect(rows).toContainEqual({ record: 'case', id: caseId, field: 'tenantName', value: tenantName });
    expect(csvText).not.toContain(bobSecret);

    // At rest the export is sealed: the store alone does not read it.
    const stored = await eventually(
      async () => (await intakeDb().collection('exports').find({}).toArray()).find((d) => d.ciphertext),
      10_000,
      'the stored export',
    );
    expect(JSON.stringify(stored)).not.toContain(ada);
    expect(Buffer.from((stored.ciphertext as { buffer: Uint8Array }).buffer).toString('utf8')).not.toContain(ada);

    // A tampered key is refused (the token is bound to it).
    const tampered = exportLink.replace(/[A-Za-z0-9_-]$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await fetch(`${tampered}/json`)).status).toBe(404);

    // The clock moves past the export's life: the link is refused, the sweep deletes the export,
    // and the confirmation links have expired too.
    clockOffsetMs = (EXPORT_TTL_HOURS + 24) * 60 * 60 * 1000;
    const expired = await fetch(`${exportLink}/json`);
    expect(expired.status).toBe(410);
    expect(await expired.text()).not.toContain(ada);
    await eventually(
      async () =>
        (await intakeDb().collection('exports').countDocuments({ _id: stored._id })) === 0 ? true : undefined,
      10_000,
      'the expired export deleted by the sweep',
    );
    expect((await fetch(adaConfirm)).status).toBe(404);
    expect(await (await fetch(adaConfirm, { method: 'POST' })).text()).toContain('expired');
  });
});
