import { createHmac } from 'node:crypto';
import { canonicalEmail } from './email-domains';

/**
 * The keyed hash (HMAC-SHA256, base64url) under which a counterparty address is stored and
 * looked up. Without the key a stored hash cannot be tested against guessed addresses.
 */
export function hashCounterpartyEmail(key: string, email: string): string {
  return createHmac('sha256', key).update(canonicalEmail(email)).digest('base64url');
}
