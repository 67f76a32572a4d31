import { TenantIndex, TenantMatcher, indexDirectoryEntry, normaliseCompanyName } from '@privacy-relay/relay/domain/matching/index';
import { buildDataset } from './bench/matching/dataset.ts';
const seed = process.env.EVAL_SEED ? Number(process.env.EVAL_SEED) : undefined;
const { tenants, requests } = buildDataset(100000, 12000, seed);
const index = new TenantIndex();
for (const t of tenants) indexDirectoryEntry(index, t, 'k');
const m = new TenantMatcher(index);
const byId = new Map(tenants.map((t) => [t.id, t]));
const cls = new Map<string, number>();
const ex: Record<string, string[]> = {};
for (const r of requests) {
  if (!r.variant.endsWith('typo') || !r.expected.length) continue;
  const d = m.match({ companyName: r.companyName, text: r.text });
  if (d.decision === 'forward') continue;
  const t = byId.get(r.expected[0]!)!;
  const en = normaliseCompanyName(t.legalName).tokens;
  const qn = normaliseCompanyName(r.companyName ?? r.text!.match(/(?:Company: |with )(.*?)(?: ended|\n| and I|$)/)?.[1] ?? '').tokens;
  const slipped = en.filter((w) => !qn.includes(w));
  const w = slipped[0] ?? '?';
  const id = index.tokenId(w);
  const df = id === undefined ? 0 : index.postingsOf(id).length;
  const k = `${d.decision === 'triage' ? d.reason : ''} | ${df >= 55 ? 'common' : 'rare'} len${w.length >= 6 ? '6+' : w.length} words${en.length} ${d.explanation.replace(/[0-9.]+/g, '#').slice(0, 45)}`;
  cls.set(k, (cls.get(k) ?? 0) + 1);
  (ex[k] ??= []).length < 3 && ex[k].push(`${r.companyName ?? '[t]'} => ${t.legalName} (${d.candidates.slice(0,3).map(c=>c.score).join(',')})`);
}
for (const [k, v] of [...cls].sort((a, b) => b[1] - a[1])) console.log(v, k, '\n     ', ex[k]!.join('\n      '));
