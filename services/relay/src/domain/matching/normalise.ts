import { LEGAL_FORMS } from './legal-forms';

/** A company name reduced to what identifies it, plus the legal form it was written with. */
export interface NormalisedName {
  /** Distinctive tokens in order: lower case, no accents or punctuation, abbreviations expanded. */
  readonly tokens: readonly string[];
  /** The legal-form family found at the end ("limited", "gmbh", …), if any. */
  readonly legalForm?: string;
}

/** Words that never distinguish one company from another. */
const STOP_WORDS = new Set(['the', 'and', 'of', 'de', 'der', 'die', 'das', 'la', 'le', 'les', 'el', 'il', 'et', 'und']);

/**
 * Common abbreviations and spelling variants, mapped to one canonical token. Both sides of a
 * comparison go through this, so "Intl" and "International" meet.
 */
const CANONICAL_TOKENS: Readonly<Record<string, string>> = {
  intl: 'international',
  internat: 'international',
  mgmt: 'management',
  mgt: 'management',
  svc: 'services',
  svcs: 'services',
  service: 'services',
  grp: 'group',
  hldgs: 'holdings',
  hldg: 'holdings',
  holding: 'holdings',
  tech: 'technology',
  technologies: 'technology',
  techn: 'technology',
  sys: 'systems',
  system: 'systems',
  solns: 'solutions',
  solution: 'solutions',
  assoc: 'associates',
  assocs: 'associates',
  association: 'associates',
  bros: 'brothers',
  mfg: 'manufacturing',
  natl: 'national',
  univ: 'university',
  ctr: 'centre',
  center: 'centre',
  labs: 'laboratories',
  lab: 'laboratories',
  laboratory: 'laboratories',
  dev: 'development',
  devs: 'development',
  devt: 'development',
  developments: 'development',
  engg: 'engineering',
  eng: 'engineering',
  ins: 'insurance',
  invest: 'investments',
  investment: 'investments',
  prop: 'properties',
  props: 'properties',
  property: 'properties',
  mktg: 'marketing',
  comms: 'communications',
  communication: 'communications',
  pharma: 'pharmaceuticals',
  pharm: 'pharmaceuticals',
  pharmaceutical: 'pharmaceuticals',
  constr: 'construction',
  dist: 'distribution',
  fin: 'financial',
  finl: 'financial',
  ltd: 'limited',
  uk: 'uk',
  gb: 'uk',
  usa: 'us',
};

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
  let tokens = toBasicTokens(raw);
  let legalForm: string | undefined;
  for (;;) {
    const suffix = legalFormSuffix(tokens);
    if (suffix.length === 0) break;
    legalForm ??= suffix.family;
    tokens = tokens.slice(0, tokens.length - suffix.length);
  }
  const distinctive: string[] = [];
  for (const token of tokens) {
    if (STOP_WORDS.has(token)) continue;
    distinctive.push(CANONICAL_TOKENS[token] ?? token);
  }
  // A name made only of stop words ("The And") keeps them rather than vanishing.
  const result = distinctive.length > 0 ? distinctive : tokens;
  return legalForm === undefined ? { tokens: result } : { tokens: result, legalForm };
}
