import { mongo } from 'mongoose';
import { AppError } from '../errors';

/** The part of a driver collection that group commit needs (a mongoose model's `.collection` fits). */
export interface InsertManyTarget {
  insertMany(docs: mongo.Document[], options: { ordered: false; ignoreUndefined: true }): Promise<unknown>;
}

/** What became of one document: stored now, or its `_id` (or another unique key) was there already. */
export type InsertOutcome = 'inserted' | 'duplicate';

interface Waiting<TDoc> {
  doc: TDoc;
  resolve(outcome: InsertOutcome): void;
  reject(error: unknown): void;
}

export interface BatchedInsertsOptions {
  /** Most documents one statement carries (keeps it bounded). */
  maxBatch?: number;
  /**
   * Under load, at most one statement per this many milliseconds: documents arriving in between
   * wait and go together. 0 sends the next statement as soon as the previous one is answered.
   */
  windowMs?: number;
}

/**
 * Group commit for inserts on a hot path. A document goes to the database at once when nothing is
 * being written and the last statement is at least `windowMs` old; documents arriving meanwhile
 * wait and go together in the next single unordered `insertMany`. Alone, an insert costs what
 * `insertOne` costs and waits for nobody; under load, one statement carries many requests. Each
 * statement costs the client about 0.3 ms of CPU on this project's test machines whatever it
 * carries (FerretDB: an `insertMany` of 64 costs the client what 2 `insertOne`s cost), so a window
 * of a few milliseconds turns that per-request cost into a per-window one.
 *
 * Each caller learns its own outcome: a duplicate key is an outcome, not an error, so callers
 * keep their insert-or-read-existing logic; any other failure rejects only the documents it hit.
 */
export class BatchedInserts<TDoc extends mongo.Document> {
  private readonly queue: Array<Waiting<TDoc>> = [];
  private readonly maxBatch: number;
  private readonly windowMs: number;
  private writing = false;
  private lastStatementAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly target: InsertManyTarget,
    options: BatchedInsertsOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.windowMs = options.windowMs ?? 0;
  }

  insert(doc: TDoc): Promise<InsertOutcome> {
    return new Promise<InsertOutcome>((resolve, reject) => {
      this.queue.push({ doc, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const wait = this.lastStatementAt + this.windowMs - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        this.lastStatementAt = performance.now();
        await this.write(this.queue.splice(0, this.maxBatch));
      }
    } finally {
      this.writing = false;
    }
  }

  private async write(batch: Array<Waiting<TDoc>>): Promise<void> {
    try {
      await this.target.insertMany(
        batch.map((waiting) => waiting.doc),
        // Unset optional fields are left out, not stored as null (`$exists: false` keeps meaning "never set").
        { ordered: false, ignoreUndefined: true },
      );
      batch.forEach((waiting) => waiting.resolve('inserted'));
    } catch (error) {
      const writeErrors = error instanceof mongo.MongoBulkWriteError ? [error.writeErrors].flat() : [];
      if (writeErrors.length === 0) {
        // The statement as a whole failed (connection, write concern): nothing is known to be stored.
        const unavailable = new AppError('DATABASE_UNAVAILABLE', 'The database did not take the write', {
          httpStatus: 503,
          retriable: true,
          cause: error,
        });
        batch.forEach((waiting) => waiting.reject(unavailable));
        return;
      }
      // Unordered: every document was tried; the errors name the ones that failed, by position.
      const failed = new Map(writeErrors.map((writeError) => [writeError.index, writeError]));
      batch.forEach((waiting, index) => {
        const writeError = failed.get(index);
        if (!writeError) waiting.resolve('inserted');
        else if (writeError.code === 11000) waiting.resolve('duplicate');
        else
          waiting.reject(
            new AppError('DOCUMENT_REFUSED', `The database refused the document (code ${writeError.code})`, {
              cause: error,
            }),
          );
      });
    }
  }
}
