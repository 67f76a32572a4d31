import { createPublicKey, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MongoRetentionCursorStore,
  MongoRetentionDayLists,
  RetentionSweep,
  utcDay,
} from '@privacy-relay/shared/retention';
import { CheckpointDirectory } from '@privacy-relay/relay/adapters/evidence/checkpoint-directory';
import { MongoCaseEvidenceRepository } from '@privacy-relay/relay/adapters/mongo/case-evidence';
import { MongoCaseRepository } from '@privacy-relay/relay/adapters/mongo/case-repository';
import { MongoMatchDecisionRepository } from '@privacy-relay/relay/adapters/mongo/match-decision-repository';
import { MongoRelayRequestRepository } from '@privacy-relay/relay/adapters/mongo/relay-request-repository';
import { writeCheckpoints } from '@privacy-relay/relay/application/evidence-checkpoint';
import { CaseRetention, RequestRetention } from '@privacy-relay/relay/application/retention';
import { runEvidenceExport, runEvidenceVerify } from '@privacy-relay/relay/cli/evidence-command';
import {
  applyTenantAction,
  openCase,
  recordSendIntent,
  recordSent,
  type ForwardingCase,
  type TransitionResult,
} from '@privacy-relay/relay/domain/case/forwarding-case';
import { keyIdOf, publicKeyPem } from '@privacy-relay/relay/domain/evidence/checkpoint';
import { parseEd25519PrivateKey } from '@privacy-relay/relay/domain/evidence/signing-key';
import { hashCounterpartyEmail } from '@privacy-relay/relay/domain/matching/counterparty-hash';
import mongoose, { type Connection } from 'mongoose';
import { TEST_EVIDENCE_SIGNING_KEY } from '../../../../test/support/relay-env';
import { plansOf, recordFilters } from '../../../../test/support/store-plans';
import {
  connectTestDatabase,
  discardTestDatabase,
  stackEndpoints,
  testLogger,
  testNamespace,
} from '../../../../test/support/test-env';

const logger = testLogger('relay-retention-test');
const policy = { minimiseAfterDays: 183, deleteAfterDays: 2192 };
const HASH_KEY = 'retention-test-counterparty-key-0123456789';
const signingKey = parseEd25519PrivateKey(TEST_EVIDENCE_SIGNING_KEY);

const DAY = 86_400_000;
const T0 = new Date('2026-01-12T10:00:00Z');
const daysAfterT0 = (days: number) => new Date(T0.getTime() + days * DAY);

function ok(result: TransitionResult): ForwardingCase {
  if (!result.ok) throw new Error(JSON.stringify(result));
  return result.case;
}

interface CaseDoc {
  _id: string;
  version: number;
  state: string;
  data: ForwardingCase;
  evidenceSalt?: string;
  auditChain: { seq: number; hash: string; record: Record<string, unknown> }[];
  retention?: { minimiseOn?: string; deleteOn: string; minimisedAt?: Date };
}

describe('Retention in the relay (moved clock, real store)', () => {
  const ns = testNamespace('relay-retention');
  let connection: Connection;
  let cases: MongoCaseRepository;
  let requests: MongoRelayRequestRepository;
  let decisions: MongoMatchDecisionRepository;

  beforeAll(async () => {
    connection = await connectTestDatabase(ns.dbName, logger);
    cases = new MongoCaseRepository(connection, policy);
    requests = new MongoRelayRequestRepository(connection, undefined, policy);
    decisions = new MongoMatchDecisionRepository(connection);
    await connection.syncIndexes();
  });
  afterAll(() => discardTestDatabase(connection));

  beforeEach(async () => {
    // Each test starts with no cursor and an empty store.
    for (const name of [
      'cases',
      'requests',
      'match_decisions',
      'early_verifications',
      'retention_cursor',
      'retention_days',
    ]) {
      await connection.collection(name).deleteMany({});
    }
  });

  function sweepAt(at: Date, maxDaysPerSweep?: number) {
    return new RetentionSweep({
      targets: [
        new CaseRetention(cases),
        new RequestRetention({
          requests,
          cases,
          decisions,
          hasher: { hash: (email) => hashCounterpartyEmail(HASH_KEY, email) },
          policy,
        }),
      ],
      cursors: new MongoRetentionCursorStore(connection),
      lists: new MongoRetentionDayLists(connection),
      clock: { now: () => at },
      logger,
      ...(maxDaysPerSweep ? { maxDaysPerSweep } : {}),
    }).sweepOnce();
  }

  /** A request received and verified at `at`, and its case forwarded at `at` with a delivery whose raw notification is kept. */
  async function forwardedCase(at: Date, options: { decision?: 'forward' | 'triage' } = {}) {
    const requestId = randomUUID();
    const email = `ada-${requestId.slice(0, 8)}@example.org`;
    await requests.insertIfAbsent({
      requestId,
      reference: 'PR-AAAA-BBBB',
      channel: 'api',
      receivedAt: at,
      requester: { name: 'Ada Example', email },
      rights: ['access'],
      company: { name: 'Acme Ltd', email: 'privacy@acme.example' },
      text: 'Please send me my data, I live at 1 Main Street.',
      status: 'awaiting-verification',
      sourceEventId: randomUUID(),
    });
    await requests.markVerified(requestId, at);
    await requests.recordEarlyVerification(requestId, at);
    await decisions.saveIfAbsent({
      requestId,
      decision: options.decision ?? 'forward',
      explanation: 'test',
      events: [],
      published: true,
      decidedBy: 'matcher',
      decidedAt: at,
      round: 0,
      revision: 0,
      excluded: [],
      candidates: [],
      history: [],
    });
    if (options.decision === 'triage') return { requestId, email, caseId: undefined };
    const caseId = randomUUID();
    const opened = openCase({
      caseId,
      requestId,
      tenantId: 'acme',
      tenantName: 'Acme Ltd',
      regime: 'uk-gdpr',
      jurisdiction: 'GB-ENG',
      receivedOn: at.toISOString().slice(0, 10),
      deadline: '2026-02-12',
      extendedDeadline: '2026-04-12',
      contacts: [{ email: 'privacy@acme.example', role: 'privacy' }],
      at,
      by: { kind: 'operator', operatorId: 'alice@platform.example' },
    });
    expect(await cases.create(opened, at)).toBe(true);
    const sent = ok(recordSent(ok(recordSendIntent(opened, 0, at)), 0, `ses-${caseId}`, at));
    const raw = `{"Type":"Notification","MessageId":"sns-${caseId}","Message":"{\\"mail\\":{\\"destination\\":[\\"privacy@acme.example\\"]}}"}`;
    const delivered: ForwardingCase = {
      ...sent,
      audit: [
        ...sent.audit,
        {
          at: at.toISOString(),
          what: 'delivery delivered',
          by: { kind: 'mail-event', eventId: randomUUID() },
          sesMessageId: `ses-${caseId}`,
          snsMessageId: `sns-${caseId}`,
          occurredAt: at.toISOString(),
          contactIndex: 0,
        },
      ],
      evidence: [
        {
          snsMessageId: `sns-${caseId}`,
          sesMessageId: `ses-${caseId}`,
          receivedAt: at.toISOString(),
          rawNotification: raw,
        },
      ],
    };
    expect(await cases.update(delivered, 1, [], at)).not.toBe(false);
    return { requestId, email, caseId };
  }

  const storedCase = (caseId: string) => connection.collection<CaseDoc>('cases').findOne({ _id: caseId });
  const storedRequest = (requestId: string) =>
    connection.collection<{ _id: string } & Record<string, unknown>>('requests').findOne({ _id: requestId });

  it('When a case and its request were last active more than six months ago, then their personal data is gone and ids, dates, SES ids and the chain stay; a recent one is untouched', async () => {
    const old = await forwardedCase(T0);
    const recent = await forwardedCase(daysAfterT0(100));
    await sweepAt(T0);
    const beforeOld = (await storedCase(old.caseId!))!;
    const beforeRecent = (await storedCase(recent.caseId!))!;
    const recentRequestBefore = await storedRequest(recent.requestId);

    await sweepAt(daysAfterT0(190));

    const after = (await storedCase(old.caseId!))!;
    const text = JSON.stringify(after.data);
    expect(text).not.toContain('privacy@acme.example');
    expect(text).not.toContain('alice');
    expect(after.data.evidence).toBeUndefined();
    expect(after.evidenceSalt).toBeUndefined();
    expect(after.data).toMatchObject({ requestId: old.requestId, state: 'forwarded', deadline: '2026-02-12' });
    expect(after.data.messages[0]).toMatchObject({ sesMessageId: `ses-${old.caseId}`, delivery: 'sent' });
    // The chain is the one before, plus one entry for the line saying retention minimised it.
    expect(after.auditChain.slice(0, -1)).toEqual(beforeOld.auditChain);
    expect(after.auditChain.at(-1)!.record).toMatchObject({
      what: 'personal data minimised',
      by: { kind: 'retention' },
    });
    expect(after.version).toBe(beforeOld.version + 1);
    expect(after.retention).toMatchObject({ deleteOn: beforeOld.retention!.deleteOn });
    expect(after.retention!.minimiseOn).toBeUndefined();

    const request = (await storedRequest(old.requestId))!;
    for (const gone of ['requester', 'company', 'text']) expect(request).not.toHaveProperty(gone);
    expect(JSON.stringify(request)).not.toContain('Ada');
    expect(request).toMatchObject({
      _id: old.requestId,
      reference: 'PR-AAAA-BBBB',
      status: 'verified',
      rights: ['access'],
    });
    expect(request.requesterEmailKey).toBe(hashCounterpartyEmail(HASH_KEY, old.email));

    expect(await storedCase(recent.caseId!)).toEqual(beforeRecent);
    expect(await storedRequest(recent.requestId)).toEqual(recentRequestBefore);
  });

  it('When a case has activity later, then its due day moves and the old day minimises nothing; its request waits for it', async () => {
    const c = await forwardedCase(T0);
    await sweepAt(T0);
    const stored = (await cases.find(c.caseId!))!;
    const acknowledgedAt = daysAfterT0(150);
    const acknowledged = ok(applyTenantAction(stored.case, 'acknowledge', acknowledgedAt, { kind: 'admin-link' }));
    expect(await cases.update(acknowledged, stored.version, [], acknowledgedAt)).not.toBe(false);
    expect((await storedCase(c.caseId!))!.retention).toEqual({ minimiseOn: '2026-12-11', deleteOn: '2032-06-11' });

    await sweepAt(daysAfterT0(190));
    const untouched = (await storedCase(c.caseId!))!;
    expect(untouched.data.contacts[0]!.email).toBe('privacy@acme.example');
    // The request's own day came, but its case is still active: postponed to the case's day.
    const request = (await storedRequest(c.requestId))!;
    expect(request).toHaveProperty('requester.email', c.email);
    expect(request).toHaveProperty('retention.minimiseOn', '2026-12-11');

    await sweepAt(daysAfterT0(150 + 184));
    expect((await storedCase(c.caseId!))!.data.contacts[0]!.email).toBe('(minimised)');
    expect(await storedRequest(c.requestId)).not.toHaveProperty('requester');
  });

  it('When a request waits in triage, then it is not minimised while it waits', async () => {
    const r = await forwardedCase(T0, { decision: 'triage' });
    await sweepAt(T0);
    await sweepAt(daysAfterT0(190));
    expect(await storedRequest(r.requestId)).toHaveProperty('requester.email', r.email);
  });

  it('When six years have passed since the last activity, then the case, the request, its decision and early verification are deleted', async () => {
    const c = await forwardedCase(T0);
    const recent = await forwardedCase(daysAfterT0(400));
    await sweepAt(T0);
    await sweepAt(daysAfterT0(200));
    // The sweep ran every day since (its cursors say so); the day of deletion comes.
    await connection
      .collection<{ _id: string; day: string }>('retention_cursor')
      .updateMany({}, { $set: { day: utcDay(daysAfterT0(2190)) } });
    await sweepAt(daysAfterT0(2193));
    expect(await storedCase(c.caseId!)).toBeNull();
    expect(await storedRequest(c.requestId)).toBeNull();
    expect(await connection.collection('match_decisions').findOne({ _id: c.requestId as never })).toBeNull();
    expect(await connection.collection('early_verifications').findOne({ _id: c.requestId as never })).toBeNull();
    expect(await connection.collection('request_cases').findOne({ _id: c.requestId as never })).toBeNull();
    expect(await storedCase(recent.caseId!)).not.toBeNull();
    expect(await storedRequest(recent.requestId)).not.toBeNull();
  });

  it('When the sweep was down for weeks, then the next sweep catches up the missed days from its cursor, and a second run changes nothing', async () => {
    const cursors = connection.collection<{ _id: string; day: string }>('retention_cursor');
    const first = await forwardedCase(T0);
    const second = await forwardedCase(daysAfterT0(10));
    await sweepAt(daysAfterT0(20));
    expect(await cursors.findOne({ _id: 'cases.minimise' })).toMatchObject({ day: '2026-02-01' });

    // Down from day 20 to day 200: days 183 and 193 were missed.
    const reports = await sweepAt(daysAfterT0(200));
    expect(reports.find((r) => r.target === 'cases' && r.phase === 'minimise')).toMatchObject({
      daysSwept: 180,
      examined: 2,
      applied: 2,
    });
    for (const c of [first, second]) expect((await storedCase(c.caseId!))!.data.contacts[0]!.email).toBe('(minimised)');
    expect(await cursors.findOne({ _id: 'cases.minimise' })).toMatchObject({ day: '2026-07-31' });

    const snapshot = await connection.collection('cases').find({}).sort({ _id: 1 }).toArray();
    await cursors.updateOne({ _id: 'cases.minimise' }, { $set: { day: '2026-02-01' } });
    await sweepAt(daysAfterT0(200));
    expect(await connection.collection('cases').find({}).sort({ _id: 1 }).toArray()).toEqual(snapshot);
  });

  it('When 1,000 cases and requests are not due and 2 are, then every query the sweep sends is served by an index (explain: no collection scan) and only the 2 are minimised', async () => {
    const notDue = (kind: string) =>
      Array.from({ length: 1_000 }, (_, i) => ({
        _id: `not-due-${kind}-${i}`,
        requestId: `r-${i}`,
        version: 1,
        retention: { minimiseOn: '2027-01-01', deleteOn: '2032-01-01' },
      }));
    await connection.collection<{ _id: string }>('cases').insertMany(notDue('case'));
    await connection.collection<{ _id: string }>('requests').insertMany(notDue('request'));
    const a = await forwardedCase(T0);
    const b = await forwardedCase(T0);
    await sweepAt(T0);
    // The sweep ran daily until day 180; the next one covers days 181 to 190.
    await connection
      .collection<{ _id: string; day: string }>('retention_cursor')
      .updateMany({}, { $set: { day: utcDay(daysAfterT0(180)) } });

    // A connection of its own, recording every filter the sweep sends; the store then says how it serves each.
    const watched = mongoose.createConnection(stackEndpoints().mongodbUri, {
      dbName: ns.dbName,
      monitorCommands: true,
    });
    await watched.asPromise();
    try {
      const sent = recordFilters(watched, ['cases', 'requests', 'retention_days', 'match_decisions', 'request_cases']);
      const watchedCases = new MongoCaseRepository(watched, policy);
      const reports = await new RetentionSweep({
        targets: [
          new CaseRetention(watchedCases),
          new RequestRetention({
            requests: new MongoRelayRequestRepository(watched, undefined, policy),
            cases: watchedCases,
            decisions: new MongoMatchDecisionRepository(watched),
            hasher: { hash: (email) => hashCounterpartyEmail(HASH_KEY, email) },
            policy,
          }),
        ],
        cursors: new MongoRetentionCursorStore(watched),
        lists: new MongoRetentionDayLists(watched),
        clock: { now: () => daysAfterT0(190) },
        logger,
      }).sweepOnce();
      expect(reports.find((r) => r.target === 'cases' && r.phase === 'minimise')).toMatchObject({ applied: 2 });
      expect(reports.find((r) => r.target === 'requests' && r.phase === 'minimise')).toMatchObject({ applied: 2 });
      const plans = await plansOf(connection, sent);
      expect(plans.filter((p) => p.collection === 'cases').length).toBeGreaterThan(0);
      expect(plans.filter((p) => p.collection === 'requests').length).toBeGreaterThan(0);
      // FerretDB: "Seq Scan" is PostgreSQL reading every row of the collection's table; MongoDB: COLLSCAN.
      expect(
        plans.filter((p) => p.scans).map(({ collection, filter, nodes }) => ({ collection, filter, nodes })),
      ).toEqual([]);
    } finally {
      await watched.close();
    }
    for (const c of [a, b]) expect((await storedCase(c.caseId!))!.data.contacts[0]!.email).toBe('(minimised)');
    expect(await connection.collection('cases').countDocuments({ 'retention.minimisedAt': { $exists: true } })).toBe(2);
    expect(await connection.collection('requests').countDocuments({ 'retention.minimisedAt': { $exists: true } })).toBe(
      2,
    );
  });

  it('When a checkpointed case is minimised, then its exported evidence bundle still verifies offline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'retention-evidence-'));
    const checkpoints = new CheckpointDirectory(dir);
    await checkpoints.publishKey(keyIdOf(signingKey), publicKeyPem(signingKey));
    const heads = new MongoCaseEvidenceRepository(connection);
    const c = await forwardedCase(T0);
    await writeCheckpoints({ heads, log: checkpoints, signingKey, clock: { now: () => T0 } });
    await sweepAt(T0);
    await sweepAt(daysAfterT0(190));
    expect((await storedCase(c.caseId!))!.evidenceSalt).toBeUndefined();
    // The minimising line is signed by the next checkpoint.
    await writeCheckpoints({ heads, log: checkpoints, signingKey, clock: { now: () => daysAfterT0(190) } });

    const bundleFile = join(dir, 'bundle.json');
    const env = {
      MONGODB_URI: stackEndpoints().mongodbUri,
      RELAY_MONGODB_DATABASE: ns.dbName,
      RELAY_EVIDENCE_DIR: dir,
    };
    const err: string[] = [];
    expect(
      await runEvidenceExport(c.caseId!, { outFile: bundleFile, env, out: () => undefined, err: (l) => err.push(l) }),
    ).toBe(0);
    const bundle = JSON.parse(readFileSync(bundleFile, 'utf8')) as {
      entries: unknown[];
      notifications: unknown[];
      salt?: string;
    };
    expect(bundle.entries).toHaveLength(4);
    expect(bundle.notifications).toEqual([]);
    expect(bundle.salt).toBeUndefined();
    expect(readFileSync(bundleFile, 'utf8')).not.toContain('privacy@acme.example');

    const publicKeyFile = join(dir, 'platform-key.pem');
    writeFileSync(publicKeyFile, createPublicKey(signingKey).export({ type: 'spki', format: 'pem' }));
    const out: string[] = [];
    const verifyErr: string[] = [];
    const code = await runEvidenceVerify(bundleFile, {
      publicKeyFile,
      out: (l) => out.push(l),
      err: (l) => verifyErr.push(l),
    });
    expect({ code, err: verifyErr.join('\n') }).toEqual({ code: 0, err: '' });
    expect(out.join('\n')).toContain('4 audit entries, chain intact');
  });
});
