import { BatchedInserts } from '@privacy-relay/shared/mongo';
import type { Connection } from 'mongoose';
import { connectTestDatabase, discardTestDatabase, testLogger, testNamespace } from '../support/test-env';

describe('Group-committed inserts (BatchedInserts) against the real database', () => {
  const ns = testNamespace('batched');
  let connection: Connection;

  beforeAll(async () => {
    connection = await connectTestDatabase(ns.dbName, testLogger('batched'));
  });

  afterAll(async () => {
    await discardTestDatabase(connection);
  });

  it('When 200 inserts arrive at once, some keys already stored and some repeated among them, then each key is stored once and every caller learns its own outcome', async () => {
    const collection = connection.db!.collection<{ _id: string; n: number }>('claims');
    await collection.insertMany([
      { _id: 'k3', n: -1 },
      { _id: 'k7', n: -1 },
    ]);
    // What services hand it: a mongoose model's untyped driver collection.
    const inserts = new BatchedInserts<{ _id: string; n: number }>(connection.db!.collection('claims'), {
      maxBatch: 50,
    });

    // Keys k0..k149, then k100..k149 again: 150 distinct, two of them stored before.
    const keys = [
      ...Array.from({ length: 150 }, (_, i) => `k${i}`),
      ...Array.from({ length: 50 }, (_, i) => `k${100 + i}`),
    ];
    const outcomes = await Promise.all(keys.map((key, n) => inserts.insert({ _id: key, n })));

    const insertedKeys = keys.filter((_, i) => outcomes[i] === 'inserted');
    expect(new Set(insertedKeys).size).toBe(insertedKeys.length);
    expect(insertedKeys.sort()).toEqual(
      Array.from({ length: 150 }, (_, i) => `k${i}`)
        .filter((key) => key !== 'k3' && key !== 'k7')
        .sort(),
    );
    expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(52);
    expect(await collection.countDocuments()).toBe(150);
    // The documents stored before were left alone.
    expect(await collection.findOne({ _id: 'k3' })).toEqual({ _id: 'k3', n: -1 });
  });

  it('When the database refuses a document for another reason, then only that caller fails', async () => {
    const inserts = new BatchedInserts<{ _id: unknown }>(connection.db!.collection('odd'));
    // The first insert goes at once; the next two wait and share one statement. MongoDB refuses an
    // array as _id.
    const [first, bad, good] = await Promise.allSettled([
      inserts.insert({ _id: 'first' }),
      inserts.insert({ _id: ['not', 'allowed'] }),
      inserts.insert({ _id: 'fine' }),
    ]);
    expect(first).toEqual({ status: 'fulfilled', value: 'inserted' });
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'DOCUMENT_REFUSED', retriable: false } });
    expect(good).toEqual({ status: 'fulfilled', value: 'inserted' });
  });
});
