import { LEGAL_FORMS } from './legal-forms';

/** A company name reduced to what identifies it, plus the legal form it was written with. */
export interface NormalisedName {
  /** Distinctive tokens in order: lower case, no accents or punctuation, abbreviations expanded. */
  readonly tokens: readonly string[];
  /** The legal-form family found at the end ("limited", "gmbh", …), if any. */
  readonly legalForm?: string;
  /** Positions in `tokens` expanded from an abbreviation that does not say singular or plural ("Tech"). */
  readonly numberless?: readonly number[];
  /**
   * The punctuation written inside the name (not in its legal form, not at its ends), sorted:
   * "O'Brien" and "OBrien", "Smith-Jones" and "Smith Jones" are different names in a registry.
   * "&" and "+" count as the word "and", not as punctuation.
   */
  readonly punctuation: string;
}

/** Words that never distinguish one company from another. */
const STOP_WORDS = new Set(['the', 'and', 'of', 'de', 'der', 'die', 'das', 'la', 'le', 'les', 'el', 'il', 'et', 'und']);

/**
 * Common abbreviations and spelling variants, mapped to one canonical token. Both sides of a
 * comparison go through this, so "Intl" and "International" meet. Singular and plural stay
 * apart ("Technology" is not "Technologies"): registries hold both as different companies.
 */
const CANONICAL_TOKENS: Readonly<Record<string, string>> = {
  intl: 'international',
  internat: 'international',
  mgmt: 'management',
  mgt: 'management',
  svc: 'service',
  svcs: 'services',
  grp: 'group',
  hldgs: 'holdings',
  hldg: 'holding',
  tech: 'technology',
  techn: 'technology',
  sys: 'systems',
  solns: 'solutions',
  soln: 'solution',
  assoc: 'associates',
  assocs: 'associates',
  bros: 'brothers',
  mfg: 'manufacturing',
  natl: 'national',
  univ: 'university',
  ctr: 'centre',
  center: 'centre',
  labs: 'laboratories',
  lab: 'laboratory',
  dev: 'development',
  devt: 'development',
  devs: 'developments',
  engg: 'engineering',
  eng: 'engineering',
  ins: 'insurance',
  invest: 'investments',
  prop: 'property',
  props: 'properties',
  mktg: 'marketing',
  comms: 'communications',
  pharma: 'pharmaceuticals',
  pharm: 'pharmaceuticals',
  constr: 'construction',
  dist: 'distribution',
  fin: 'financial',
  finl: 'financial',
  ltd: 'limited',
  uk: 'uk',
  gb: 'uk',
  usa: 'us',
};

/**
 * Abbreviations that do not say singular or plural ("Tech" for Technology or Technologies): a
 * word they expand to matches either number as written.
 */
const NUMBERLESS_ABBREVIATIONS: ReadonlySet<string> = new Set([
  'tech',
  'techn',
  'sys',
  'assoc',
  'invest',
  'pharma',
  'pharm',
  'dev',
  'prop',
]);

/**
 * The singular and plural forms an English word may take ("technology" ↔ "technologies",
 * "logistic" ↔ "logistics", "box" ↔ "boxes"). Registries hold such pairs as different companies.
 */
export function numberVariantsOf(token: string): string[] {
  const out = [token + 's', token + 'es'];
  // A word ending in -ss is singular (Glass, Fitness, Inverness): without its last s it is no word.
  if (token.length > 3 && token.endsWith('s') && !token.endsWith('ss')) out.push(token.slice(0, -1));
  if (token.length > 4 && token.endsWith('es')) out.push(token.slice(0, -2));
  if (token.length > 4 && token.endsWith('ies')) out.push(token.slice(0, -3) + 'y');
  if (token.length > 2 && token.endsWith('y')) out.push(token.slice(0, -1) + 'ies');
  return out;
}

/** True when one word is the other in another number (see `numberVariantsOf`). */
export function areNumberVariants(a: string, b: string): boolean {
  return a !== b && (numberVariantsOf(a).includes(b) || numberVariantsOf(b).includes(a));
}

/** Lower case, accents and punctuation removed, "&" spelt "and", dotted initials joined. */
function toBasicTokens(raw: string): string[] {
  const folded = raw
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/æ/g, 'ae')
    .replace(/ø/g, 'o')
    .replace(/œ/g, 'oe')
    .replace(/ł/g, 'l')
    .replace(/đ/g, 'd')
    .replace(/&/g, ' and ')
    .replace(/\+/g, ' and ')
    // "L.L.C.", "S.à r.l." and "O'Brien" are one word each.
    .replace(/(\p{L})[.'’](?=\p{L})/gu, '$1')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return folded === '' ? [] : folded.split(' ');
}

interface LegalFormTrie {
  readonly next: Map<string, LegalFormTrie>;
  family?: string;
}

/** Legal forms as reversed token sequences, so the longest suffix of a name is found first. */
const LEGAL_FORM_TRIE: LegalFormTrie = (() => {
  const root: LegalFormTrie = { next: new Map() };
  for (const [family, , ...spellings] of LEGAL_FORMS) {
    for (const spelling of [family.replace(/-.*$/, ''), ...spellings]) {
      const tokens = toBasicTokens(
        spelling.replace(/\(.*?\)/g, (m) => (/^\((publ|haftungsbeschränkt)\)$/.test(m) ? m : '')),
      );
      if (tokens.length === 0) continue;
      let node = root;
      for (let i = tokens.length - 1; i >= 0; i--) {
        const token = tokens[i] as string;
        let child = node.next.get(token);
        if (!child) {
          child = { next: new Map() };
          node.next.set(token, child);
        }
        node = child;
      }
      node.family ??= family.replace(/-.*$/, '');
    }
  }
  return root;
})();

/** Length of the longest legal-form suffix of `tokens` (leaving at least one token), and its family. */
function legalFormSuffix(tokens: readonly string[]): { length: number; family?: string } {
  let node: LegalFormTrie | undefined = LEGAL_FORM_TRIE;
  let best: { length: number; family?: string } = { length: 0 };
  for (let i = tokens.length - 1, length = 1; i >= 1 && node; i--, length++) {
    node = node.next.get(tokens[i] as string);
    if (node?.family) best = { length, family: node.family };
  }
  return best;
}

/**
 * Normalises a company name for matching: Unicode folding, case, accents, punctuation,
 * "&"/"and", "the", legal forms (one or several, at the end) and common abbreviations.
 */
export function normaliseCompanyName(raw: string): NormalisedName {
  const basic = toBasicTokens(raw);
  let tokens = basic;
  let legalForm: string | undefined;
  for (;;) {
    const suffix = legalFormSuffix(tokens);
    if (suffix.length === 0) break;
    legalForm ??= suffix.family;
    tokens = tokens.slice(0, tokens.length - suffix.length);
  }
  const distinctive: string[] = [];
  const numberless: number[] = [];
  for (const token of tokens) {
    if (STOP_WORDS.has(token)) continue;
    if (NUMBERLESS_ABBREVIATIONS.has(token)) numberless.push(distinctive.length);
    distinctive.push(CANONICAL_TOKENS[token] ?? token);
  }
  // A name made only of stop words ("The And") keeps them rather than vanishing.
  const kept = distinctive.length > 0;
  const result: NormalisedName = {
    tokens: kept ? distinctive : tokens,
    punctuation: punctuationInside(raw, basic.length - tokens.length),
    ...(legalForm === undefined ? {} : { legalForm }),
    ...(kept && numberless.length > 0 ? { numberless } : {}),
  };
  return result;
}

/** The punctuation of `raw` inside the name, leaving out the last `legalFormTokens` tokens' words. */
function punctuationInside(raw: string, legalFormTokens: number): string {
  const words = raw
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[’‘`´]/g, "'")
    .replace(/[‐‑‒–—]/g, '-')
    // Spelt as the word it stands for, so the words line up with the tokens counted above.
    .replace(/[&+]/g, ' and ')
    .split(/\s+/)
    .filter((word) => word !== '');
  let strip = legalFormTokens;
  while (strip > 0 && words.length > 0) {
    const count = toBasicTokens(words[words.length - 1] as string).length;
    if (count > strip) break;
    strip -= count;
    words.pop();
  }
  const inside = words.join(' ').replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
  return [...inside.replace(/[\p{L}\p{N}\s]+/gu, '')].sort().join('');
}
