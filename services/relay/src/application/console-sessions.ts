import { createHash, randomBytes } from 'node:crypto';
import { PASSWORD_HASH_PARAMS, verifyPassword, type ConsoleUser, type PasswordHash } from '../domain/console';
import type { Clock } from './ports';

/**
 * A signed-in console session as stored: keyed by the SHA-256 of the session token (the cookie
 * holds the token, the store only its hash, so a copy of the store opens no session), with its
 * synchronizer CSRF token and its absolute expiry.
 */
export interface ConsoleSessionRecord {
  /** SHA-256 (hex) of the session token. */
  id: string;
  username: string;
  /**
   * Which configured password the session was opened with (a digest of its hash's salt, which every
   * new hash draws afresh): a password changed in the configuration ends the sessions of the old one.
   */
  credential: string;
  /** Every console form carries it; a post without it (or with another) is refused. */
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
}

/** Where console sessions live: one record each, found and deleted by id only. */
export interface ConsoleSessionStore {
  insert(record: ConsoleSessionRecord): Promise<void>;
  find(id: string): Promise<ConsoleSessionRecord | undefined>;
  delete(id: string): Promise<void>;
  /** Drops records that expired before `now` (they are refused anyway; this keeps the store small). */
  deleteExpired(now: Date): Promise<void>;
}

/** A session in force: its record and the user as configured now (their role may have changed since sign-in). */
export interface ConsoleSession {
  record: ConsoleSessionRecord;
  user: ConsoleUser;
}

export type ResumeFailure = 'unknown' | 'expired' | 'user-removed' | 'password-changed';

/**
 * Runs at most `limit` password checks at once: each holds 128 MiB for about half a second, and
 * a burst of sign-ins (from many addresses, past the per-address limit) must not take the
 * process's memory or the thread pool the database driver shares.
 */
class PasswordCheckQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

const sha256 = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const randomToken = () => randomBytes(32).toString('base64url');
/** Names a configured password without being a way to test guesses against it (the salt only). */
const credentialOf = (user: ConsoleUser) =>
  createHash('sha256').update('console credential\n').update(user.passwordHash.salt).digest('hex');

/**
 * Console sign-in, sessions and sign-out against the configured users. A session is a server-side
 * record: it expires `ttlMs` after sign-in whatever the cookie says, and sign-out deletes it, so a
 * copied cookie dies with it. A user removed from the configuration, or given a new password there, loses their sessions at once.
 */
export class ConsoleSessions {
  private readonly users: ReadonlyMap<string, ConsoleUser>;
  private readonly checks = new PasswordCheckQueue(2);
  /** Checked when the username is unknown, so that the answer takes as long as for a known one. */
  private readonly decoy: PasswordHash = {
    ...PASSWORD_HASH_PARAMS,
    salt: randomBytes(16),
    key: randomBytes(32),
  };

  constructor(
    private readonly deps: {
      users: readonly ConsoleUser[];
      store: ConsoleSessionStore;
      clock: Clock;
      ttlMs: number;
    },
  ) {
    this.users = new Map(deps.users.map((user) => [user.username, user]));
  }

  /** A new session when the password is the user's; the token goes in the cookie and nowhere else. */
  async signIn(username: string, password: string): Promise<{ token: string; session: ConsoleSession } | undefined> {
    const user = this.users.get(username);
    const matches = await this.checks.run(() => verifyPassword(password, user?.passwordHash ?? this.decoy));
    if (!user || !matches) return undefined;
    const now = this.deps.clock.now();
    await this.deps.store.deleteExpired(now);
    const token = randomToken();
    const record: ConsoleSessionRecord = {
      id: sha256(token),
      username: user.username,
      credential: credentialOf(user),
      csrfToken: randomToken(),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.deps.ttlMs),
    };
    await this.deps.store.insert(record);
    return { token, session: { record, user } };
  }

  /** The session a cookie's token opens, or why none. */
  async resume(token: string): Promise<ConsoleSession | { failure: ResumeFailure }> {
    const record = await this.deps.store.find(sha256(token));
    if (!record) return { failure: 'unknown' };
    if (record.expiresAt.getTime() <= this.deps.clock.now().getTime()) {
      await this.deps.store.delete(record.id);
      return { failure: 'expired' };
    }
    const user = this.users.get(record.username);
    if (!user) return { failure: 'user-removed' };
    if (record.credential !== credentialOf(user)) return { failure: 'password-changed' };
    return { record, user };
  }

  /**
   * Ends the session a token names, if any (sign-in ends the session the browser carried in: one
   * browser, one session, and a session planted in it before sign-in dies there).
   */
  async end(token: string): Promise<void> {
    await this.deps.store.delete(sha256(token));
  }

  /** Ends the session for good: its record is deleted, so its cookie opens nothing any more. */
  async signOut(record: ConsoleSessionRecord): Promise<void> {
    await this.deps.store.delete(record.id);
  }
}
