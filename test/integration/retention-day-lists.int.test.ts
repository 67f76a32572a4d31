import { MongoRetentionDayLists } from '@privacy-relay/shared/retention';
import type { Connection } from 'mongoose';
import { connectTestDatabase, discardTestDatabase, testLogger, testNamespace } from '../support/test-env';

describe("Retention's day lists on the real store", () => {
  const ns = testNamespace('retention-lists');
  let connection: Connection;
  let other: Connection;

  beforeAll(async () => {
    connection = await connectTestDatabase(ns.dbName, testLogger('retention-lists'));
    other = await connectTestDatabase(ns.dbName, testLogger('retention-lists'));
  });
  afterAll(async () => {
    await other.close();
    await discardTestDatabase(connection);
  });

  it('When two instances list 300 ids on one day at once, then the day is split into bounded parts that together hold each id once', async () => {
    const writers = [new MongoRetentionDayLists(connection, 50), new MongoRetentionDayLists(other, 50)];
    const ids = Array.from({ length: 300 }, (_, i) => `doc-${i}`);
    // Every id twice (activity twice the same day), from both instances.
    await Promise.all([...ids, ...ids].map((id, i) => writers[i % 2]!.add('things', 'minimise', '2026-07-01', id)));

    const parts = await writers[0]!.read('things', 'minimise', '2026-07-01');
    expect(parts.length).toBeGreaterThanOrEqual(6);
    for (const part of parts) expect(part.ids.length).toBeLessThanOrEqual(50);
    const listed = parts.flatMap((part) => part.ids);
    expect(new Set(listed).size).toBe(300);
    expect([...new Set(listed)].sort()).toEqual([...ids].sort());
    expect(await writers[0]!.read('things', 'delete', '2026-07-01')).toEqual([]);
  });

  it('When an id is added to a part after the sweep read it, then dropping that part is refused', async () => {
    const lists = new MongoRetentionDayLists(connection);
    await lists.add('things', 'delete', '2026-08-01', 'a');
    const [read] = await lists.read('things', 'delete', '2026-08-01');
    await new MongoRetentionDayLists(other).add('things', 'delete', '2026-08-01', 'b');

    expect(await lists.drop(read!)).toBe(false);
    const [again] = await lists.read('things', 'delete', '2026-08-01');
    expect(again!.ids).toEqual(['a', 'b']);
    expect(await lists.drop(again!)).toBe(true);
    expect(await lists.read('things', 'delete', '2026-08-01')).toEqual([]);
  });
});
