/**
 * Keys whose values are personal data, request content or secrets. Matched case-insensitively
 * at any depth; their values never reach a log line.
 */
export const REDACTED_KEYS: ReadonlySet<string> = new Set(
  [
    'email',
    'emails',
    'name',
    'requester',
    'requesterName',
    'requesterEmail',
    'company',
    'companyName',
    'companyEmail',
    'text',
    'body',
    'html',
    'subject',
    'from',
    'to',
    'cc',
    'bcc',
    'replyTo',
    'recipients',
    'address',
    'phone',
    'content',
    'authorization',
    'cookie',
    'set-cookie',
    'token',
    'password',
    'secret',
    'signature',
    'otherRightText',
    'counterpartyEmailsAdded',
    'counterpartyEmailsRemoved',
  ].map((key) => key.toLowerCase()),
);

export const REDACTED = '[redacted]';

// Deliberately loose: anything that looks like an address is hidden, even inside error messages
// (a duplicate-key error quotes the key, for example).
const EMAIL_PATTERN = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[^\s@"'<>(),;:]+/g;

export function scrubString(value: string): string {
  return value.replace(EMAIL_PATTERN, '[email]');
}

/** A copy of `value` with personal data replaced; cycles and depth are bounded. */
export function scrubValue(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8 || seen.has(value)) return '[truncated]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1, seen));
  if (value instanceof Error) return scrubError(value, depth, seen);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = REDACTED_KEYS.has(key.toLowerCase()) ? REDACTED : scrubValue(item, depth + 1, seen);
  }
  return out;
}

function scrubError(error: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: error.name,
    message: scrubString(error.message),
    stack: error.stack ? scrubString(error.stack) : undefined,
  };
  for (const key of ['code', 'retriable', 'httpStatus', 'details'] as const) {
    const item = (error as unknown as Record<string, unknown>)[key];
    if (item !== undefined) out[key] = scrubValue(item, depth + 1, seen);
  }
  if (error.cause !== undefined) out.cause = scrubValue(error.cause, depth + 1, seen);
  return out;
}
