import { canonicalEmail, isPersonalMailDomain, registrableDomain } from './email-domains';
import { deletionsOf } from './fuzzy';
import { normaliseCompanyName, type NormalisedName } from './normalise';

/** What the matcher knows of one tenant (counterparties travel separately, as keyed hashes). */
export interface DirectoryTenant {
  readonly tenantId: string;
  readonly legalName: string;
  readonly aliases?: readonly string[];
  /** Verified email domains (any host; the registrable domain is what counts). */
  readonly domains?: readonly string[];
  /** Privacy and admin contact addresses. */
  readonly contactEmails?: readonly string[];
}

/** Shortest token that may match another with one typo; shorter tokens differ by meaning ("juro"/"joro"). */
export const MIN_FUZZY_TOKEN_LENGTH = 5;

interface TenantSlot {
  readonly tenantId: string;
  nameIds: number[];
  domains: string[];
  contacts: string[];
  /** Created on first use: most tenants have none, a few have thousands. */
  counterparties: Set<string> | undefined;
}

/** One indexed name of a tenant: its legal name (kind 0) or an alias (kind 1). */
export interface IndexedName {
  readonly slot: number;
  readonly kind: 0 | 1;
  /** Token ids (a plain array: a million small typed arrays would cost more than their contents). */
  readonly tokens: readonly number[];
  readonly legalForm: string | undefined;
  /** See `NormalisedName.punctuation` (mostly ""). */
  readonly punctuation: string;
  readonly display: string;
}

/**
 * A posting list that holds one value as a bare number: most keys (a domain, a contact address, a
 * typo variant) belong to exactly one entry, and a million one-element arrays cost ~60 MB.
 */
type Postings = number | number[];

function addPosting(map: Map<string, Postings>, key: string, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, value);
  else if (typeof list === 'number') {
    if (list !== value) map.set(key, [list, value]);
  } else if (!list.includes(value)) list.push(value);
}

function removePosting(map: Map<string, Postings>, key: string, value: number): void {
  const list = map.get(key);
  if (list === undefined) return;
  if (typeof list === 'number') {
    if (list === value) map.delete(key);
    return;
  }
  const at = list.indexOf(value);
  if (at >= 0) list.splice(at, 1);
  if (list.length === 1) map.set(key, list[0] as number);
  else if (list.length === 0) map.delete(key);
}

function postingsIn(map: Map<string, Postings>, key: string): readonly number[] {
  const list = map.get(key);
  return list === undefined ? [] : typeof list === 'number' ? [list] : list;
}

/**
 * The in-memory tenant directory the matcher reads: an inverted index from normalised name
 * tokens to names, a one-typo neighbourhood of the token vocabulary, and maps from registrable
 * domain, contact address and counterparty hash to tenants. Every lookup goes through a map; no
 * query scans the directory. Tenants are interned as integer slots.
 */
export class TenantIndex {
  private readonly slotByTenantId = new Map<string, number>();
  private readonly slots: (TenantSlot | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private readonly names: (IndexedName | undefined)[] = [];
  private readonly freeNames: number[] = [];
  private liveNames = 0;

  private readonly tokenIds = new Map<string, number>();
  private readonly tokenStrings: string[] = [];
  /** Token id → ids of the live names containing it. */
  private readonly postings: number[][] = [];
  /** One-deletion variant → ids of vocabulary tokens (length ≥ MIN_FUZZY_TOKEN_LENGTH) it came from. */
  private readonly deletions = new Map<string, Postings>();

  private readonly byDomain = new Map<string, Postings>();
  private readonly byContact = new Map<string, Postings>();
  private readonly byCounterparty = new Map<string, Postings>();

  get size(): number {
    return this.slotByTenantId.size;
  }

  get nameCount(): number {
    return this.liveNames;
  }

  /** Adds a tenant or replaces what the index holds for it (its counterparties are kept). */
  upsert(tenant: DirectoryTenant): void {
    const existing = this.slotByTenantId.get(tenant.tenantId);
    const counterparties = existing === undefined ? undefined : this.slots[existing]?.counterparties;
    if (existing !== undefined) this.remove(tenant.tenantId);
    const slotId = this.freeSlots.pop() ?? this.slots.length;
    const slot: TenantSlot = {
      tenantId: tenant.tenantId,
      nameIds: [],
      domains: [],
      contacts: [],
      counterparties: undefined,
    };
    this.slots[slotId] = slot;
    this.slotByTenantId.set(tenant.tenantId, slotId);

    const seen = new Set<string>();
    const allNames = [tenant.legalName, ...(tenant.aliases ?? [])];
    allNames.forEach((raw, i) => {
      const normalised = normaliseCompanyName(raw);
      if (normalised.tokens.length === 0) return;
      const key = normalised.tokens.join(' ') + '|' + (normalised.legalForm ?? '') + '|' + normalised.punctuation;
      if (seen.has(key)) return;
      seen.add(key);
      slot.nameIds.push(this.addName(slotId, i === 0 ? 0 : 1, normalised, raw));
    });
    for (const domain of tenant.domains ?? []) {
      const registrable = registrableDomain(domain);
      // A tenant cannot claim gmail.com: such a domain would match everyone's requests.
      if (registrable === undefined || isPersonalMailDomain(registrable) || slot.domains.includes(registrable))
        continue;
      slot.domains.push(registrable);
      addPosting(this.byDomain, registrable, slotId);
    }
    for (const email of tenant.contactEmails ?? []) {
      const canonical = canonicalEmail(email);
      if (slot.contacts.includes(canonical)) continue;
      slot.contacts.push(canonical);
      addPosting(this.byContact, canonical, slotId);
    }
    for (const hash of counterparties ?? []) this.addCounterpartyToSlot(slotId, hash);
  }

  /** Removes a tenant entirely; false when it was not indexed. */
  remove(tenantId: string): boolean {
    const slotId = this.slotByTenantId.get(tenantId);
    if (slotId === undefined) return false;
    const slot = this.slots[slotId] as TenantSlot;
    for (const nameId of slot.nameIds) this.removeName(nameId);
    for (const domain of slot.domains) removePosting(this.byDomain, domain, slotId);
    for (const contact of slot.contacts) removePosting(this.byContact, contact, slotId);
    for (const hash of slot.counterparties ?? []) removePosting(this.byCounterparty, hash, slotId);
    this.slots[slotId] = undefined;
    this.slotByTenantId.delete(tenantId);
    this.freeSlots.push(slotId);
    return true;
  }

  /** Records counterparty hashes of a tenant; unknown tenants are ignored (false). */
  addCounterparties(tenantId: string, hashes: readonly string[]): boolean {
    const slotId = this.slotByTenantId.get(tenantId);
    if (slotId === undefined) return false;
    for (const hash of hashes) this.addCounterpartyToSlot(slotId, hash);
    return true;
  }

  removeCounterparties(tenantId: string, hashes: readonly string[]): void {
    const slotId = this.slotByTenantId.get(tenantId);
    if (slotId === undefined) return;
    const slot = this.slots[slotId] as TenantSlot;
    for (const hash of hashes) {
      if (!slot.counterparties?.delete(hash)) continue;
      removePosting(this.byCounterparty, hash, slotId);
    }
  }

  has(tenantId: string): boolean {
    return this.slotByTenantId.has(tenantId);
  }

  // ---- reads used by the matcher ----

  tenantIdOf(slot: number): string {
    return (this.slots[slot] as TenantSlot).tenantId;
  }

  slotsForDomain(domain: string): readonly number[] {
    return postingsIn(this.byDomain, domain);
  }

  slotsForContact(email: string): readonly number[] {
    return postingsIn(this.byContact, canonicalEmail(email));
  }

  slotsForCounterparty(hash: string): readonly number[] {
    return postingsIn(this.byCounterparty, hash);
  }

  nameIdsOf(slot: number): readonly number[] {
    return (this.slots[slot] as TenantSlot).nameIds;
  }

  name(nameId: number): IndexedName {
    return this.names[nameId] as IndexedName;
  }

  tokenId(token: string): number | undefined {
    return this.tokenIds.get(token);
  }

  tokenString(tokenId: number): string {
    return this.tokenStrings[tokenId] as string;
  }

  /** Names containing the token (live only). */
  postingsOf(tokenId: number): readonly number[] {
    return this.postings[tokenId] ?? [];
  }

  /** Vocabulary tokens one deletion away from the variant key (see `deletionsOf`). */
  tokensWithDeletion(variant: string): readonly number[] {
    return postingsIn(this.deletions, variant);
  }

  /** Inverse document frequency of a token over names; unknown tokens count as the rarest. */
  weightOf(tokenId: number | undefined): number {
    const df = tokenId === undefined ? 0 : (this.postings[tokenId]?.length ?? 0);
    return Math.log(1 + (this.liveNames + 1) / (df + 1));
  }

  // ---- internals ----

  private internToken(token: string): number {
    let id = this.tokenIds.get(token);
    if (id !== undefined) return id;
    id = this.tokenStrings.length;
    this.tokenIds.set(token, id);
    this.tokenStrings.push(token);
    this.postings.push([]);
    if (token.length >= MIN_FUZZY_TOKEN_LENGTH) {
      for (const variant of deletionsOf(token)) addPosting(this.deletions, variant, id);
    }
    return id;
  }

  private addName(slot: number, kind: 0 | 1, normalised: NormalisedName, display: string): number {
    const ids = normalised.tokens.map((token) => this.internToken(token));
    const nameId = this.freeNames.pop() ?? this.names.length;
    this.names[nameId] = {
      slot,
      kind,
      tokens: ids,
      legalForm: normalised.legalForm,
      punctuation: normalised.punctuation,
      display,
    };
    const distinct = new Set(ids);
    for (const tokenId of distinct) (this.postings[tokenId] as number[]).push(nameId);
    this.liveNames++;
    return nameId;
  }

  private removeName(nameId: number): void {
    const name = this.names[nameId];
    if (name === undefined) return;
    for (const tokenId of new Set(name.tokens)) {
      const list = this.postings[tokenId] as number[];
      const at = list.indexOf(nameId);
      if (at >= 0) {
        // Order within a posting list does not matter: swap-remove keeps deletion O(1) after the find.
        list[at] = list[list.length - 1] as number;
        list.pop();
      }
    }
    this.names[nameId] = undefined;
    this.freeNames.push(nameId);
    this.liveNames--;
  }

  private addCounterpartyToSlot(slotId: number, hash: string): void {
    const slot = this.slots[slotId] as TenantSlot;
    slot.counterparties ??= new Set();
    if (slot.counterparties.has(hash)) return;
    slot.counterparties.add(hash);
    addPosting(this.byCounterparty, hash, slotId);
  }
}
