import type { Deadline, ExportedRelayRequest } from '@privacy-relay/shared/events';
import { stringify } from 'csv-stringify/sync';

/** What intake itself holds about one request (its state document and which mails went out). */
export interface IntakeRequestRecord {
  verification: {
    status: 'pending' | 'verified';
    method?: string | undefined;
    verifiedAt?: string | undefined;
    /** After this the confirmation link and code were refused. */
    expiresAt: string;
    codeAttempts: number;
  };
  /** The customers intake told the requester about (the forward notices). */
  forwards: {
    caseId: string;
    tenantId: string;
    tenantName?: string | undefined;
    forwardedAt: string;
    deadline: Deadline;
    noticeSentAt?: string | undefined;
  }[];
  /** The acknowledgement mails that went out: `receipt`, `verification`. */
  mailsSent: string[];
}

/** One request in the export: the relay's record with its decision and cases, and intake's. */
export interface ExportedRequest extends ExportedRelayRequest {
  /** Absent when intake holds nothing of the request (none of its state is left, or it was never stored here). */
  intake?: IntakeRequestRecord | undefined;
}

/** The requester's export: every record the relay and intake hold about one address. */
export interface ExportBundle {
  exportId: string;
  /** The address the export was asked for (and mailed to). */
  email: string;
  generatedAt: string;
  requests: ExportedRequest[];
}

/** One CSV row: which record, its id, a field's path in it (`audit.2.what`), the value as text. */
export interface ExportRow {
  record: 'request' | 'decision' | 'case' | 'intake-state';
  id: string;
  field: string;
  value: string;
}

export const EXPORT_CSV_COLUMNS = ['record', 'id', 'field', 'value'] as const;

/** The bundle, the relay's requests (oldest first) each with intake's record of it. */
export function assembleExport(input: {
  exportId: string;
  email: string;
  generatedAt: Date;
  relayRequests: readonly ExportedRelayRequest[];
  intakeRecords: ReadonlyMap<string, IntakeRequestRecord>;
}): ExportBundle {
  return {
    exportId: input.exportId,
    email: input.email,
    generatedAt: input.generatedAt.toISOString(),
    requests: [...input.relayRequests]
      .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.requestId.localeCompare(b.requestId))
      .map((request) => {
        const intake = input.intakeRecords.get(request.requestId);
        return intake ? { ...request, intake } : { ...request };
      }),
  };
}

/**
 * The bundle as rows of one table (a spreadsheet opens it; a CSV parser reads it back): every
 * value of every record on a row of its own, named by its path, so that nothing nested is lost
 * and every row has the same four columns.
 */
export function exportRows(bundle: ExportBundle): ExportRow[] {
  const rows: ExportRow[] = [];
  for (const request of bundle.requests) {
    const { decision, cases, intake, ...fields } = request;
    flatten(fields, '', (field, value) => rows.push({ record: 'request', id: request.requestId, field, value }));
    if (decision) {
      flatten(decision, '', (field, value) => rows.push({ record: 'decision', id: request.requestId, field, value }));
    }
    for (const forwardingCase of cases) {
      const { caseId, ...caseFields } = forwardingCase;
      flatten({ requestId: request.requestId, ...caseFields }, '', (field, value) =>
        rows.push({ record: 'case', id: caseId, field, value }),
      );
    }
    if (intake) {
      flatten(intake, '', (field, value) => rows.push({ record: 'intake-state', id: request.requestId, field, value }));
    }
  }
  return rows;
}

/**
 * The rows as CSV (RFC 4180, a header line, UTF-8 with a byte-order mark for spreadsheets). A
 * value a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
 * return) is written with a leading `'`: free text and names are anyone's input, and a request in
 * someone's name may have been made by someone else.
 */
export function exportCsv(bundle: ExportBundle): string {
  return stringify(exportRows(bundle), {
    header: true,
    columns: [...EXPORT_CSV_COLUMNS],
    bom: true,
    escape_formulas: true,
    record_delimiter: 'windows',
  });
}

/** The bundle as JSON, indented for a person to read. */
export function exportJson(bundle: ExportBundle): string {
  return `${JSON.stringify(bundle, null, 2)}\n`;
}

function flatten(value: unknown, path: string, emit: (field: string, value: string) => void): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => flatten(item, join(path, String(index)), emit));
    return;
  }
  if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) flatten(item, join(path, key), emit);
    return;
  }
  emit(path, String(value));
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
