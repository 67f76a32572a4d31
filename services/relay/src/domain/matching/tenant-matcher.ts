import { companyDomainOf, canonicalEmail } from './email-domains';
import { MIN_FUZZY_TOKEN_LENGTH, type TenantIndex } from './tenant-index';
import { deletionsOf, withinOneEdit } from './fuzzy';
import { companyNamedInText, type CompanyInText } from './company-named-in-text';
import { areNumberVariants, normaliseCompanyName, numberVariantsOf, type NormalisedName } from './normalise';

/** What a verified request tells the matcher (never the requester's address in clear). */
export interface MatchQuery {
  /** The company the requester named, as typed. */
  readonly companyName?: string;
  /** The company address the requester named (in a field of its own, never one found in free text). */
  readonly companyEmail?: string;
  /**
   * The request's free text. A company named in it ("my contract with X Ltd") counts as named when
   * `companyName` is empty; an address in it never counts (it may be the writer's employer).
   */
  readonly text?: string;
  /** Keyed hash of the requester's own address (see `CounterpartyHasher`). */
  readonly requesterHash?: string;
  /** Tenants that must not be offered (they said "not ours"). */
  readonly excludedTenantIds?: readonly string[];
}

export type MatchSignal =
  'requester-is-counterparty' | 'named-email-is-contact' | 'named-email-domain' | 'company-name' | 'company-alias';

export interface MatchReason {
  readonly signal: MatchSignal;
  readonly score: number;
  readonly detail?: string;
}

export interface MatchCandidate {
  readonly tenantId: string;
  /** Combined confidence in [0, 1]. */
  readonly score: number;
  readonly reasons: readonly MatchReason[];
}

export type TriageReason = 'no-candidate' | 'low-confidence' | 'ambiguous' | 'conflicting-signals';

/** The matcher's answer; `explanation` says in one sentence why. */
export type MatchDecision =
  | {
      readonly decision: 'forward';
      readonly tenants: readonly MatchCandidate[];
      readonly candidates: readonly MatchCandidate[];
      readonly explanation: string;
    }
  | {
      readonly decision: 'triage';
      readonly reason: TriageReason;
      readonly candidates: readonly MatchCandidate[];
      readonly explanation: string;
    };

/** Tuning of the matcher; the defaults are what the evaluation set was tuned with. */
export interface MatcherTuning {
  /** Signal strengths, strongest first (PRODUCT.md, Matching). */
  readonly counterpartyScore: number;
  readonly contactScore: number;
  /** When a contact address belongs to several tenants (a group DPO). */
  readonly sharedContactScore: number;
  readonly domainScore: number;
  /** When a domain belongs to several tenants (a parent and its subsidiaries). */
  readonly sharedDomainScore: number;
  /**
   * Quality of a one-typo match of a common word (in at least `commonWordNames` names), short or
   * long (`longTokenLength`): a misspelt common word is a typo. A rare word one letter from the
   * query may be another company's name (Joro/Juro), so it gets `rareTypoQuality`, too low to
   * forward on.
   */
  readonly shortTypoQuality: number;
  readonly longTypoQuality: number;
  readonly longTokenLength: number;
  readonly commonWordNames: number;
  /** …or in at least this share of all names, whichever is more. */
  readonly commonWordShare: number;
  readonly rareTypoQuality: number;
  /**
   * A common word shorter than the fuzzy index's words (five letters) counts as written with a
   * slip down to this length, when no other word of the directory is one edit from the slip.
   */
  readonly shortestTypoWord: number;
  /**
   * A slip in a rare word of at least this many letters, one letter from that word alone, names the
   * tenant when the name is otherwise as written and `vouchingRareWords` other rare words of it match
   * exactly and no other tenant's name has them all: registries rarely hold two companies one letter
   * apart in a long word that share two other rare words. It then counts as a long typo.
   */
  readonly vouchedSlipLength: number;
  readonly vouchingRareWords: number;
  /** Quality of a word written in the other number ("Technology" for "Technologies"). */
  readonly numberVariantQuality: number;
  /**
   * Ceiling of a name's score when it is not the tenant's name as written: a word on either side
   * the other lacks ("Acme Retail Foods" vs "Acme Retail", "Acme" vs "Acme Retail"), a word in the
   * other number, a word the directory knows as another word or a rare word one letter off, or
   * other punctuation inside the name ("OBrien" vs "O'Brien"). Such a name may be another
   * company's, absent from the directory and indistinguishable from a slip, so it must stay below
   * `confident`: it forwards only when other evidence (address, counterparty) agrees.
   */
  readonly nearNameCeiling: number;
  /**
   * A runner-up carrying every word of the query makes a name-only match ambiguous: always when it
   * has no other words (the same name with another legal form), and when it has more but resembles
   * the query at least this much and the query is written loosely, without a legal form: then it
   * may be the runner-up's name with a word dropped ("Civic Summit" for Civic Summit Marketing).
   */
  readonly coveringRunnerUp: number;
  /** Multiplier when both names carry a legal form and the forms differ (Ltd vs GmbH). */
  readonly legalFormMismatch: number;
  /** Auto-forward only at or above this combined score… */
  readonly confident: number;
  /** …when the runner-up's doubt is at least this many times the leader's: (1 − s₂) ≥ k (1 − s₁)… */
  readonly doubtRatio: number;
  /** …and the lead is at least this wide. */
  readonly minLead: number;
  /** A named company this similar to a tenant counts as naming it; below, it contradicts other signals. */
  readonly consistentName: number;
  /** Candidates returned for triage. */
  readonly maxCandidates: number;
  /** Names scored per query at most; a name made only of very common words goes to triage. */
  readonly maxNamesScored: number;
  /** A query token in more names than this is not enumerated (unless it is the rarest). */
  readonly commonTokenNames: number;
  /** Names scoring below this are not candidates at all (keeps the work per query small). */
  readonly minNameScore: number;
}

export const DEFAULT_TUNING: MatcherTuning = {
  counterpartyScore: 0.9,
  contactScore: 0.96,
  sharedContactScore: 0.75,
  domainScore: 0.9,
  sharedDomainScore: 0.7,
  shortTypoQuality: 0.85,
  longTypoQuality: 0.92,
  longTokenLength: 7,
  commonWordNames: 20,
  commonWordShare: 0.0005,
  rareTypoQuality: 0.6,
  shortestTypoWord: 4,
  vouchedSlipLength: 6,
  vouchingRareWords: 2,
  numberVariantQuality: 0.9,
  nearNameCeiling: 0.8,
  coveringRunnerUp: 0.8,
  legalFormMismatch: 0.9,
  confident: 0.85,
  doubtRatio: 2.5,
  minLead: 0.04,
  consistentName: 0.5,
  maxCandidates: 10,
  maxNamesScored: 10_000,
  commonTokenNames: 500,
  minNameScore: 0.5,
};

interface Evidence {
  slot: number;
  name: number;
  nameKind: 0 | 1;
  /** The tenant's name that resembles the named company best (-1: none). */
  nameId: number;
  /** Some name of the tenant contains every word of the query, exactly, and few others or resembles it closely. */
  coversQuery: boolean;
  contact: number;
  domain: number;
  counterparty: number;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
const noisyOr = (scores: readonly number[]): number => 1 - scores.reduce((doubt, s) => doubt * (1 - s), 1);

function combined(e: Evidence): number {
  return Math.min(0.999, noisyOr([e.name, e.contact, e.domain, e.counterparty]));
}

/** Per query token: the vocabulary tokens it matches, each with a match quality. */
interface QueryToken {
  readonly matches: Map<number, number>;
  /** Those of `matches` that write the tenant's word as such: the word itself, an abbreviation, a slip in a common word. */
  readonly renders: Set<number>;
  readonly weight: number;
  /** The token itself, when it is in the directory and a rare word there. */
  readonly rareExact?: number;
  /** The one word of the directory this token is a slip of, when that word is rare and both are long. */
  readonly vouchableSlip?: number;
}

/**
 * Matches verified requests against the tenant directory. Pure: reads the index, returns a
 * decision with its explanation, never forwards on doubt.
 */
export class TenantMatcher {
  constructor(
    private readonly index: TenantIndex,
    private readonly tuning: MatcherTuning = DEFAULT_TUNING,
  ) {}

  match(query: MatchQuery): MatchDecision {
    const t = this.tuning;
    const excluded = new Set(query.excludedTenantIds ?? []);
    const evidence = new Map<number, Evidence>();
    const getIn =
      (map: Map<number, Evidence>) =>
      (slot: number): Evidence => {
        let e = map.get(slot);
        if (!e) {
          e = { slot, name: 0, nameKind: 0, nameId: -1, coversQuery: false, contact: 0, domain: 0, counterparty: 0 };
          map.set(slot, e);
        }
        return e;
      };

    const named = query.companyName?.trim() ? query.companyName : companyNamedInText(query.text);
    const nameTokens = typeof named === 'string' ? normaliseCompanyName(named) : this.readLoosely(named);
    const nameGiven = nameTokens !== undefined && nameTokens.tokens.length > 0;
    let tooGeneric = false;
    if (nameGiven) tooGeneric = this.scoreNames(nameTokens, getIn(evidence));
    const get = getIn(evidence);

    let emailGiven = false;
    if (query.companyEmail) {
      const contactSlots = this.index.slotsForContact(query.companyEmail);
      for (const slot of contactSlots) {
        get(slot).contact = contactSlots.length === 1 ? t.contactScore : t.sharedContactScore;
        emailGiven = true;
      }
      const domain = companyDomainOf(canonicalEmail(query.companyEmail));
      if (domain !== undefined) {
        emailGiven = true;
        const domainSlots = this.index.slotsForDomain(domain);
        for (const slot of domainSlots) {
          get(slot).domain = domainSlots.length === 1 ? t.domainScore : t.sharedDomainScore;
        }
      }
    }

    const counterpartySlots = query.requesterHash ? this.index.slotsForCounterparty(query.requesterHash) : [];
    for (const slot of counterpartySlots) get(slot).counterparty = t.counterpartyScore;

    const ranked = [...evidence.values()]
      .filter((e) => !excluded.has(this.index.tenantIdOf(e.slot)))
      .map((e) => ({ e, score: combined(e) }))
      .filter((c) => c.score > 0)
      .sort((a, b) => b.score - a.score || a.e.slot - b.e.slot);
    const candidates = ranked.slice(0, t.maxCandidates).map((c) => this.toCandidate(c.e, c.score));

    if (ranked.length === 0) {
      return {
        decision: 'triage',
        reason: 'no-candidate',
        candidates,
        explanation: 'No tenant shares a name, contact, domain or counterparty with the request.',
      };
    }

    // Nothing named: the requester's own address is the only evidence. It says which company only
    // when it belongs to one tenant; a request concerns the one company the requester has in mind.
    if (!nameGiven && !emailGiven) {
      const tenants = ranked.filter((c) => c.e.counterparty > 0);
      if (tenants.length === 1) {
        return {
          decision: 'forward',
          tenants: tenants.map((c) => this.toCandidate(c.e, c.score)),
          candidates,
          explanation: 'The request names no company; the requester is a known counterparty of exactly one tenant.',
        };
      }
      return {
        decision: 'triage',
        reason: tenants.length === 0 ? 'no-candidate' : 'ambiguous',
        candidates,
        explanation:
          tenants.length === 0
            ? 'The request names no company and the requester is no tenant’s counterparty.'
            : `The request names no company and the requester is a counterparty of ${tenants.length} tenants.`,
      };
    }

    const top = ranked[0] as { e: Evidence; score: number };
    const second = ranked[1];
    const secondScore = second?.score ?? 0;
    const topCandidate = candidates[0] as MatchCandidate;

    const conflict = this.conflictOf(top.e, ranked, nameGiven);
    if (conflict) {
      return { decision: 'triage', reason: 'conflicting-signals', candidates, explanation: conflict };
    }
    const decided = this.decidedByAddress(ranked);
    if (decided) {
      return {
        decision: 'forward',
        tenants: [this.toCandidate(decided.e, decided.score)],
        candidates,
        explanation:
          'The named company fits this tenant as well as any other, and only this tenant has the named address or the requester as counterparty.',
      };
    }
    if (tooGeneric && top.e.contact === 0 && top.e.domain === 0 && top.e.counterparty === 0) {
      return {
        decision: 'triage',
        reason: 'low-confidence',
        candidates,
        explanation: 'The named company consists of words too common to single out one tenant.',
      };
    }
    const nameOnly = top.e.contact === 0 && top.e.domain === 0 && top.e.counterparty === 0;
    const covering = ranked.find((c) => c !== top && c.e.coversQuery);
    if (nameOnly && covering) {
      return {
        decision: 'triage',
        reason: 'ambiguous',
        candidates,
        explanation: 'Another tenant also carries every word of the named company.',
      };
    }
    if (top.score < t.confident) {
      return {
        decision: 'triage',
        reason: 'low-confidence',
        candidates,
        explanation: `The best candidate scores ${round(top.score)}, below the ${t.confident} needed to forward.`,
      };
    }
    if (1 - secondScore < t.doubtRatio * (1 - top.score) || top.score - secondScore < t.minLead) {
      return {
        decision: 'triage',
        reason: second && this.kindsDiffer(top.e, second.e) ? 'conflicting-signals' : 'ambiguous',
        candidates,
        explanation: `The best candidate (${round(top.score)}) is not clearly ahead of the next (${round(secondScore)}).`,
      };
    }
    return {
      decision: 'forward',
      tenants: [topCandidate],
      candidates,
      explanation: `One tenant is confident (${round(top.score)}) and clearly ahead of the next (${round(secondScore)}); no signal conflicts.`,
    };
  }

  /**
   * The name a request's text gives; when nothing marks where it ends, without the words at its
   * end that no tenant's name has, even mistyped ("acme widgets ended" → "acme widgets").
   */
  private readLoosely(found: CompanyInText | undefined): NormalisedName | undefined {
    if (!found) return undefined;
    const normalised = normaliseCompanyName(found.name);
    if (!found.loose) return normalised;
    const tokens = [...normalised.tokens];
    const known = (token: string) =>
      this.index.tokenId(token) !== undefined ||
      this.index.tokensWithDeletion(token).length > 0 ||
      deletionsOf(token).some(
        (v) => this.index.tokenId(v) !== undefined || this.index.tokensWithDeletion(v).length > 0,
      );
    while (tokens.length > 1 && !known(tokens[tokens.length - 1] as string)) tokens.pop();
    return { ...normalised, tokens, numberless: (normalised.numberless ?? []).filter((i) => i < tokens.length) };
  }

  /** A reason to distrust the leader even when it scores well, or undefined. */
  private conflictOf(top: Evidence, ranked: readonly { e: Evidence }[], nameGiven: boolean): string | undefined {
    const t = this.tuning;
    const emailEvidence = (e: Evidence) => e.contact > 0 || e.domain > 0;
    // The named company points one way, the named address another.
    const otherByEmail = ranked.find((c) => c.e !== top && emailEvidence(c.e) && c.e.name < t.consistentName);
    if (nameGiven && top.name >= t.consistentName && !emailEvidence(top) && otherByEmail) {
      return 'The named company and the named email address point to different tenants.';
    }
    // Email or counterparty evidence says one tenant, yet the named company is not that tenant
    // (it may be a company absent from the directory): the evidence cannot name it.
    if (nameGiven && top.name < t.consistentName) {
      if (emailEvidence(top)) return 'The named email address belongs to a tenant the named company does not resemble.';
      if (top.counterparty > 0)
        return 'The named company does not match the tenant the requester is a counterparty of.';
    }
    return undefined;
  }

  /**
   * Among tenants whose names fit the named company equally well (the same words with other legal
   * forms), the one the named address or the counterparty relation points to, when it points to no
   * other tenant at all: the stronger signals decide what the name leaves open. Never a tenant whose
   * name fits less well than another's: then the name says otherwise.
   */
  private decidedByAddress(
    ranked: readonly { e: Evidence; score: number }[],
  ): { e: Evidence; score: number } | undefined {
    const t = this.tuning;
    let bestName = 0;
    for (const c of ranked) bestName = Math.max(bestName, c.e.name);
    if (bestName < t.consistentName) return undefined;
    const pointedTo = ranked.filter((c) => c.e.contact > 0 || c.e.domain > 0 || c.e.counterparty > 0);
    if (pointedTo.length !== 1) return undefined;
    const only = pointedTo[0] as { e: Evidence; score: number };
    const sole = only.e.contact === t.contactScore || only.e.domain === t.domainScore || only.e.counterparty > 0;
    if (!sole || only.e.name < bestName || only.score < t.confident) return undefined;
    return only;
  }

  private kindsDiffer(a: Evidence, b: Evidence): boolean {
    const kind = (e: Evidence) => (e.contact > 0 || e.domain > 0 ? 'email' : e.name > 0 ? 'name' : 'counterparty');
    return kind(a) !== kind(b);
  }

  private toCandidate(e: Evidence, score: number): MatchCandidate {
    const reasons: MatchReason[] = [];
    if (e.counterparty > 0) reasons.push({ signal: 'requester-is-counterparty', score: round(e.counterparty) });
    if (e.contact > 0) reasons.push({ signal: 'named-email-is-contact', score: round(e.contact) });
    if (e.domain > 0) reasons.push({ signal: 'named-email-domain', score: round(e.domain) });
    if (e.name > 0) {
      reasons.push({
        signal: e.nameKind === 0 ? 'company-name' : 'company-alias',
        score: round(e.name),
        detail: `named company resembles "${this.index.name(e.nameId).display}"`.slice(0, 500),
      });
    }
    return { tenantId: this.index.tenantIdOf(e.slot), score: round(score), reasons };
  }

  /** Words of the directory, in some live name, one edit from a short token (which is not one of them). */
  private wordsOneEditFrom(token: string): number[] {
    const index = this.index;
    const found = new Set<number>(index.tokensWithDeletion(token));
    const letters = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const near = [...deletionsOf(token)];
    for (let i = 0; i < token.length; i++) {
      for (const letter of letters) near.push(token.slice(0, i) + letter + token.slice(i + 1));
      if (i + 1 < token.length) near.push(token.slice(0, i) + token[i + 1] + token[i] + token.slice(i + 2));
    }
    for (const word of near) {
      const id = word === token ? undefined : index.tokenId(word);
      if (id !== undefined) found.add(id);
    }
    return [...found].filter((id) => index.postingsOf(id).length > 0);
  }

  /**
   * The one slip of a name otherwise as written that its other rare words vouch for (see
   * `vouchedSlipLength`): which query token, which word of the name, and the words vouching.
   */
  private vouchedSlip(
    queryTokens: readonly QueryToken[],
    perQuery: Float64Array,
    rendered: Uint8Array,
    nameTokens: readonly number[],
    asWrittenElse: boolean,
  ): { q: number; word: number; by: number[] } | undefined {
    const t = this.tuning;
    if (!asWrittenElse) return undefined;
    let slip: { q: number; word: number } | undefined;
    const by: number[] = [];
    for (let k = 0; k < queryTokens.length; k++) {
      const q = queryTokens[k] as QueryToken;
      if (rendered[k] === 1) {
        if (q.rareExact !== undefined && perQuery[k] === 1 && nameTokens.includes(q.rareExact)) by.push(q.rareExact);
        continue;
      }
      if (slip || q.vouchableSlip === undefined || !nameTokens.includes(q.vouchableSlip)) return undefined;
      slip = { q: k, word: q.vouchableSlip };
    }
    return slip && by.length >= t.vouchingRareWords ? { ...slip, by } : undefined;
  }

  /**
   * Scores every name sharing a (possibly mistyped) distinctive token with the query, and records
   * each tenant's best. Returns true when the query is too generic to enumerate fully.
   */
  private scoreNames(query: NormalisedName, get: (slot: number) => Evidence): boolean {
    const t = this.tuning;
    const index = this.index;
    const queryTokens: QueryToken[] = [];
    const commonWord = Math.max(t.commonWordNames, index.nameCount * t.commonWordShare);
    const numberless = new Set(query.numberless ?? []);
    const seen = new Set<string>();
    // The one rare word a long query word is a slip of, when no other word of the directory is that near.
    const vouchableSlip = (token: string, exact: number | undefined, matches: Map<number, number>) => {
      if (exact !== undefined || matches.size !== 1 || token.length < t.vouchedSlipLength) return undefined;
      const [[id, quality]] = [...matches] as [[number, number]];
      const word = index.tokenString(id);
      if (quality !== t.rareTypoQuality || word.length < t.vouchedSlipLength) return undefined;
      if (numberVariantsOf(word).some((variant) => withinOneEdit(token, variant))) return undefined;
      return id;
    };
    // Whether no name of another tenant than `slot` carries all of these (rare) words.
    const ownedBy = (slot: number, tokenIds: readonly number[]) => {
      const [first, ...rest] = tokenIds.map((id) => new Set(index.postingsOf(id))) as [Set<number>, ...Set<number>[]];
      for (const nameId of first) {
        if (rest.every((postings) => postings.has(nameId)) && index.name(nameId).slot !== slot) return false;
      }
      return true;
    };
    query.tokens.forEach((token, position) => {
      if (seen.has(token)) return;
      seen.add(token);
      const matches = new Map<number, number>();
      const renders = new Set<number>();
      const exact = index.tokenId(token);
      if (exact !== undefined && index.postingsOf(exact).length > 0) {
        matches.set(exact, 1);
        renders.add(exact);
      }
      // The same word in the other number: another company's name, unless the query abbreviated it ("Tech").
      for (const variant of numberVariantsOf(token)) {
        const id = index.tokenId(variant);
        if (id === undefined || matches.has(id) || index.postingsOf(id).length === 0) continue;
        if (numberless.has(position)) {
          matches.set(id, 1);
          renders.add(id);
        } else {
          matches.set(id, t.numberVariantQuality);
        }
      }
      if (token.length >= MIN_FUZZY_TOKEN_LENGTH) {
        const consider = (id: number) => {
          if (matches.has(id)) return;
          const other = index.tokenString(id);
          if (other.length < MIN_FUZZY_TOKEN_LENGTH || !withinOneEdit(token, other)) return;
          if (index.postingsOf(id).length === 0) return;
          if (areNumberVariants(token, other)) {
            matches.set(id, t.numberVariantQuality);
            return;
          }
          const short = Math.min(other.length, token.length) < t.longTokenLength;
          // A query word that is itself in the directory is a word, not a typo (Davis is not Davies).
          const common = exact === undefined && index.postingsOf(id).length >= commonWord;
          if (!common) {
            matches.set(id, t.rareTypoQuality);
            return;
          }
          // A slip in a common word ("Logistcs") still writes that word: it names no other company,
          // unless it is as near the word's other number ("Coass": Coast, Coasts).
          matches.set(id, short ? t.shortTypoQuality : t.longTypoQuality);
          if (!numberVariantsOf(other).some((variant) => withinOneEdit(token, variant))) renders.add(id);
        };
        // The query lost a letter, gained one, or changed/swapped one.
        const before = new Set(matches.keys());
        for (const id of index.tokensWithDeletion(token)) consider(id);
        for (const variant of deletionsOf(token)) {
          const id = index.tokenId(variant);
          if (id !== undefined) consider(id);
          for (const other of index.tokensWithDeletion(variant)) consider(other);
        }
        // A slip one letter from two words ("Ovsen": Olsen, Vosen) writes neither of them.
        const slips = [...matches.keys()].filter((id) => !before.has(id));
        if (slips.length > 1) for (const id of slips) renders.delete(id);
      }
      if (exact === undefined && matches.size === 0 && token.length <= MIN_FUZZY_TOKEN_LENGTH) {
        // A short slip in a common word ("Ciff" for Cliff, "Yrok" for York) still writes it, when
        // no other word of the directory, of any length, is one edit from the slip.
        const [id, ...others] = this.wordsOneEditFrom(token);
        if (
          id !== undefined &&
          others.length === 0 &&
          index.tokenString(id).length >= t.shortestTypoWord &&
          index.postingsOf(id).length >= commonWord &&
          !numberVariantsOf(index.tokenString(id)).some((variant) => withinOneEdit(token, variant))
        ) {
          matches.set(id, t.shortTypoQuality);
          renders.add(id);
        }
      }
      let weight = index.weightOf(undefined);
      if (matches.size > 0) {
        weight = 0;
        for (const id of matches.keys()) weight = Math.max(weight, index.weightOf(id));
      }
      const rareExact =
        exact !== undefined && matches.get(exact) === 1 && index.postingsOf(exact).length < commonWord
          ? exact
          : undefined;
      queryTokens.push({ matches, renders, weight, rareExact, vouchableSlip: vouchableSlip(token, exact, matches) });
    });

    // Which vocabulary token answers which query token, how well, and whether it writes the word as such.
    const answer = new Map<number, { q: number; quality: number; renders: boolean }>();
    queryTokens.forEach((q, i) => {
      for (const [id, quality] of q.matches) {
        const prior = answer.get(id);
        if (!prior || prior.quality < quality) answer.set(id, { q: i, quality, renders: q.renders.has(id) });
      }
    });

    const byRarity = queryTokens
      .map((q, i) => ({ i, df: [...q.matches.keys()].reduce((sum, id) => sum + index.postingsOf(id).length, 0) }))
      .filter((x) => x.df > 0)
      .sort((a, b) => a.df - b.df);
    const queryWeight = queryTokens.reduce((sum, q) => sum + q.weight, 0);
    const scored = new Set<number>();
    let budget = t.maxNamesScored;
    let tooGeneric = false;
    const perQuery = new Float64Array(queryTokens.length);
    const rendered = new Uint8Array(queryTokens.length);
    const weights = new Map<number, number>();

    byRarity.forEach(({ i, df }, rank) => {
      if (rank > 0 && df > t.commonTokenNames) return;
      if (df > budget) {
        tooGeneric = true;
        return;
      }
      for (const id of (queryTokens[i] as QueryToken).matches.keys()) {
        for (const nameId of index.postingsOf(id)) {
          if (scored.has(nameId)) continue;
          scored.add(nameId);
          budget--;
          const name = index.name(nameId);
          perQuery.fill(0);
          rendered.fill(0);
          let nameWeight = 0;
          let matchedName = 0;
          let nameWordsMissing = 0;
          for (const tokenId of name.tokens) {
            let w = weights.get(tokenId);
            if (w === undefined) {
              w = index.weightOf(tokenId);
              weights.set(tokenId, w);
            }
            nameWeight += w;
            const hit = answer.get(tokenId);
            if (hit) {
              matchedName += w * hit.quality;
              if (perQuery[hit.q]! < hit.quality) perQuery[hit.q] = hit.quality;
              if (hit.renders) rendered[hit.q] = 1;
            } else {
              nameWordsMissing++;
            }
          }
          let matchedQuery = 0;
          // As many words as the query: "Barcelona Apparel Apparel" is not "Barcelona Apparel".
          let asWritten =
            nameWordsMissing === 0 &&
            name.tokens.length === query.tokens.length &&
            name.punctuation === query.punctuation;
          let covers = true;
          const vouched = this.vouchedSlip(queryTokens, perQuery, rendered, name.tokens, asWritten);
          if (vouched && ownedBy(name.slot, vouched.by)) {
            const slipWeight = index.weightOf(vouched.word);
            matchedName += slipWeight * (t.longTypoQuality - t.rareTypoQuality);
            perQuery[vouched.q] = t.longTypoQuality;
            rendered[vouched.q] = 1;
          }
          queryTokens.forEach((q, k) => {
            const quality = perQuery[k] as number;
            matchedQuery += q.weight * quality;
            if (rendered[k] === 0) asWritten = false;
            // A slip that still writes the word (a common word) counts as carrying it: a slip must
            // not turn the tie between two tenants with the same words into a lead for the legal
            // form written.
            if (quality < 1 && rendered[k] === 0) covers = false;
          });
          const formFactor =
            query.legalForm !== undefined && name.legalForm !== undefined && query.legalForm !== name.legalForm
              ? t.legalFormMismatch
              : 1;
          const resemblance = (matchedQuery + matchedName) / (queryWeight + nameWeight);
          const similarity = (asWritten ? resemblance : Math.min(resemblance, t.nearNameCeiling)) * formFactor;
          if (similarity < t.minNameScore && !covers) continue;
          const e = get(name.slot);
          // Legal forms as typed are unreliable ("Ltd" for a GmbH), so they do not break the tie. A
          // name written without one is written loosely, and may drop a word of a longer name.
          const droppedWord = query.legalForm === undefined && resemblance >= t.coveringRunnerUp;
          // Punctuation written inside the name ("National-Star") that this name lacks or writes
          // otherwise: the requester copied another tenant's name, so this one is not also meant.
          // A name written without punctuation may still be either (punctuation is often dropped).
          const otherPunctuation = query.punctuation !== '' && name.punctuation !== query.punctuation;
          if (covers && !otherPunctuation && (nameWordsMissing === 0 || droppedWord)) e.coversQuery = true;
          if (similarity > e.name) {
            e.name = similarity;
            e.nameKind = name.kind;
            e.nameId = nameId;
          }
        }
      }
    });
    return tooGeneric;
  }
}
