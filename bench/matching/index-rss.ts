/**
 * What a relay process holds for the matcher alone: the index built from a directory file read
 * line by line, measured in a process of its own (bench.ts keeps the whole generated data set in
 * memory beside the index, so its RSS overstates the relay's).
 *
 *   node bench/matching/index-rss.ts write 1000000 /tmp/tenants-1m.jsonl
 *   node --expose-gc bench/matching/index-rss.ts measure /tmp/tenants-1m.jsonl
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { indexDirectoryEntry, TenantIndex, type DirectoryEntry } from '@privacy-relay/relay/domain/matching/index';
import { buildDataset } from './dataset.ts';

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function write(count: number, file: string): Promise<void> {
  const { tenants } = buildDataset(count, 0);
  const out = createWriteStream(file);
  for (const tenant of tenants) {
    if (!out.write(`${JSON.stringify(tenant)}\n`)) await new Promise((resolve) => out.once('drain', resolve));
  }
  await new Promise((resolve) => out.end(resolve));
  console.log(`wrote ${tenants.length} tenants to ${file}`);
}

async function measure(file: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().rss;
  const started = performance.now();
  const index = new TenantIndex();
  let count = 0;
  for await (const line of createInterface({ input: createReadStream(file) })) {
    if (!line) continue;
    indexDirectoryEntry(index, JSON.parse(line) as DirectoryEntry, 'benchmark-only-hmac-key');
    count += 1;
  }
  const buildMs = performance.now() - started;
  gc?.();
  const after = process.memoryUsage();
  console.log(
    `tenants ${count}  build ${(buildMs / 1000).toFixed(1)} s  RSS ${mb(after.rss)} (process before: ${mb(before)}; heap used ${mb(after.heapUsed)})${gc ? '' : '  [run with --expose-gc for a settled figure]'}`,
  );
  // Keep the index reachable until after the measurement.
  if (index === undefined) console.log('unreachable');
}

const [mode, a, b] = process.argv.slice(2);
if (mode === 'write' && a && b) await write(Number(a), b);
else if (mode === 'measure' && a) await measure(a);
else {
  console.error('usage: index-rss.ts write COUNT FILE | measure FILE');
  process.exit(2);
}
