/**
 * A seeded, deterministic synthetic tenant directory and labelled request set for tuning and
 * benchmarking the matcher. Names are built the way real company names are (surnames, invented
 * brands, places, trade words, legal forms of several jurisdictions) and deliberately include
 * near-duplicates, among tenants and among companies absent from the directory: one letter apart
 * (Joro/Juro), same words with another legal form, a word more, fewer or changed, singular for
 * plural, other punctuation inside the name; parents and subsidiaries sharing a domain. Requests
 * are variants a person would type, in the fields or only in the free text, and requests whose
 * evidence cannot name a company (an address only in the text, a name and an address of two
 * different companies, the requester a counterparty of several tenants).
 */

export interface TenantRecord {
  id: string;
  legalName: string;
  aliases?: string[];
  domains?: string[];
  contacts?: { email: string }[];
  /** Counterparty addresses (clear here; the matcher only ever sees keyed hashes). */
  counterparties?: string[];
}

export interface LabelledRequest {
  id: string;
  requesterEmail: string;
  companyName?: string;
  companyEmail?: string;
  text?: string;
  /** Gold answer: the tenants the request concerns; empty when the company is not a tenant. */
  expected: string[];
  variant: string;
}

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SURNAMES =
  `Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White Roberts Green Hall Wood Jackson Clarke Patel Khan Lewis James Phillips Mason Mitchell Rose Davis Rodriguez Cox Alexander Morgan Moore Murphy Hughes Edwards Harris Martin Lee King Baker Hill Scott Young Allen Turner Carter Collins Parker Bennett Cooper Ward Morris Price Bell Cook Richardson Bailey Harrison Shaw Fisher Hartley Ashworth Pemberton Fairbanks Whitmore Caldwell Hargreaves Blackwood Thornton Langley Kingsley Radcliffe Winslow Sinclair Montague Beaumont Ellingham Castellano Moreau Dubois Lefebvre Fontaine Rousseau Girard Laurent Bonnet Mercier Schmidt Schneider Fischer Weber Meyer Wagner Becker Hoffmann Schulz Koch Richter Klein Wolf Neumann Zimmermann Braun Hartmann Krüger Lange Werner Janssen Visser Bakker Smit Meijer Mulder Bos Vos Peters Hendriks Dekker Brouwer Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti Costa Giordano Mancini Lombardi Moretti García Fernández González Martínez Sánchez Pérez Gómez Ruiz Díaz Moreno Muñoz Álvarez Romero Navarro Torres Domínguez Vázquez Ramos Gil Serrano Molina Blanco Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsen Hansen Nielsen Jensen Pedersen Kristensen Virtanen Korhonen Nieminen Mäkinen O'Brien O'Connor O'Neill McCarthy Gallagher Doherty Kennedy Lynch Quinn Byrne Nolan Brennan MacLeod Campbell Stewart Fraser Ferguson Douglas Sutherland Mackenzie Ramsay Burns Okafor Adeyemi Mensah Nakamura Tanaka Suzuki Chen Wang Zhang Liu Singh Sharma Gupta Kumar Reddy Nair Iyer Mehta Shah Chowdhury Rahman Hussain Ali Haddad Nasser Abbott Ainsworth Appleby Atherton Bancroft Barlow Bellamy Blackburn Bradshaw Brockway Cartwright Chadwick Chambers Chatterton Cromwell Crossley Dalton Darby Dawson Denholm Dunmore Eastwood Fairclough Farnsworth Fenwick Garside Gaskell Goodwin Greenhalgh Hadley Halliwell Hammond Harding Haworth Heywood Holloway Hopkinson Horsfall Kershaw Kirkbride Lockwood Lowther Marsden Maxwell Merriman Midgley Nettleton Oakes Ollerenshaw Padgett Pickering Pilkington Postlethwaite Quarmby Rawlinson Redfern Ridley Rowbotham Sagar Sowerby Stansfield Sutcliffe Tattersall Thackeray Townend Tweedale Unsworth Wadsworth Walmsley Whiteley Wilkinson Woodhouse Yardley Berger Frank Keller Lorenz Vogel Jung Hahn Schubert Kaiser Fuchs Peeters Claes Maes Wouters Lambert Dupont Leroy Fournier Chevalier Perrin Lemaire Barbieri Fontana Rinaldi Caruso Ferri Vitale Santoro Marchetti Castro Ortega Delgado Rubio Ibáñez Lindqvist Holm Berg Dahl Lund Sandberg Halvorsen Lindgren Salo Laine`.split(
    ' ',
  );
const INDUSTRIES =
  `Logistics Consulting Solutions Systems Engineering Construction Properties Holdings Group Services Technology Software Analytics Media Marketing Design Architecture Finance Capital Investments Insurance Partners Associates Foods Bakery Brewing Distillery Farms Dairy Motors Automotive Transport Freight Shipping Aviation Energy Solar Power Utilities Telecom Networks Security Cleaning Catering Hospitality Hotels Travel Leisure Fitness Healthcare Pharmaceuticals Dental Care Clinics Laboratories Recruitment Staffing Training Education Publishing Printing Packaging Textiles Fashion Retail Trading Imports Wholesale Furniture Interiors Plumbing Electrical Roofing Landscaping Estates Lettings Developments Manufacturing Plastics Metals Chemicals Electronics Robotics Games Studios Productions Events Ventures Data Cloud Digital Payments Lending Mortgages Legal Accountancy Audit Advisory Apparel Bikes Books Boats Candles Ceramics Coffee Cosmetics Crafts Drones Fabrics Flooring Flowers Glass Hardware Jewellery Kitchens Lighting Optics Paints Pets Photography Pottery Signs Spirits Surveying Tiles Toys Tyres Windows Wines Yachts Veterinary Orthodontics Physio Pilates Couriers Removals Storage Scaffolding`.split(
    ' ',
  );
const ADJECTIVES =
  `Blue Red Green Golden Silver Black White Bright Clear Swift Bold Grand Royal Noble Prime First Northern Southern Eastern Western Central Coastal Urban Rural Modern Classic Global National Premier Elite Smart Simple True Pure Fresh Open Rapid Quiet Wild Little Great High Deep Old New Crimson Amber Emerald Sapphire Scarlet Ivory Copper Iron Stone Oak Maple Cedar Willow Hazel Agile Ancient Azure Brave Brisk Calm Candid Cardinal Civic Cobalt Cosmic Crystal Daring Distant Dynamic Eager Electric Evergreen Fair Fearless Fine Firm Frosty Gentle Glad Honest Humble Infinite Jolly Keen Kind Liberty Lucky Lunar Majestic Merry Mighty Misty Native Nimble Olive Onyx Pacific Polar Proud Quick Radiant Regal Ruby Rustic Sacred Secure Serene Sharp Solid Sterling Stellar Sunny Tidy Trusty Velvet Vital Vivid Warm Wise Young Zesty`.split(
    ' ',
  );
const NOUNS =
  `Harbour River Bridge Tower Castle Meadow Valley Mountain Ocean Island Forest Garden Orchard Field Lake Falcon Eagle Hawk Raven Fox Wolf Bear Lion Tiger Otter Badger Heron Swan Phoenix Dragon Arrow Anchor Compass Beacon Lantern Crown Shield Sword Hammer Anvil Spark Flame Star Moon Sun Comet Horizon Summit Peak Ridge Gate Path Quay Wharf Mill Forge Foundry Works Yard Barn Kitchen Table Pantry Cellar Loft Studio Canvas Pixel Circuit Signal Vector Matrix Quantum Atlas Zenith Apex Vertex Nimbus Aurora Acorn Alder Alpine Amberley Arbor Arch Aspen Bay Beech Birch Bloom Bluebell Boulder Brook Canyon Cape Cascade Chapel Cliff Clover Coast Cove Creek Crest Dale Delta Dune Elm Fern Fjord Glade Glen Granite Grove Haven Heath Hill Hollow Ivy Juniper Kestrel Knoll Lark Laurel Ledge Lily Linden Lotus Marsh Mesa Mist Moor Nest Oasis Orbit Owl Pebble Pine Plateau Poplar Prairie Quarry Rain Reef Robin Rowan Sage Shore Sparrow Spruce Spring Stream Thistle Thorn Tide Trail Tulip Vale Vine Wave Wren`.split(
    ' ',
  );
const PLACES =
  `London Manchester Birmingham Leeds Glasgow Edinburgh Bristol Cardiff Belfast Liverpool Newcastle Sheffield Nottingham Leicester Oxford Cambridge Brighton Norwich York Bath Exeter Plymouth Aberdeen Dundee Inverness Swansea Kent Surrey Essex Devon Cornwall Yorkshire Lancashire Cheshire Dorset Somerset Hampshire Sussex Norfolk Suffolk Thames Pennine Cotswold Mersey Severn Dublin Cork Galway Berlin Munich Hamburg Paris Lyon Amsterdam Rotterdam Utrecht Brussels Antwerp Madrid Barcelona Milan Rome Vienna Zurich Geneva Stockholm Oslo Copenhagen Helsinki Lisbon Boston Chicago Denver Austin Seattle Atlanta Phoenix Dallas Texas Ohio Pacific Atlantic Midwest Derby Durham Lancaster Lincoln Carlisle Chester Coventry Hull Ipswich Luton Oxfordshire Reading Salisbury Stirling Truro Wakefield Warwick Winchester Worcester Wrexham Bangor Perth Kendal Whitby Harrogate Stuttgart Cologne Frankfurt Leipzig Dresden Bremen Lille Marseille Nantes Bordeaux Toulouse Eindhoven Groningen Ghent Bruges Valencia Seville Bilbao Turin Naples Bologna Florence Porto Gothenburg Malmo Bergen Aarhus Tampere Limerick Portland Miami Nashville Orlando Houston Carolina Vermont`.split(
    ' ',
  );
const SYLLABLES =
  `ka ze ro lu mi ta vo ne si da po ri fa xe qu bel tor van mar lin dor sen vik nor tal ber cor fin gal hex jun kel mon nex pax quo rex sol tek ul vel wen yar zor ax eon ix oz um ar en is on`.split(
    ' ',
  );
const TLDS_BY_JURISDICTION: Record<string, string[]> = {
  GB: ['co.uk', 'com', 'uk'],
  US: ['com', 'io', 'us'],
  DE: ['de', 'com'],
  FR: ['fr', 'com'],
  NL: ['nl', 'com'],
  ES: ['es', 'com'],
  IT: ['it', 'com'],
  SE: ['se', 'com'],
  IE: ['ie', 'com'],
};
const FORMS: Record<string, string[]> = {
  GB: ['Ltd', 'Limited', 'Ltd.', 'plc', 'LLP'],
  US: ['Inc.', 'Inc', 'LLC', 'Corp.', 'Corporation'],
  DE: ['GmbH', 'AG', 'GmbH & Co. KG', 'UG (haftungsbeschränkt)'],
  FR: ['SAS', 'SARL', 'S.A.'],
  NL: ['B.V.', 'N.V.'],
  ES: ['S.L.', 'S.A.'],
  IT: ['S.p.A.', 'S.r.l.'],
  SE: ['AB'],
  IE: ['Limited', 'DAC', 'Teoranta'],
};
const JURISDICTIONS: [string, number][] = [
  ['GB', 0.5],
  ['US', 0.2],
  ['DE', 0.08],
  ['FR', 0.06],
  ['NL', 0.05],
  ['ES', 0.04],
  ['IT', 0.03],
  ['SE', 0.02],
  ['IE', 0.02],
];
/** How people abbreviate words in company names. */
export const ABBREVIATIONS: Record<string, string> = {
  International: 'Intl',
  Management: 'Mgmt',
  Services: 'Svcs',
  Group: 'Grp',
  Holdings: 'Hldgs',
  Technology: 'Tech',
  Systems: 'Sys',
  Solutions: 'Solns',
  Associates: 'Assoc',
  Manufacturing: 'Mfg',
  Laboratories: 'Labs',
  Development: 'Dev',
  Developments: 'Devs',
  Pharmaceuticals: 'Pharma',
  Properties: 'Props',
  Communications: 'Comms',
  Marketing: 'Mktg',
  Brothers: 'Bros',
  Engineering: 'Eng',
  Investments: 'Invest',
};

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function pickWeighted(r: Rand): string {
  let x = r();
  for (const [j, w] of JURISDICTIONS) {
    if ((x -= w) <= 0) return j;
  }
  return 'GB';
}

/** An invented word; standalone brands get three syllables, as short ones are taken. */
function brand(r: Rand, syllables?: number): string {
  const n = syllables ?? (r() < 0.55 ? 2 : 3);
  let s = '';
  for (let i = 0; i < n; i++) s += pick(r, SYLLABLES);
  return cap(s);
}

/** A company's distinctive words (without legal form). */
function coreName(r: Rand): string[] {
  const x = r();
  if (x < 0.33) return [brand(r), pick(r, INDUSTRIES)];
  if (x < 0.4) return [brand(r, 3)];
  if (x < 0.5) return [pick(r, SURNAMES), pick(r, INDUSTRIES)];
  if (x < 0.55) return [pick(r, SURNAMES), '&', pick(r, SURNAMES)];
  if (x < 0.67) return [pick(r, ADJECTIVES), pick(r, NOUNS), pick(r, INDUSTRIES)];
  if (x < 0.8) {
    const first = pick(r, INDUSTRIES);
    return [
      pick(r, PLACES),
      first,
      pick(
        r,
        INDUSTRIES.filter((w) => w !== first),
      ),
    ];
  }
  if (x < 0.88) return [brand(r), pick(r, PLACES)];
  if (x < 0.97) return [pick(r, NOUNS), pick(r, SURNAMES), pick(r, INDUSTRIES)];
  return [pick(r, ADJECTIVES), pick(r, NOUNS)];
}

const slug = (words: string[]) =>
  words
    .join('')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

function typo(r: Rand, word: string): string {
  if (word.length < 3) return word;
  const i = 1 + Math.floor(r() * (word.length - 2));
  const kind = r();
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  if (kind < 0.3) return word.slice(0, i) + word.slice(i + 1); // deletion
  if (kind < 0.55) return word.slice(0, i) + pick(r, [...letters]) + word.slice(i); // insertion
  if (kind < 0.8) return word.slice(0, i) + pick(r, [...letters]) + word.slice(i + 1); // substitution
  return word.slice(0, i - 1) + word[i] + word[i - 1] + word.slice(i + 1); // transposition
}

/**
 * Identity of a name for uniqueness: word order does not make another company (the matcher ignores
 * it), punctuation inside the name does ("Blue-Harbour", "Peter's").
 */
const key = (words: string[], form: string) =>
  words
    .filter((w) => w !== '&')
    .map((w) => w.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase())
    .sort()
    .join(' ') +
  '|' +
  form.toLowerCase().replace(/[^a-z]/g, '');

interface Company {
  words: string[];
  form: string;
  jurisdiction: string;
}

function company(r: Rand): Company {
  const jurisdiction = pickWeighted(r);
  return { words: coreName(r), form: pick(r, FORMS[jurisdiction] as string[]), jurisdiction };
}

const full = (c: Company) => [...c.words, c.form].join(' ');

const KNOWN_WORDS = new Set([
  ...SURNAMES,
  ...INDUSTRIES,
  ...ADJECTIVES,
  ...NOUNS,
  ...PLACES,
  '&',
  'UK',
  'International',
  'Europe',
  'Digital',
  'Online',
  'Direct',
  'Store',
  'App',
  'Retail',
  'Finance',
]);
/** An invented word; "Blue-Harbour" and "Peter's" are made of known words. */
const isBrand = (word: string) => !word.split('-').every((part) => KNOWN_WORDS.has(part.replace(/'s$/, '')));
/** Words that have a singular and a plural (trade words, things), unlike names of people and places. */
const COUNTABLE = new Set([...INDUSTRIES, ...NOUNS]);

/** The word in the other number: Technology ↔ Technologies, Logistics ↔ Logistic, Fox ↔ Foxes. */
function otherNumber(word: string): string {
  if (/ies$/.test(word)) return word.slice(0, -3) + 'y';
  if (/(x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (/[^s]s$/.test(word)) return word.slice(0, -1);
  if (/[^aeiou]y$/.test(word)) return word.slice(0, -1) + 'ies';
  if (/(x|ch|sh)$/.test(word)) return word + 'es';
  return word + 's';
}

/** Punctuation inside a name that a registry keeps apart: Blue-Harbour, Peter's, OBrien for O'Brien. */
function repunctuated(r: Rand, words: string[]): string[] | undefined {
  const out = [...words];
  const apostrophe = out.findIndex((w) => w.includes("'"));
  if (apostrophe >= 0) {
    out[apostrophe] = (out[apostrophe] as string).replace("'", '');
    return out;
  }
  const plural = out.findIndex((w) => /[^s']s$/.test(w) && w.length > 3);
  if (plural >= 0 && r() < 0.5) {
    out[plural] = (out[plural] as string).replace(/s$/, "'s");
    return out;
  }
  const at = out.findIndex((w, i) => i + 1 < out.length && w !== '&' && out[i + 1] !== '&');
  if (at < 0) return undefined;
  out.splice(at, 2, `${out[at]}-${out[at + 1]}`);
  return out;
}

const REPLACEABLE: readonly (readonly string[])[] = [SURNAMES, INDUSTRIES, ADJECTIVES, NOUNS, PLACES];

/** Near-duplicates of an existing company: what makes wrong forwards likely. */
function nearDuplicate(r: Rand, c: Company): Company {
  const x = r();
  const words = [...c.words];
  const brandAt = words.findIndex(isBrand);
  if (x < 0.25 && brandAt >= 0) {
    // Invented brands one letter apart (Joro / Juro); real words are not misspelt into new companies.
    const parts = (words[brandAt] as string).split('-');
    const invented = parts.findIndex((part) => !KNOWN_WORDS.has(part.replace(/'s$/, '')));
    parts[invented] = typo(r, parts[invented] as string);
    words[brandAt] = parts.join('-');
    return { ...c, words };
  }
  if (x < 0.45) {
    // Same words, another jurisdiction's legal form.
    const jurisdiction = pickWeighted(r);
    return { words, form: pick(r, FORMS[jurisdiction] as string[]), jurisdiction };
  }
  if (x < 0.6) {
    // One word more.
    const extra = pick(
      r,
      [...INDUSTRIES, 'UK', 'International', 'Europe', 'Digital'].filter((w) => !words.includes(w)),
    );
    return { ...c, words: [...words, extra] };
  }
  const real = words.map((w, i) => i).filter((i) => !isBrand(words[i] as string) && words[i] !== '&');
  if (x < 0.7 && words.filter((w) => w !== '&').length >= 2) {
    // One word fewer.
    const at = 1 + Math.floor(r() * (words.length - 1));
    const fewer = words.filter((_, i) => i !== at);
    if (fewer[fewer.length - 1] === '&') fewer.pop();
    if (fewer.some((w) => w !== '&')) return { ...c, words: fewer };
  }
  if (x < 0.8 && real.length > 0) {
    // One word changed for another of its kind.
    const at = pick(r, real);
    const list = REPLACEABLE.find((l) => l.includes(words[at] as string)) ?? INDUSTRIES;
    words[at] = pick(
      r,
      list.filter((w) => !words.includes(w)),
    );
    return { ...c, words };
  }
  const countable = real.filter((i) => COUNTABLE.has(words[i] as string));
  if (x < 0.9 && countable.length > 0) {
    // Singular for plural or the other way round.
    const at = pick(r, countable);
    words[at] = otherNumber(words[at] as string);
    return { ...c, words };
  }
  const punctuated = repunctuated(r, words);
  if (punctuated) return { ...c, words: punctuated };
  return { ...c, words: [...words, 'UK'] };
}

export interface Dataset {
  tenants: TenantRecord[];
  requests: LabelledRequest[];
}

/** Builds the directory of `tenantCount` tenants and `requestCount` labelled requests. */
export function buildDataset(tenantCount: number, requestCount: number, seed = 20_260_301): Dataset {
  const r = rng(seed);
  const names = new Set<string>();
  const domains = new Set<string>();
  const companies: Company[] = [];
  const tenants: TenantRecord[] = [];

  const aliasTaken = new Set<string>();
  const cores = new Set<string>();
  const register = (c: Company): boolean => {
    const k = key(c.words, c.form);
    const core = key(c.words, '');
    if (names.has(k) || aliasTaken.has(core) || c.words.every((w) => w === '&')) return false;
    names.add(k);
    cores.add(core);
    return true;
  };

  while (tenants.length < tenantCount) {
    const c = r() < 0.06 && companies.length > 0 ? nearDuplicate(r, pick(r, companies)) : company(r);
    if (!register(c)) continue;
    companies.push(c);
    const id = `t${tenants.length}`;
    const tenant: TenantRecord = { id, legalName: full(c) };
    if (r() < 0.25) {
      // A trading name: the first word, or a brand of its own.
      // Trading names are as unique as legal names: one taken by another tenant is not used.
      const alias =
        r() < 0.5
          ? (c.words[0] as string) + ' ' + pick(r, ['Online', 'Direct', 'Store', 'App'])
          : brand(r, 3) + (r() < 0.5 ? '' : ' ' + pick(r, INDUSTRIES));
      const aliasKey = key(alias.split(' '), '');
      if (!aliasTaken.has(aliasKey) && !cores.has(aliasKey)) {
        aliasTaken.add(aliasKey);
        tenant.aliases = [alias];
      }
    }
    if (r() < 0.75) {
      let domain = `${slug(c.words.filter((w) => w !== '&'))}.${pick(r, TLDS_BY_JURISDICTION[c.jurisdiction] as string[])}`;
      while (domains.has(domain)) domain = `${slug([...c.words, String(Math.floor(r() * 1000))])}.com`;
      domains.add(domain);
      tenant.domains = [domain];
      tenant.contacts = [{ email: `privacy@${domain}` }, { email: `dpo@${domain}` }];
    } else {
      tenant.contacts = [{ email: `${slug(c.words).slice(0, 12)}.privacy@outlook.com` }];
    }
    tenants.push(tenant);
    // Subsidiaries sharing the parent's domain.
    if (tenant.domains && r() < 0.02 && tenants.length < tenantCount) {
      const sub: Company = {
        ...c,
        words: [
          ...c.words.filter((w) => w !== 'Holdings' && w !== 'Group'),
          pick(r, ['Retail', 'Services', 'Europe', 'Digital', 'Finance']),
        ],
      };
      if (register(sub)) {
        companies.push(sub);
        tenants.push({
          id: `t${tenants.length}`,
          legalName: full(sub),
          domains: [...tenant.domains],
          contacts: [{ email: `privacy@${tenant.domains[0]}` }],
        });
      }
    }
  }

  // Counterparties: people who signed contracts sent by tenants; some signed with two.
  const person = (i: number) =>
    `${slug([pick(r, SURNAMES)])}.${i}@${pick(r, ['gmail.com', 'yahoo.co.uk', 'hotmail.com', 'icloud.com', 'outlook.com'])}`;
  const people: { email: string; tenants: string[] }[] = [];
  for (let i = 0; i < Math.min(tenantCount / 5, 50_000); i++) {
    const a = pick(r, tenants);
    const owners = [a];
    if (r() < 0.15) owners.push(pick(r, tenants));
    const email = person(i);
    people.push({ email, tenants: [...new Set(owners.map((t) => t.id))] });
    for (const t of owners) (t.counterparties ??= []).push(email);
  }

  const coreKeys = new Set(companies.map((c) => key(c.words, '')));
  const aliasKeys = new Set(tenants.flatMap((t) => (t.aliases ?? []).map((a) => key(a.split(' '), ''))));
  // Companies that are not tenants: as many near-duplicates of tenants as unrelated names.
  const absent: Company[] = [];
  while (absent.length < Math.max(1000, requestCount / 4)) {
    const c = r() < 0.5 ? nearDuplicate(r, pick(r, companies)) : company(r);
    const k = key(c.words, c.form);
    const core = key(c.words, '');
    if (
      aliasKeys.has(core) ||
      names.has(k) ||
      [...Object.values(FORMS)]
        .flat()
        .some((f) => names.has(core.slice(0, -1) + '|' + f.toLowerCase().replace(/[^a-z]/g, '')))
    )
      continue;
    absent.push(c);
  }

  const requests: LabelledRequest[] = [];
  const withDomain = tenants.filter((t) => t.domains);
  const requester = (i: number) =>
    `${slug([pick(r, SURNAMES)])}${i}@${pick(r, ['gmail.com', 'proton.me', 'yahoo.com', 'btinternet.com', 'gmx.de'])}`;
  const formOf = (t: TenantRecord) => companies[Number(t.id.slice(1))] as Company;
  for (let i = 0; requests.length < requestCount; i++) {
    const id = `q${i}`;
    const x = r();
    if (x < 0.02) {
      // A company named in the field, and an address of a tenant it is not: the two disagree.
      const c = pick(r, absent);
      const tenant = pick(r, withDomain);
      requests.push({
        id,
        requesterEmail: requester(i),
        companyName: r() < 0.5 ? full(c) : c.words.join(' '),
        companyEmail:
          r() < 0.5 ? `${pick(r, ['hr', 'j.smith', 'info'])}@${tenant.domains?.[0]}` : tenant.contacts?.[0]?.email,
        expected: [],
        variant: 'name-email-conflict',
      });
      continue;
    }
    if (x < 0.04) {
      // The only address is in the free text, and it is the writer's own, at a tenant (their employer).
      const tenant = pick(r, withDomain);
      const absentName = r() < 0.5 ? full(pick(r, absent)) : undefined;
      requests.push({
        id,
        requesterEmail: requester(i),
        text:
          'Please delete all the personal data you hold about me.' +
          (absentName ? ` My account with ${absentName} was closed last year.` : '') +
          ` You can reach me at ${slug([pick(r, SURNAMES)])}@${tenant.domains?.[0]} during the day.`,
        expected: [],
        variant: 'free-text-address',
      });
      continue;
    }
    if (x < 0.2) {
      // A company that is not a tenant.
      const c = pick(r, absent);
      const v = r();
      const words = [...c.words];
      const companyName =
        v < 0.4 ? full(c) : v < 0.8 ? words.join(' ') : words.map((w, k) => (k === 0 ? typo(r, w) : w)).join(' ');
      // A typo that happens to spell a tenant's name is that tenant's name, not an absent company.
      const typed = key(
        companyName.split(' ').filter((w) => !Object.values(FORMS).flat().includes(w)),
        '',
      );
      if (typed !== key(words, '') && (coreKeys.has(typed) || aliasKeys.has(typed))) continue;
      const req: LabelledRequest = { id, requesterEmail: requester(i), companyName, expected: [], variant: 'absent' };
      if (r() < 0.3) req.companyEmail = `privacy@${slug(words)}-${i}.com`;
      requests.push(req);
      continue;
    }
    const tenant = pick(r, tenants);
    const c = formOf(tenant);
    const words = [...c.words];
    const req: LabelledRequest = { id, requesterEmail: requester(i), expected: [tenant.id], variant: '' };
    const v = r();
    if (v < 0.1) {
      req.companyName = tenant.legalName;
      req.variant = 'exact';
    } else if (v < 0.22) {
      req.companyName = words.join(' ');
      req.variant = 'no-legal-form';
    } else if (v < 0.3) {
      const j = pickWeighted(r);
      req.companyName = [...words, pick(r, FORMS[j] as string[])].join(' ');
      req.variant = 'changed-legal-form';
    } else if (v < 0.4) {
      const k = Math.floor(r() * words.length);
      words[k] = typo(r, words[k] as string);
      // A typo that happens to spell another tenant's name is that tenant's name, not a typo.
      const typed = key(words, '');
      if (typed !== key(c.words, '') && (coreKeys.has(typed) || aliasKeys.has(typed))) continue;
      req.companyName = [...words, r() < 0.5 ? c.form : ''].join(' ').trim();
      req.variant = 'typo';
    } else if (v < 0.45) {
      req.companyName = (r() < 0.5 ? full(c).toUpperCase() : full(c).toLowerCase())
        .normalize('NFKD')
        .replace(/\p{M}/gu, '')
        .replace(/&/g, 'and')
        .replace(/\./g, '');
      req.variant = 'case-accents-punctuation';
    } else if (v < 0.5) {
      req.companyName = [...words.map((w) => ABBREVIATIONS[w] ?? w), c.form].join(' ');
      req.variant = 'abbreviation';
    } else if (v < 0.56 && words.length >= 3 && !words.includes('&')) {
      words.splice(1 + Math.floor(r() * (words.length - 1)), 1);
      req.companyName = words.join(' ');
      req.variant = 'dropped-word';
    } else if (v < 0.6 && words.length >= 2) {
      req.companyName = [...words.slice(1), words[0]].join(' ');
      req.variant = 'word-order';
    } else if (v < 0.66 && tenant.aliases) {
      req.companyName = tenant.aliases[0];
      req.variant = 'trading-name';
    } else if (v < 0.72 && tenant.contacts?.[0]) {
      req.companyEmail = tenant.contacts[0].email;
      req.variant = 'contact-email';
    } else if (v < 0.8 && tenant.domains) {
      req.companyEmail = `${pick(r, ['info', 'hello', 'support', 'j.smith', 'accounts'])}@${r() < 0.2 ? 'mail.' : ''}${tenant.domains[0]}`;
      if (r() < 0.5) req.companyName = words.join(' ');
      req.variant = 'domain-email';
    } else if (v < 0.86 && tenant.counterparties?.length) {
      const p = people.find((x) => x.email === tenant.counterparties?.[0]) as { email: string; tenants: string[] };
      req.requesterEmail = p.email;
      if (r() < 0.5) {
        // The request concerns the one company the requester has in mind, whoever else they signed with.
        req.variant = p.tenants.length > 1 ? 'counterparty-only-several' : 'counterparty-only';
      } else {
        req.companyName = words.join(' ');
        req.variant = 'counterparty-and-name';
      }
    } else if (v < 0.9) {
      req.companyName = words.join(' ');
      req.companyEmail = `${slug(words).slice(0, 10)}${i}@gmail.com`;
      req.variant = 'free-mail-and-name';
    } else {
      // Several variants at once: no legal form, one abbreviation, lower case.
      req.companyName = words
        .map((w) => ABBREVIATIONS[w] ?? w)
        .join(' ')
        .toLowerCase();
      req.variant = 'lower-abbreviated';
    }
    if (req.companyName && !req.companyEmail && r() < 0.12) {
      // The company is named only in the free text (an email body, a form's or the API's text).
      const template = pick(r, [
        (n: string) => `Please send me a copy of my data.\nCompany: ${n}\nThank you.`,
        (n: string) => `I want my data erased. My contract with ${n} ended in March.`,
        (n: string) => `Hello, I have an account with ${n} and I object to marketing. Regards`,
      ]);
      req.text = template(req.companyName);
      delete req.companyName;
      req.variant = `text-${req.variant}`;
    }
    if (!req.companyName && !req.companyEmail && !req.text && !req.variant.startsWith('counterparty-only')) continue;
    requests.push(req);
  }
  return { tenants, requests };
}
