import { Schema, type Connection, type Model } from 'mongoose';
import type { ConsoleSessionRecord, ConsoleSessionStore } from '../../application/console-sessions';

interface ConsoleSessionDocument {
  /** SHA-256 (hex) of the session token: the cookie's token is never stored. */
  _id: string;
  username: string;
  /** Which configured password opened it (a digest of the hash's salt); absent on records from before. */
  credential?: string;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
}

const sessionSchema = new Schema<ConsoleSessionDocument>(
  {
    // Every read and delete is by _id (the one index FerretDB v1 uses); `deleteExpired`'s range
    // filter is a scan of this small collection, run once per sign-in (no TTL index on FerretDB).
    _id: { type: String, required: true },
    username: { type: String, required: true },
    credential: { type: String },
    csrfToken: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'console_sessions', versionKey: false },
);

/** The operator console's sessions, one document each. */
export class MongoConsoleSessionStore implements ConsoleSessionStore {
  private readonly model: Model<ConsoleSessionDocument>;

  constructor(connection: Connection) {
    this.model = connection.model<ConsoleSessionDocument>('ConsoleSession', sessionSchema);
  }

  async insert(record: ConsoleSessionRecord): Promise<void> {
    const { id, ...rest } = record;
    await this.model.create({ _id: id, ...rest });
  }

  async find(id: string): Promise<ConsoleSessionRecord | undefined> {
    const document = await this.model.findById(id).lean<ConsoleSessionDocument>();
    if (!document) return undefined;
    const { _id, username, credential, csrfToken, createdAt, expiresAt } = document;
    // A record from before credentials were recorded matches no password: its user signs in again.
    return {
      id: _id,
      username,
      credential: credential ?? '',
      csrfToken,
      createdAt: new Date(createdAt),
      expiresAt: new Date(expiresAt),
    };
  }

  async delete(id: string): Promise<void> {
    await this.model.deleteOne({ _id: id });
  }

  async deleteExpired(now: Date): Promise<void> {
    await this.model.deleteMany({ expiresAt: { $lte: now } });
  }
}
