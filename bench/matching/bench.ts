/**
 * Matching benchmark: the relay's TenantIndex/TenantMatcher against Fuse.js on the same
 * synthetic directory and queries, in the same run. Prints a table.
 *
 *   npm run bench:matching                 # 100,000 and 1,000,000 tenants
 *   npm run bench:matching -- 100000       # one size
 *
 * Fuse.js scans every name per query, so it is timed on a sample of the queries (FUSE_QUERIES,
 * default 200 at 100k and 20 at 1M); the relay's matcher runs every query.
 */
import Fuse from 'fuse.js';
import {
  DEFAULT_TUNING,
  hashCounterpartyEmail,
  indexDirectoryEntry,
  TenantIndex,
  TenantMatcher,
} from '@privacy-relay/relay/domain/matching/index';
import { buildDataset, type LabelledRequest } from './dataset.ts';

const KEY = 'benchmark-only-hmac-key';
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const settle = () => {
  gc?.();
  gc?.();
  return process.memoryUsage();
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface Row {
  engine: string;
  tenants: number;
  build: string;
  memory: string;
  p50: string;
  p99: string;
  queries: number;
  top1: string;
  autoForward: string;
  wrong: string;
}

const ms = (x: number) => `${x.toFixed(3)} ms`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function runSize(tenantCount: number, queryCount: number, fuseQueries: number): Row[] {
  const { tenants, requests } = buildDataset(tenantCount, queryCount);
  const named = requests.filter((r) => r.companyName);
  const base = settle();

  // --- the relay's matcher ---
  const t0 = performance.now();
  const index = new TenantIndex();
  for (const t of tenants) {
    indexDirectoryEntry(index, t, KEY);
  }
  const buildMs = performance.now() - t0;
  const afterIndex = settle();
  const matcher = new TenantMatcher(index, DEFAULT_TUNING);
  const hashes = requests.map((r) => hashCounterpartyEmail(KEY, r.requesterEmail));
  // Warm-up, then one timed pass over every query.
  for (let i = 0; i < Math.min(500, requests.length); i++) {
    const r = requests[i] as LabelledRequest;
    matcher.match({ companyName: r.companyName, companyEmail: r.companyEmail, text: r.text, requesterHash: hashes[i] });
  }
  const times: number[] = [];
  let top1 = 0;
  let answerable = 0;
  let forwards = 0;
  let forwardsAnswerable = 0;
  let wrong = 0;
  requests.forEach((r, i) => {
    const start = performance.now();
    const d = matcher.match({
      companyName: r.companyName,
      companyEmail: r.companyEmail,
      text: r.text,
      requesterHash: hashes[i],
    });
    times.push(performance.now() - start);
    if (r.expected.length > 0) {
      answerable++;
      if (d.candidates[0] && r.expected.includes(d.candidates[0].tenantId)) top1++;
    }
    if (d.decision === 'forward') {
      forwards++;
      if (r.expected.length > 0) forwardsAnswerable++;
      if (d.tenants.some((t) => !r.expected.includes(t.tenantId))) wrong++;
    }
  });
  times.sort((a, b) => a - b);
  const rows: Row[] = [
    {
      engine: 'relay TenantMatcher',
      tenants: tenants.length,
      build: `${(buildMs / 1000).toFixed(1)} s`,
      memory: `${mb(afterIndex.rss)} RSS (index +${mb(afterIndex.heapUsed - base.heapUsed)} heap)`,
      p50: ms(percentile(times, 50)),
      p99: ms(percentile(times, 99)),
      queries: requests.length,
      top1: pct(top1 / answerable),
      autoForward: pct(forwardsAnswerable / answerable),
      wrong: `${pct(wrong / Math.max(1, forwards))} (${wrong}/${forwards})`,
    },
  ];

  // --- Fuse.js on the same names ---
  const docs = tenants.map((t) => ({ id: t.id, legalName: t.legalName, aliases: t.aliases ?? [] }));
  const beforeFuse = settle();
  const f0 = performance.now();
  const fuse = new Fuse(docs, {
    keys: ['legalName', 'aliases'],
    includeScore: true,
    threshold: 0.4,
    ignoreLocation: true,
  });
  const fuseBuild = performance.now() - f0;
  const afterFuse = settle();
  const sample = named
    .filter((_, i) => i % Math.max(1, Math.floor(named.length / fuseQueries)) === 0)
    .slice(0, fuseQueries);
  const fuseTimes: number[] = [];
  let fuseTop1 = 0;
  let fuseAnswerable = 0;
  let fuseForwards = 0;
  let fuseForwardsAnswerable = 0;
  let fuseWrong = 0;
  for (const r of sample) {
    const start = performance.now();
    const results = fuse.search(r.companyName as string, { limit: 2 });
    fuseTimes.push(performance.now() - start);
    const best = results[0];
    // Fuse's own notion of confidence: a near-exact score, clearly ahead of the runner-up.
    const confident =
      best !== undefined && (best.score ?? 1) <= 0.05 && (results[1]?.score ?? 1) - (best.score ?? 1) >= 0.1;
    if (r.expected.length > 0) {
      fuseAnswerable++;
      if (best && r.expected.includes(best.item.id)) fuseTop1++;
    }
    if (confident && best) {
      fuseForwards++;
      if (r.expected.length > 0) fuseForwardsAnswerable++;
      if (!r.expected.includes(best.item.id)) fuseWrong++;
    }
  }
  fuseTimes.sort((a, b) => a - b);
  // The relay's matcher on the very same name-only sample, for a like-for-like accuracy figure.
  let sameTop1 = 0;
  for (const r of sample) {
    const d = matcher.match({ companyName: r.companyName });
    if (r.expected.length > 0 && d.candidates[0] && r.expected.includes(d.candidates[0].tenantId)) sameTop1++;
  }
  rows.push({
    engine: 'Fuse.js 7 (names only)',
    tenants: tenants.length,
    build: `${(fuseBuild / 1000).toFixed(1)} s`,
    memory: `${mb(afterFuse.rss)} RSS (index +${mb(afterFuse.heapUsed - beforeFuse.heapUsed)} heap)`,
    p50: ms(percentile(fuseTimes, 50)),
    p99: ms(percentile(fuseTimes, 99)),
    queries: sample.length,
    top1: `${pct(fuseTop1 / Math.max(1, fuseAnswerable))} (relay on same: ${pct(sameTop1 / Math.max(1, fuseAnswerable))})`,
    autoForward: pct(fuseForwardsAnswerable / Math.max(1, fuseAnswerable)),
    wrong: `${pct(fuseWrong / Math.max(1, fuseForwards))} (${fuseWrong}/${fuseForwards})`,
  });
  return rows;
}

function main(): void {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0);
  const all: Row[] = [];
  for (const size of sizes.length > 0 ? sizes : [100_000, 1_000_000]) {
    const fuseQueries = Number(process.env.FUSE_QUERIES ?? (size >= 1_000_000 ? 20 : 200));
    console.error(`building ${size} tenants…`);
    all.push(...runSize(size, Number(process.env.BENCH_QUERIES ?? 10_000), fuseQueries));
  }
  const header: (keyof Row)[] = [
    'engine',
    'tenants',
    'build',
    'memory',
    'p50',
    'p99',
    'queries',
    'top1',
    'autoForward',
    'wrong',
  ];
  const table = [header.map(String), ...all.map((r) => header.map((h) => String(r[h])))];
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] as string).length)));
  console.log(`Matching benchmark (Node ${process.version}, ${gc ? 'with' : 'without'} --expose-gc)\n`);
  for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i] as number)).join('  '));
  console.log(
    '\nMemory: process RSS after the build (includes the generated dataset) and the heap the index added. ' +
      'p50/p99 per match; Fuse.js is timed on a sample of name queries. Targets at 1M: p99 ≤ 5 ms, build ≤ 30 s, RSS ≤ 1.5 GB.',
  );
}

main();
