export { connectMongo, pingMongo, closeMongo, createIfAbsent, isDuplicateKeyError } from './connection';
export type { MongoConnectionOptions } from './connection';
export { BatchedInserts } from './batched-inserts';
export type { BatchedInsertsOptions, InsertManyTarget, InsertOutcome } from './batched-inserts';
