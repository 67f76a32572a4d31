import mongoose, { type Connection } from 'mongoose';
import type { Logger } from '../logger';
import { withTimeout } from '../kafka/with-timeout';

export interface MongoConnectionOptions {
  uri: string;
  /** Each service (and each test file) has a database of its own. */
  dbName: string;
  logger: Logger;
  serverSelectionTimeoutMs?: number;
}

/**
 * A dedicated mongoose connection (not the global one), so that tests and services can hold
 * several side by side. Commands are not buffered: while the database is away an operation
 * fails fast with a retriable driver error instead of hanging in a queue.
 */
export async function connectMongo(options: MongoConnectionOptions): Promise<Connection> {
  const log = options.logger.child({ component: 'mongo', db: options.dbName });
  const connection = mongoose.createConnection(options.uri, {
    dbName: options.dbName,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 5000,
    bufferCommands: false,
    autoIndex: true,
  });
  connection.on('disconnected', () => log.warn('database connection lost'));
  connection.on('reconnected', () => log.info('database connection back'));
  await connection.asPromise();
  log.info('database connected');
  return connection;
}

/** Readiness probe: the server answers a ping within the timeout. */
export async function pingMongo(connection: Connection, timeoutMs = 2000): Promise<void> {
  const db = connection.db;
  if (!db) throw new Error('database not connected');
  await withTimeout(db.admin().ping(), timeoutMs, 'MongoDB ping');
}

export async function closeMongo(connection: Connection): Promise<void> {
  // A close we asked for is not a lost connection: keep that warning for real losses.
  connection.removeAllListeners('disconnected');
  await connection.close();
}

/** True for the duplicate-key error a unique index raises (code 11000), on MongoDB and FerretDB. */
export function isDuplicateKeyError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 11000;
}

/**
 * Inserts one document unless its key is taken; resolves true when it was new. A duplicate key is
 * an answer here (the write happened before: a redelivery, a retry), any other failure throws.
 */
export async function createIfAbsent<TDoc>(
  model: { create(document: TDoc): Promise<unknown> },
  document: TDoc,
): Promise<boolean> {
  try {
    await model.create(document);
    return true;
  } catch (error) {
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}
