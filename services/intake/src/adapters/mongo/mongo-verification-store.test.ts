import type { Connection } from 'mongoose';
import { MongoVerificationStore } from './mongo-verification-store';

/** A collection that records each insert statement and takes it at once. */
function recordingConnection() {
  const statements: string[][] = [];
  const collection = {
    async insertMany(docs: Array<{ _id: string }>) {
      statements.push(docs.map((doc) => doc._id));
    },
  };
  // Retention's day lists (written before each create) take every add at once.
  const dayLists = { updateOne: async () => ({ matchedCount: 1 }) };
  const connection = { model: () => ({ collection }), collection: () => dayLists } as unknown as Connection;
  return { connection, statements };
}

const record = (requestId: string) => ({
  requestId,
  reference: 'PR-AAAA-BBBB',
  channel: 'api' as const,
  rights: ['access' as const],
  receivedAt: new Date(0),
  status: 'pending' as const,
  codeAttempts: 0,
  expiresAt: new Date(1),
});

describe('MongoVerificationStore: which creates wait in the group-commit window', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('When a deferrable create waits in the window, then a create someone waits for goes at once, before it', async () => {
    jest.useFakeTimers();
    const { connection, statements } = recordingConnection();
    const store = new MongoVerificationStore(connection, { windowMs: 1_000 });

    await store.create(record('behind-1'), { deferrable: true });
    let secondStored = false;
    const second = store.create(record('behind-2'), { deferrable: true }).then(() => (secondStored = true));
    await store.create(record('for-the-mails'));
    expect(statements).toEqual([['behind-1'], ['for-the-mails']]);
    expect(secondStored).toBe(false);

    await jest.advanceTimersByTimeAsync(1_000);
    await second;
    expect(statements).toEqual([['behind-1'], ['for-the-mails'], ['behind-2']]);
  });
});
