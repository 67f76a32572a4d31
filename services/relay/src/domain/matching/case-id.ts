import { hash } from 'node:crypto';

/**
 * The case id of a (request, tenant) pair: a name-based UUID (version 8, SHA-256), so a
 * redelivered request yields the same case and downstream consumers can deduplicate on it.
 */
export function caseIdFor(requestId: string, tenantId: string): string {
  const bytes = hash('sha256', `case:${requestId}:${tenantId}`, 'buffer');
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
