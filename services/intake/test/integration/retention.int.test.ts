import { randomUUID } from 'node:crypto';
import { EVENTS } from '@privacy-relay/shared/events';
import {
  MongoRetentionCursorStore,
  MongoRetentionDayLists,
  RetentionSweep,
  utcDay,
} from '@privacy-relay/shared/retention';
import { MongoAcknowledgementMailLog } from '@privacy-relay/intake/adapters/mongo/mongo-acknowledgement-mail-log';
import { MongoRequestLedger } from '@privacy-relay/intake/adapters/mongo/mongo-request-ledger';
import { MongoExportStore } from '@privacy-relay/intake/adapters/mongo/mongo-export-store';
import { MongoVerificationStore } from '@privacy-relay/intake/adapters/mongo/mongo-verification-store';
import { deleteDayOf, sweepExpiredExports } from '@privacy-relay/intake/application/requester-export';
import { VerificationRetention } from '@privacy-relay/intake/application/retention';
import mongoose, { type Connection } from 'mongoose';
import {
  connectTestDatabase,
  discardTestDatabase,
  stackEndpoints,
  testLogger,
  testNamespace,
} from '../../../../test/support/test-env';
import { plansOf, recordFilters } from '../../../../test/support/store-plans';

const logger = testLogger('intake-retention-test');
const policy = { minimiseAfterDays: 183, deleteAfterDays: 2192 };
const DAY = 86_400_000;
const T0 = new Date('2026-01-12T10:00:00Z');
const daysAfterT0 = (days: number) => new Date(T0.getTime() + days * DAY);

describe('Retention in intake (moved clock, real store)', () => {
  const ns = testNamespace('intake-retention');
  let connection: Connection;
  let store: MongoVerificationStore;
  let mails: MongoAcknowledgementMailLog;
  let ledger: MongoRequestLedger;

  beforeAll(async () => {
    connection = await connectTestDatabase(ns.dbName, logger);
    store = new MongoVerificationStore(connection, {}, policy);
    mails = new MongoAcknowledgementMailLog(connection);
    ledger = new MongoRequestLedger(connection, 'intake-retention-test-secret-0123456789', {}, policy);
    await connection.syncIndexes();
  });
  afterAll(() => discardTestDatabase(connection));

  beforeEach(async () => {
    for (const name of [
      'verifications',
      'acknowledgement_mails',
      'request_ledger',
      'retention_cursor',
      'retention_days',
    ]) {
      await connection.collection(name).deleteMany({});
    }
  });

  function sweepAt(at: Date, on: Connection = connection, target = store) {
    return new RetentionSweep({
      targets: [new VerificationRetention(target), ledger],
      cursors: new MongoRetentionCursorStore(on),
      lists: new MongoRetentionDayLists(on),
      clock: { now: () => at },
      logger,
    }).sweepOnce();
  }

  /** The sweep ran every day until `day` (what its cursors say). */
  const sweptUntil = (at: Date) =>
    connection
      .collection<{ _id: string; day: string }>('retention_cursor')
      .updateMany({}, { $set: { day: utcDay(at) } });

  /** A request received at `at`, its key claimed, its mails sent, verified and forwarded to a customer. */
  async function forwardedRequest(at: Date) {
    const requestId = randomUUID();
    const caseId = randomUUID();
    const key = `<${requestId}@mail.example>`;
    await ledger.claim({
      idempotencyKey: key,
      requestId,
      reference: 'PR-AAAA-BBBB',
      eventId: randomUUID(),
      receivedAt: at,
    });
    await store.create({
      requestId,
      reference: 'PR-AAAA-BBBB',
      channel: 'api',
      rights: ['access'],
      receivedAt: at,
      status: 'pending',
      codeAttempts: 0,
      expiresAt: new Date(at.getTime() + DAY),
    });
    await mails.recordSent(requestId, 'receipt', at);
    const event = EVENTS.requestVerifiedV1.create(
      { requestId, verifiedAt: at.toISOString(), method: 'email-link' },
      { correlationId: requestId },
    );
    expect(await store.confirm(requestId, at, 'email-link', event)).toBe(true);
    await store.markVerifiedPublished(requestId, event.id, at);
    await store.recordForward(requestId, {
      caseId,
      tenantId: 'acme',
      tenantName: 'Acme Forwarding Ltd',
      forwardedAt: at,
      deadline: { regime: 'uk-gdpr', dueOn: '2026-02-12', extendableTo: '2026-04-12' },
    });
    await store.recordExtension(requestId, caseId, {
      extendedAt: at,
      dueOn: '2026-04-12',
      previousDueOn: '2026-02-12',
      reason: 'Ada Lovelace asked for her whole archive',
    });
    return { requestId, caseId, key };
  }

  const stored = (requestId: string) =>
    connection.collection<{ _id: string } & Record<string, unknown>>('verifications').findOne({ _id: requestId });

  it('When a request was last active here more than six months ago, then its record keeps ids, status and dates without the customers named; a recent one is untouched', async () => {
    const old = await forwardedRequest(T0);
    const recent = await forwardedRequest(daysAfterT0(100));
    await sweepAt(T0);
    const recentBefore = await stored(recent.requestId);

    await sweepAt(daysAfterT0(190));

    const after = (await stored(old.requestId))!;
    expect(JSON.stringify(after)).not.toContain('Acme Forwarding');
    // The customer's reason for an extension is free text that may name anyone.
    expect(JSON.stringify(after)).not.toContain('Lovelace');
    expect(after).toHaveProperty(`forwards.${old.caseId}.extension.dueOn`, '2026-04-12');
    expect(after).toMatchObject({ _id: old.requestId, reference: 'PR-AAAA-BBBB', status: 'verified', outbox: [] });
    expect(after).toHaveProperty(`forwards.${old.caseId}.tenantId`, 'acme');
    expect(after).toHaveProperty(`forwards.${old.caseId}.deadline.dueOn`, '2026-02-12');
    expect(after).toHaveProperty('retention.deleteOn', '2032-01-13');
    expect(after).not.toHaveProperty('retention.minimiseOn');
    // The store reads a minimised record as it reads any other.
    const [forward] = (await store.find(old.requestId))!.forwards!;
    expect(forward).toMatchObject({ caseId: old.caseId, tenantId: 'acme' });
    expect(forward).not.toHaveProperty('tenantName');
    expect(await stored(recent.requestId)).toEqual(recentBefore);
  });

  it('When a forward comes later, then the due day moves and the old day minimises nothing', async () => {
    const r = await forwardedRequest(T0);
    await sweepAt(T0);
    await store.recordForward(r.requestId, {
      caseId: randomUUID(),
      tenantId: 'globex',
      tenantName: 'Globex Ltd',
      forwardedAt: daysAfterT0(150),
      deadline: { regime: 'uk-gdpr', dueOn: '2026-07-11', extendableTo: '2026-09-11' },
    });
    expect(await stored(r.requestId)).toHaveProperty('retention.minimiseOn', '2026-12-11');
    await sweepAt(daysAfterT0(190));
    expect(JSON.stringify(await stored(r.requestId))).toContain('Acme Forwarding Ltd');
    await sweepAt(daysAfterT0(150 + 184));
    expect(JSON.stringify(await stored(r.requestId))).not.toContain('Globex Ltd');
  });

  it('When six years have passed, then the record, its mails record and its idempotency key are deleted, and the next sweep after downtime catches up', async () => {
    const old = await forwardedRequest(T0);
    const recent = await forwardedRequest(daysAfterT0(400));
    await sweepAt(T0);
    await sweptUntil(daysAfterT0(2150));
    // Down from day 2150 to day 2200: the day of deletion (2192) was missed.
    const reports = await sweepAt(daysAfterT0(2200));
    expect(reports.find((r) => r.target === 'verifications' && r.phase === 'delete')).toMatchObject({
      daysSwept: 50,
      applied: 1,
    });
    expect(await stored(old.requestId)).toBeNull();
    expect(await connection.collection('acknowledgement_mails').findOne({ _id: old.requestId as never })).toBeNull();
    expect(await ledger.has(old.key)).toBe(false);
    expect(await stored(recent.requestId)).not.toBeNull();
    expect(await ledger.has(recent.key)).toBe(true);
    // Run again: nothing more happens.
    await sweptUntil(daysAfterT0(2150));
    const again = await sweepAt(daysAfterT0(2200));
    expect(again.every((r) => r.applied === 0)).toBe(true);
  });

  it('When 1,000 records and ledger entries are not due and one is, then every query the sweep sends is served by an index (explain: no collection scan) and only the due one is done', async () => {
    const notDue = Array.from({ length: 1_000 }, (_, i) => ({
      _id: `not-due-${i}`,
      status: 'pending',
      retention: { minimiseOn: '2027-01-01', deleteOn: '2032-01-01' },
    }));
    await connection.collection<{ _id: string }>('verifications').insertMany(notDue);
    await connection.collection<{ _id: string }>('request_ledger').insertMany(notDue);
    const due = await forwardedRequest(T0);
    await sweepAt(T0);
    await sweptUntil(daysAfterT0(180));

    const watched = mongoose.createConnection(stackEndpoints().mongodbUri, {
      dbName: ns.dbName,
      monitorCommands: true,
    });
    await watched.asPromise();
    try {
      const sent = recordFilters(watched, ['verifications', 'request_ledger', 'retention_days']);
      const reports = await sweepAt(daysAfterT0(190), watched, new MongoVerificationStore(watched, {}, policy));
      expect(reports.find((r) => r.target === 'verifications' && r.phase === 'minimise')).toMatchObject({
        examined: 1,
        applied: 1,
      });
      const plans = await plansOf(connection, sent);
      expect(plans.filter((p) => p.collection === 'verifications').length).toBeGreaterThan(0);
      // FerretDB: "Seq Scan" is PostgreSQL reading every row of the collection's table; MongoDB: COLLSCAN.
      expect(
        plans.filter((p) => p.scans).map(({ collection, filter, nodes }) => ({ collection, filter, nodes })),
      ).toEqual([]);
    } finally {
      await watched.close();
    }
    expect(JSON.stringify(await stored(due.requestId))).not.toContain('Acme Forwarding');
  });

  it('When 1,000 exports are not due and one is, then the export sweep deletes the due one through index lookups only', async () => {
    const exports = new MongoExportStore(connection);
    await connection.collection<{ _id: string }>('exports').insertMany(
      Array.from({ length: 1_000 }, (_, i) => ({
        _id: `not-due-${i}`,
        expiresAt: daysAfterT0(40),
        deleteOn: utcDay(daysAfterT0(41)),
      })),
    );
    const expiresAt = daysAfterT0(2);
    await exports.saveUnlessMailed({ exportId: 'due-export', expiresAt, mailedAt: undefined }, deleteDayOf(expiresAt));
    await connection.collection('export_sweep').deleteMany({});
    await connection
      .collection<{ _id: string; day: string }>('export_sweep')
      .insertOne({ _id: 'exports', day: utcDay(T0) });

    const watched = mongoose.createConnection(stackEndpoints().mongodbUri, {
      dbName: ns.dbName,
      monitorCommands: true,
    });
    await watched.asPromise();
    try {
      const sent = recordFilters(watched, ['exports', 'retention_days']);
      const { deleted } = await sweepExpiredExports({
        exports: new MongoExportStore(watched),
        clock: { now: () => daysAfterT0(10) },
      });
      expect(deleted).toBe(1);
      const plans = await plansOf(connection, sent);
      expect(plans.filter((p) => p.collection === 'exports').length).toBeGreaterThan(0);
      expect(
        plans.filter((p) => p.scans).map(({ collection, filter, nodes }) => ({ collection, filter, nodes })),
      ).toEqual([]);
    } finally {
      await watched.close();
    }
    expect(await exports.find('due-export')).toBeUndefined();
    expect(await connection.collection('exports').countDocuments({})).toBe(1_000);
  });
});
