import { createHash, createHmac, randomBytes } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditLine, MailEvidence } from './forwarding-case';

/**
 * A case's audit trail as a hash chain (docs/evidence.md). Each entry holds a pseudonymised copy
 * of one audit line (its `record`), the hash of the entry before and its own hash over the RFC 8785
 * canonical JSON of `{ caseId, seq, prevHash, record }`, so an edited, removed, reordered or
 * transplanted entry breaks every hash after it. Personal data is in a record only as an HMAC
 * under the case's own salt: deleting the cleartext or the salt later (retention) leaves the
 * chain as it was, and with the salt deleted the hashes can no longer be tested against guesses.
 */
export interface AuditChainEntry {
  seq: number;
  /** The previous entry's `hash`; null for the first entry. */
  prevHash: string | null;
  record: AuditRecord;
  /** SHA-256 (hex) of the canonical `{ caseId, seq, prevHash, record }`. */
  hash: string;
}

/** An audit line as chained: plain JSON, personal data replaced by `hmac-sha256:<hex>`. */
export type AuditRecord = Record<string, unknown>;

/** What a record says in place of a personal value. */
export const PSEUDONYM_PREFIX = 'hmac-sha256:';

/** Keys whose whole value is personal data wherever they appear in an audit line. */
const PERSONAL_KEYS = new Set(['email', 'name', 'operatorId', 'requesterName', 'requesterEmail', 'text', 'subject']);

/** An email address inside any other text (the same shape the log redaction looks for). */
const EMAIL_IN_TEXT = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[^\s@"'<>(),;:]+/g;

/** A new per-case salt: 32 random bytes, base64url. */
export function newCaseSalt(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The salted hash standing for one personal value. Addresses are compared case-insensitively
 * (trimmed, lower-cased), so whoever holds the salt can test "was it sent to this address?".
 */
export function pseudonym(salt: string, value: string): string {
  return PSEUDONYM_PREFIX + createHmac('sha256', salt).update(value.trim().toLowerCase()).digest('hex');
}

/** The salted hash of a raw SNS notification as stored (byte for byte), chained beside its audit line. */
export function notificationDigest(salt: string, rawNotification: string): string {
  return PSEUDONYM_PREFIX + createHmac('sha256', salt).update(rawNotification).digest('hex');
}

/**
 * The record chained for one audit line: every value under a personal key, and every email
 * address inside any other string, replaced by its salted hash. `notification` is the digest of
 * the raw SNS notification kept with that line, if one was.
 */
export function auditRecordOf(line: AuditLine, salt: string, notification?: string): AuditRecord {
  const record = pseudonymise(JSON.parse(JSON.stringify(line)) as unknown, salt) as AuditRecord;
  return notification === undefined ? record : { ...record, notification };
}

function pseudonymise(value: unknown, salt: string, key?: string): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && PERSONAL_KEYS.has(key)) return pseudonym(salt, value);
    return value.replace(EMAIL_IN_TEXT, (address) => pseudonym(salt, address));
  }
  if (Array.isArray(value)) return value.map((item) => pseudonymise(item, salt));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, pseudonymise(v, salt, k)]));
  }
  return value;
}

/** The hash of an entry: SHA-256 over the RFC 8785 canonical JSON of what it commits to. */
export function entryHash(caseId: string, seq: number, prevHash: string | null, record: AuditRecord): string {
  const canonical = canonicalize({ caseId, seq, prevHash, record });
  if (canonical === undefined) throw new Error('audit record has no JSON form');
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * The entries to append so that the chain covers every audit line: one per line beyond the chain's
 * length, in order (the chain only grows; a line changed or removed later is not re-chained).
 * A mail-event line gets the digest of the raw notification stored with it (same SES id, same time).
 */
export function extendAuditChain(
  caseId: string,
  chain: readonly AuditChainEntry[],
  audit: readonly AuditLine[],
  salt: string,
  evidence: readonly MailEvidence[] = [],
): AuditChainEntry[] {
  const added: AuditChainEntry[] = [];
  let prevHash = chain.at(-1)?.hash ?? null;
  for (let seq = chain.length; seq < audit.length; seq++) {
    const line = audit[seq]!;
    const kept =
      line.occurredAt === undefined
        ? undefined
        : evidence.find(
            (e) =>
              e.sesMessageId === line.sesMessageId && e.receivedAt === line.at && e.snsMessageId === line.snsMessageId,
          );
    const record = auditRecordOf(line, salt, kept && notificationDigest(salt, kept.rawNotification));
    const hash = entryHash(caseId, seq, prevHash, record);
    added.push({ seq, prevHash, record, hash });
    prevHash = hash;
  }
  return added;
}

export type ChainCheck =
  { ok: true; length: number; head: string | null } | { ok: false; index: number; problem: string };

/**
 * Checks a chain from its first entry: numbering, links and hashes. The first entry that fails
 * is named with what is wrong with it.
 */
export function verifyAuditChain(caseId: string, entries: readonly AuditChainEntry[]): ChainCheck {
  let prevHash: string | null = null;
  for (const [index, entry] of entries.entries()) {
    if (entry.seq !== index) {
      return { ok: false, index, problem: `entry ${index} says it is entry ${entry.seq} (removed or reordered)` };
    }
    if (entry.prevHash !== prevHash) {
      return {
        ok: false,
        index,
        problem: `entry ${index} does not follow entry ${index - 1} (its prevHash is not that entry's hash: an entry was removed, reordered or edited)`,
      };
    }
    if (entryHash(caseId, entry.seq, entry.prevHash, entry.record) !== entry.hash) {
      return { ok: false, index, problem: `entry ${index} was changed after it was chained (its hash does not match)` };
    }
    prevHash = entry.hash;
  }
  return { ok: true, length: entries.length, head: prevHash };
}
