import { escapeHtml } from '@privacy-relay/shared/html';
import type { CaseState } from '../../../domain/case';
import {
  DAYS_LEFT_BUCKETS,
  FORWARD_OUTCOMES,
  type CaseFacts,
  type DaysLeftBucket,
  type ForwardOutcome,
  type ForwardsOnDay,
} from '../../../domain/console';
import { CASE_STATES, CONSOLE_PREFIX, consolePage, date, stateLabel, type Viewer } from './console-pages';

const e = escapeHtml;
const path = (rest: string) => `${CONSOLE_PREFIX}${rest}`;

/** What the dashboard shows; the route computes it from the read model. */
export interface DashboardView {
  counts: Record<CaseState, number>;
  daysLeft: Record<DaysLeftBucket, number>;
  forwards: readonly ForwardsOnDay[];
  escalated: number;
  overdue: number;
  /** Some state held more cases than the pages read: the chart and the lists count the first ones only. */
  partial: boolean;
  scanLimit: number;
}

const OUTCOME_COLOURS: Record<ForwardOutcome, string> = {
  delivered: '#166534',
  bounced: '#b42318',
  complained: '#9a3412',
  rejected: '#6b21a8',
  pending: '#6b7280',
};

const BUCKET_COLOUR: Record<DaysLeftBucket, string> = {
  overdue: '#b42318',
  '0-3': '#9a3412',
  '4-7': '#1d4ed8',
  '8-14': '#1d4ed8',
  '15-30': '#1d4ed8',
  'over-30': '#1d4ed8',
};

function partialNote(view: Pick<DashboardView, 'partial' | 'scanLimit'>): string {
  return view.partial
    ? `<p class="notice">There are more than ${view.scanLimit} cases: the charts and lists below count the first ${view.scanLimit} read only (the counts per state are exact).</p>\n`
    : '';
}

/** Horizontal bars, one per bucket; the table after it holds the same numbers as text. */
function daysLeftChart(daysLeft: Record<DaysLeftBucket, number>): string {
  const max = Math.max(1, ...Object.values(daysLeft));
  const rowHeight = 34;
  const labelWidth = 170;
  const barSpace = 400;
  const rows = DAYS_LEFT_BUCKETS.map((bucket, i) => {
    const count = daysLeft[bucket.key];
    const width = Math.round((count / max) * barSpace);
    const y = i * rowHeight;
    return `<text x="0" y="${y + 22}" font-size="15" fill="#1b1f24">${e(bucket.label)}</text><rect x="${labelWidth}" y="${y + 6}" width="${width}" height="22" fill="${BUCKET_COLOUR[bucket.key]}"></rect><text x="${labelWidth + width + 8}" y="${y + 22}" font-size="15" fill="#1b1f24">${count}</text>`;
  }).join('');
  const summary = DAYS_LEFT_BUCKETS.map((b) => `${b.label}: ${daysLeft[b.key]}`).join(', ');
  const height = DAYS_LEFT_BUCKETS.length * rowHeight;
  return `<svg class="chart" viewBox="0 0 640 ${height}" role="img" aria-labelledby="days-left-title"><title id="days-left-title">Open cases by days left to the deadline. ${e(summary)}</title>${rows}</svg>
<table id="days-left-table"><caption class="muted">The same numbers</caption><thead><tr><th scope="col">Days left</th><th scope="col" class="num">Open cases</th></tr></thead><tbody>
${DAYS_LEFT_BUCKETS.map(
  (b) =>
    `<tr><th scope="row">${b.key === 'overdue' ? `<a href="${path('/cases/overdue')}">${e(b.label)}</a>` : e(b.label)}</th><td class="num">${daysLeft[b.key]}</td></tr>`,
).join('\n')}
</tbody></table>`;
}

/** One stacked column per day, by outcome; a legend; the table after it holds the same numbers. */
function forwardsChart(forwards: readonly ForwardsOnDay[]): string {
  const max = Math.max(1, ...forwards.map((d) => d.total));
  const columnWidth = 40;
  const plotHeight = 180;
  const top = 40;
  const columns = forwards
    .map((day, i) => {
      let y = top + plotHeight;
      const x = 10 + i * columnWidth;
      const stacks = FORWARD_OUTCOMES.map((outcome) => {
        const h = Math.round((day.counts[outcome] / max) * plotHeight);
        y -= h;
        return h > 0
          ? `<rect x="${x}" y="${y}" width="${columnWidth - 8}" height="${h}" fill="${OUTCOME_COLOURS[outcome]}"></rect>`
          : '';
      }).join('');
      const label = `<text x="${x}" y="${top + plotHeight + 18}" font-size="12" fill="#1b1f24">${e(day.day.slice(8, 10))}</text>`;
      const total =
        day.total > 0 ? `<text x="${x}" y="${y - 4}" font-size="12" fill="#1b1f24">${day.total}</text>` : '';
      return `${stacks}${label}${total}`;
    })
    .join('');
  const legend = FORWARD_OUTCOMES.map(
    (outcome, i) =>
      `<rect x="${10 + i * 120}" y="6" width="14" height="14" fill="${OUTCOME_COLOURS[outcome]}"></rect><text x="${30 + i * 120}" y="18" font-size="13" fill="#1b1f24">${outcome}</text>`,
  ).join('');
  const width = Math.max(620, 20 + forwards.length * columnWidth);
  const totals = FORWARD_OUTCOMES.map(
    (outcome) => `${outcome} ${forwards.reduce((sum, d) => sum + d.counts[outcome], 0)}`,
  ).join(', ');
  const first = forwards[0]?.day ?? '';
  const last = forwards.at(-1)?.day ?? '';
  return `<svg class="chart" viewBox="0 0 ${width} ${top + plotHeight + 26}" role="img" aria-labelledby="forwards-title"><title id="forwards-title">Forwards per day from ${e(first)} to ${e(last)} by delivery outcome: ${e(totals)}. The table below gives each day.</title>${legend}${columns}</svg>
<table id="forwards-table"><caption class="muted">Forwards per day (UTC) by outcome</caption><thead><tr><th scope="col">Day</th><th scope="col" class="num">Forwards</th><th scope="col">By outcome</th></tr></thead><tbody>
${forwards
  .map(
    (d) =>
      `<tr><th scope="row">${e(d.day)}</th><td class="num">${d.total}</td><td>${
        FORWARD_OUTCOMES.filter((o) => d.counts[o] > 0)
          .map((o) => `${d.counts[o]} ${o}`)
          .join(', ') || '—'
      }</td></tr>`,
  )
  .join('\n')}
</tbody></table>`;
}

export function dashboardPage(viewer: Viewer, view: DashboardView): string {
  const total = CASE_STATES.reduce((sum, state) => sum + view.counts[state], 0);
  const counts = `<table id="state-counts"><thead><tr><th scope="col">State</th><th scope="col" class="num">Cases</th></tr></thead><tbody>
${CASE_STATES.map(
  (state) =>
    `<tr><th scope="row"><a href="${path(`/cases?state=${state}`)}">${e(stateLabel(state))}</a></th><td class="num">${view.counts[state]}</td></tr>`,
).join('\n')}
<tr><th scope="row">all</th><td class="num">${total}</td></tr>
</tbody></table>`;
  const attention = `<ul>
<li><a href="${path('/cases/escalated')}">Escalated, not acknowledged</a>: <strong id="escalated-count">${view.escalated}</strong></li>
<li><a href="${path('/cases/overdue')}">Overdue (open past the deadline)</a>: <strong id="overdue-count">${view.overdue}</strong></li>
</ul>`;
  return consolePage(
    'Dashboard',
    viewer,
    `${partialNote(view)}<h2>Needs attention</h2>
${attention}
<h2>Cases per state</h2>
${counts}
<h2>Open cases by days left to the deadline</h2>
<p class="muted">Open: matched, forwarded or acknowledged. Days counted from today in each case's jurisdiction.</p>
${daysLeftChart(view.daysLeft)}
<h2>Forwards per day, last ${view.forwards.length} days</h2>
<p class="muted">Each mail forwarding a case (the relay's own and operators' re-sends), on the day SES took it, by its delivery state now: pending is sent or delayed without a final answer from SES yet; rejected includes rendering failures.</p>
${forwardsChart(view.forwards)}`,
  );
}

/** The escalated or the overdue list: each case a link, with why it is on the list. */
export function attentionListPage(
  viewer: Viewer,
  input: {
    kind: 'escalated' | 'overdue';
    cases: readonly (CaseFacts & { daysLeft: number })[];
    partial: boolean;
    scanLimit: number;
  },
): string {
  const title = input.kind === 'escalated' ? 'Escalated cases' : 'Overdue cases';
  const intro =
    input.kind === 'escalated'
      ? '<p>Forwarded cases on which a step of the escalation ladder fired and that nobody has acknowledged since, earliest deadline first.</p>'
      : '<p>Open cases (matched, forwarded or acknowledged) whose deadline has passed, longest overdue first.</p>';
  const items = input.cases.map((c) => {
    const last = c.escalations.at(-1);
    const why =
      input.kind === 'escalated' && last
        ? `last step <strong>${e(last.step)}</strong> on ${e(date(last.at))} (${c.escalations.length} step${c.escalations.length === 1 ? '' : 's'})`
        : `overdue by <strong>${-c.daysLeft} day${c.daysLeft === -1 ? '' : 's'}</strong>`;
    return `<li><a href="${path(`/cases/${c.caseId}`)}">${e(c.tenantName ?? c.tenantId)}</a> — ${e(stateLabel(c.state))}, deadline <strong>${e(c.deadline)}</strong>; ${why} <span class="muted">(case ${e(c.caseId)})</span></li>`;
  });
  const list = items.length
    ? `<p>${items.length} case${items.length === 1 ? '' : 's'}.</p>\n<ul id="case-list">${items.join('\n')}</ul>`
    : `<p><strong>None.</strong></p>`;
  return consolePage(title, viewer, `${partialNote(input)}${intro}\n${list}`);
}
