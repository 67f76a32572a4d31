import { BatchedInserts, type InsertManyTarget } from './batched-inserts';

/** An insertMany that records each statement and stays pending until the test answers it. */
function recordingTarget() {
  const statements: Array<{ ids: unknown[]; at: number; answer: () => void }> = [];
  const target: InsertManyTarget = {
    insertMany: (docs) =>
      new Promise((resolve) =>
        statements.push({ ids: docs.map((doc) => doc._id), at: Date.now(), answer: () => resolve(undefined) }),
      ),
  };
  return { target, statements };
}

describe('BatchedInserts', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('When documents arrive while a statement runs, then they go together in the next one, sent as soon as the first is answered', async () => {
    const { target, statements } = recordingTarget();
    const inserts = new BatchedInserts<{ _id: string }>(target);

    const first = inserts.insert({ _id: 'a' });
    const rest = ['b', 'c', 'd'].map((id) => inserts.insert({ _id: id }));
    expect(statements.map((s) => s.ids)).toEqual([['a']]);

    statements[0]!.answer();
    await expect(first).resolves.toBe('inserted');
    expect(statements.map((s) => s.ids)).toEqual([['a'], ['b', 'c', 'd']]);
    statements[1]!.answer();
    await expect(Promise.all(rest)).resolves.toEqual(['inserted', 'inserted', 'inserted']);
  });

  it('When a window is set, then under load one statement goes per window carrying what arrived, and the first document after a quiet spell goes at once', async () => {
    const { target, statements } = recordingTarget();
    const inserts = new BatchedInserts<{ _id: string }>(target, { windowMs: 20 });

    const pending = [inserts.insert({ _id: 'a' })];
    expect(statements).toHaveLength(1);
    statements[0]!.answer();
    await jest.advanceTimersByTimeAsync(1);

    // Answered at once, but the window is not over: b, c and d wait for it.
    pending.push(inserts.insert({ _id: 'b' }));
    await jest.advanceTimersByTimeAsync(5);
    pending.push(inserts.insert({ _id: 'c' }), inserts.insert({ _id: 'd' }));
    await jest.advanceTimersByTimeAsync(10);
    expect(statements).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(4);
    expect(statements.map((s) => [s.ids, s.at])).toEqual([
      [['a'], 0],
      [['b', 'c', 'd'], 20],
    ]);
    statements[1]!.answer();
    await expect(Promise.all(pending)).resolves.toEqual(['inserted', 'inserted', 'inserted', 'inserted']);

    await jest.advanceTimersByTimeAsync(100);
    const late = inserts.insert({ _id: 'e' });
    expect(statements.map((s) => [s.ids, s.at])[2]).toEqual([['e'], 120]);
    statements[2]!.answer();
    await expect(late).resolves.toBe('inserted');
  });
});
