import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { createLogger } from '@privacy-relay/shared/logger';
import { MongoCaseRepository } from '@privacy-relay/relay/adapters/mongo/case-repository';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import type { CaseMessage, ForwardingCase } from '@privacy-relay/relay/domain/case/forwarding-case';
import { openCase } from '@privacy-relay/relay/domain/case/forwarding-case';
import { createRelayService, type RelayService } from '@privacy-relay/relay/relay-service';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import {
  connectTestDatabase,
  createTestTopics,
  discardTestDatabase,
  eventually,
  testKafka,
  testLogger,
  testNamespace,
} from '../../../../test/support/test-env';
import { DEV_CONSOLE_USERS, relayTestEnv } from '../../../../test/support/relay-env';
import { ConsoleClient, csrfIn } from '../support/console-client';

/** The relay's clock: fixed, so "today" (and so every count) is known. A Monday, noon in London. */
const NOW = new Date('2026-06-15T11:00:00Z');
const CHANGED_AT = '2026-06-01T00:00:00.000Z';

/** A table's rows by their header cell's text: the numbers of its cells. */
function rowsOf(html: string, tableId: string): Map<string, number[]> {
  const table = new RegExp(`<table id="${tableId}">([\\s\\S]*?)</table>`).exec(html)?.[1];
  if (!table) throw new Error(`no table ${tableId}`);
  const rows = new Map<string, number[]>();
  for (const [, head = '', cells = ''] of table.matchAll(/<tr><th scope="row">(.*?)<\/th>(.*?)<\/tr>/g)) {
    rows.set(
      head.replace(/<[^>]+>/g, ''),
      [...cells.matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => Number(m[1])),
    );
  }
  return rows;
}

/** The case ids a list links to, in order. */
const caseLinks = (html: string): string[] =>
  [...html.matchAll(/href="\/console\/cases\/([0-9a-f-]{36})"/g)].map((m) => m[1]!);

describe('Operator console: the dashboard, escalated and overdue cases, the tenant directory and its import', () => {
  const ns = testNamespace('console-pages');
  const logLines: string[] = [];
  const env = relayTestEnv(ns);
  const logger = testLogger('console-pages-test');
  let kafka: Kafka;
  let relay: RelayService;
  let publisher: KafkaEventPublisher;
  let connection: Connection;
  const base = () => `http://127.0.0.1:${relay.port}`;
  const client = () => new ConsoleClient(base);
  let operator: ConsoleClient;
  let viewer: ConsoleClient;

  const ids = {
    overdueEscalated: randomUUID(),
    forwardedInTime: randomUUID(),
    acknowledgedSoon: randomUUID(),
    acknowledgedOverdue: randomUUID(),
    doneLate: randomUUID(),
    matchedFar: randomUUID(),
    doneLongAgo: randomUUID(),
  };

  const message = (sentAt: string, delivery: CaseMessage['delivery']): CaseMessage => ({
    contactIndex: 0,
    email: 'privacy@acme.example',
    intentAt: sentAt,
    sentAt,
    sesMessageId: `ses-${randomUUID()}`,
    delivery,
    deliveryAt: sentAt,
  });

  function seededCase(
    caseId: string,
    tenant: 'tenant-acme' | 'tenant-globex',
    state: ForwardingCase['state'],
    deadline: string,
    extra: Partial<ForwardingCase> = {},
  ): ForwardingCase {
    return {
      ...openCase({
        caseId,
        requestId: randomUUID(),
        tenantId: tenant,
        tenantName: tenant === 'tenant-acme' ? 'Acme Widgets Ltd' : 'Globex Corporation',
        regime: 'uk-gdpr',
        jurisdiction: 'GB-ENG',
        receivedOn: '2026-05-01',
        deadline,
        extendedDeadline: '2026-08-01',
        contacts: [{ email: 'privacy@acme.example', role: 'privacy' }],
        at: NOW,
        by: { kind: 'matcher' },
      }),
      state,
      ...extra,
    };
  }

  const publishTenant = (tenantId: string, legalName: string, domain: string, contact: string) =>
    publisher.publish(
      EVENTS.tenantDirectoryChangedV1,
      EVENTS.tenantDirectoryChangedV1.create(
        {
          tenantId,
          changedAt: CHANGED_AT,
          change: 'upserted',
          tenant: {
            legalName,
            aliases: [],
            domains: [domain],
            contacts: [{ email: contact, role: 'privacy' }],
            regime: 'uk-gdpr',
          },
        },
        { correlationId: tenantId },
      ),
    );

  beforeAll(async () => {
    kafka = testKafka();
    await createTestTopics(kafka, ns.topicPrefix);
    publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
    await publisher.connect();
    connection = await connectTestDatabase(ns.dbName, logger);
    const cases = new MongoCaseRepository(connection);
    const seeded: ForwardingCase[] = [
      seededCase(ids.overdueEscalated, 'tenant-acme', 'forwarded', '2026-06-12', {
        messages: [message('2026-06-15T09:00:00.000Z', 'delivered')],
        escalations: [{ step: 'reminder', at: '2026-06-10T09:00:00.000Z', mails: [] }],
      }),
      seededCase(ids.forwardedInTime, 'tenant-acme', 'forwarded', '2026-06-25', {
        messages: [message('2026-06-14T09:00:00.000Z', 'bounced')],
      }),
      seededCase(ids.acknowledgedSoon, 'tenant-acme', 'acknowledged', '2026-06-17', {
        messages: [message('2026-06-13T09:00:00.000Z', 'complained')],
        escalations: [{ step: 'reminder', at: '2026-06-12T09:00:00.000Z', mails: [] }],
      }),
      seededCase(ids.acknowledgedOverdue, 'tenant-globex', 'acknowledged', '2026-06-14'),
      seededCase(ids.doneLate, 'tenant-globex', 'done', '2026-06-01', {
        messages: [message('2026-06-15T10:00:00.000Z', 'sent')],
      }),
      seededCase(ids.matchedFar, 'tenant-globex', 'matched', '2026-07-30'),
      seededCase(ids.doneLongAgo, 'tenant-globex', 'done', '2026-05-20', {
        messages: [message('2026-05-01T10:00:00.000Z', 'delivered')],
      }),
    ];
    for (const c of seeded) expect(await cases.create(c, NOW)).toBe(true);
    const relayLogger = createLogger({
      name: 'relay',
      level: 'debug',
      destination: { write: (line: string) => void logLines.push(line) },
    });
    relay = createRelayService(loadConfig(relayConfigSpec, env), relayLogger, { now: () => NOW });
    await relay.start();
    await publishTenant('tenant-acme', 'Acme Widgets Ltd', 'acme.example', 'privacy@acme.example');
    await publishTenant('tenant-globex', 'Globex Corporation', 'globex.example', 'dpo@globex.example');
    await eventually(
      async () => (relay.tenantIndex.has('tenant-acme') && relay.tenantIndex.has('tenant-globex') ? true : undefined),
      30_000,
      'the directory in the index',
    );
    operator = client();
    expect((await operator.signIn(DEV_CONSOLE_USERS.operator)).status).toBe(303);
    viewer = client();
    expect((await viewer.signIn(DEV_CONSOLE_USERS.viewer)).status).toBe(303);
  });

  afterAll(async () => {
    await relay?.stop();
    await publisher?.disconnect();
    await discardTestDatabase(connection);
  });

  it('When the dashboard is opened, then it counts the seeded cases per state, the open ones by days left, and the forwards of the last 14 days by outcome', async () => {
    const home = await viewer.send('GET', '/console');
    expect({ status: home.status, location: home.location }).toEqual({ status: 303, location: '/console/dashboard' });
    const page = await viewer.send('GET', '/console/dashboard');
    expect(page.status).toBe(200);
    const states = rowsOf(page.html, 'state-counts');
    expect(Object.fromEntries([...states].map(([state, [count]]) => [state, count]))).toEqual({
      matched: 1,
      forwarded: 2,
      acknowledged: 2,
      done: 2,
      'not ours': 0,
      'no contact left': 0,
      all: 7,
    });
    const daysLeft = rowsOf(page.html, 'days-left-table');
    expect(Object.fromEntries([...daysLeft].map(([bucket, [count]]) => [bucket, count]))).toEqual({
      Overdue: 2,
      '0–3 days': 1,
      '4–7 days': 0,
      '8–14 days': 1,
      '15–30 days': 0,
      'More than 30 days': 1,
    });
    // Per day: the forwards, then each outcome met.
    const forwards = new Map(
      [
        ...page.html.matchAll(
          /<tr><th scope="row">(\d{4}-\d{2}-\d{2})<\/th><td class="num">(\d+)<\/td><td>(.*?)<\/td><\/tr>/g,
        ),
      ].map(([, day, total, outcomes]) => [day, `${total}: ${outcomes}`]),
    );
    expect(forwards.size).toBe(14);
    expect(forwards.get('2026-06-15')).toBe('2: 1 delivered, 1 pending');
    expect(forwards.get('2026-06-14')).toBe('1: 1 bounced');
    expect(forwards.get('2026-06-13')).toBe('1: 1 complained');
    expect(forwards.get('2026-06-02')).toBe('0: —');
    expect(forwards.has('2026-06-01')).toBe(false);
    expect(page.html).toMatch(/id="escalated-count">1</);
    expect(page.html).toMatch(/id="overdue-count">2</);
    // The chart has a text alternative, and the nav leads to every page.
    expect(page.html).toContain('role="img"');
    for (const href of ['/console/cases/escalated', '/console/cases/overdue', '/console/directory']) {
      expect(page.html).toContain(`href="${href}"`);
    }
  });

  it('When the overdue and escalated lists are opened, then an open case past its deadline is overdue and a forwarded case with a fired step is escalated; closed and acknowledged ones are not', async () => {
    const overdue = await viewer.send('GET', '/console/cases/overdue');
    expect(overdue.status).toBe(200);
    // Longest overdue first: 3 days, then 1 day. Done past its deadline is not overdue.
    expect(caseLinks(overdue.html)).toEqual([ids.overdueEscalated, ids.acknowledgedOverdue]);
    expect(overdue.html).toContain('overdue by <strong>3 days</strong>');
    const escalated = await viewer.send('GET', '/console/cases/escalated');
    expect(escalated.status).toBe(200);
    // Acknowledged after its reminder: not escalated any more.
    expect(caseLinks(escalated.html)).toEqual([ids.overdueEscalated]);
    expect(escalated.html).toContain('last step <strong>reminder</strong>');
  });

  it('When the directory is searched by name or by domain, then it finds that tenant and not the others; its page shows its contacts and its cases only', async () => {
    const byName = await viewer.send('GET', '/console/directory?q=acme');
    expect(byName.status).toBe(200);
    expect(byName.html).toContain('href="/console/directory/tenants/tenant-acme"');
    expect(byName.html).not.toContain('tenant-globex');
    const byDomain = await viewer.send('GET', `/console/directory?q=${encodeURIComponent('someone@globex.example')}`);
    expect(byDomain.html).toContain('href="/console/directory/tenants/tenant-globex"');
    expect(byDomain.html).not.toContain('tenant-acme');
    const none = await viewer.send('GET', '/console/directory?q=initech');
    expect(none.html).toContain('No tenant matches');

    const acme = await viewer.send('GET', '/console/directory/tenants/tenant-acme');
    expect(acme.status).toBe(200);
    expect(acme.html).toContain('privacy@acme.example (privacy)');
    expect(caseLinks(acme.html).sort()).toEqual(
      [ids.overdueEscalated, ids.forwardedInTime, ids.acknowledgedSoon].sort(),
    );
    expect((await viewer.send('GET', '/console/directory/tenants/tenant-nobody')).status).toBe(404);
  });

  it('When an operator uploads a directory file, then its rows are imported, the progress page reaches done, and the new tenants are found', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => {
      const n = String(i).padStart(3, '0');
      return JSON.stringify({
        tenantId: `imported-${n}`,
        changedAt: CHANGED_AT,
        legalName: `Imported Tenant ${n} Ltd`,
        domains: [`imp${n}.example`],
        contacts: [{ email: `privacy@imp${n}.example` }],
      });
    });
    const form = await operator.send('GET', '/console/directory/import');
    expect(form.html).toContain('enctype="multipart/form-data"');
    const posted = await operator.upload(
      '/console/directory/import',
      { _csrf: csrfIn(form.html), format: 'jsonl' },
      { name: 'tenants.jsonl', content: rows.join('\n') },
    );
    expect(posted.status).toBe(303);
    const jobPath = posted.location!;
    expect(jobPath).toMatch(/^\/console\/directory\/imports\/[0-9a-f-]{36}$/);
    const done = await eventually(
      async () => {
        const page = await viewer.send('GET', jobPath);
        // While it runs, the page asks to be loaded again; once done it does not.
        if (page.html.includes('<strong>importing</strong>')) expect(page.refresh).toBe('2');
        return page.html.includes('<strong>done</strong>') ? page : undefined;
      },
      30_000,
      'the import done',
    );
    expect(done.html).toContain('<strong>250 of 250</strong>');
    expect(done.refresh).toBeNull();
    await eventually(
      async () =>
        (await viewer.send('GET', '/console/directory?q=imp249.example')).html.includes('imported-249')
          ? true
          : undefined,
      30_000,
      'an imported tenant found',
    );
    const imported = await viewer.send('GET', '/console/directory/tenants/imported-007');
    expect(imported.html).toContain('privacy@imp007.example (privacy)');
  });

  it('When the file has a bad row, then nothing is imported, each bad row is shown with its line, and the logs do not quote it', async () => {
    const form = await operator.send('GET', '/console/directory/import');
    const posted = await operator.upload(
      '/console/directory/import',
      { _csrf: csrfIn(form.html), format: 'jsonl' },
      {
        name: 'bad.jsonl',
        content: [
          JSON.stringify({ tenantId: 'good-one', changedAt: CHANGED_AT, legalName: 'Good One Ltd' }),
          '{"tenantId":"leaky","legalName":"Ada Leaky" leak-me@example.com}',
          JSON.stringify({ tenantId: 'no-name', changedAt: CHANGED_AT }),
        ].join('\n'),
      },
    );
    expect(posted.status).toBe(303);
    const page = await viewer.send('GET', posted.location!);
    expect(page.html).toContain('<strong>refused</strong>');
    const errors = rowsOf(
      page.html.replace(/<td class="num">(\d+)<\/td><td>/g, '<th scope="row">$1</th><td>'),
      'errors',
    );
    expect([...errors.keys()]).toEqual(['2', '3']);
    expect(page.html).toMatch(/invalid JSON/);
    expect(page.html).toMatch(/legalName: /);
    // The import is logged (ids and counts), its rows never: no name or address from the file.
    const jobId = posted.location!.split('/').at(-1)!;
    const logged = logLines.filter((line) => line.includes(jobId));
    expect(logged.some((line) => line.includes('"badRows":2'))).toBe(true);
    for (const text of ['leak-me', 'Ada Leaky', 'Good One Ltd', 'leaky'])
      expect(logLines.join('\n')).not.toContain(text);
  });

  it('When a viewer posts an import, or an operator posts one without the form token, then it is refused with 403 and no import is recorded', async () => {
    const importsBefore = (await viewer.send('GET', '/console/directory/import')).html;
    const jobCount = (html: string) => (html.match(/href="\/console\/directory\/imports\//g) ?? []).length;
    expect(importsBefore).not.toContain('enctype="multipart/form-data"');
    const file = {
      name: 'refused.jsonl',
      content: JSON.stringify({ tenantId: 'refused-tenant', changedAt: CHANGED_AT, legalName: 'Refused Ltd' }),
    };
    const byViewer = await viewer.upload(
      '/console/directory/import',
      { _csrf: csrfIn(importsBefore), format: 'jsonl' },
      file,
    );
    expect(byViewer.status).toBe(403);
    expect(byViewer.html).toContain('Your role (viewer) can read the console but not act');
    const withoutToken = await operator.upload('/console/directory/import', { format: 'jsonl' }, file);
    expect(withoutToken.status).toBe(403);
    expect(withoutToken.html).toContain('This form did not come from your console session');
    const otherToken = await operator.upload(
      '/console/directory/import',
      { _csrf: csrfIn(importsBefore), format: 'jsonl' },
      file,
    );
    expect(otherToken.status).toBe(403);
    const anonymous = await client().upload('/console/directory/import', { format: 'jsonl' }, file);
    expect(anonymous.status).toBe(401);
    // Multipart is taken by the upload's route only.
    const elsewhere = await operator.upload(
      `/console/cases/${ids.forwardedInTime}/extension`,
      { _csrf: csrfIn((await operator.send('GET', '/console/dashboard')).html), reason: 'A reason' },
      file,
    );
    expect(elsewhere.status).toBe(415);
    expect(jobCount((await viewer.send('GET', '/console/directory/import')).html)).toBe(jobCount(importsBefore));
  });

  it('When the file is larger than the limit, then it is refused with 413 and nothing is imported', async () => {
    const form = await operator.send('GET', '/console/directory/import');
    const before = (form.html.match(/href="\/console\/directory\/imports\//g) ?? []).length;
    const tooLarge = await operator.upload(
      '/console/directory/import',
      { _csrf: csrfIn(form.html), format: 'jsonl' },
      { name: 'huge.jsonl', content: Buffer.alloc(5 * 1024 * 1024 + 1, 0x20) },
    );
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.html).toContain('at most 5 MiB');
    const after = (await operator.send('GET', '/console/directory/import')).html;
    expect((after.match(/href="\/console\/directory\/imports\//g) ?? []).length).toBe(before);
  });
});
