import { z } from 'zod';

/** Comma-separated values, each trimmed, empty ones dropped: the array is then parsed as `items`. */
function commaList<T extends z.ZodType<unknown, string[]>>(items: T) {
  return z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(items);
}

/** Reusable parsers for environment values, which always arrive as strings. */
export const envSchemas = {
  commaList,
  port: z.coerce.number().int().min(0, 'must be a port number').max(65535, 'must be a port number'),
  positiveInt: z.coerce.number().int().positive('must be a positive whole number'),
  nonNegativeInt: z.coerce.number().int().nonnegative('must be a whole number ≥ 0'),
  boolean: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .transform((value) => value === 'true' || value === '1' || value === 'yes'),
  /** host:port,host:port */
  brokerList: commaList(
    z
      .array(z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'must be a comma-separated list of host:port'))
      .min(1, 'must name at least one broker'),
  ),
  /** Comma-separated SNS topic ARNs (empty: none). */
  snsTopicArns: commaList(
    z.array(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/, 'must be SNS topic ARNs')),
  ),
  mongoUri: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URI'),
  url: z.url({ message: 'must be a URL' }),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  /** A Kafka topic prefix: empty, or letters, digits, dots, dashes and underscores. */
  topicPrefix: z.string().regex(/^[A-Za-z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-"'),
} as const;
