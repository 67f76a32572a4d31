import { createIfAbsent } from '@privacy-relay/shared/mongo';
import { MongoRetentionDayLists } from '@privacy-relay/shared/retention';
import { Schema, type Connection, type Model } from 'mongoose';
import type { ExportStore, StoredExport } from '../../application/ports';

interface ExportDocument {
  _id: string;
  /** AES-256-GCM nonce, tag and ciphertext; the key is only in the mailed link. Absent: nothing held. */
  iv?: Buffer;
  tag?: Buffer;
  ciphertext?: Buffer;
  expiresAt: Date;
  /** The day after expiry (`YYYY-MM-DD`): the sweep deletes the export on that day (listed in `retention_days`). */
  deleteOn: string;
  mailedAt?: Date;
}

interface SweepCursorDocument {
  _id: string;
  day: string;
}

const exportSchema = new Schema<ExportDocument>(
  {
    // The export id is the primary key: every read and update goes by it.
    _id: { type: String, required: true },
    iv: Buffer,
    tag: Buffer,
    ciphertext: Buffer,
    expiresAt: { type: Date, required: true },
    deleteOn: { type: String, required: true },
    mailedAt: Date,
  },
  { collection: 'exports', versionKey: false },
);
// No index on `deleteOn`: the sweep finds a day's exports in its list (`retention_days`,
// `exports:delete:<day>:<part>`, by `_id`) and deletes each by `_id` (docs/retention.md).

const cursorSchema = new Schema<SweepCursorDocument>(
  { _id: { type: String, required: true }, day: { type: String, required: true } },
  { collection: 'export_sweep', versionKey: false },
);

const CURSOR_ID = 'exports';
/** Reads of one day's list per sweep of the day (it grows only when written to while swept). */
const MAX_ROUNDS_PER_DAY = 3;

export class MongoExportStore implements ExportStore {
  private readonly model: Model<ExportDocument>;
  private readonly cursor: Model<SweepCursorDocument>;
  /** Each export's day of deletion is listed here before the export is written. */
  private readonly dayLists: MongoRetentionDayLists;

  constructor(connection: Connection) {
    this.model = connection.model<ExportDocument>('Export', exportSchema);
    this.cursor = connection.model<SweepCursorDocument>('ExportSweepCursor', cursorSchema);
    this.dayLists = new MongoRetentionDayLists(connection);
  }

  async find(exportId: string): Promise<StoredExport | undefined> {
    const document = await this.model.findById(exportId).lean<ExportDocument>();
    if (!document) return undefined;
    return {
      exportId: document._id,
      sealed:
        document.iv && document.tag && document.ciphertext
          ? { iv: toBuffer(document.iv), tag: toBuffer(document.tag), ciphertext: toBuffer(document.ciphertext) }
          : undefined,
      expiresAt: document.expiresAt,
      mailedAt: document.mailedAt,
    };
  }

  async saveUnlessMailed(entry: StoredExport, deleteOn: string): Promise<boolean> {
    // Listed first: a crash before the write leaves an entry the sweep skips.
    await this.dayLists.add(CURSOR_ID, 'delete', deleteOn, entry.exportId);
    const fields = {
      expiresAt: entry.expiresAt,
      deleteOn,
      ...(entry.sealed ? { iv: entry.sealed.iv, tag: entry.sealed.tag, ciphertext: entry.sealed.ciphertext } : {}),
    };
    // One single-document update: an export already mailed is never replaced (its link holds the old key).
    const result = await this.model.updateOne(
      { _id: entry.exportId, mailedAt: null },
      { $set: fields, ...(entry.sealed ? {} : { $unset: { iv: 1, tag: 1, ciphertext: 1 } }) },
    );
    if (result.matchedCount === 1) return true;
    // Not there yet: insert (a concurrent insert or a mail meanwhile makes it a duplicate key).
    return createIfAbsent(this.model, { _id: entry.exportId, ...fields });
  }

  async markMailed(exportId: string, at: Date): Promise<void> {
    await this.model.updateOne({ _id: exportId }, { $set: { mailedAt: at } });
  }

  async deleteDueOn(day: string): Promise<number> {
    let deleted = 0;
    for (let round = 0; round < MAX_ROUNDS_PER_DAY; round += 1) {
      const parts = await this.dayLists.read(CURSOR_ID, 'delete', day);
      if (parts.length === 0) break;
      for (const id of parts.flatMap((part) => part.ids)) {
        // Only if still due that day (an id listed for a write that never happened is skipped).
        deleted += (await this.model.deleteOne({ _id: id, deleteOn: day })).deletedCount;
      }
      // Last part first; one that grew meanwhile is read again.
      let dropped = true;
      for (const part of [...parts].reverse()) {
        if (!(await this.dayLists.drop(part))) {
          dropped = false;
          break;
        }
      }
      if (dropped) break;
    }
    return deleted;
  }

  async sweptThrough(): Promise<string | undefined> {
    return (await this.cursor.findById(CURSOR_ID).lean<SweepCursorDocument>())?.day;
  }

  async recordSweptThrough(day: string): Promise<void> {
    await this.cursor.updateOne({ _id: CURSOR_ID }, { $set: { day } }, { upsert: true });
  }
}

/** The driver gives BSON Binary back; the application wants a Buffer. */
function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  const binary = value as { buffer?: Uint8Array };
  return Buffer.from(binary.buffer ?? (value as Uint8Array));
}
