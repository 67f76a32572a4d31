import mongoose from 'mongoose';
import { AppError, isRetriableError } from './app-error';

/** FerretDB's answer (code 1, InternalError) as the relay got it while PostgreSQL restarted under it. */
const ferretdbError = (message: string) => new mongoose.mongo.MongoServerError({ message, code: 1 });

describe('isRetriableError', () => {
  it('When FerretDB answers that PostgreSQL ended its connection (a restart: SQLSTATE 57P01), then the failure is retriable', () => {
    const error = ferretdbError(
      '[msg_find.go:344 handler.handleMaxTimeMSError] [values.go:74 iterator.ConsumeValuesN[...]] [query_iterator.go:92 postgresql.(*queryIterator).Next] FATAL: terminating connection due to administrator command (SQLSTATE 57P01)',
    );
    expect(isRetriableError(error)).toBe(true);
  });

  it('When FerretDB answers that it cannot connect to PostgreSQL (down, or starting up), then the failure is retriable', () => {
    for (const message of [
      '[msg_find.go:344 handler.handleMaxTimeMSError] [collection.go:109 postgresql.(*collection).Query] failed to connect to `user=postgres database=ferretdb`:\n\t127.0.0.1:42959 (127.0.0.1): dial error: dial tcp 127.0.0.1:42959: connect: connection refused',
      '[msg_update.go:51 handler.MsgUpdate] FATAL: the database system is starting up (SQLSTATE 57P03)',
      '[msg_insert.go:80 handler.MsgInsert] conn closed',
    ]) {
      expect({ message, retriable: isRetriableError(ferretdbError(message)) }).toEqual({ message, retriable: true });
    }
  });

  it('When the server refuses the operation itself (duplicate key, validation), then it is not retriable', () => {
    expect(
      isRetriableError(new mongoose.mongo.MongoServerError({ message: 'E11000 duplicate key error', code: 11000 })),
    ).toBe(false);
    expect(isRetriableError(ferretdbError('Document failed validation'))).toBe(false);
    expect(isRetriableError(new AppError('VALIDATION_FAILED', 'bad', { retriable: false }))).toBe(false);
  });

  it('When a driver network error or a retriable AppError fails, then it is retriable', () => {
    expect(isRetriableError(new mongoose.mongo.MongoNetworkError('connect ECONNREFUSED 127.0.0.1:1'))).toBe(true);
    expect(isRetriableError(new AppError('KAFKA_UNAVAILABLE', 'away', { retriable: true }))).toBe(true);
  });
});
