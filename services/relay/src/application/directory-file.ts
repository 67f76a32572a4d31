import { parse as parseCsv } from 'csv-parse/sync';
import { EVENTS, type TenantDirectoryChangedV1Payload } from '@privacy-relay/shared/events';

/** One tenant row of an import file, as a valid `tenant.directory.changed.v1` payload. */
export interface DirectoryRow {
  line: number;
  payload: TenantDirectoryChangedV1Payload;
}

export interface RowError {
  line: number;
  message: string;
}

const list = (value: unknown): string[] | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value)) return value as string[];
  return String(value)
    .split(';')
    .map((item) => item.trim())
    .filter((item) => item !== '');
};

/** `privacy@x.example` or `admin:boss@x.example` (CSV), or `{ email, role?, name? }` (JSONL). */
const contacts = (value: unknown): unknown => {
  const items = Array.isArray(value) ? value : list(value);
  return items?.map((item: unknown) => {
    if (typeof item !== 'string') return { role: 'privacy', ...(item as object) };
    const at = item.indexOf(':');
    return at > 0 && !item.slice(0, at).includes('@')
      ? { role: item.slice(0, at), email: item.slice(at + 1) }
      : { role: 'privacy', email: item };
  });
};

/** How far ahead of this machine's clock a version may lie (clock skew), not more: it would shadow every later change. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

/** What every row of a file shares: the version of rows that carry none, and the time now. */
export interface DirectoryFileOptions {
  /** `changedAt` of rows without their own (`--as-of`). */
  asOf?: string;
  now: Date;
}

const TENANT_FIELDS = ['legalName', 'aliases', 'domains', 'contacts', 'regime', 'escalation', 'counterparties'];

/** Turns one raw record (a parsed JSON line or CSV row) into an event payload, or says what is wrong. */
function toPayload(
  raw: Record<string, unknown>,
  options: DirectoryFileOptions,
): TenantDirectoryChangedV1Payload | string {
  const tenantId = raw.tenantId ?? raw.id;
  const change = raw.change === undefined || raw.change === '' ? 'upserted' : raw.change;
  const changedAt = raw.changedAt === undefined || raw.changedAt === '' ? options.asOf : raw.changedAt;
  if (changedAt === undefined) return 'changedAt: required (a field of the row, or --as-of for the whole file)';
  const candidate =
    change === 'deleted'
      ? { tenantId, changedAt, change }
      : {
          tenantId,
          changedAt,
          change,
          tenant: {
            legalName: raw.legalName,
            ...(list(raw.aliases) ? { aliases: list(raw.aliases) } : {}),
            ...(list(raw.domains) ? { domains: list(raw.domains) } : {}),
            ...(raw.contacts !== undefined && raw.contacts !== '' ? { contacts: contacts(raw.contacts) } : {}),
            ...(raw.regime ? { regime: raw.regime } : {}),
            ...(raw.escalation ? { escalation: raw.escalation } : {}),
          },
          ...(list(raw.counterparties) ? { counterpartyEmailsAdded: list(raw.counterparties) } : {}),
        };
  if (change === 'deleted') {
    const extra = TENANT_FIELDS.filter((field) => raw[field] !== undefined && raw[field] !== '');
    if (extra.length > 0) return `a deleted tenant carries only tenantId and changedAt, not ${extra.join(', ')}`;
  }
  const result = EVENTS.tenantDirectoryChangedV1.payloadSchema.safeParse(candidate);
  if (!result.success) {
    return result.error.issues
      .map((issue) => `${issue.path.filter((p) => p !== 'tenant').join('.') || '(row)'}: ${issue.message}`)
      .join('; ');
  }
  if (Date.parse(result.data.changedAt) > options.now.getTime() + FUTURE_TOLERANCE_MS) {
    return `changedAt: ${result.data.changedAt} is in the future (it would hide every change until then)`;
  }
  return result.data;
}

/**
 * Reads a directory import file — JSON Lines (one tenant object per line) or CSV with a header
 * (`tenantId,change,changedAt,legalName,aliases,domains,contacts,regime,counterparties`, any
 * order, lists separated by `;`) — and validates every row. A row's version is its own
 * `changedAt`, else the file's `asOf`; one without either is an error, as the time of the run
 * would let an old file undo newer changes. `change` is `upserted` (default) or `deleted`.
 * Returns the rows and every error with its line number.
 */
export function parseDirectoryFile(
  text: string,
  format: 'jsonl' | 'csv',
  options: DirectoryFileOptions,
): { rows: DirectoryRow[]; errors: RowError[] } {
  const rows: DirectoryRow[] = [];
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  const accept = (line: number, raw: unknown) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      errors.push({ line, message: 'not an object' });
      return;
    }
    const payload = toPayload(raw as Record<string, unknown>, options);
    if (typeof payload === 'string') {
      errors.push({ line, message: payload });
      return;
    }
    const earlier = seen.get(payload.tenantId);
    if (earlier !== undefined) {
      errors.push({ line, message: `tenant ${payload.tenantId} already on line ${earlier}` });
      return;
    }
    seen.set(payload.tenantId, line);
    rows.push({ line, payload });
  };

  if (format === 'jsonl') {
    text.split(/\r?\n/).forEach((content, i) => {
      if (content.trim() === '') return;
      let raw: unknown;
      try {
        raw = JSON.parse(content);
      } catch (error) {
        errors.push({ line: i + 1, message: `invalid JSON (${(error as Error).message})` });
        return;
      }
      accept(i + 1, raw);
    });
    return { rows, errors };
  }

  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parseCsv(text, { columns: true, info: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    const line = (error as { lines?: number }).lines ?? 0;
    return { rows: [], errors: [{ line, message: `invalid CSV (${(error as Error).message})` }] };
  }
  for (const { record, info } of records) accept(info.lines, record);
  return { rows, errors };
}
