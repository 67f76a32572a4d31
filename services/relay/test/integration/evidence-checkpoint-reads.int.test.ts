import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointDirectory } from '@privacy-relay/relay/adapters/evidence/checkpoint-directory';
import { MongoCaseEvidenceRepository } from '@privacy-relay/relay/adapters/mongo/case-evidence';
import { MongoCaseRepository } from '@privacy-relay/relay/adapters/mongo/case-repository';
import { writeCheckpoints } from '@privacy-relay/relay/application/evidence-checkpoint';
import { openCase, type ForwardingCase } from '@privacy-relay/relay/domain/case/forwarding-case';
import { keyIdOf, publicKeyPem } from '@privacy-relay/relay/domain/evidence/checkpoint';
import { parseEd25519PrivateKey } from '@privacy-relay/relay/domain/evidence/signing-key';
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

const logger = testLogger('evidence-reads-test');
const signingKey = parseEd25519PrivateKey(TEST_EVIDENCE_SIGNING_KEY);
const T0 = new Date('2026-01-12T10:00:00Z');

describe("The evidence checkpointer's reads (real store)", () => {
  const ns = testNamespace('evidence-reads');
  let connection: Connection;
  let cases: MongoCaseRepository;

  beforeAll(async () => {
    connection = await connectTestDatabase(ns.dbName, logger);
    cases = new MongoCaseRepository(connection);
    await connection.syncIndexes();
  });
  afterAll(() => discardTestDatabase(connection));

  function newCase(): ForwardingCase {
    return openCase({
      caseId: randomUUID(),
      requestId: randomUUID(),
      tenantId: 'acme',
      tenantName: 'Acme Ltd',
      regime: 'uk-gdpr',
      jurisdiction: 'GB-ENG',
      receivedOn: '2026-01-12',
      deadline: '2026-02-12',
      extendedDeadline: '2026-04-12',
      contacts: [{ email: 'privacy@acme.example', role: 'privacy' }],
      at: T0,
      by: { kind: 'operator', operatorId: 'alice@platform.example' },
    });
  }

  it('When 1,000 signed cases lie beside 2 whose chains grew, then the checkpoint signs the 2 and every query it sends is served by an index (explain: no collection scan)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evidence-reads-'));
    const log = new CheckpointDirectory(dir);
    await log.publishKey(keyIdOf(signingKey), publicKeyPem(signingKey));
    // The store's first run ever also looks once for cases that grew before the lists existed (a scan): done.
    expect(
      await writeCheckpoints({
        heads: new MongoCaseEvidenceRepository(connection),
        log,
        signingKey,
        clock: { now: () => T0 },
      }),
    ).toEqual([]);
    await connection.collection<{ _id: string }>('cases').insertMany(
      Array.from({ length: 1_000 }, (_, i) => ({
        _id: `signed-${i}`,
        version: 1,
        auditChainPending: false,
        auditChainLength: 1,
        auditChainHead: 'f'.repeat(64),
      })),
    );
    const grown = [newCase(), newCase()];
    for (const c of grown) expect(await cases.create(c, T0)).toBe(true);

    const watched = mongoose.createConnection(stackEndpoints().mongodbUri, {
      dbName: ns.dbName,
      monitorCommands: true,
    });
    await watched.asPromise();
    try {
      const sent = recordFilters(watched, ['cases', 'evidence_pending']);
      const [checkpoint, ...more] = await writeCheckpoints({
        heads: new MongoCaseEvidenceRepository(watched),
        log,
        signingKey,
        clock: { now: () => T0 },
      });
      expect(more).toEqual([]);
      expect(checkpoint!.body.cases.map((c) => c.caseId).sort()).toEqual(grown.map((c) => c.caseId).sort());
      const plans = await plansOf(connection, sent);
      expect(plans.filter((p) => p.collection === 'cases').length).toBeGreaterThan(0);
      // FerretDB: "Seq Scan" is PostgreSQL reading every row of the collection's table; MongoDB: COLLSCAN.
      expect(
        plans.filter((p) => p.scans).map(({ collection, filter, nodes }) => ({ collection, filter, nodes })),
      ).toEqual([]);
    } finally {
      await watched.close();
    }

    // A case that grows after that checkpoint is signed by the next one; nothing else is.
    const stored = (await cases.find(grown[0]!.caseId))!;
    const acknowledged: ForwardingCase = {
      ...stored.case,
      audit: [...stored.case.audit, { at: T0.toISOString(), what: 'noted', by: { kind: 'admin-link' } }],
    };
    expect(await cases.update(acknowledged, stored.version, [], T0)).not.toBe(false);
    const heads = new MongoCaseEvidenceRepository(connection);
    const [next] = await writeCheckpoints({ heads, log, signingKey, clock: { now: () => T0 } });
    expect(next!.body.cases.map((c) => c.caseId)).toEqual([grown[0]!.caseId]);
    expect(await writeCheckpoints({ heads, log, signingKey, clock: { now: () => T0 } })).toEqual([]);
  });

  it("When a case grew before the pending lists existed, then the store's first run still signs it", async () => {
    const log = new CheckpointDirectory(mkdtempSync(join(tmpdir(), 'evidence-legacy-')));
    await log.publishKey(keyIdOf(signingKey), publicKeyPem(signingKey));
    await connection.collection('evidence_pending').deleteMany({});
    await connection.collection('cases').deleteMany({});
    await connection.collection<{ _id: string } & Record<string, unknown>>('cases').insertOne({
      _id: 'grew-before-the-lists',
      version: 3,
      auditChainPending: true,
      auditChainLength: 2,
      auditChainHead: 'e'.repeat(64),
    });
    const heads = new MongoCaseEvidenceRepository(connection);
    const [checkpoint] = await writeCheckpoints({ heads, log, signingKey, clock: { now: () => T0 } });
    expect(checkpoint!.body.cases).toEqual([{ caseId: 'grew-before-the-lists', length: 2, head: 'e'.repeat(64) }]);
    expect(await writeCheckpoints({ heads, log, signingKey, clock: { now: () => T0 } })).toEqual([]);
  });
});
