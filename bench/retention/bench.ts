/**
 * Retention benchmark: one sweep of one day on which 1,000 documents are due to be minimised,
 * among 10,000 and 100,000 open ones (due on later days), on the local FerretDB (PostgreSQL
 * backend). Prints the sweep's time and the rows PostgreSQL read for it (pg_stat_user_tables of
 * the collection's and the day lists' tables), and, measured in the same run, what the query the
 * sweep made before the day lists (`{ 'retention.minimiseOn': day }`) reads, and what the other
 * periodic reads by field read on the same table (`{ outboxPending: true }`, `{ auditChainPending: true }`).
 *
 *   npm run bench:retention                    # 10k and 100k open documents
 *   npm run bench:retention -- 10000 1000000   # chosen sizes
 *
 * The documents are bare (`_id`, `retention`, a name to minimise): what is measured is how the
 * sweep finds and re-checks them, which is the same for every collection under retention.
 * MONGODB_URI (default mongodb://127.0.0.1:27017/) is the FerretDB; BENCH_PG_URL (default
 * postgres://postgres@127.0.0.1:55432/ferretdb, the local stack's) the PostgreSQL under it.
 */
import { execFileSync } from 'node:child_process';
import mongoose, { type Connection } from 'mongoose';
import {
  MAX_IDS_PER_LIST_PART,
  MongoRetentionDayLists,
  RetentionSweep,
  addDays,
  retentionListKey,
  type RetentionPhase,
  type RetentionTarget,
} from '@privacy-relay/shared/retention';
import { createLogger } from '@privacy-relay/shared/logger';

const args = process.argv.slice(2);
const sizes = args.filter((arg) => /^\d+$/.test(arg)).map(Number);
const SIZES = sizes.length > 0 ? sizes : [10_000, 100_000];
const DUE = 1_000;
const MONGODB_URI = process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/';
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:55432/ferretdb';
/** PostgreSQL backends flush their table counters when idle, at the latest 10 s after a statement. */
const STATS_SETTLE_MS = 11_000;
const INSERT_BATCH = 1_000;
const DUE_DAY = '2026-07-01';
/** Open documents fall due on the 180 days after the swept one (six months of activity). */
const OPEN_SPREAD_DAYS = 180;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (n: number) => n.toLocaleString('en-GB');
const logger = createLogger({ name: 'bench-retention', level: 'warn' });

interface BenchDocument {
  _id: string;
  name?: string;
  retention: { minimiseOn?: string; deleteOn: string };
}

function psql(sql: string): string[][] {
  const out = execFileSync('psql', [PG_URL, '-X', '-A', '-t', '-F', '\t', '-c', sql], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'));
}

/** Rows read (sequential + by index) and sequential scans of the two tables (FerretDB: `<collection>_<hash>`). */
function counters(dbName: string) {
  const rows = psql(
    `select relname, seq_scan, seq_tup_read, coalesce(idx_tup_fetch, 0)
       from pg_stat_user_tables where schemaname = '${dbName}'`,
  );
  let read = 0;
  let seqScans = 0;
  for (const [relname, seqScan, seqTupRead, idxTupFetch] of rows) {
    if (!/^(things|retention_days)_[0-9a-f]{8}$/.test(relname ?? '')) continue;
    read += Number(seqTupRead) + Number(idxTupFetch);
    seqScans += Number(seqScan);
  }
  return { read, seqScans };
}

async function measured<T>(dbName: string, work: () => Promise<T>) {
  await sleep(STATS_SETTLE_MS);
  const before = counters(dbName);
  const started = performance.now();
  const result = await work();
  const ms = performance.now() - started;
  await sleep(STATS_SETTLE_MS);
  const after = counters(dbName);
  return { result, ms, read: after.read - before.read, seqScans: after.seqScans - before.seqScans };
}

/** The documents of the bench: minimised (its name dropped) if still due that day, by `_id`. */
class BenchTarget implements RetentionTarget {
  readonly name = 'things';
  readonly phases: readonly RetentionPhase[] = ['minimise'];
  private readonly connection: Connection;
  constructor(connection: Connection) {
    this.connection = connection;
  }
  private get things() {
    return this.connection.collection<BenchDocument>('things');
  }
  async isDue(_phase: RetentionPhase, day: string, id: string) {
    return (await this.things.findOne({ _id: id, 'retention.minimiseOn': day }, { projection: { _id: 1 } })) !== null;
  }
  async apply(_phase: RetentionPhase, day: string, id: string) {
    const result = await this.things.updateOne(
      { _id: id, 'retention.minimiseOn': day },
      { $unset: { name: 1, 'retention.minimiseOn': 1 } },
    );
    return result.modifiedCount === 1 ? 'done' : 'skipped';
  }
}

/** Open documents with their day lists, as the stores write them, then the due ones (listed on DUE_DAY). */
async function fill(connection: Connection, open: number): Promise<void> {
  await connection.dropDatabase();
  const things = connection.collection<BenchDocument>('things');
  const lists = connection.collection<{ _id: string; ids: string[]; added: number }>('retention_days');
  const byDay = new Map<string, string[]>();
  for (let start = 0; start < open; start += INSERT_BATCH) {
    const batch: BenchDocument[] = [];
    for (let i = start; i < Math.min(open, start + INSERT_BATCH); i += 1) {
      const day = addDays(DUE_DAY, 1 + (i % OPEN_SPREAD_DAYS));
      batch.push({ _id: `open-${i}`, name: 'Ada Example', retention: { minimiseOn: day, deleteOn: '2032-01-01' } });
      byDay.set(day, [...(byDay.get(day) ?? []), `open-${i}`]);
    }
    await things.insertMany(batch);
  }
  const listDocuments = (day: string, ids: string[]) => {
    const parts = [];
    for (let part = 0; part * MAX_IDS_PER_LIST_PART < ids.length; part += 1) {
      const partIds = ids.slice(part * MAX_IDS_PER_LIST_PART, (part + 1) * MAX_IDS_PER_LIST_PART);
      parts.push({
        _id: `${retentionListKey('things', 'minimise', day)}:${part}`,
        ids: partIds,
        added: partIds.length,
      });
    }
    return parts;
  };
  for (const [day, ids] of byDay) await lists.insertMany(listDocuments(day, ids));
  const due = Array.from({ length: DUE }, (_, i) => `due-${i}`);
  await things.insertMany(
    due.map((id) => ({ _id: id, name: 'Ada Example', retention: { minimiseOn: DUE_DAY, deleteOn: '2032-01-01' } })),
  );
  await lists.insertMany(listDocuments(DUE_DAY, due));
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const open of SIZES) {
    const dbName = `bench_retention_${open}`;
    const connection = await mongoose.createConnection(MONGODB_URI, { dbName }).asPromise();
    try {
      const filling = performance.now();
      await fill(connection, open);
      console.log(`${fmt(open)} open: filled in ${((performance.now() - filling) / 1000).toFixed(0)} s`);
      // Before the day lists: the sweep asked for the day's documents by field.
      const baseline = await measured(dbName, () =>
        connection
          .collection('things')
          .find({ 'retention.minimiseOn': DUE_DAY }, { projection: { _id: 1 } })
          .toArray(),
      );
      // The other periodic reads by field, for comparison: the outbox sweeper's and the evidence checkpointer's.
      const outbox = await measured(dbName, () =>
        connection
          .collection('things')
          .find({ outboxPending: true }, { projection: { _id: 1 } })
          .toArray(),
      );
      const checkpoint = await measured(dbName, () =>
        connection
          .collection('things')
          .find({ auditChainPending: true }, { projection: { _id: 1 } })
          .toArray(),
      );
      const sweep = await measured(dbName, () =>
        new RetentionSweep({
          targets: [new BenchTarget(connection)],
          cursors: {
            lastSwept: async () => addDays(DUE_DAY, -1),
            advance: async () => true,
          },
          lists: new MongoRetentionDayLists(connection),
          clock: { now: () => new Date(`${DUE_DAY}T12:00:00Z`) },
          logger,
        }).sweepOnce(),
      );
      const report = sweep.result[0]!;
      if (report.applied !== DUE) throw new Error(`swept ${report.applied} of ${DUE} due`);
      rows.push(
        `| ${fmt(open)} | ${fmt(Math.round(sweep.ms))} ms | ${fmt(sweep.read)} | ${sweep.seqScans} | ` +
          `${fmt(Math.round(baseline.ms))} ms, ${fmt(baseline.read)} rows, ${baseline.seqScans} seq scan(s) | ` +
          `${fmt(outbox.read)} rows, ${outbox.seqScans} seq scan(s) | ${fmt(checkpoint.read)} rows, ${checkpoint.seqScans} seq scan(s) |`,
      );
      console.log(rows.at(-1));
    } finally {
      await connection.dropDatabase();
      await connection.close();
    }
  }
  console.log(
    [
      '',
      `One sweep of one day with ${fmt(DUE)} documents due to be minimised:`,
      '',
      '| open documents | sweep | rows read by the sweep | seq scans | before the day lists: `{retention.minimiseOn: day}` alone | `{outboxPending: true}` | `{auditChainPending: true}` |',
      '|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
