export { createLogger } from './create-logger';
export type { Logger, LoggerOptions } from './create-logger';
export { scrubValue, scrubString, REDACTED, REDACTED_KEYS } from './redact';
