import { convert } from 'html-to-text';
import { simpleParser, type AddressObject, type EmailAddress, type Headers } from 'mailparser';
import type { EmailMailbox, InboundEmail } from '../../domain/email-extraction';

/** HTML beyond this is not converted (the text is bounded far below it anyway). */
const MAX_HTML_TO_CONVERT = 1_000_000;

export type MimeParseResult = { ok: true; email: InboundEmail } | { ok: false; message: string };

/**
 * Parses raw MIME (RFC 5322) into what extraction reads. Lenient like the parser it wraps
 * (broken charsets decode as best they can), but a message without any header is not mail.
 * Never throws.
 */
export async function parseMime(raw: Buffer): Promise<MimeParseResult> {
  let parsed: Awaited<ReturnType<typeof simpleParser>>;
  try {
    parsed = await simpleParser(raw, {
      skipImageLinks: true,
      skipTextLinks: true,
      skipTextToHtml: true,
      keepCidLinks: true,
      checksumAlgo: false,
      maxHtmlLengthToParse: MAX_HTML_TO_CONVERT,
      maxChildNodes: 200,
      maxHeadSize: 256 * 1024,
    });
  } catch (error) {
    return { ok: false, message: `The message is not parseable MIME (${describe(error)})` };
  }
  if (parsed.headers.size === 0) return { ok: false, message: 'The message has no headers' };

  return {
    ok: true,
    email: {
      from: mailboxes(parsed.from),
      fromHeaderCount: parsed.headerLines.filter((line) => line.key === 'from').length,
      fromHeaderAddresses: distinctAddressesIn(parsed.headerLines.find((line) => line.key === 'from')?.line),
      replyTo: mailboxes(parsed.replyTo),
      subject: parsed.subject ?? '',
      text: bodyText(parsed.text, parsed.html),
      messageId: parsed.messageId,
      automatic: isAutomatic(parsed.headers),
      authenticationResults: parsed.headerLines
        .filter((line) => line.key === 'authentication-results')
        .map((line) => line.line.slice(line.line.indexOf(':') + 1)),
      attachments: parsed.attachments.map((attachment) => ({
        filename: attachment.filename,
        contentType: attachment.contentType,
        size: attachment.size,
      })),
    },
  };
}

const AUTOMATIC_PRECEDENCE = new Set(['bulk', 'junk', 'list', 'auto_reply']);
const REPORT_TYPES = new Set(['delivery-status', 'disposition-notification']);

/** RFC 3834 Auto-Submitted, the older Precedence and X-Autoreply conventions, and RFC 6522 reports. */
function isAutomatic(headers: Headers): boolean {
  const text = (name: string): string => {
    const value = headers.get(name);
    if (typeof value === 'string') return value.trim().toLowerCase();
    if (value && typeof value === 'object' && 'value' in value && typeof value.value === 'string') {
      return value.value.trim().toLowerCase();
    }
    return '';
  };
  const autoSubmitted = text('auto-submitted');
  if (autoSubmitted && autoSubmitted !== 'no') return true;
  if (AUTOMATIC_PRECEDENCE.has(text('precedence'))) return true;
  if (headers.has('x-autoreply') || headers.has('x-autorespond')) return true;
  const contentType = headers.get('content-type');
  if (text('content-type') === 'multipart/report' && contentType && typeof contentType === 'object') {
    const reportType = (contentType as { params?: Record<string, string> }).params?.['report-type'];
    return reportType === undefined || REPORT_TYPES.has(reportType.toLowerCase());
  }
  return false;
}

// Anything shaped like local@domain, as loosely as any parser might read one.
const ADDRESS_LIKE = /[^\s@<>()",;:]+@[^\s@<>()",;:]+/g;

/**
 * How many different address-like texts the raw From header holds, wherever they stand (display
 * name, brackets, after the brackets, a folded line). Parsers differ on which of several one
 * header names; the one a DMARC checker judged may not be the one we read.
 */
function distinctAddressesIn(line: string | undefined): number {
  if (line === undefined) return 0;
  const value = line.slice(line.indexOf(':') + 1);
  return new Set([...value.matchAll(ADDRESS_LIKE)].map((match) => match[0].toLowerCase())).size;
}

function bodyText(text: string | undefined, html: string | false | undefined): string {
  if (text && text.trim().length > 0) return text;
  if (!html) return '';
  try {
    // The parser converts HTML-only mail itself; this covers HTML it gave up on (too deep, too long).
    return convert(html.slice(0, MAX_HTML_TO_CONVERT), {
      wordwrap: false,
      limits: { maxDepth: 50, maxChildNodes: 10_000 },
      selectors: [
        { selector: 'img', format: 'skip' },
        { selector: 'a', options: { ignoreHref: true } },
      ],
    });
  } catch {
    return '';
  }
}

function mailboxes(header: AddressObject | undefined): EmailMailbox[] {
  const flatten = (entries: EmailAddress[]): EmailMailbox[] =>
    entries.flatMap((entry) =>
      entry.group ? flatten(entry.group) : [{ name: entry.name ?? '', address: entry.address ?? '' }],
    );
  return header ? flatten(header.value) : [];
}

// The parser's messages name what is wrong with the structure, never content; cut them short all the same.
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : 'unknown error';
  return message.replace(/[^\x20-\x7e]/g, ' ').slice(0, 120);
}
