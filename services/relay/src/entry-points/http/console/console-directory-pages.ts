import { escapeHtml } from '@privacy-relay/shared/html';
import type { CaseSummary, DirectoryImportJob, TenantRecord } from '../../../application/ports';
import { mayAct } from '../../../domain/console';
import { CONSOLE_PREFIX, consolePage, csrfField, date, stateLabel, type Notice, type Viewer } from './console-pages';

const e = escapeHtml;
const path = (rest: string) => `${CONSOLE_PREFIX}${rest}`;

/** The directory's search: a form (GET), its results, and the way to the import. */
export function directoryPage(
  viewer: Viewer,
  input: { query: string; results: readonly TenantRecord[]; more: boolean; scanned: number },
  notice?: Notice,
): string {
  const form = `<form method="get" action="${path('/directory')}" role="search">
<div class="field"><label for="q">Search tenants <span class="hint">A name or part of it, an alias, a domain (or an address at it), or a tenant id</span></label>
<input type="text" id="q" name="q" maxlength="200" value="${e(input.query)}" autocapitalize="none" spellcheck="false"></div>
<div class="actions"><button type="submit">Search</button></div>
</form>`;
  let results = '';
  if (input.query !== '') {
    results = input.results.length
      ? `<h2>Tenants matching “${e(input.query)}”</h2>
<ul id="results">${input.results
          .map(
            (t) =>
              `<li><a href="${path(`/directory/tenants/${encodeURIComponent(t.tenantId)}`)}">${e(t.legalName)}</a> <span class="muted">(${e(t.tenantId)})</span>${
                t.domains.length ? ` — ${t.domains.map(e).join(', ')}` : ''
              }</li>`,
          )
          .join('\n')}</ul>${
          input.more
            ? `<p>More tenants match: the first ${input.results.length} are shown. Say more to narrow it.</p>`
            : ''
        }`
      : `<h2>Tenants matching “${e(input.query)}”</h2>\n<p id="results">No tenant matches (of ${input.scanned} in the directory).</p>`;
  }
  const importLink = `<p><a href="${path('/directory/import')}">Import a directory file</a>${
    mayAct(viewer.role) ? '' : ' (your role can see the imports; importing needs the operator role)'
  }</p>`;
  return consolePage('Tenant directory', viewer, `${form}\n${results}\n${importLink}`, notice);
}

/** One tenant: what the directory holds, its contacts, its cases. */
export function tenantPage(
  viewer: Viewer,
  tenant: TenantRecord,
  cases: readonly CaseSummary[],
  caseLimit: number,
): string {
  const overrides = tenant.escalation
    ? Object.entries(tenant.escalation)
        .map(([key, value]) => `${e(key)} ${e(String(value))}`)
        .join(', ')
    : 'the relay’s default';
  const facts = `<dl>
<dt>Tenant id</dt><dd>${e(tenant.tenantId)}</dd>
<dt>Aliases</dt><dd>${tenant.aliases.length ? tenant.aliases.map(e).join(', ') : 'none'}</dd>
<dt>Domains</dt><dd>${tenant.domains.length ? tenant.domains.map(e).join(', ') : 'none'}</dd>
<dt>Regime and jurisdiction</dt><dd>${e(tenant.regime)}${tenant.jurisdiction ? `, ${e(tenant.jurisdiction)}` : ' (the regime’s default jurisdiction)'}</dd>
<dt>Escalation ladder</dt><dd>${overrides}</dd>
</dl>`;
  const contacts = tenant.contacts.length
    ? `<ol id="contacts">${tenant.contacts
        .map((c) => `<li>${e(c.email)} (${e(c.role)})${c.name ? ` — ${e(c.name)}` : ''}</li>`)
        .join('\n')}</ol>`
    : '<p id="contacts"><strong>No contact</strong>: a case for this tenant goes nowhere until one is added.</p>';
  const caseList = cases.length
    ? `<ul id="cases">${cases
        .map(
          (c) =>
            `<li><a href="${path(`/cases/${c.caseId}`)}">${e(stateLabel(c.state))}</a>, answer due by <strong>${e(c.deadline)}</strong> <span class="muted">(received ${e(c.receivedOn)}; case ${e(c.caseId)})</span></li>`,
        )
        .join(
          '\n',
        )}</ul>${cases.length >= caseLimit ? `<p>The first ${caseLimit} cases, earliest deadline first.</p>` : ''}`
    : '<p id="cases">No case.</p>';
  return consolePage(
    tenant.legalName,
    viewer,
    `<p><a href="${path('/directory')}">Back to the directory</a></p>
${facts}
<h2>Contacts</h2>
${contacts}
<h2>Cases</h2>
${caseList}`,
  );
}

function jobLine(job: DirectoryImportJob): string {
  return `<li><a href="${path(`/directory/imports/${job.jobId}`)}">${e(date(job.startedAt.toISOString()))}</a> by ${e(job.by)} — ${e(job.state)}, ${job.done} of ${job.total} rows${
    job.errorCount ? `, ${job.errorCount} bad row${job.errorCount === 1 ? '' : 's'}` : ''
  }</li>`;
}

/** The upload form (operators) and the latest imports. */
export function importPage(
  viewer: Viewer,
  input: { maxBytes: number; recent: readonly DirectoryImportJob[] },
  notice?: Notice,
): string {
  const form = mayAct(viewer.role)
    ? `<p>A directory file as the <code>relay directory import</code> command takes it: JSON Lines (one tenant per line) or CSV with a header. Every row is checked first; if any is bad, nothing is imported and each bad row is listed with its line. Importing a file again is harmless: each row carries its version (<code>changedAt</code>).</p>
<form method="post" action="${path('/directory/import')}" enctype="multipart/form-data">
${csrfField(viewer)}
<div class="field"><label for="format">Format</label><select id="format" name="format"><option value="jsonl">JSON Lines</option><option value="csv">CSV</option></select></div>
<div class="field"><label for="asOf">Version of rows without their own changedAt <span class="hint">Optional; an ISO 8601 time with a zone, e.g. 2026-03-01T08:00:00Z</span></label>
<input type="text" id="asOf" name="asOf" maxlength="40" autocapitalize="none" spellcheck="false"></div>
<div class="field"><label for="file">The file <span class="hint">At most ${Math.round(input.maxBytes / 1024 / 1024)} MiB</span></label>
<input type="file" id="file" name="file" required accept=".jsonl,.json,.csv,.txt,text/csv,application/json"></div>
<div class="actions"><button type="submit">Import</button></div>
</form>`
    : '<p>Your role (viewer) can see the imports; importing needs the operator role.</p>';
  const recent = input.recent.length
    ? `<ul id="imports">${input.recent.map(jobLine).join('\n')}</ul>`
    : '<p id="imports">No import yet.</p>';
  return consolePage('Import a directory file', viewer, `${form}\n<h2>Latest imports</h2>\n${recent}`, notice);
}

/** One import's progress; while it runs, the response asks the browser to load it again (a Refresh header). */
export function importJobPage(viewer: Viewer, job: DirectoryImportJob, stalled: boolean, notice?: Notice): string {
  const status: Record<DirectoryImportJob['state'], string> = {
    importing: stalled
      ? 'no progress for a while (the relay instance running it may have stopped). Upload the file again: rows already imported are not changed twice.'
      : 'this page reloads itself every few seconds; or reload it.',
    done: 'every row is published; each relay instance stores and indexes them within moments.',
    refused: 'the file has bad rows (below). Nothing was imported. Correct them and upload the file again.',
    failed:
      'Kafka did not take every row (it stopped part way). Upload the file again: rows already imported are not changed twice.',
  };
  const progress = `<p id="progress"><label for="rows">Rows published</label> <progress id="rows" max="${Math.max(job.total, 1)}" value="${job.done}">${job.done} of ${job.total}</progress> <strong>${job.done} of ${job.total}</strong></p>`;
  const errors = job.errorCount
    ? `<h2>Bad rows (${job.errorCount})</h2>
<table id="errors"><caption class="muted">${
        job.errorCount > job.errors.length ? `The first ${job.errors.length}` : 'Each bad row'
      } with its line</caption><thead><tr><th scope="col" class="num">Line</th><th scope="col">What is wrong</th></tr></thead><tbody>
${job.errors.map((r) => `<tr><td class="num">${r.line}</td><td>${e(r.message)}</td></tr>`).join('\n')}
</tbody></table>`
    : '';
  return consolePage(
    'Directory import',
    viewer,
    `<p id="import-state"><strong>${e(job.state === 'importing' && stalled ? 'stalled' : job.state)}</strong>: ${e(status[job.state])}</p>
${job.state === 'refused' ? '' : progress}
<dl><dt>Started</dt><dd>${e(date(job.startedAt.toISOString()))} by ${e(job.by)} (${e(job.format)})</dd><dt>Last progress</dt><dd>${e(date(job.updatedAt.toISOString()))}</dd></dl>
${errors}
<p><a href="${path('/directory/import')}">Imports</a> · <a href="${path('/directory')}">The directory</a></p>`,
    notice,
  );
}
