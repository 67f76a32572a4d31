import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { z } from 'zod';
import { hashCounterpartyEmail, indexDirectoryEntry, TenantIndex, TenantMatcher } from '../domain/matching';
import { progressBar } from './progress';

const directoryLine = z.object({
  id: z.string().min(1),
  legalName: z.string().min(1),
  aliases: z.array(z.string()).optional(),
  domains: z.array(z.string()).optional(),
  contacts: z.array(z.object({ email: z.string() })).optional(),
  counterparties: z.array(z.string()).optional(),
});
const requestLine = z.object({
  id: z.string().min(1),
  requesterEmail: z.string(),
  companyName: z.string().optional(),
  companyEmail: z.string().optional(),
  text: z.string().optional(),
});

function readJsonLines<T>(file: string, schema: z.ZodType<T>): T[] {
  const out: T[] = [];
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const parsed = schema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${file}:${i + 1}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      out.push(parsed.data);
    });
  return out;
}

/**
 * `relay match --directory tenants.jsonl --requests requests.jsonl [--out FILE]`: one JSON
 * decision per request line, for tuning the matcher offline. Counterparty addresses in the
 * directory file are hashed with a key made for this run only.
 */
export async function runMatchCommand(options: {
  directory: string;
  requests: string;
  out?: string;
  log: (line: string) => void;
}): Promise<number> {
  const tenants = readJsonLines(options.directory, directoryLine);
  const requests = readJsonLines(options.requests, requestLine);
  const key = randomBytes(32).toString('hex');
  const index = new TenantIndex();
  const started = Date.now();
  const building = progressBar('index', tenants.length);
  for (const t of tenants) {
    indexDirectoryEntry(index, t, key);
    building.increment();
  }
  building.stop();
  const built = Date.now();
  const matcher = new TenantMatcher(index);
  const sink: NodeJS.WritableStream = options.out ? createWriteStream(options.out) : process.stdout;
  const matching = progressBar('match', requests.length);
  let forwards = 0;
  for (const r of requests) {
    const decision = matcher.match({
      companyName: r.companyName,
      companyEmail: r.companyEmail,
      text: r.text,
      requesterHash: hashCounterpartyEmail(key, r.requesterEmail),
    });
    if (decision.decision === 'forward') forwards++;
    const line = {
      id: r.id,
      decision: decision.decision,
      tenants: decision.decision === 'forward' ? decision.tenants.map((t) => t.tenantId) : [],
      candidates: decision.candidates.map((c) => ({ tenantId: c.tenantId, score: c.score })),
      ...(decision.decision === 'triage' ? { reason: decision.reason } : {}),
      explanation: decision.explanation,
    };
    if (!sink.write(JSON.stringify(line) + '\n'))
      await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
    matching.increment();
  }
  matching.stop();
  if (sink !== process.stdout) await new Promise<void>((resolve) => sink.end(() => resolve()));
  options.log(
    `${tenants.length} tenants indexed in ${((built - started) / 1000).toFixed(1)} s; ${requests.length} requests: ${forwards} forwarded, ${requests.length - forwards} to triage.`,
  );
  return 0;
}
