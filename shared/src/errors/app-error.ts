/**
 * One error type for operational failures: bad input, a dependency that is down, a conflict.
 * Programmer errors stay plain `Error`s and crash loudly.
 */
export interface AppErrorOptions {
  /** HTTP status an entry point answers with; 500 when absent. */
  httpStatus?: number;
  /** True when the same operation may succeed later (dependency down, timeout). */
  retriable?: boolean;
  /**
   * For a retriable error that may also never clear (a refusal that lasts until someone changes a
   * setting): how many attempts a consumer makes in all before it dead-letters the message.
   * Unset: retried for as long as the consumer runs.
   */
  maxAttempts?: number;
  /** Extra, non-personal facts for logs and clients (never request content). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly retriable: boolean;
  readonly maxAttempts: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.httpStatus = options.httpStatus ?? 500;
    this.retriable = options.retriable ?? false;
    this.maxAttempts = options.maxAttempts;
    this.details = options.details;
  }
}

// Driver errors that mean "the database is not reachable right now", not "this input is bad".
const RETRIABLE_ERROR_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongooseServerSelectionError',
  'MongoTopologyClosedError',
  'KafkaJSConnectionError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
]);

/**
 * FerretDB answers an operation whose PostgreSQL connection failed with a plain MongoServerError
 * (code 1): PostgreSQL restarting (SQLSTATE 57P01-57P03), a connection exception (class 08), or no
 * connection at all. Taking that for a refusal of the operation dead-lettered a forward while
 * PostgreSQL restarted (the chaos campaign, docs/chaos.md).
 */
const POSTGRES_CONNECTION_FAILURE =
  /SQLSTATE (?:08[0-9A-Z]{3}|57P0[1-3])\b|failed to connect to `|\bconn closed\b|unexpected EOF|connection reset by peer|broken pipe/;

/**
 * Whether retrying the failed operation can help. AppError and KafkaJS errors say so
 * themselves (`retriable`); driver network errors are recognised by name, FerretDB's lost
 * PostgreSQL connections by their message.
 */
export function isRetriableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const flagged = (error as { retriable?: unknown }).retriable;
  if (typeof flagged === 'boolean' && flagged) return true;
  if (RETRIABLE_ERROR_NAMES.has(error.name)) return true;
  if (error.name === 'MongoServerError' && POSTGRES_CONNECTION_FAILURE.test(error.message)) return true;
  const labels = (error as { errorLabelSet?: Set<string> }).errorLabelSet;
  return labels instanceof Set && labels.has('RetryableWriteError');
}
