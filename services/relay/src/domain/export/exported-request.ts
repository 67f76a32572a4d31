import type { ExportedCase, ExportedRelayRequest } from '@privacy-relay/shared/events';
import type { ForwardingCase } from '../case';
import type { RelayRequest } from '../relay-request';

/** The part of a matching decision the requester is shown: what, when, by whom (never the candidates). */
export interface DecisionSummary {
  decision: string;
  decidedAt: Date;
  decidedBy: string;
}

/**
 * A request as the requester's export shows it: everything the relay stored from it, its matching
 * decision and its cases. Left out, on purpose: the customer's contacts' addresses and operators'
 * ids (other people's data), the candidates the matcher weighed (other customers), the raw SNS
 * notifications (the contacts' mail systems), the audit chain's hashes (evidence, not data about
 * the requester).
 */
export function exportedRequestOf(
  request: RelayRequest,
  decision: DecisionSummary | undefined,
  cases: readonly ForwardingCase[],
): ExportedRelayRequest {
  return withoutUndefined({
    requestId: request.requestId,
    reference: request.reference,
    channel: request.channel,
    receivedAt: request.receivedAt.toISOString(),
    status: request.status,
    verifiedAt: request.verifiedAt?.toISOString(),
    requester: { name: request.requester.name, email: request.requester.email },
    rights: [...request.rights],
    otherRightText: request.otherRightText,
    company: request.company
      ? withoutUndefined({ name: request.company.name, email: request.company.email })
      : undefined,
    text: request.text,
    regimeHint: request.regimeHint,
    decision: decision
      ? { decision: decision.decision, decidedAt: decision.decidedAt.toISOString(), decidedBy: decision.decidedBy }
      : undefined,
    cases: cases.map(exportedCaseOf),
  });
}

export function exportedCaseOf(forwardingCase: ForwardingCase): ExportedCase {
  return withoutUndefined({
    caseId: forwardingCase.caseId,
    tenantId: forwardingCase.tenantId,
    tenantName: forwardingCase.tenantName,
    state: forwardingCase.state,
    regime: forwardingCase.regime,
    jurisdiction: forwardingCase.jurisdiction,
    receivedOn: forwardingCase.receivedOn,
    deadline: forwardingCase.deadline,
    extendedDeadline: forwardingCase.extendedDeadline,
    messages: forwardingCase.messages.map((message) =>
      withoutUndefined({ sentAt: message.sentAt, delivery: message.delivery, deliveryAt: message.deliveryAt }),
    ),
    audit: forwardingCase.audit.map((line) => ({ at: line.at, what: line.what, by: line.by.kind })),
  });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
