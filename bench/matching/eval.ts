/**
 * Evaluation of the matcher on the labelled synthetic set: top-1 accuracy, wrong-auto-forward
 * rate, auto-forward rate and triage rate, overall and per variant.
 *
 *   npm run eval:matching                      # 100,000 tenants, 12,000 requests
 *   npm run eval:matching -- 20000 3000        # smaller
 *   EVAL_SEED=7 npm run eval:matching          # another draw of directory and requests
 */
import {
  canonicalEmail,
  companyDomainOf,
  DEFAULT_TUNING,
  hashCounterpartyEmail,
  indexDirectoryEntry,
  normaliseCompanyName,
  TenantIndex,
  TenantMatcher,
} from '@privacy-relay/relay/domain/matching/index';
import { buildDataset, type LabelledRequest } from './dataset.ts';

const EVAL_KEY = 'evaluation-only-hmac-key';

export interface EvalFigures {
  queries: number;
  answerable: number;
  top1Accuracy: number;
  autoForwardRate: number;
  wrongAutoForwardRate: number;
  wrongAutoForwards: number;
  autoForwards: number;
  triageRate: number;
}

interface Outcome {
  request: LabelledRequest;
  forwarded: string[];
  top?: string;
  why?: string;
  scores?: number[];
  /** Set when the issue's rules require triage for this answerable request (see `triageByRule`). */
  triageByRule?: string | undefined;
}

function figures(outcomes: Outcome[]): EvalFigures {
  const answerable = outcomes.filter((o) => o.request.expected.length > 0);
  const forwards = outcomes.filter((o) => o.forwarded.length > 0);
  const wrong = forwards.filter((o) => o.forwarded.some((t) => !o.request.expected.includes(t)));
  return {
    queries: outcomes.length,
    answerable: answerable.length,
    top1Accuracy:
      answerable.filter((o) => o.top !== undefined && o.request.expected.includes(o.top)).length /
      Math.max(1, answerable.length),
    autoForwardRate: answerable.filter((o) => o.forwarded.length > 0).length / Math.max(1, answerable.length),
    wrongAutoForwardRate: wrong.length / Math.max(1, forwards.length),
    wrongAutoForwards: wrong.length,
    autoForwards: forwards.length,
    triageRate: outcomes.filter((o) => o.forwarded.length === 0).length / Math.max(1, outcomes.length),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/**
 * Why the issue's rules send an answerable request to triage whatever the matcher does, or
 * undefined. Read from the gold data (the directory and the request's variant), not from the
 * matcher: the requester is a counterparty of several tenants and names none; the name lacks a word
 * of the tenant's and nothing else names it; or every piece of evidence fits another tenant just as
 * well (names that differ only in legal form or word order, an address or a counterparty relation
 * they share).
 */
function triageByRule(
  request: LabelledRequest,
  index: TenantIndex,
  tenantsByWords: Map<string, { id: string; punctuation: string }[]>,
  wordsOf: Map<string, { words: string; punctuation: string }>,
  requesterHash: string,
): string | undefined {
  const expected = request.expected[0];
  if (request.expected.length !== 1 || expected === undefined) return undefined;
  if (request.variant === 'counterparty-only-several') return 'counterparty of several tenants, nothing named';
  if (request.variant === 'dropped-word' || request.variant === 'text-dropped-word')
    return 'a word of the name dropped, nothing else names it';
  const tenantsOf = (slots: readonly number[]) => new Set(slots.map((slot) => index.tenantIdOf(slot)));
  let alike: Set<string> | undefined;
  const narrow = (tenants: Set<string>) => {
    alike = alike === undefined ? tenants : new Set([...alike].filter((id) => tenants.has(id)));
  };
  if (request.variant.endsWith('trading-name')) {
    // Trading names are unique in the directory.
    narrow(new Set([expected]));
  } else if (request.companyName || request.variant.startsWith('text-')) {
    const own = wordsOf.get(expected) as { words: string; punctuation: string };
    // A name written with punctuation inside tells it from the same words punctuated otherwise.
    const twins = (tenantsByWords.get(own.words) ?? []).filter(
      (t) => own.punctuation === '' || t.punctuation === own.punctuation,
    );
    narrow(new Set(twins.map((t) => t.id)));
  }
  if (request.companyEmail) {
    const domain = companyDomainOf(canonicalEmail(request.companyEmail));
    const byEmail = new Set([
      ...tenantsOf(index.slotsForContact(request.companyEmail)),
      ...(domain === undefined ? [] : tenantsOf(index.slotsForDomain(domain))),
    ]);
    if (byEmail.size > 0) narrow(byEmail);
  }
  const counterparty = tenantsOf(index.slotsForCounterparty(requesterHash));
  if (counterparty.size > 0) narrow(counterparty);
  const evidenceAlike = alike as Set<string> | undefined;
  return evidenceAlike !== undefined && evidenceAlike.size > 1 && evidenceAlike.has(expected)
    ? 'every piece of evidence fits another tenant as well'
    : undefined;
}

function main(): void {
  const tenantCount = Number(process.argv[2] ?? 100_000);
  const requestCount = Number(process.argv[3] ?? 12_000);
  // Another seed draws another directory and request set: a check that tuning did not fit one draw.
  const seed = process.env.EVAL_SEED ? Number(process.env.EVAL_SEED) : undefined;
  const { tenants, requests } = buildDataset(tenantCount, requestCount, seed);
  const index = new TenantIndex();
  for (const t of tenants) {
    indexDirectoryEntry(index, t, EVAL_KEY);
  }
  const matcher = new TenantMatcher(index, { ...DEFAULT_TUNING, ...JSON.parse(process.env.EVAL_TUNING ?? '{}') });
  const tenantsByWords = new Map<string, { id: string; punctuation: string }[]>();
  const wordsOf = new Map<string, { words: string; punctuation: string }>();
  for (const t of tenants) {
    const n = normaliseCompanyName(t.legalName);
    const own = { words: [...n.tokens].sort().join(' '), punctuation: n.punctuation };
    wordsOf.set(t.id, own);
    const list = tenantsByWords.get(own.words) ?? [];
    list.push({ id: t.id, punctuation: own.punctuation });
    tenantsByWords.set(own.words, list);
  }
  const outcomes: Outcome[] = requests.map((request) => {
    const requesterHash = hashCounterpartyEmail(EVAL_KEY, request.requesterEmail);
    const decision = matcher.match({
      companyName: request.companyName,
      companyEmail: request.companyEmail,
      text: request.text,
      requesterHash,
    });
    return {
      request,
      triageByRule: triageByRule(request, index, tenantsByWords, wordsOf, requesterHash),
      forwarded: decision.decision === 'forward' ? decision.tenants.map((t) => t.tenantId) : [],
      top: decision.candidates[0]?.tenantId,
      why: decision.explanation,
      scores: decision.candidates.slice(0, 3).map((c) => c.score),
    };
  });

  const all = figures(outcomes);
  console.log(
    `Matcher evaluation: ${tenants.length} tenants, ${all.queries} labelled requests (${all.answerable} answerable)\n`,
  );
  const rows = [['variant', 'n', 'top-1', 'auto-fwd', 'wrong fwd', 'triage']];
  const variants = [...new Set(outcomes.map((o) => o.request.variant))].sort();
  for (const v of variants) {
    const f = figures(outcomes.filter((o) => o.request.variant === v));
    rows.push([
      v,
      String(f.queries),
      f.answerable ? pct(f.top1Accuracy) : '—',
      f.answerable ? pct(f.autoForwardRate) : '—',
      `${f.wrongAutoForwards}`,
      pct(f.triageRate),
    ]);
  }
  rows.push([
    'ALL',
    String(all.queries),
    pct(all.top1Accuracy),
    pct(all.autoForwardRate),
    `${all.wrongAutoForwards}`,
    pct(all.triageRate),
  ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows)
    console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  console.log(`
top-1 accuracy (answerable)          ${pct(all.top1Accuracy)}
wrong auto-forwards / auto-forwards  ${pct(all.wrongAutoForwardRate)}  (${all.wrongAutoForwards} of ${all.autoForwards}; target ≤ 0.10%)
auto-forward rate (answerable)       ${pct(all.autoForwardRate)}  (target ≥ 85%)
triage rate (all requests)           ${pct(all.triageRate)}`);
  // The same figure without the answerable requests the rules send to triage whatever the matcher
  // does: reported beside the target, never instead of it.
  const byRule = outcomes.filter((o) => o.triageByRule !== undefined);
  const forwardable = figures(outcomes.filter((o) => o.triageByRule === undefined));
  const ruleCounts = new Map<string, number>();
  for (const o of byRule) ruleCounts.set(o.triageByRule as string, (ruleCounts.get(o.triageByRule as string) ?? 0) + 1);
  console.log(
    `auto-forward rate (answerable the rules let forward)  ${pct(forwardable.autoForwardRate)}  ` +
      `(${forwardable.answerable} of ${all.answerable}; left out: ` +
      `${[...ruleCounts].map(([why, n]) => `${n} ${why}`).join(', ')}; ` +
      `${byRule.filter((o) => o.forwarded.length > 0).length} of them forwarded)`,
  );
  if (process.env.EVAL_SHOW_WRONG) {
    for (const o of outcomes.filter((x) => x.forwarded.some((t) => !x.request.expected.includes(t)))) {
      const names = (ids: string[]) => ids.map((id) => tenants[Number(id.slice(1))]?.legalName).join(' | ');
      console.log(
        JSON.stringify({
          v: o.request.variant,
          q: o.request.companyName,
          e: o.request.companyEmail,
          t: o.request.text,
          expected: names(o.request.expected),
          got: names(o.forwarded),
        }),
      );
    }
  }
  if (process.env.EVAL_SHOW_RULE_FORWARDED) {
    for (const o of outcomes.filter((x) => x.triageByRule !== undefined && x.forwarded.length > 0).slice(0, 20)) {
      const names = (ids: string[]) => ids.map((id) => tenants[Number(id.slice(1))]?.legalName).join(' | ');
      console.log(
        JSON.stringify({
          v: o.request.variant,
          q: o.request.companyName,
          e: o.request.companyEmail,
          t: o.request.text,
          got: names(o.forwarded),
          why: o.triageByRule,
        }),
      );
    }
  }
  if (process.env.EVAL_TRIAGE_WHY) {
    const counts = new Map<string, number>();
    for (const o of outcomes.filter((x) => x.forwarded.length === 0 && x.request.expected.length)) {
      const k = (o.why ?? '').replace(/[0-9.]+/g, '#');
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    console.log([...counts].sort((a, b) => b[1] - a[1]));
  }
  if (process.env.EVAL_SHOW_TRIAGE) {
    const v = process.env.EVAL_SHOW_TRIAGE;
    for (const o of outcomes
      .filter((x) => x.forwarded.length === 0 && x.request.expected.length && x.request.variant === v)
      .slice(0, Number(process.env.EVAL_SHOW_LIMIT ?? 30))) {
      const names = (ids: string[]) => ids.map((id) => tenants[Number(id.slice(1))]?.legalName).join(' | ');
      console.log(
        JSON.stringify({
          q: o.request.companyName,
          e: o.request.companyEmail,
          t: o.request.text,
          expected: names(o.request.expected),
          top: names(o.top ? [o.top] : []),
          why: o.why,
          s: o.scores,
        }),
      );
    }
  }
  const failed = all.wrongAutoForwardRate > 0.001 || all.autoForwardRate < 0.85;
  process.exitCode = failed ? 1 : 0;
}

main();
