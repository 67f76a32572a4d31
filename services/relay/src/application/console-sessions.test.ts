import { hashPassword, parsePasswordHash, type ConsoleUser, type PasswordHash } from '../domain/console';
import { ConsoleSessions, type ConsoleSessionRecord, type ConsoleSessionStore } from './console-sessions';

// scrypt at 128 MiB per hash is CPU-bound: on a loaded machine one hash takes seconds, not the default 5 s budget.
jest.setTimeout(60_000);

class MemoryStore implements ConsoleSessionStore {
  readonly records = new Map<string, ConsoleSessionRecord>();
  async insert(record: ConsoleSessionRecord) {
    this.records.set(record.id, record);
  }
  async find(id: string) {
    return this.records.get(id);
  }
  async delete(id: string) {
    this.records.delete(id);
  }
  async deleteExpired(now: Date) {
    for (const [id, record] of this.records) if (record.expiresAt <= now) this.records.delete(id);
  }
}

describe('Console sessions', () => {
  let users: ConsoleUser[];
  beforeAll(async () => {
    const passwordHash = parsePasswordHash(await hashPassword('operator-password-1')) as PasswordHash;
    users = [{ username: 'ops', role: 'operator', passwordHash }];
  });

  it('When a user signs in, then only the token’s hash is stored, the session lasts its TTL, and sign-out ends it', async () => {
    let now = new Date('2026-03-02T09:00:00Z');
    const store = new MemoryStore();
    const sessions = new ConsoleSessions({ users, store, clock: { now: () => now }, ttlMs: 60_000 });
    expect(await sessions.signIn('ops', 'wrong-password')).toBeUndefined();
    expect(await sessions.signIn('nobody', 'operator-password-1')).toBeUndefined();
    const signedIn = await sessions.signIn('ops', 'operator-password-1');
    expect(signedIn).toBeDefined();
    const { token } = signedIn!;
    expect([...store.records.keys()]).not.toContain(token);
    expect(JSON.stringify([...store.records.values()])).not.toContain(token);
    expect(await sessions.resume(token)).toMatchObject({ user: { username: 'ops', role: 'operator' } });
    expect(await sessions.resume(`${token}x`)).toEqual({ failure: 'unknown' });
    now = new Date(now.getTime() + 60_000);
    expect(await sessions.resume(token)).toEqual({ failure: 'expired' });

    const again = (await sessions.signIn('ops', 'operator-password-1'))!;
    const session = await sessions.resume(again.token);
    if ('failure' in session) throw new Error('no session');
    await sessions.signOut(session.record);
    expect(await sessions.resume(again.token)).toEqual({ failure: 'unknown' });
  });

  it('When a user is removed from the configuration, then their sessions open nothing', async () => {
    const store = new MemoryStore();
    const clock = { now: () => new Date('2026-03-02T09:00:00Z') };
    const before = new ConsoleSessions({ users, store, clock, ttlMs: 60_000 });
    const { token } = (await before.signIn('ops', 'operator-password-1'))!;
    const after = new ConsoleSessions({ users: [], store, clock, ttlMs: 60_000 });
    expect(await after.resume(token)).toEqual({ failure: 'user-removed' });
  });

  it('When a user’s password is changed in the configuration, then the sessions signed in with the old one open nothing', async () => {
    const store = new MemoryStore();
    const clock = { now: () => new Date('2026-03-02T09:00:00Z') };
    const before = new ConsoleSessions({ users, store, clock, ttlMs: 60_000 });
    const { token } = (await before.signIn('ops', 'operator-password-1'))!;
    // The password leaked and the administrator set a new one: whoever signed in with the old one is out.
    const newHash = parsePasswordHash(await hashPassword('operator-password-2')) as PasswordHash;
    const after = new ConsoleSessions({
      users: [{ username: 'ops', role: 'operator', passwordHash: newHash }],
      store,
      clock,
      ttlMs: 60_000,
    });
    expect(await after.resume(token)).toEqual({ failure: 'password-changed' });
    // A role change alone keeps the session (the role is read on every request).
    const { token: fresh } = (await after.signIn('ops', 'operator-password-2'))!;
    const demoted = new ConsoleSessions({
      users: [{ username: 'ops', role: 'viewer', passwordHash: newHash }],
      store,
      clock,
      ttlMs: 60_000,
    });
    expect(await demoted.resume(fresh)).toMatchObject({ user: { role: 'viewer' } });
  });
});
