import { Schema, type Connection } from 'mongoose';
import { connectTestDatabase, discardTestDatabase, testLogger, testNamespace } from '../support/test-env';

describe('Shared mongoose connection under concurrent single-document updates', () => {
  const ns = testNamespace('concurrent');
  let connection: Connection;

  beforeAll(async () => {
    connection = await connectTestDatabase(ns.dbName, testLogger('mongo-test'));
  });

  afterAll(async () => {
    await discardTestDatabase(connection);
  });

  it('When 32 updates hit one document at once, then all succeed and none is lost', async () => {
    const Counter = connection.model(
      'Counter',
      new Schema({ _id: String, hits: Number, by: [Number] }, { versionKey: false }),
    );
    await Counter.create({ _id: 'c1', hits: 0, by: [] });

    const results = await Promise.allSettled(
      Array.from({ length: 32 }, (_, i) =>
        Counter.findOneAndUpdate({ _id: 'c1' }, { $inc: { hits: 1 }, $push: { by: i } }, { returnDocument: 'after' }),
      ),
    );

    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const counter = await Counter.findById('c1').lean();
    expect(counter?.hits).toBe(32);
    expect([...(counter?.by ?? [])].sort((a, b) => a - b)).toEqual(Array.from({ length: 32 }, (_, i) => i));
  });

  it('When 32 version-guarded updates race, then exactly one wins each round and the losers see it', async () => {
    const Doc = connection.model(
      'Guarded',
      new Schema({ _id: String, version: Number, owner: Number }, { versionKey: false }),
    );
    await Doc.create({ _id: 'g1', version: 0, owner: -1 });

    const outcomes = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        Doc.findOneAndUpdate(
          { _id: 'g1', version: 0 },
          { $set: { owner: i }, $inc: { version: 1 } },
          { returnDocument: 'after' },
        ),
      ),
    );

    expect(outcomes.filter((doc) => doc !== null)).toHaveLength(1);
    expect((await Doc.findById('g1').lean())?.version).toBe(1);
  });
});
