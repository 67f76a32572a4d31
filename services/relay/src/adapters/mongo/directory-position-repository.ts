import { Schema, type Connection, type Model } from 'mongoose';
import type { DirectoryPositions } from '../../application/ports';

interface PositionDocument {
  /** `${topic}:${partition}`. */
  _id: string;
  topic: string;
  partition: number;
  /** Highest offset of the partition whose change is in the `tenants` collection (all lower ones are too). */
  offset: number;
}

const positionSchema = new Schema<PositionDocument>(
  {
    _id: { type: String, required: true },
    topic: { type: String, required: true },
    partition: { type: Number, required: true },
    offset: { type: Number, required: true },
  },
  // Read by topic at start (a handful of documents, one per partition): a scan, no index needed.
  { collection: 'directory_positions', versionKey: false },
);

/**
 * How far the stored directory has taken in each partition of the directory topic. Every instance
 * applies a partition in order and records the offset after the change is stored, so the
 * highest recorded offset bounds what a fresh instance must replay after rebuilding from the
 * database. `$max` keeps a slower instance from moving it back.
 */
export class MongoDirectoryPositionRepository implements DirectoryPositions {
  private readonly positions: Model<PositionDocument>;

  constructor(connection: Connection) {
    this.positions = connection.model<PositionDocument>('DirectoryPosition', positionSchema);
  }

  async recordApplied(topic: string, partition: number, offset: string): Promise<void> {
    await this.positions.updateOne(
      { _id: `${topic}:${partition}` },
      { $max: { offset: Number(offset) }, $setOnInsert: { topic, partition } },
      { upsert: true },
    );
  }

  async appliedOffsets(topic: string): Promise<Map<number, number>> {
    const documents = await this.positions.find({ topic }).lean<PositionDocument[]>();
    return new Map(documents.map((document) => [document.partition, document.offset]));
  }
}
