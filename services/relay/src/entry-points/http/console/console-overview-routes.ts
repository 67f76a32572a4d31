import type { FastifyInstance } from 'fastify';
import type { CaseListing, Clock } from '../../../application/ports';
import {
  OPEN_STATES,
  daysLeftOf,
  forwardsPerDay,
  isEscalated,
  isOverdue,
  openCasesByDaysLeft,
  type CaseFacts,
} from '../../../domain/console';
import type { CaseState } from '../../../domain/case';
import { attentionListPage, dashboardPage } from './console-dashboard-pages';
import { CASE_STATES } from './console-pages';

function countPerState(cases: readonly CaseFacts[]): Record<CaseState, number> {
  const counts = Object.fromEntries(CASE_STATES.map((state) => [state, 0])) as Record<CaseState, number>;
  for (const c of cases) counts[c.state]++;
  return counts;
}
import type { ConsoleRouteKit } from './console-route-kit';

/**
 * Cases read by the dashboard and the escalated and overdue lists: one bounded scan each (FerretDB
 * v1 indexes only `_id`; docs/console.md, "Query cost"). Past it the page says it counts the first
 * ones only.
 */
export const CONSOLE_SCAN_LIMIT = 10_000;
/** The forwards chart's days (today included). */
export const FORWARD_DAYS = 14;

/** The dashboard, the escalated cases and the overdue cases: read-only pages, every role. */
export function registerOverviewRoutes(
  app: FastifyInstance,
  deps: { caseListing: CaseListing; clock: Clock },
  kit: ConsoleRouteKit,
): void {
  app.get('/dashboard', async (request, reply) => {
    const now = deps.clock.now();
    const facts = await deps.caseListing.scanFacts(CONSOLE_SCAN_LIMIT);
    // Counted from the scan; past its bound, counted by the store (one more scan per state).
    const counts = facts.partial ? await deps.caseListing.countByState() : countPerState(facts.cases);
    return kit.html(
      reply,
      200,
      dashboardPage(kit.viewerOf(request), {
        counts,
        daysLeft: openCasesByDaysLeft(facts.cases, now),
        forwards: forwardsPerDay(facts.cases, now, FORWARD_DAYS),
        escalated: facts.cases.filter(isEscalated).length,
        overdue: facts.cases.filter((c) => isOverdue(c, now)).length,
        partial: facts.partial,
        scanLimit: CONSOLE_SCAN_LIMIT,
      }),
    );
  });

  app.get('/cases/escalated', async (request, reply) => {
    const now = deps.clock.now();
    const facts = await deps.caseListing.scanFacts(CONSOLE_SCAN_LIMIT, ['forwarded']);
    const cases = facts.cases
      .filter(isEscalated)
      .map((c) => ({ ...c, daysLeft: daysLeftOf(c, now) }))
      .sort((a, b) => a.deadline.localeCompare(b.deadline) || a.caseId.localeCompare(b.caseId));
    return kit.html(
      reply,
      200,
      attentionListPage(kit.viewerOf(request), {
        kind: 'escalated',
        cases,
        partial: facts.partial,
        scanLimit: CONSOLE_SCAN_LIMIT,
      }),
    );
  });

  app.get('/cases/overdue', async (request, reply) => {
    const now = deps.clock.now();
    // The open states only: closed cases, the most of them in time, are not read.
    const facts = await deps.caseListing.scanFacts(CONSOLE_SCAN_LIMIT, OPEN_STATES);
    const cases = facts.cases
      .filter((c) => isOverdue(c, now))
      .map((c) => ({ ...c, daysLeft: daysLeftOf(c, now) }))
      .sort((a, b) => a.daysLeft - b.daysLeft || a.caseId.localeCompare(b.caseId));
    return kit.html(
      reply,
      200,
      attentionListPage(kit.viewerOf(request), {
        kind: 'overdue',
        cases,
        partial: facts.partial,
        scanLimit: CONSOLE_SCAN_LIMIT,
      }),
    );
  });
}
