import pino, { type Logger, type DestinationStream } from 'pino';
import { scrubString, scrubValue } from './redact';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** The service or component, on every line. */
  name: string;
  level?: string;
  /** Where lines go; stdout when absent. Tests pass a stream to read lines back. */
  destination?: DestinationStream;
}

/**
 * Structured JSON logs with personal data removed: values under personal-data keys are replaced
 * at any depth, and anything shaped like an email address is masked in every string, messages
 * and error texts included.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => scrubValue(object) as Record<string, unknown>,
      },
      // The error serializer runs before `formatters.log`; keep the error's shape for scrubbing.
      serializers: { err: (error: unknown) => error },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubString(arg) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
