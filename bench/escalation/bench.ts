/**
 * Escalation benchmark: one sweep of the durable case timers with 1,000 timers due among 10,000,
 * 100,000 and 1,000,000 open ones, on the local FerretDB (PostgreSQL backend). Prints a table with
 * the sweep's time and the rows PostgreSQL read for it (pg_stat_user_tables of the timer tables),
 * the ratio from the smallest to the largest, and, as the baseline measured in the same run, the
 * queries a scheduler would make on a `dueBucket` field or a `dueAt` range.
 *
 *   npm run bench:escalation                          # 10k, 100k, 1M open timers
 *   npm run bench:escalation -- 10000 100000          # chosen sizes
 *   npm run bench:escalation -- --keep                # keep the filled databases and reuse them next run
 *
 * MONGODB_URI (default mongodb://127.0.0.1:27017/) is the FerretDB; BENCH_PG_URL (default
 * postgres://postgres@127.0.0.1:55432/ferretdb, the local stack's) the PostgreSQL under it, read
 * with `psql`. BENCH_REPEATS (default 3) sweeps per size, the median is shown.
 */
import { execFileSync } from 'node:child_process';
import mongoose, { type Connection } from 'mongoose';
import {
  MongoCaseTimerStore,
  caseListId,
  dueListId,
  pendingTimerDocument,
} from '@privacy-relay/relay/adapters/mongo/case-timer-store';
import { sweepDueTimers } from '@privacy-relay/relay/application/sweep-due-timers';
import { bucketAfter, dueBucketOf } from '@privacy-relay/relay/domain/timer/index';

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const sizes = args.filter((arg) => /^\d+$/.test(arg)).map(Number);
const SIZES = sizes.length > 0 ? sizes : [10_000, 100_000, 1_000_000];
const DUE = 1_000;
const DUE_MINUTES = 10;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const MONGODB_URI = process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/';
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:55432/ferretdb';
/** PostgreSQL backends flush their table counters when idle, at the latest 10 s after a statement. */
const STATS_SETTLE_MS = 11_000;
const INSERT_BATCH = 1_000;
/** The bench's fixed "now": open timers fall due from an hour to 30 days after it, the due ones in the 10 minutes before. */
const NOW = new Date('2026-11-30T12:00:00Z');
const OPEN_SPREAD_MINUTES = 30 * 24 * 60;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (n: number) => n.toLocaleString('en-GB');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

function psql(sql: string): string[][] {
  const out = execFileSync('psql', [PG_URL, '-X', '-A', '-t', '-F', '\t', '-c', sql], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'));
}

interface TableCounters {
  seqScan: number;
  seqTupRead: number;
  idxScan: number;
  idxTupFetch: number;
}

/** PostgreSQL's counters of the store's two tables (FerretDB: one schema per database, `<collection>_<hash>`). */
function counters(dbName: string): Record<'timers' | 'lists', TableCounters> {
  const rows = psql(
    `select relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), coalesce(idx_tup_fetch, 0)
       from pg_stat_user_tables where schemaname = '${dbName}'`,
  );
  const empty = (): TableCounters => ({ seqScan: 0, seqTupRead: 0, idxScan: 0, idxTupFetch: 0 });
  const result = { timers: empty(), lists: empty() };
  for (const [relname, seqScan, seqTupRead, idxScan, idxTupFetch] of rows) {
    const table = relname?.startsWith('case_timers_')
      ? 'timers'
      : relname?.startsWith('case_timer_lists_')
        ? 'lists'
        : undefined;
    if (!table) continue;
    result[table] = {
      seqScan: Number(seqScan),
      seqTupRead: Number(seqTupRead),
      idxScan: Number(idxScan),
      idxTupFetch: Number(idxTupFetch),
    };
  }
  return result;
}

function rowsRead(before: ReturnType<typeof counters>, after: ReturnType<typeof counters>) {
  const diff = (table: 'timers' | 'lists', key: keyof TableCounters) => after[table][key] - before[table][key];
  return {
    read: (['timers', 'lists'] as const).reduce((sum, t) => sum + diff(t, 'seqTupRead') + diff(t, 'idxTupFetch'), 0),
    seqScans: diff('timers', 'seqScan') + diff('lists', 'seqScan'),
    idxScans: diff('timers', 'idxScan') + diff('lists', 'idxScan'),
  };
}

async function measured<T>(dbName: string, work: () => Promise<T>) {
  await sleep(STATS_SETTLE_MS);
  const before = counters(dbName);
  const started = performance.now();
  const result = await work();
  const ms = performance.now() - started;
  await sleep(STATS_SETTLE_MS);
  return { result, ms, ...rowsRead(before, counters(dbName)) };
}

const dbNameOf = (open: number) => `bench_escalation_${open}`;

/** Fills the database with `open` pending timers (not due), their case lists and due lists, unless --keep left them. */
async function fill(connection: Connection, store: MongoCaseTimerStore, open: number): Promise<string> {
  const meta = connection.collection<{ _id: string; open: number }>('bench_meta');
  const existing = await meta.findOne({ _id: 'fill' });
  if (existing?.open === open) return 'reused';
  await connection.dropDatabase();
  const started = performance.now();
  const dueLists = new Map<string, string[]>();
  for (let start = 0; start < open; start += INSERT_BATCH) {
    const timers = [];
    const caseLists = [];
    for (let i = start; i < Math.min(open, start + INSERT_BATCH); i += 1) {
      const caseId = `open-case-${i}`;
      // Spread over 30 days from an hour after now: about 23 per minute at 1M.
      const dueAt = new Date(
        NOW.getTime() + 3_600_000 + ((i * 7919) % OPEN_SPREAD_MINUTES) * 60_000 + (i % 60) * 1_000,
      );
      const document = pendingTimerDocument(caseId, 'reminder', dueAt, dueBucketOf(dueAt), { stepIndex: 1 }, NOW);
      timers.push(document);
      caseLists.push({ _id: caseListId(caseId), closed: false, timerIds: [document._id] });
      const list = dueLists.get(document.dueBucket) ?? [];
      list.push(document._id);
      dueLists.set(document.dueBucket, list);
    }
    await store.timers.collection.insertMany(timers as never[], { ordered: false });
    await store.lists.collection.insertMany(caseLists as never[], { ordered: false });
    if (start > 0 && start % 100_000 === 0) console.log(`  ${fmt(start)} of ${fmt(open)} inserted`);
  }
  const lists = [...dueLists].map(([bucket, timerIds]) => ({ _id: dueListId(bucket), closed: false, timerIds }));
  for (let start = 0; start < lists.length; start += INSERT_BATCH) {
    await store.lists.collection.insertMany(lists.slice(start, start + INSERT_BATCH) as never[], { ordered: false });
  }
  // The baseline's index, to show that FerretDB does not use it for an equality either.
  await store.timers.collection.createIndex({ dueBucket: 1, state: 1 });
  await meta.insertOne({ _id: 'fill', open });
  return `${((performance.now() - started) / 1000).toFixed(0)} s`;
}

const DUE_FIRST_BUCKET = dueBucketOf(new Date(NOW.getTime() - DUE_MINUTES * 60_000));

/** 1,000 due timers through the store's own `schedule`, in the 10 minutes before now; the cursor just before them. */
async function prepareDue(store: MongoCaseTimerStore, round: number): Promise<number> {
  const started = performance.now();
  const ids = Array.from({ length: DUE }, (_, i) => i);
  for (let start = 0; start < DUE; start += 50) {
    await Promise.all(
      ids
        .slice(start, start + 50)
        .map((i) =>
          store.schedule(
            `due-case-${round}-${i}`,
            'reminder',
            new Date(NOW.getTime() - DUE_MINUTES * 60_000 + (i % DUE_MINUTES) * 60_000 + (i % 50) * 1_000),
            { stepIndex: 1 },
          ),
        ),
    );
  }
  const ms = performance.now() - started;
  await store.lists.updateOne(
    { _id: 'sweep-cursor' },
    { $set: { lastSwept: bucketAfter(DUE_FIRST_BUCKET, -1) } },
    { upsert: true },
  );
  return ms;
}

/** Undoes a round's due timers: the due lists reopen empty, the fired timers and their case lists go. */
async function clearDue(store: MongoCaseTimerStore, round: number): Promise<void> {
  for (let minute = 0; minute < DUE_MINUTES; minute += 1) {
    await store.lists.deleteOne({ _id: dueListId(bucketAfter(DUE_FIRST_BUCKET, minute)) });
  }
  const ids = Array.from({ length: DUE }, (_, i) => `due-case-${round}-${i}`);
  for (let start = 0; start < DUE; start += 50) {
    await Promise.all(
      ids
        .slice(start, start + 50)
        .flatMap((caseId) => [
          store.timers.deleteOne({ _id: `${caseId}:reminder` }),
          store.lists.deleteOne({ _id: caseListId(caseId) }),
        ]),
    );
  }
}

interface PlanNode {
  'Node Type'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** The plan's nodes down to the scan (`Gather → Parallel Seq Scan`), with the index a scan uses. */
function planNode(explained: unknown): string {
  const names: string[] = [];
  let node = (explained as { queryPlanner?: { Plan?: PlanNode } }).queryPlanner?.Plan;
  while (node) {
    const index = node['Index Name'] ? ` (${node['Index Name'].replace(/_[0-9a-f]{8}/g, '')})` : '';
    names.push(`${node['Node Type'] ?? '?'}${index}`);
    node = node.Plans?.[0];
  }
  return names.length > 0 ? names.join(' → ') : 'n/a';
}

interface Result {
  open: number;
  fill: string;
  schedule: number;
  sweep: number[];
  read: number[];
  seqScans: number;
  idxScans: number;
  equality: { ms: number; read: number };
  range: { ms: number; read: number };
  plans: { list: string; claim: string; equality: string };
}

async function main(): Promise<void> {
  const clock = { now: () => NOW };
  const results = new Map<number, Result>();
  const stores = new Map<number, { connection: Connection; store: MongoCaseTimerStore }>();
  for (const open of SIZES) {
    const connection = await mongoose
      .createConnection(MONGODB_URI, { dbName: dbNameOf(open), autoIndex: false })
      .asPromise();
    const store = new MongoCaseTimerStore(connection, clock);
    stores.set(open, { connection, store });
    console.log(`${fmt(open)} open timers: filling…`);
    const filled = await fill(connection, store, open);
    console.log(`${fmt(open)} open timers: ${filled === 'reused' ? 'reused (--keep)' : `filled in ${filled}`}`);
    results.set(open, {
      open,
      fill: filled,
      schedule: 0,
      sweep: [],
      read: [],
      seqScans: 0,
      idxScans: 0,
      equality: { ms: 0, read: 0 },
      range: { ms: 0, read: 0 },
      plans: { list: '', claim: '', equality: '' },
    });
  }

  for (let round = 0; round < REPEATS; round += 1) {
    // Sizes take turns at going first: the machine is shared and its load drifts.
    const order = round % 2 === 0 ? SIZES : [...SIZES].reverse();
    for (const open of order) {
      const { store } = stores.get(open)!;
      const result = results.get(open)!;
      await clearDue(store, round); // what an interrupted run may have left
      const scheduleMs = await prepareDue(store, round);
      result.schedule = Math.max(result.schedule, scheduleMs);
      const sweep = await measured(dbNameOf(open), () =>
        sweepDueTimers(
          { store, clock, fire: async () => undefined },
          { leaseMs: 300_000, maxBuckets: 60, firstSweepLookback: 60, concurrency: 8 },
        ),
      );
      if (sweep.result.fired !== DUE) throw new Error(`sweep fired ${sweep.result.fired}, expected ${DUE}`);
      result.sweep.push(sweep.ms);
      result.read.push(sweep.read);
      result.seqScans = Math.max(result.seqScans, sweep.seqScans);
      result.idxScans = Math.max(result.idxScans, sweep.idxScans);
      console.log(
        `  round ${round + 1}, ${fmt(open)} open: sweep ${sweep.ms.toFixed(0)} ms, ${fmt(sweep.read)} rows read`,
      );
      await clearDue(store, round);
    }
  }

  // Baseline, same run, same tables: what a scheduler querying due timers by field would read.
  for (const open of SIZES) {
    const { store } = stores.get(open)!;
    const result = results.get(open)!;
    const bucket = bucketAfter(dueBucketOf(NOW), 120);
    const equality = await measured(dbNameOf(open), () =>
      store.timers.collection.find({ dueBucket: bucket, state: 'pending' }).toArray(),
    );
    result.equality = { ms: equality.ms, read: equality.read };
    const range = await measured(dbNameOf(open), () =>
      store.timers.collection
        .find({ state: 'pending', dueAt: { $lte: new Date(NOW.getTime() + 2 * 3_600_000) } })
        .sort({ dueAt: 1 })
        .limit(DUE)
        .toArray(),
    );
    result.range = { ms: range.ms, read: range.read };
    result.plans = {
      list: planNode(await store.lists.collection.find({ _id: dueListId(bucket) }).explain()),
      claim: planNode(
        await store.timers.collection
          .find({ _id: 'open-case-1:reminder', state: 'pending', dueBucket: bucket, claimUntil: { $lte: NOW } })
          .explain(),
      ),
      equality: planNode(await store.timers.collection.find({ dueBucket: bucket, state: 'pending' }).explain()),
    };
  }

  const lines = [
    `| open timers | fill | schedule 1,000 | sweep of 1,000 due (median of ${REPEATS}) | rows read by the sweep | seq scans | baseline: \`{dueBucket, state}\` | baseline: \`dueAt $lte\` + sort |`,
    '|---|---|---|---|---|---|---|---|',
    ...SIZES.map((open) => {
      const r = results.get(open)!;
      return `| ${fmt(open)} | ${r.fill} | ${(r.schedule / 1000).toFixed(1)} s | ${fmt(Math.round(median(r.sweep)))} ms (${r.sweep.map((ms) => ms.toFixed(0)).join(', ')}) | ${fmt(median(r.read))} | ${r.seqScans} | ${fmt(Math.round(r.equality.ms))} ms, ${fmt(r.equality.read)} rows | ${fmt(Math.round(r.range.ms))} ms, ${fmt(r.range.read)} rows |`;
    }),
  ];
  const smallest = results.get(SIZES[0]!)!;
  const largest = results.get(SIZES.at(-1)!)!;
  const timeRatio = median(largest.sweep) / median(smallest.sweep);
  const readRatio = median(largest.read) / median(smallest.read);
  lines.push(
    '',
    `Ratio ${fmt(largest.open)} / ${fmt(smallest.open)}: sweep time ${timeRatio.toFixed(2)}×, rows read ${readRatio.toFixed(2)}× ` +
      `(baseline equality ${(largest.equality.read / Math.max(1, smallest.equality.read)).toFixed(0)}× rows). ` +
      `Flat within 1.5×: ${timeRatio <= 1.5 && readRatio <= 1.5 ? 'yes' : 'NO'}.`,
    '',
    `Plans (PostgreSQL, via FerretDB explain): due list by _id: ${largest.plans.list}; claim filter: ${largest.plans.claim}; ` +
      `\`{dueBucket, state}\` with an index on both: ${largest.plans.equality}.`,
  );
  console.log(`\n${lines.join('\n')}`);

  for (const { connection } of stores.values()) {
    if (!keep) await connection.dropDatabase();
    await connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
