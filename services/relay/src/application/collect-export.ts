import { EVENTS, type ExportRequestedV1 } from '@privacy-relay/shared/events';
import { hash } from 'node:crypto';
import { exportedRequestOf } from '../domain/export/exported-request';
import type { CaseRepository, Clock, EventPublisher, MatchDecisionRepository, RequesterRequestFinder } from './ports';

export interface CollectExportDeps {
  requests: RequesterRequestFinder;
  cases: Pick<CaseRepository, 'listByRequest'>;
  decisions: Pick<MatchDecisionRepository, 'find'>;
  publisher: EventPublisher;
  clock: Clock;
}

/**
 * Collects what the relay holds about the address of a `privacy.export.requested.v1` — its
 * requests (by equality on the address's keyed hash), their matching decisions and their cases
 * (by request id) — and publishes it as `privacy.export.collected.v1` for intake, which adds its
 * own records and mails the requester. Publishes an empty collection when nothing is held: the
 * requester is told so, by mail, like any other answer. Safe to run again.
 */
export async function collectExport(deps: CollectExportDeps, event: ExportRequestedV1): Promise<{ requests: number }> {
  const { exportId, email, requestedAt } = event.payload;
  const requests = await deps.requests.findByRequester(email);
  const exported = [];
  for (const request of requests) {
    const [decision, cases] = await Promise.all([
      deps.decisions.find(request.requestId),
      deps.cases.listByRequest(request.requestId),
    ]);
    exported.push(
      exportedRequestOf(
        request,
        decision,
        cases.map((stored) => stored.case),
      ),
    );
  }
  const collectedAt = deps.clock.now();
  await deps.publisher.publish(
    EVENTS.exportCollectedV1,
    EVENTS.exportCollectedV1.create(
      { exportId, email, requestedAt, collectedAt: collectedAt.toISOString(), requests: exported },
      {
        id: collectedEventIdOf(exportId),
        correlationId: exportId,
        causationId: event.id,
        occurredAt: collectedAt,
      },
    ),
  );
  return { requests: exported.length };
}

/**
 * The collected event's id, a name-based UUID (version 8, SHA-256) of the export id: a redelivered
 * request (or a second "Confirm") yields recognisably the same event.
 */
export function collectedEventIdOf(exportId: string): string {
  const bytes = hash('sha256', `export-collected:${exportId}`, 'buffer');
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
