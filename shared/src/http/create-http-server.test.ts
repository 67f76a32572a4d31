import mongoose from 'mongoose';
import { toErrorResponse } from './create-http-server';

describe('toErrorResponse', () => {
  it('When the database is away (a driver network error, or FerretDB cut off from PostgreSQL), then the answer is 503, which clients retry, not 500', () => {
    const away = [
      new mongoose.mongo.MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017'),
      new mongoose.mongo.MongoServerError({
        message:
          '[msg_update.go:123 handler.(*Handler).updateDocument] [collection.go:109 postgresql.(*collection).Query] failed to connect to `user=postgres database=ferretdb`: dial tcp 127.0.0.1:5432: connect: connection refused',
        code: 1,
      }),
    ];
    for (const error of away) {
      expect(toErrorResponse(error)).toEqual({
        status: 503,
        body: { error: { code: 'UNAVAILABLE', message: expect.any(String) } },
      });
    }
  });

  it('When a handler fails for any other reason, then the answer is still 500', () => {
    expect(toErrorResponse(new Error('boom')).status).toBe(500);
    expect(
      toErrorResponse(new mongoose.mongo.MongoServerError({ message: 'E11000 duplicate key', code: 11000 })).status,
    ).toBe(500);
  });
});
