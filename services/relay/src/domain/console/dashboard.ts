import type { CaseState, DeliveryState } from '../case';
import { addDays, daysLeft, todayIn, type PlainDate } from '../deadline';

/** States in which the tenant still owes an answer: the deadline runs. */
export const OPEN_STATES: readonly CaseState[] = ['matched', 'forwarded', 'acknowledged'];

/** What the console's dashboard and lists read of one case (a projection: no personal data but the tenant). */
export interface CaseFacts {
  caseId: string;
  state: CaseState;
  requestId: string;
  tenantId: string;
  tenantName?: string;
  jurisdiction: string;
  receivedOn: string;
  deadline: string;
  /** The ladder steps recorded on the case, oldest first. */
  escalations: readonly { step: string; at: string }[];
  /** Each mail forwarding the case (the relay's own and operators' re-sends), with its delivery state. */
  messages: readonly { intentAt: string; sentAt?: string; delivery: DeliveryState }[];
}

/** The days-left buckets of the dashboard's chart, in display order. */
export const DAYS_LEFT_BUCKETS = [
  { key: 'overdue', label: 'Overdue', min: -Infinity, max: -1 },
  { key: '0-3', label: '0–3 days', min: 0, max: 3 },
  { key: '4-7', label: '4–7 days', min: 4, max: 7 },
  { key: '8-14', label: '8–14 days', min: 8, max: 14 },
  { key: '15-30', label: '15–30 days', min: 15, max: 30 },
  { key: 'over-30', label: 'More than 30 days', min: 31, max: Infinity },
] as const;
export type DaysLeftBucket = (typeof DAYS_LEFT_BUCKETS)[number]['key'];

/** The deadline's days left, counted from today in the case's jurisdiction (0 on the deadline's day). */
export function daysLeftOf(c: Pick<CaseFacts, 'deadline' | 'jurisdiction'>, now: Date): number {
  return daysLeft(c.deadline, todayIn(c.jurisdiction, now));
}

export function daysLeftBucket(days: number): DaysLeftBucket {
  return DAYS_LEFT_BUCKETS.find((b) => days >= b.min && days <= b.max)!.key;
}

/** Open cases counted per days-left bucket (every bucket present, zero when empty). */
export function openCasesByDaysLeft(cases: readonly CaseFacts[], now: Date): Record<DaysLeftBucket, number> {
  const counts = Object.fromEntries(DAYS_LEFT_BUCKETS.map((b) => [b.key, 0])) as Record<DaysLeftBucket, number>;
  for (const c of cases) {
    if (OPEN_STATES.includes(c.state)) counts[daysLeftBucket(daysLeftOf(c, now))]++;
  }
  return counts;
}

/** Open and past its deadline (the deadline's day itself is not overdue). */
export function isOverdue(c: CaseFacts, now: Date): boolean {
  return OPEN_STATES.includes(c.state) && daysLeftOf(c, now) < 0;
}

/**
 * A ladder step fired and nobody acknowledged since: the ladder fires only on `forwarded` cases,
 * and acknowledging (or closing) moves the case out of it.
 */
export function isEscalated(c: CaseFacts): boolean {
  return c.state === 'forwarded' && c.escalations.length > 0;
}

/** A forward's outcome as the dashboard counts it. */
export type ForwardOutcome = 'delivered' | 'bounced' | 'complained' | 'rejected' | 'pending';
export const FORWARD_OUTCOMES: readonly ForwardOutcome[] = [
  'delivered',
  'bounced',
  'complained',
  'rejected',
  'pending',
];

export function forwardOutcome(delivery: DeliveryState): ForwardOutcome {
  switch (delivery) {
    case 'delivered':
    case 'bounced':
    case 'complained':
    case 'rejected':
      return delivery;
    case 'rendering-failed':
      return 'rejected';
    case 'sending':
    case 'sent':
    case 'delayed':
      return 'pending';
  }
}

export interface ForwardsOnDay {
  day: PlainDate;
  counts: Record<ForwardOutcome, number>;
  total: number;
}

/**
 * Forwards per UTC day over the last `days` days (today included, oldest first), by outcome. A
 * forward is dated by SES's acceptance, or by its intent when SES never took it.
 */
export function forwardsPerDay(cases: readonly CaseFacts[], now: Date, days: number): ForwardsOnDay[] {
  const today = now.toISOString().slice(0, 10) as PlainDate;
  const first = addDays(today, -(days - 1));
  const result: ForwardsOnDay[] = Array.from({ length: days }, (_, i) => ({
    day: addDays(first, i),
    counts: { delivered: 0, bounced: 0, complained: 0, rejected: 0, pending: 0 },
    total: 0,
  }));
  for (const c of cases) {
    for (const message of c.messages) {
      const index = daysLeft((message.sentAt ?? message.intentAt).slice(0, 10), first);
      const slot = result[index];
      if (index < 0 || !slot) continue;
      slot.counts[forwardOutcome(message.delivery)]++;
      slot.total++;
    }
  }
  return result;
}
