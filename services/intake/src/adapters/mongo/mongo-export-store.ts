import { createIfAbsent } from '@privacy-relay/shared/mongo';
import { Schema, type Connection, type Model } from 'mongoose';
import type { ExportStore, StoredExport } from '../../application/ports';

interface ExportDocument {
  _id: string;
  /** AES-256-GCM nonce, tag and ciphertext; the key is only in the mailed link. Absent: nothing held. */
  iv?: Buffer;
  tag?: Buffer;
  ciphertext?: Buffer;
  expiresAt: Date;
  /** The day after expiry (`YYYY-MM-DD`): the sweep deletes by equality on it. */
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
// Serves the sweep's `{ deleteOn: day }` (equality: FerretDB v1 pushes it down; no TTL index there).
exportSchema.index({ deleteOn: 1 });

const cursorSchema = new Schema<SweepCursorDocument>(
  { _id: { type: String, required: true }, day: { type: String, required: true } },
  { collection: 'export_sweep', versionKey: false },
);

const CURSOR_ID = 'exports';

export class MongoExportStore implements ExportStore {
  private readonly model: Model<ExportDocument>;
  private readonly cursor: Model<SweepCursorDocument>;

  constructor(connection: Connection) {
    this.model = connection.model<ExportDocument>('Export', exportSchema);
    this.cursor = connection.model<SweepCursorDocument>('ExportSweepCursor', cursorSchema);
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
    return (await this.model.deleteMany({ deleteOn: day })).deletedCount;
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
