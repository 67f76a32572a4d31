import { requestReceivedV1 } from './request-received/v1';
import { requestVerifiedV1 } from './request-verified/v1';
import { caseMatchedV1 } from './case-matched/v1';
import { caseTriageV1 } from './case-triage/v1';
import { caseForwardedV1 } from './case-forwarded/v1';
import { mailEventV1 } from './mail-event/v1';
import { caseAcknowledgedV1 } from './case-acknowledged/v1';
import { caseEscalatedV1 } from './case-escalated/v1';
import { caseEscalatedV2 } from './case-escalated/v2';
import { caseClosedV1 } from './case-closed/v1';
import { caseExtendedV1 } from './case-extended/v1';
import { tenantDirectoryChangedV1 } from './tenant-directory-changed/v1';
import { exportRequestedV1 } from './export-requested/v1';
import { exportCollectedV1 } from './export-collected/v1';

/**
 * Every event contract in force, by name. A new version is added beside the old one (`...V2`)
 * and both stay here until no producer writes the old one.
 */
export const EVENTS = {
  requestReceivedV1,
  requestVerifiedV1,
  caseMatchedV1,
  caseTriageV1,
  caseForwardedV1,
  mailEventV1,
  caseAcknowledgedV1,
  caseEscalatedV1,
  caseEscalatedV2,
  caseClosedV1,
  caseExtendedV1,
  tenantDirectoryChangedV1,
  exportRequestedV1,
  exportCollectedV1,
} as const;

export type EventName = keyof typeof EVENTS;
export type AnyEventContract = (typeof EVENTS)[EventName];

export const ALL_EVENT_CONTRACTS: readonly AnyEventContract[] = Object.values(EVENTS);

/** Suffix of every dead-letter twin: `<topic>.dlq`. */
export const DEAD_LETTER_SUFFIX = '.dlq';

/**
 * The topic a contract travels on in one deployment. The prefix separates environments and,
 * in tests, gives each test file topics of its own.
 */
export function topicName(contract: { topic: string }, prefix = ''): string {
  return `${prefix}${contract.topic}`;
}

export function deadLetterTopicName(topic: string): string {
  return `${topic}${DEAD_LETTER_SUFFIX}`;
}

/** Every topic of the catalog with its dead-letter twin, for topic creation. */
export function allTopicNames(prefix = ''): string[] {
  return ALL_EVENT_CONTRACTS.flatMap((contract) => {
    const topic = topicName(contract, prefix);
    return [topic, deadLetterTopicName(topic)];
  });
}
