import type { RequestReceivedV1Payload } from '@privacy-relay/shared/events';

/** Where a request stands in the relay. */
export type RelayRequestStatus = 'awaiting-verification' | 'verified';

/** The relay's own record of a request: what intake accepted, and where it stands. */
export interface RelayRequest {
  requestId: string;
  reference: string;
  channel: RequestReceivedV1Payload['channel'];
  receivedAt: Date;
  requester: { name: string; email: string };
  rights: RequestReceivedV1Payload['rights'];
  otherRightText?: string | undefined;
  company?: { name?: string | undefined; email?: string | undefined } | undefined;
  text: string;
  regimeHint?: RequestReceivedV1Payload['regimeHint'];
  status: RelayRequestStatus;
  verifiedAt?: Date | undefined;
  /** The event that created this record: proof of where it came from. */
  sourceEventId: string;
}

export function relayRequestFromReceived(payload: RequestReceivedV1Payload, eventId: string): RelayRequest {
  const verified = payload.verification.status === 'verified';
  return {
    requestId: payload.requestId,
    reference: payload.reference,
    channel: payload.channel,
    receivedAt: new Date(payload.receivedAt),
    requester: { ...payload.requester },
    rights: [...payload.rights],
    otherRightText: payload.otherRightText,
    company: payload.company ? { ...payload.company } : undefined,
    text: payload.text,
    regimeHint: payload.regimeHint,
    status: verified ? 'verified' : 'awaiting-verification',
    verifiedAt: verified ? new Date(payload.receivedAt) : undefined,
    sourceEventId: eventId,
  };
}
