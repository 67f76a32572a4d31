export { connectMongo, pingMongo, closeMongo, isDuplicateKeyError } from './connection';
export type { MongoConnectionOptions } from './connection';
