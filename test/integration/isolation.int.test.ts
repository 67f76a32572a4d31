import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { intakeConfigSpec } from '@privacy-relay/intake/config';
import { createIntakeService, type IntakeService } from '@privacy-relay/intake/intake-service';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import { caseIdFor } from '@privacy-relay/relay/domain/matching/case-id';
import { createRelayService, type RelayService } from '@privacy-relay/relay/relay-service';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import { DEV_OPERATOR_TOKEN, relayTestEnv, intakeTestEnv } from '../support/relay-env';
import { linkIn, mailsTo, mailTo } from '../support/ses-store';
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
const RELAY_URL = 'https://relay.example';
const ACTIONS = ['acknowledge', 'done', 'not-ours', 'extend'] as const;
type Action = (typeof ACTIONS)[number];
/**
 * One secret for both services, on purpose: the isolation between them must not rest on an
 * operator choosing two secrets (a token's purpose is what keeps a relay link off intake's pages).
 */
const SHARED_SECRET = 'isolation-test-shared-link-secret-0123456789abcdef';

/**
 * Isolation (issue 18): one tenant's admin links and one requester's status token reach nothing of
 * another — another case (of another request, or of the same request at another tenant), another
 * requester's status page, code form, confirmation or export — whether used as they came, with
 * path segments swapped, truncated, or on the other service. Each attempt is a 4xx page that
 * names nothing of anyone, and the stored state of every request and case is unchanged.
 */
describe('Isolation: a tenant’s links and a requester’s tokens reach nothing of another', () => {
  const ns = testNamespace('isolation');
  const logger = testLogger('isolation');
  const u = Math.random().toString(36).slice(2, 10);
  const tenants = {
    x: { id: `tenant-isox-${u}`, name: `Isolation X ${u} Ltd`, domain: `iso-x-${u}.example` },
    y: { id: `tenant-isoy-${u}`, name: `Isolation Y ${u} Ltd`, domain: `iso-y-${u}.example` },
  };
  const contactOf = (t: keyof typeof tenants) => `privacy-${u}@${tenants[t].domain}`;
  const requesters = {
    ada: { name: `Ada Iso${u}`, email: `ada-${u}@requester.example`, text: `Ada's own words ${u}`, tenant: 'x' },
    bob: { name: `Bob Iso${u}`, email: `bob-${u}@requester.example`, text: `Bob's own words ${u}`, tenant: 'y' },
    carol: { name: `Carol Iso${u}`, email: `carol-${u}@requester.example`, text: `Carol's own words ${u}` },
    dan: { name: `Dan Iso${u}`, email: `dan-${u}@requester.example`, text: `Dan's own words ${u}`, tenant: 'x' },
  } as const;
  type Who = keyof typeof requesters;
  const asked = {} as Record<Who, { reference: string; statusUrl: string; requestId: string }>;
  let kafka: Kafka;
  let publisher: KafkaEventPublisher;
  let intake: IntakeService;
  let relay: RelayService;
  let relayDb: Connection;

  const intakeBase = () => `http://127.0.0.1:${intake.port}`;
  const relayBase = () => `http://127.0.0.1:${relay.port}`;
  const local = (link: string) => link.replace(INTAKE_URL, intakeBase()).replace(RELAY_URL, relayBase());
  const intakeDb = () => relayDb.useDb(`${ns.dbName}_intake`);

  /** Everything personal or identifying of every requester and tenant: a refusal shows none of it. */
  const everyonesData = () => [
    ...Object.values(requesters).flatMap((r) => [r.name, r.email, r.text]),
    ...Object.values(asked).map((a) => a.reference),
    ...Object.values(tenants).map((t) => t.name),
    contactOf('x'),
    contactOf('y'),
  ];

  /** What every attempt may change and must not: each request's confirmation and each case's state. */
  const storedState = async () => ({
    requests: (await intakeDb().collection('verifications').find({}).sort({ _id: 1 }).toArray()).map((d) => ({
      id: String(d._id),
      status: d.status,
      verifiedAt: d.verifiedAt,
      codeAttempts: d.codeAttempts,
    })),
    cases: (await relayDb.collection('cases').find({}).sort({ _id: 1 }).toArray()).map((d) => ({
      id: String(d._id),
      version: d.version,
      state: (d.data as { state: string }).state,
      deadline: (d.data as { deadline: string }).deadline,
    })),
    exports: await intakeDb().collection('exports').countDocuments({}),
  });

  const ask = async (who: Who, company: { name: string; email: string }) => {
    const r = requesters[who];
    const response = await fetch(`${intakeBase()}/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requester: { name: r.name, email: r.email }, rights: ['access'], company, text: r.text }),
    });
    expect(response.status).toBe(202);
    const { reference, statusUrl } = (await response.json()) as { reference: string; statusUrl: string };
    // The status token names the request: `status.<requestId>.<expiry>.<mac>`.
    asked[who] = { reference, statusUrl, requestId: statusUrl.split('/').at(-1)!.split('.')[1]! };
  };
  const confirm = async (who: Who) => {
    const mail = await mailTo(requesters[who].email, /^Confirm your privacy request/, `${who}'s verification mail`);
    const link = local(linkIn(mail.body.text, /https:\/\/intake\.example\/verify\/\S+/));
    expect((await fetch(link, { method: 'POST' })).status).toBe(200);
  };
  const caseOf = (who: Who, t: keyof typeof tenants) => caseIdFor(asked[who].requestId, tenants[t].id);
  /** The four links of a case as mailed to its tenant's privacy contact, once the relay has recorded the send. */
  const linksOf = async (caseId: string, t: keyof typeof tenants): Promise<Record<Action, string>> => {
    const mail = await eventually(
      async () => (await mailsTo(contactOf(t))).find((m) => (m.body.text ?? '').includes(`/case-links/${caseId}/`)),
      30_000,
      `the forward of case ${caseId}`,
    );
    await eventually(async () => {
      const stored = await relayDb
        .collection<{ _id: string; data: { state: string } }>('cases')
        .findOne({ _id: caseId });
      return stored && stored.data.state !== 'matched' ? true : undefined;
    });
    const find = (action: Action) =>
      local(linkIn(mail.body.text, new RegExp(`https://relay\\.example/case-links/${caseId}/${action}/\\S+`)));
    return Object.fromEntries(ACTIONS.map((a) => [a, find(a)])) as Record<Action, string>;
  };
  const exportLinksOf = async (who: Who) => {
    const email = requesters[who].email;
    const form = await fetch(`${intakeBase()}/export`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([['email', email]]).toString(),
    });
    expect(form.status).toBe(202);
    const confirmMail = await mailTo(
      email,
      /^Confirm your request for a copy of your data/,
      `${who}'s export confirmation`,
    );
    const confirmLink = local(linkIn(confirmMail.body.text, /https:\/\/intake\.example\/export\/confirm\/\S+/));
    expect((await fetch(confirmLink, { method: 'POST' })).status).toBe(202);
    const ready = await mailTo(email, /^Your copy of your data is ready/, `${who}'s export link`);
    return { confirmLink, downloadLink: local(linkIn(ready.body.text, /https:\/\/intake\.example\/exports\/\S+/)) };
  };

  /** Tries `url` with `method`: a 4xx page that names nothing of anyone. */
  const refused = async (method: 'GET' | 'POST', url: string, body?: string) => {
    const response = await fetch(url, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }),
    });
    const text = await response.text();
    const status = response.status;
    expect([method, url, status >= 400 && status < 500]).toEqual([method, url, true]);
    for (const data of everyonesData()) expect([method, url, text.includes(data)]).toEqual([method, url, false]);
    return { status, text };
  };

  beforeAll(async () => {
    kafka = testKafka();
    await createTestTopics(kafka, ns.topicPrefix);
    publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
    await publisher.connect();
    relayDb = await connectTestDatabase(ns.dbName, logger);
    for (const key of ['x', 'y'] as const) {
      const t = tenants[key];
      await publisher.publish(
        EVENTS.tenantDirectoryChangedV1,
        EVENTS.tenantDirectoryChangedV1.create(
          {
            tenantId: t.id,
            changedAt: new Date().toISOString(),
            change: 'upserted',
            tenant: {
              legalName: t.name,
              aliases: [],
              domains: [t.domain],
              contacts: [{ email: contactOf(key), role: 'privacy' }],
              regime: 'uk-gdpr',
              jurisdiction: 'GB-ENG',
            },
          },
          { correlationId: t.id },
        ),
      );
    }
    relay = createRelayService(
      loadConfig(
        relayConfigSpec,
        relayTestEnv(ns, {
          RELAY_PUBLIC_URL: RELAY_URL,
          RELAY_MAIL_FROM: 'relay@relay.test',
          RELAY_LINK_SECRET: SHARED_SECRET,
        }),
      ),
      testLogger('relay'),
    );
    await relay.start();
    intake = createIntakeService(
      loadConfig(
        intakeConfigSpec,
        intakeTestEnv(ns, {
          INTAKE_PUBLIC_URL: INTAKE_URL,
          INTAKE_MAIL_FROM: 'privacy@relay.test',
          INTAKE_LINK_SECRET: SHARED_SECRET,
          INTAKE_EXPORT_SWEEP_INTERVAL_MS: '200',
        }),
      ),
      testLogger('intake'),
    );
    await intake.start();
    await eventually(async () =>
      relay.tenantIndex.has(tenants.x.id) && relay.tenantIndex.has(tenants.y.id) ? true : undefined,
    );
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

  it('When one tenant’s admin links, one requester’s status, confirmation and export tokens are used on another’s URLs (swapped, truncated, on the other service), then each is a 4xx naming nothing of anyone and nothing changes', async () => {
    // Ada → X, Bob → Y, both confirmed; Carol's request names nobody known and an operator gives it
    // to X and Y (two cases of one request); Dan → X, never confirmed.
    await ask('ada', { name: tenants.x.name, email: `privacy@${tenants.x.domain}` });
    await ask('bob', { name: tenants.y.name, email: `privacy@${tenants.y.domain}` });
    await ask('carol', { name: `Nowhere ${u} Holdings plc`, email: `info@nowhere-${u}.example` });
    await ask('dan', { name: tenants.x.name, email: `privacy@${tenants.x.domain}` });
    await Promise.all([confirm('ada'), confirm('bob'), confirm('carol')]);
    await eventually(
      async () => {
        const resolved = await fetch(`${relayBase()}/triage/${asked.carol.requestId}/resolve`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${DEV_OPERATOR_TOKEN}` },
          body: JSON.stringify({ action: 'assign', tenantIds: [tenants.x.id, tenants.y.id] }),
        });
        return resolved.status === 200 ? true : undefined;
      },
      30_000,
      "Carol's request in triage, assigned",
    );
    const links = {
      adaX: await linksOf(caseOf('ada', 'x'), 'x'),
      bobY: await linksOf(caseOf('bob', 'y'), 'y'),
      carolX: await linksOf(caseOf('carol', 'x'), 'x'),
      carolY: await linksOf(caseOf('carol', 'y'), 'y'),
    };
    // Settled: each forwarded requester told (the last write their forward makes in intake).
    for (const who of ['ada', 'bob'] as const) await mailTo(requesters[who].email, / went to /, `${who}'s notice`);
    const exports = { ada: await exportLinksOf('ada'), bob: await exportLinksOf('bob') };
    const danCode = /code on your request's status page: (\d{6})/.exec(
      (await mailTo(requesters.dan.email, /^Confirm your privacy request/, "Dan's verification mail")).body.text ?? '',
    )?.[1];
    expect(danCode).toMatch(/^\d{6}$/);
    // An Idempotency-Key is scoped by the requester's address: Erin's key sent by Mallory gets a
    // request of Mallory's own, never Erin's reference or status link back.
    const withKey = async (email: string) => {
      const response = await fetch(`${intakeBase()}/v1/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `iso-key-${u}` },
        body: JSON.stringify({
          requester: { name: 'Someone', email },
          rights: ['access'],
          company: { name: tenants.x.name },
          text: 'x',
        }),
      });
      expect(response.status).toBe(202);
      return (await response.json()) as { reference: string; statusUrl: string };
    };
    const erin = await withKey(`erin-${u}@requester.example`);
    expect(await withKey(`erin-${u}@requester.example`)).toEqual(erin);
    const mallory = await withKey(`mallory-${u}@requester.example`);
    expect(mallory.reference).not.toBe(erin.reference);
    expect(mallory.statusUrl).not.toBe(erin.statusUrl);
    // Settled: their records are written (inserts are batched, so after the answer).
    const requestIdOf = (statusUrl: string) => statusUrl.split('/').at(-1)!.split('.')[1]!;
    for (const { statusUrl } of [erin, mallory]) {
      await eventually(() =>
        intakeDb()
          .collection('verifications')
          .findOne({ _id: requestIdOf(statusUrl) as never })
          .then((d) => d ?? undefined),
      );
    }

    const tokenOf = (url: string) => url.split('/').at(-1)!;
    const before = await storedState();
    /** The attempts, each a 4xx naming nobody (`refused`), run below. */
    const attempts: (() => Promise<unknown>)[] = [];
    const refuse = (method: 'GET' | 'POST', url: string, body?: string) => {
      attempts.push(() => refused(method, url, body));
    };
    expect(before.cases.map((c) => c.state)).toEqual(['forwarded', 'forwarded', 'forwarded', 'forwarded']);

    // --- Admin links: a case's tokens on another case's URLs (another request; the same request at another tenant) ---
    const pairs = [
      [links.adaX, caseOf('bob', 'y')],
      [links.bobY, caseOf('ada', 'x')],
      [links.carolX, caseOf('carol', 'y')],
      [links.carolY, caseOf('carol', 'x')],
      [links.adaX, caseOf('carol', 'x')],
    ] as const;
    for (const [own, otherCase] of pairs) {
      for (const action of ACTIONS) {
        const token = tokenOf(own[action]);
        for (const target of ACTIONS) {
          const url = `${relayBase()}/case-links/${otherCase}/${target}/${token}`;
          refuse('GET', url);
          refuse('POST', url, target === 'extend' ? 'reason=Needs+more+time' : undefined);
        }
      }
    }
    // The forms of a case page (tokens minted for that case) on the other case of the same request.
    const formTargets = [
      ...(await (await fetch(links.carolX.acknowledge)).text()).matchAll(/<form method="post" action="([^"]+)"/g),
    ].map((m) => new URL(m[1]!, links.carolX.acknowledge).href);
    expect(formTargets).toHaveLength(3);
    for (const target of formTargets) {
      const moved = target.replace(caseOf('carol', 'x'), caseOf('carol', 'y'));
      expect(moved).not.toBe(target);
      refuse('GET', moved);
      refuse('POST', moved, 'reason=Needs+more+time');
    }
    // Swapped path segments, truncated and padded tokens, nothing for a token.
    const own = links.adaX.done;
    const [caseId, action, token] = new URL(own).pathname.split('/').slice(2) as [string, string, string];
    const [purpose, subject, expiry, mac] = token.split('.') as [string, string, string, string];
    const mangled = [
      `/case-links/${token}/${action}/${caseId}`,
      `/case-links/${action}/${caseId}/${token}`,
      `/case-links/${caseId}/${token}/${action}`,
      `/case-links/${caseOf('bob', 'y')}/${action}/${token}`,
      `/case-links/${caseId}/${action}/${token.slice(0, -1)}`,
      `/case-links/${caseId}/${action}/${purpose}.${subject}.${expiry}`,
      `/case-links/${caseId}/${action}/${purpose}.${subject}`,
      `/case-links/${caseId}/${action}/${purpose}.${caseOf('bob', 'y')}_c0.${expiry}.${mac}`,
      `/case-links/${caseId}/${action}/${token}x`,
      `/case-links/${caseId}/${action}/${mac}`,
      `/case-links/${caseId}/${action}/`,
      `/case-links/${caseId}/${action}/${token}/extra`,
      `/case-links/${caseId}/${action}`,
    ];
    for (const path of mangled) {
      refuse('GET', `${relayBase()}${path}`);
      refuse('POST', `${relayBase()}${path}`);
    }

    // --- Requesters: Ada's tokens on Bob's (and Dan's) pages ---
    const adaStatus = tokenOf(asked.ada.statusUrl);
    const bobStatus = tokenOf(asked.bob.statusUrl);
    const [sPurpose, , sExpiry, sMac] = adaStatus.split('.') as [string, string, string, string];
    // Ada's own page names Ada's request and X, nothing of Bob's, Carol's or Dan's.
    const adaPage = await (await fetch(local(asked.ada.statusUrl))).text();
    expect(adaPage).toContain(asked.ada.reference);
    for (const other of [asked.bob.reference, asked.carol.reference, asked.dan.reference, tenants.y.name]) {
      expect(adaPage).not.toContain(other);
    }
    const bobRequestAsAda = `${sPurpose}.${asked.bob.requestId}.${sExpiry}.${sMac}`;
    const danRequestAsAda = `${sPurpose}.${asked.dan.requestId}.${sExpiry}.${sMac}`;
    for (const path of [
      `/status/${bobRequestAsAda}`,
      `/status/${danRequestAsAda}`,
      `/status/${adaStatus.slice(0, -1)}`,
      `/status/${adaStatus.split('.').slice(0, 3).join('.')}`,
      `/status/${asked.bob.requestId}`,
      `/verify/${adaStatus}`,
      `/verify/${bobStatus}`,
      `/exports/${adaStatus}/${tokenOf(exports.bob.downloadLink)}`,
    ]) {
      refuse('GET', `${intakeBase()}${path}`);
    }
    for (const path of [`/verify/${adaStatus}`, `/verify/${danRequestAsAda}`, `/status/${danRequestAsAda}/code`]) {
      refuse('POST', `${intakeBase()}${path}`, `code=${danCode}`);
    }
    // Dan's code typed on Ada's page confirms nothing of Dan's (it is checked against Ada's request).
    const danBefore = before.requests.find((r) => r.id === asked.dan.requestId);
    expect(danBefore?.status).toBe('pending');
    await fetch(`${local(asked.ada.statusUrl)}/code`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `code=${danCode}`,
    }).then(async (response) => {
      const text = await response.text();
      for (const other of [asked.dan.reference, requesters.dan.name, requesters.dan.email]) {
        expect(text).not.toContain(other);
      }
    });
    // Exports: a download token with the other's key, a confirmation token with the other's address.
    const [adaExportToken, adaKey] = new URL(exports.ada.downloadLink).pathname.split('/').slice(2) as [string, string];
    const [bobExportToken, bobKey] = new URL(exports.bob.downloadLink).pathname.split('/').slice(2) as [string, string];
    const [adaConfirmToken, adaAddress] = new URL(exports.ada.confirmLink).pathname.split('/').slice(3) as [
      string,
      string,
    ];
    const [bobConfirmToken, bobAddress] = new URL(exports.bob.confirmLink).pathname.split('/').slice(3) as [
      string,
      string,
    ];
    for (const path of [
      `/exports/${adaExportToken}/${bobKey}`,
      `/exports/${bobExportToken}/${adaKey}`,
      `/exports/${adaExportToken}/${bobKey}/json`,
      `/exports/${bobExportToken}/${adaKey}/csv`,
      `/exports/${adaKey}/${adaExportToken}`,
      `/exports/${adaExportToken.slice(0, -2)}/${adaKey}/json`,
      `/exports/${adaExportToken}/${adaKey.slice(0, -1)}/json`,
      `/export/confirm/${adaConfirmToken}/${bobAddress}`,
      `/export/confirm/${bobConfirmToken}/${adaAddress}`,
      `/export/confirm/${adaAddress}/${adaConfirmToken}`,
    ]) {
      refuse('GET', `${intakeBase()}${path}`);
    }
    for (const path of [
      `/export/confirm/${adaConfirmToken}/${bobAddress}`,
      `/export/confirm/${bobConfirmToken}/${adaAddress}`,
    ]) {
      refuse('POST', `${intakeBase()}${path}`);
    }

    // --- Tokens of one service on the other (one secret for both) ---
    const relayTokens = Object.values(links.adaX).map(tokenOf);
    for (const relayToken of relayTokens) {
      refuse('GET', `${intakeBase()}/status/${relayToken}`);
      refuse('GET', `${intakeBase()}/verify/${relayToken}`);
      refuse('POST', `${intakeBase()}/verify/${relayToken}`);
      refuse('POST', `${intakeBase()}/status/${relayToken}/code`, `code=${danCode}`);
      refuse('GET', `${intakeBase()}/exports/${relayToken}/${adaKey}`);
    }
    for (const intakeToken of [adaStatus, adaExportToken, adaConfirmToken, bobRequestAsAda]) {
      for (const target of ACTIONS) {
        refuse('GET', `${relayBase()}/case-links/${caseOf('ada', 'x')}/${target}/${intakeToken}`);
        refuse('POST', `${relayBase()}/case-links/${caseOf('ada', 'x')}/${target}/${intakeToken}`);
      }
    }

    // Run them, a dozen at a time (the order does not matter: each is refused on its own).
    for (let i = 0; i < attempts.length; i += 12) await Promise.all(attempts.slice(i, i + 12).map((run) => run()));
    expect(attempts.length).toBe(267);

    // Nothing changed: every request's confirmation (Ada's own counter aside: Dan's code was typed on
    // her page), every case's version and state, the exports.
    const after = await storedState();
    const withoutAdasCounter = (state: typeof before) => ({
      ...state,
      requests: state.requests.map((r) => (r.id === asked.ada.requestId ? { ...r, codeAttempts: 0 } : r)),
    });
    expect(withoutAdasCounter(after)).toEqual(withoutAdasCounter(before));
    // And the links still work for their own case: the refusals were the isolation, not a broken link.
    expect((await fetch(links.carolY.acknowledge, { method: 'POST' })).status).toBe(200);
  }, 120_000);
});
