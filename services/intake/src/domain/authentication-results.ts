/**
 * Authentication-Results header fields (RFC 8601): which authentication server (authserv-id) says
 * what about which methods. Read here only to learn our own MTA's DMARC verdict, so the parser is
 * strict where it matters: anything it cannot read is `undefined`, and a caller treats that as no
 * verdict at all.
 *
 * (mailauth, the maintained Node library for mail authentication, parses these only in an
 * undocumented internal module that does not handle nested comments; it is not a dependency for this.)
 */

/** One `method=result` with its properties, e.g. `dmarc=pass header.from=example.com`. */
export interface AuthenticationResult {
  /** Lower-cased, without a method version (`dkim/1` is `dkim`). */
  method: string;
  /** Lower-cased: pass, fail, none, temperror, … */
  result: string;
  /** `ptype.property` (lower-cased) to its value as written, e.g. `header.from` → `example.com`. */
  properties: Readonly<Record<string, string>>;
}

export interface AuthenticationResults {
  /** The authserv-id as written (compare with {@link sameAuthservId}). */
  authservId: string;
  results: readonly AuthenticationResult[];
}

/** authserv-ids name hosts or domains, compared without regard to case (RFC 8601 §2.5). */
export function sameAuthservId(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** RFC 2045 token: printable US-ASCII but space and the tspecials. */
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
const KEYWORD = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/;
/** A pvalue: a quoted string (maybe a quoted local-part with its @domain), or a token or [local-part]@domain as written. */
const PVALUE = /^(?:"(?:[^"\\]|\\.)*"(?:@[^\s";()]+)?|[^\s";()]+)/;

/**
 * Parses the value of one Authentication-Results field (everything after the colon; folded lines
 * are unfolded here). Comments, also nested ones, are dropped. `undefined` when the value does not
 * follow the grammar.
 */
export function parseAuthenticationResults(value: string): AuthenticationResults | undefined {
  const text = withoutComments(unfold(value));
  if (text === undefined) return undefined;

  const [head, ...parts] = splitOutsideQuotes(text, ';');
  // A stray trailing ';' (or ';;') is tolerated; nothing else outside the grammar is.
  const resinfos = parts.filter((part) => part.trim() !== '');
  if (head === undefined) return undefined;
  // authserv-id [ CFWS authres-version ]
  const headMatch = /^\s*("(?:[^"\\]|\\.)*"|[^\s";]+)(?:\s+(\d+))?\s*$/.exec(head);
  if (!headMatch?.[1]) return undefined;
  if (headMatch[2] !== undefined && headMatch[2] !== '1') return undefined;
  const authservId = unquote(headMatch[1]);
  if (authservId === '' || !(headMatch[1].startsWith('"') || TOKEN.test(authservId))) return undefined;

  // no-result: "; none"
  if (resinfos.length === 1 && resinfos[0]!.trim().toLowerCase() === 'none') return { authservId, results: [] };
  if (resinfos.length === 0) return undefined;

  const results: AuthenticationResult[] = [];
  for (const resinfo of resinfos) {
    const result = parseResinfo(resinfo);
    if (!result) return undefined;
    results.push(result);
  }
  return { authservId, results };
}

/**
 * The authserv-id a field names, read leniently (also from a field {@link parseAuthenticationResults}
 * cannot read), so that a field of ours that we cannot read is still known to be ours.
 */
export function authservIdOf(value: string): string | undefined {
  const unfolded = unfold(value);
  const head = splitOutsideQuotes(withoutComments(unfolded) ?? unfolded, ';')[0] ?? '';
  const first = /^\s*("(?:[^"\\]|\\.)*"|[^\s";]+)/.exec(head)?.[1];
  return first ? unquote(first) : undefined;
}

function unfold(value: string): string {
  return value.replace(/\r?\n(?=[ \t])/g, '');
}

function parseResinfo(resinfo: string): AuthenticationResult | undefined {
  let rest = resinfo.trimStart();
  const take = (pattern: RegExp): RegExpExecArray | null => {
    const match = pattern.exec(rest);
    if (match) rest = rest.slice(match[0].length).trimStart();
    return match;
  };

  // methodspec = method [ "/" version ] "=" result
  const method = take(KEYWORD);
  if (!method) return undefined;
  if (take(/^\//) && !take(/^\d+/)) return undefined;
  if (!take(/^=/)) return undefined;
  const result = take(KEYWORD);
  if (!result) return undefined;

  // [ reasonspec ] — a value like any other, kept out of the properties.
  if (/^reason\s*=/i.test(rest)) {
    take(/^reason\s*=/i);
    if (!take(PVALUE)) return undefined;
  }

  // *propspec = ptype "." property "=" pvalue
  const properties: Record<string, string> = {};
  while (rest.length > 0) {
    const ptype = take(KEYWORD);
    if (!ptype || !take(/^\./)) return undefined;
    const property = take(/^[A-Za-z0-9_-]+/);
    if (!property || !take(/^=/)) return undefined;
    const pvalue = take(PVALUE);
    if (!pvalue) return undefined;
    const key = `${ptype[0].toLowerCase()}.${property[0].toLowerCase()}`;
    // The same property twice makes its meaning unclear: unreadable.
    if (Object.hasOwn(properties, key)) return undefined;
    properties[key] = unquote(pvalue[0]);
  }
  return { method: method[0].toLowerCase(), result: result[0].toLowerCase(), properties };
}

/** The text with every comment (RFC 5322 `( … )`, nested, with quoted-pairs) made a space; `undefined` if unbalanced. */
function withoutComments(text: string): string | undefined {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && (quoted || depth > 0)) {
      if (depth === 0) out += text.slice(i, i + 2);
      i++;
      continue;
    }
    if (depth > 0) {
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) out += ' ';
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (c === '(' && !quoted) {
      depth = 1;
      continue;
    } else if (c === ')' && !quoted) return undefined;
    out += c;
  }
  return depth === 0 && !quoted ? out : undefined;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && quoted) {
      current += text.slice(i, i + 2);
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1).replace(/\\(.)/g, '$1')
    : value;
}
