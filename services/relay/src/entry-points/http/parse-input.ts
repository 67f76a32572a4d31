import { AppError } from '@privacy-relay/shared/errors';
import type { z } from 'zod';

/**
 * Reads a request's params, query or body with its schema, or answers 400: `UNKNOWN_FIELD` when
 * it holds a field the route does not read (`.strict()` schemas), `INVALID_INPUT` otherwise, with
 * every problem named by its path.
 */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const unknownFields = result.error.issues.some((issue) => issue.code === 'unrecognized_keys');
    throw new AppError(
      unknownFields ? 'UNKNOWN_FIELD' : 'INVALID_INPUT',
      `${what}: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
      { httpStatus: 400 },
    );
  }
  return result.data;
}
