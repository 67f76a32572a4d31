import type { Connection } from 'mongoose';
import { isDuplicateKeyError } from '../mongo/connection';
import type { RetentionCursorStore } from './retention-sweep';

interface CursorDocument {
  /** `<collection>.<phase>`. */
  _id: string;
  /** The last day swept completely (YYYY-MM-DD). */
  day: string;
}

/** The retention cursors of a service: one small document per (collection, phase) in `retention_cursor`. */
export class MongoRetentionCursorStore implements RetentionCursorStore {
  constructor(private readonly connection: Connection) {}

  private get cursors() {
    return this.connection.collection<CursorDocument>('retention_cursor');
  }

  async lastSwept(key: string): Promise<string | undefined> {
    return (await this.cursors.findOne({ _id: key }))?.day;
  }

  async advance(key: string, from: string | undefined, to: string): Promise<boolean> {
    if (from === undefined) {
      try {
        await this.cursors.insertOne({ _id: key, day: to });
        return true;
      } catch (error) {
        if (isDuplicateKeyError(error)) return false;
        throw error;
      }
    }
    // Moves only from the value read: two instances sweeping the same day cannot move it back.
    const result = await this.cursors.updateOne({ _id: key, day: from }, { $set: { day: to } });
    return result.modifiedCount === 1;
  }
}
