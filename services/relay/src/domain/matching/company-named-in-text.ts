import { LIMITS } from '@privacy-relay/shared/events';

/**
 * The company a requester names in the free text of a request ("Company: X Ltd", "my contract
 * with X Ltd"), whatever the channel: an email body, or the `text` of a form or API request. The
 * matcher reads it when no company was named in a field of its own.
 *
 * Addresses in the text are never taken: "reach me at jane@bigbank.example" names the writer's
 * employer, not the company asked, and forwarding on it would tell the employer who asked.
 */
export function companyNamedInText(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const ownText = text
    .slice(0, SEARCH_WINDOW)
    .split(/\r?\n/)
    // Quoted lines of earlier replies name whoever wrote before, not the company asked.
    .filter((line) => !/^\s*>/.test(line) && !/wrote:\s*$/i.test(line))
    .join('\n');
  for (const candidate of [LABELLED_COMPANY.exec(ownText)?.[1], COMPANY_PHRASE.exec(ownText)?.[1]]) {
    if (!candidate) continue;
    const value = cutAfterLegalSuffix(toOneLine(candidate, LIMITS.companyNameMax).replace(/^the\s+/i, ''));
    if (AN_ADDRESS.test(value)) continue;
    if (/\p{L}/u.test(value) && !NOT_A_COMPANY.has(value.toLowerCase())) return value;
  }
  return undefined;
}

/** How much text the search reads: enough for any real letter, bounded for regex cost. */
const SEARCH_WINDOW = 100_000;

// Unicode-aware word edges: \b only knows ASCII letters, and requests arrive in every language.
const EDGE_BEFORE = '(?<![\\p{L}\\p{N}_])';
const EDGE_AFTER = '(?![\\p{L}\\p{N}_])';

const AN_ADDRESS = /\S@\S/;
const LABELLED_COMPANY =
  /(?:^|[.!?;][ \t]+)[ \t]*(?:company(?:\s+name)?|organi[sz]ation|controller|business|data\s+controller)[ \t]*[:=][ \t]*([^\r\n]{1,400}?)[ \t]*(?=[.!?;](?:[ \t]|$)|$)/imu;
const COMPANY_PHRASE = new RegExp(
  `${EDGE_BEFORE}(?:contract|agreement|account|subscription|relationship|documents?)\\s+(?:signed\\s+)?with\\s+` +
    // Stops at punctuation, a line end, or a word that starts the next clause.
    `([^.,;:!?()\\[\\]"\\r\\n]{1,160}?)(?=[.,;:!?()\\[\\]"\\r\\n]|\\s+(?:and|but|who|which|that|because|since|as|for|to|in|on|about|regarding|under|please|via|through|from|at|was|were|is|are|has|have|had|signed|where|when|until|back|ago|last|this|i|we)${EDGE_AFTER}|$)`,
  'iu',
);
const LEGAL_SUFFIX = new RegExp(
  `^(\\S.*?\\s(?:ltd|limited|llp|llc|plc|inc|incorporated|corp|corporation|gmbh|ag|sas|sarl|bv|nv|oy|srl|spa|pty)${EDGE_AFTER}\\.?)`,
  'iu',
);
const NOT_A_COMPANY = new Set(['you', 'your company', 'the company', 'them', 'us', 'it', 'him', 'her', 'this company']);
// eslint-disable-next-line no-control-regex
const CONTROL_IN_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** "Acme Ltd and its partners" names Acme Ltd: a legal form ends a company name. */
function cutAfterLegalSuffix(value: string): string {
  return LEGAL_SUFFIX.exec(value)?.[1]?.trim() ?? value;
}

/** One line, no control characters, at most `max` UTF-16 units (no half surrogate pair left). */
function toOneLine(value: string, max: number): string {
  const line = value.replace(CONTROL_IN_LINE, ' ').replace(/\s+/g, ' ').trim();
  if (line.length <= max) return line;
  const cut = line.slice(0, max);
  return (/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut).trim();
}
