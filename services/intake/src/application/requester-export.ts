import { EVENTS, type ExportCollectedV1 } from '@privacy-relay/shared/events';
import { escapeHtml } from '@privacy-relay/shared/html';
import { hash, randomBytes } from 'node:crypto';
import {
  assembleExport,
  exportCsv,
  exportJson,
  type ExportBundle,
  type IntakeRequestRecord,
} from '../domain/export-bundle';
import { openAddress, openExport, sealAddress, sealExport } from '../domain/export-sealing';
import type { ExportLinks } from './export-links';
import type {
  AcknowledgementMailLog,
  Clock,
  ExportRequestPublisher,
  ExportStore,
  Mailer,
  OutgoingMail,
  VerificationRecord,
  VerificationStore,
} from './ports';

export interface RequesterExportDeps {
  exports: ExportStore;
  links: ExportLinks;
  mailer: Mailer;
  publisher: ExportRequestPublisher;
  verifications: Pick<VerificationStore, 'find'>;
  sentMails: Pick<AcknowledgementMailLog, 'sentOf'>;
  clock: Clock;
  /** The link secret: the address is sealed into the confirmation link with a key derived from it. */
  secret: string;
  /** How long the confirmation link works. */
  confirmTtlMs: number;
  /** How long the export can be downloaded; deleted the day after. */
  exportTtlMs: number;
}

/**
 * Someone asked for the export of an address: mail that address a confirmation link (opening the
 * mailbox is the proof of owning it). Whoever asks gets the same answer, before this runs and
 * whatever it finds (nothing is looked up here): asking tells nothing about what is held.
 */
export async function mailExportConfirmation(deps: RequesterExportDeps, email: string): Promise<void> {
  const now = deps.clock.now();
  const url = deps.links.confirmUrl(
    randomBytes(16).toString('base64url'),
    sealAddress(deps.secret, email),
    new Date(now.getTime() + deps.confirmTtlMs),
  );
  await deps.mailer.send(confirmationMail(email, url, Math.round(deps.confirmTtlMs / 3_600_000)));
}

export type ExportLinkOutcome = 'invalid-link' | 'expired';

/** What the confirmation link names, if it is ours and still valid (a GET shows a page; only POST acts). */
export function inspectExportConfirmation(
  deps: Pick<RequesterExportDeps, 'links' | 'clock' | 'secret'>,
  token: string,
  sealedAddress: string,
): { outcome: 'ok'; exportId: string; email: string } | { outcome: ExportLinkOutcome } {
  const check = deps.links.checkConfirm(token, sealedAddress, deps.clock.now());
  if (!check.ok) return { outcome: check.reason === 'expired' ? 'expired' : 'invalid-link' };
  const email = openAddress(deps.secret, sealedAddress);
  if (!email) return { outcome: 'invalid-link' };
  return { outcome: 'ok', exportId: nameBasedUuid(`export:${check.claims.subject}`), email };
}

/**
 * The mailbox's owner pressed "Confirm": `privacy.export.requested.v1` goes to Kafka (same export
 * id and event id however often it is pressed). Kafka away: a retriable error, the page asks to
 * press again.
 */
export async function confirmExport(
  deps: RequesterExportDeps,
  token: string,
  sealedAddress: string,
): Promise<{ outcome: 'requested' } | { outcome: ExportLinkOutcome }> {
  const inspected = inspectExportConfirmation(deps, token, sealedAddress);
  if (inspected.outcome !== 'ok') return inspected;
  const now = deps.clock.now();
  await deps.publisher.publishExportRequested(
    EVENTS.exportRequestedV1.create(
      { exportId: inspected.exportId, email: inspected.email, requestedAt: now.toISOString() },
      {
        id: nameBasedUuid(`export-requested:${inspected.exportId}`),
        correlationId: inspected.exportId,
        occurredAt: now,
      },
    ),
  );
  return { outcome: 'requested' };
}

export type DeliverExportOutcome = 'mailed' | 'nothing-held' | 'already-mailed' | 'stale';

/**
 * The relay collected what it holds (`privacy.export.collected.v1`): add intake's records of
 * those requests, seal the bundle under a fresh key, store it and mail the link (carrying the key)
 * to the address. Nothing held: a mail that says so. Runs at least once per event: once mailed, a
 * redelivery mails nothing; before that it seals again under a new key (the old one was never sent).
 */
export async function deliverExport(
  deps: RequesterExportDeps,
  event: ExportCollectedV1,
): Promise<DeliverExportOutcome> {
  const { exportId, email } = event.payload;
  const now = deps.clock.now();
  const stored = await deps.exports.find(exportId);
  if (stored?.mailedAt) return 'already-mailed';
  const expiresAt = new Date(now.getTime() + deps.exportTtlMs);
  // Collected longer ago than a link would live (a new consumer group reading from the start): not mailed.
  if (now.getTime() - new Date(event.payload.collectedAt).getTime() > deps.exportTtlMs) return 'stale';
  const intakeRecords = new Map<string, IntakeRequestRecord>();
  for (const request of event.payload.requests) {
    const record = await intakeRecordOf(deps, request.requestId);
    if (record) intakeRecords.set(request.requestId, record);
  }
  const bundle = assembleExport({
    exportId,
    email,
    generatedAt: now,
    relayRequests: event.payload.requests,
    intakeRecords,
  });
  if (bundle.requests.length === 0) {
    if (!(await deps.exports.saveUnlessMailed({ exportId, expiresAt }, deleteDayOf(expiresAt))))
      return 'already-mailed';
    await deps.mailer.send(nothingHeldMail(email));
    await deps.exports.markMailed(exportId, deps.clock.now());
    return 'nothing-held';
  }
  const { key, sealed } = sealExport(JSON.stringify(bundle), exportId);
  if (!(await deps.exports.saveUnlessMailed({ exportId, sealed, expiresAt }, deleteDayOf(expiresAt)))) {
    return 'already-mailed';
  }
  await deps.mailer.send(exportReadyMail(email, deps.links.downloadUrl(exportId, key, expiresAt), expiresAt));
  // From SES's answer to this write, a crash mails a second link (to the same mailbox) on redelivery.
  await deps.exports.markMailed(exportId, deps.clock.now());
  return 'mailed';
}

/** The export behind a download link, or why not: not ours / tampered, expired, or deleted. */
export async function readExport(
  deps: Pick<RequesterExportDeps, 'exports' | 'links' | 'clock'>,
  token: string,
  key: string,
): Promise<{ outcome: 'ok'; bundle: ExportBundle } | { outcome: ExportLinkOutcome | 'gone' }> {
  const now = deps.clock.now();
  const check = deps.links.checkDownload(token, key, now);
  if (!check.ok) return { outcome: check.reason === 'expired' ? 'expired' : 'invalid-link' };
  const stored = await deps.exports.find(check.claims.subject);
  if (!stored?.sealed) return { outcome: 'gone' };
  if (stored.expiresAt.getTime() <= now.getTime()) return { outcome: 'expired' };
  const text = openExport(stored.sealed, key, stored.exportId);
  if (text === undefined) return { outcome: 'invalid-link' };
  return { outcome: 'ok', bundle: JSON.parse(text) as ExportBundle };
}

/** The export as a file: JSON or CSV, with its name. */
export function exportFile(bundle: ExportBundle, format: 'json' | 'csv') {
  return format === 'json'
    ? { body: exportJson(bundle), type: 'application/json; charset=utf-8', name: 'privacy-relay-export.json' }
    : { body: exportCsv(bundle), type: 'text/csv; charset=utf-8', name: 'privacy-relay-export.csv' };
}

/**
 * Deletes the exports due, day by day, from the day after the last one swept through today
 * (equality on each day; the cursor is durable, so a pause of any length is caught up). The first
 * sweep starts `firstSweepDays` back.
 */
export async function sweepExpiredExports(
  deps: Pick<RequesterExportDeps, 'exports' | 'clock'>,
  firstSweepDays = 31,
): Promise<{ deleted: number; days: number }> {
  const today = dayOf(deps.clock.now());
  const last = await deps.exports.sweptThrough();
  let day = last ? nextDay(last) : dayOf(new Date(deps.clock.now().getTime() - firstSweepDays * 86_400_000));
  let deleted = 0;
  let days = 0;
  while (day <= today) {
    deleted += await deps.exports.deleteDueOn(day);
    await deps.exports.recordSweptThrough(day);
    day = nextDay(day);
    days += 1;
  }
  return { deleted, days };
}

/** The day an export is deleted: the day after it expires (UTC), so the whole day is past its expiry. */
export function deleteDayOf(expiresAt: Date): string {
  return nextDay(dayOf(expiresAt));
}

async function intakeRecordOf(
  deps: Pick<RequesterExportDeps, 'verifications' | 'sentMails'>,
  requestId: string,
): Promise<IntakeRequestRecord | undefined> {
  const [record, mails] = await Promise.all([deps.verifications.find(requestId), deps.sentMails.sentOf(requestId)]);
  if (!record && mails.size === 0) return undefined;
  return {
    verification: record ? verificationOf(record) : { status: 'pending', expiresAt: '', codeAttempts: 0 },
    forwards: (record?.forwards ?? []).map((forward) => ({
      caseId: forward.caseId,
      tenantId: forward.tenantId,
      tenantName: forward.tenantName,
      forwardedAt: forward.forwardedAt.toISOString(),
      deadline: forward.deadline,
      noticeSentAt: forward.noticeSentAt?.toISOString(),
    })),
    mailsSent: [...mails].sort(),
  };
}

function verificationOf(record: VerificationRecord): IntakeRequestRecord['verification'] {
  return {
    status: record.status,
    method: record.method,
    verifiedAt: record.verifiedAt?.toISOString(),
    expiresAt: record.expiresAt.toISOString(),
    codeAttempts: record.codeAttempts,
  };
}

function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function nextDay(day: string): string {
  return dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000));
}

/** A name-based UUID (version 8, SHA-256): the same name, the same id. */
function nameBasedUuid(name: string): string {
  const bytes = hash('sha256', name, 'buffer');
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

// The mails carry only our wording and the links: nothing the asker typed but the address itself.

function confirmationMail(to: string, url: string, hours: number): OutgoingMail {
  const text = [
    'Hello,',
    '',
    'Someone (we hope you) asked Privacy Relay for a copy of everything we hold about this email address.',
    `To confirm, open this link within ${hours} hours and press "Confirm":`,
    url,
    '',
    'If you did not ask, ignore this mail: nothing is sent anywhere without your confirmation.',
  ].join('\n');
  return {
    to,
    subject: 'Confirm your request for a copy of your data',
    text,
    html: `<p>Hello,</p>
<p>Someone (we hope you) asked Privacy Relay for a copy of everything we hold about this email address.</p>
<p>To confirm, open this link within ${hours} hours and press "Confirm": <a href="${escapeHtml(url)}">confirm the export</a></p>
<p>If you did not ask, ignore this mail: nothing is sent anywhere without your confirmation.</p>
`,
  };
}

function exportReadyMail(to: string, url: string, expiresAt: Date): OutgoingMail {
  const until = expiresAt.toISOString().slice(0, 16).replace('T', ' ');
  return {
    to,
    subject: 'Your copy of your data is ready',
    text: [
      'Hello,',
      '',
      'Here is everything Privacy Relay holds about this email address, as JSON and as CSV:',
      url,
      '',
      `The link works until ${until} UTC; then the copy is deleted. Anyone with the link can open it: do not forward this mail.`,
    ].join('\n'),
    html: `<p>Hello,</p>
<p>Here is everything Privacy Relay holds about this email address, as JSON and as CSV: <a href="${escapeHtml(url)}">download your data</a></p>
<p>The link works until ${escapeHtml(until)} UTC; then the copy is deleted. Anyone with the link can open it: do not forward this mail.</p>
`,
  };
}

function nothingHeldMail(to: string): OutgoingMail {
  const text =
    'You asked Privacy Relay for everything we hold about this email address. We hold nothing about it: no request was made with it.';
  return {
    to,
    subject: 'Your copy of your data: we hold nothing about this address',
    text: ['Hello,', '', text].join('\n'),
    html: `<p>Hello,</p>\n<p>${escapeHtml(text)}</p>\n`,
  };
}
