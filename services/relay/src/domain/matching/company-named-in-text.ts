import { LIMITS } from '@privacy-relay/shared/events';
import { normaliseCompanyName } from './normalise';

/** A company named in free text, and whether where its name ends is known. */
export interface CompanyInText {
  readonly name: string;
  /**
   * True when nothing marks the end of the name (no legal form, not a capitalised name): the
   * phrase may run on into the sentence ("acme widgets ended"), and the matcher drops words at its
   * end that no tenant's name has.
   */
  readonly loose: boolean;
}

/**
 * The company a requester names in the free text of a request ("Company: X Ltd", "my contract
 * with X Ltd"), whatever the channel: an email body, or the `text` of a form or API request. The
 * matcher reads it when no company was named in a field of its own.
 *
 * Addresses in the text are never taken: "reach me at jane@bigbank.example" names the writer's
 * employer, not the company asked, and forwarding on it would tell the employer who asked.
 */
export function companyNamedInText(text: string | undefined): CompanyInText | undefined {
  if (!text) return undefined;
  const ownText = text
    .slice(0, SEARCH_WINDOW)
    .split(/\r?\n/)
    // Quoted lines of earlier replies name whoever wrote before, not the company asked.
    .filter((line) => !/^\s*>/.test(line) && !/wrote:\s*$/i.test(line))
    .join('\n');
  for (const candidate of [LABELLED_COMPANY.exec(ownText)?.[1], COMPANY_PHRASE.exec(ownText)?.[1]]) {
    if (!candidate) continue;
    const found = nameAtStartOf(toOneLine(candidate, LIMITS.companyNameMax).replace(/^the\s+/i, ''));
    if (AN_ADDRESS.test(found.name)) continue;
    if (/\p{L}/u.test(found.name) && !NOT_A_COMPANY.has(found.name.toLowerCase())) return found;
  }
  return undefined;
}

/** How much text the search reads: enough for any real letter, bounded for regex cost. */
const SEARCH_WINDOW = 100_000;

// A Unicode-aware word edge: \b only knows ASCII letters, and requests arrive in every language.
const EDGE_BEFORE = '(?<![\\p{L}\\p{N}_])';

const AN_ADDRESS = /\S@\S/;
const LABELLED_COMPANY =
  /(?:^|[.!?;][ \t]+)[ \t]*(?:company(?:\s+name)?|organi[sz]ation|controller|business|data\s+controller)[ \t]*[:=][ \t]*([^\r\n]{1,400}?)[ \t]*(?=[.!?;](?:[ \t]|$)|$)/imu;
const COMPANY_PHRASE = new RegExp(
  `${EDGE_BEFORE}(?:contract|agreement|account|subscription|relationship|documents?)\\s+(?:signed\\s+)?with\\s+` +
    // Up to punctuation (not a dot inside "S.A.") or a line end; where in it the name ends is found after.
    '((?:[^.,;:!?()\\[\\]"\\r\\n]|\\.(?=\\p{L})){1,200})',
  'iu',
);
/** Words that start the next clause: a loosely written name ends before them. */
const CLAUSE_WORDS = new Set(
  'and but who which that because since as for to in on about regarding under please via through from at was were is are has have had signed where when until back ago last this i we'.split(
    ' ',
  ),
);
/** Lower-case words that may stand inside a capitalised name ("Bank of Scotland", "Van der Berg"). */
const NAME_JOINERS = new Set([
  'of',
  'and',
  '&',
  'de',
  'der',
  'den',
  'van',
  'von',
  'du',
  'des',
  'la',
  'le',
  'di',
  'da',
  'y',
  'e',
  'et',
  'und',
  'for',
]);
const NOT_A_COMPANY = new Set(['you', 'your company', 'the company', 'them', 'us', 'it', 'him', 'her', 'this company']);
// eslint-disable-next-line no-control-regex
const CONTROL_IN_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/**
 * Where the company name at the start of a phrase ends. A legal form ends it ("Acme Ltd and its
 * partners", "Acme GmbH & Co KG was"); in a capitalised name, the sentence going on in lower case
 * does ("Vital Comet Media ended in March"); else the first word that starts a clause, loosely.
 */
function nameAtStartOf(phrase: string): CompanyInText {
  const words = phrase.split(' ');
  const endsWithLegalForm = (n: number) => normaliseCompanyName(words.slice(0, n).join(' ')).legalForm !== undefined;
  for (let n = 2; n <= words.length; n++) {
    if (!endsWithLegalForm(n)) continue;
    // The longest legal form starting there: "GmbH" may go on as "GmbH & Co KG".
    let end = n;
    for (let more = n + 1; more <= Math.min(words.length, n + 3); more++) if (endsWithLegalForm(more)) end = more;
    return { name: words.slice(0, end).join(' ').replace(/,+$/, ''), loose: false };
  }
  const capitalised = (word: string | undefined) => word !== undefined && word !== 'I' && /^[\p{Lu}\p{N}]/u.test(word);
  if (capitalised(words[0])) {
    let end = 1;
    while (end < words.length) {
      const word = words[end] as string;
      if (capitalised(word) || /^[&'’(]/u.test(word)) end++;
      else if (NAME_JOINERS.has(word) && capitalised(words[end + 1])) end += 2;
      else break;
    }
    // A lower-case word among capitalised ones ("Silver jFord Scaffolding") is a slip in the name;
    // the sentence goes on (up to its next clause) in lower case after the name.
    const clause = words.findIndex((word, i) => i >= end && CLAUSE_WORDS.has(word.toLowerCase()));
    const rest = words.slice(end, clause < 0 ? words.length : clause);
    if (rest.every((word) => !/\p{Lu}/u.test(word))) {
      return { name: words.slice(0, end).join(' '), loose: false };
    }
  }
  const clause = words.findIndex((word, i) => i > 0 && CLAUSE_WORDS.has(word.toLowerCase()));
  return { name: (clause < 0 ? words : words.slice(0, clause)).join(' '), loose: true };
}

/** One line, no control characters, at most `max` UTF-16 units (no half surrogate pair left). */
function toOneLine(value: string, max: number): string {
  const line = value.replace(CONTROL_IN_LINE, ' ').replace(/\s+/g, ' ').trim();
  if (line.length <= max) return line;
  const cut = line.slice(0, max);
  return (/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut).trim();
}
