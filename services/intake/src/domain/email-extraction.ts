import { createHash } from 'node:crypto';
import { LIMITS } from '@privacy-relay/shared/events';
import { intakeRequestSchema, requesterEmailSchema, type IntakeRequest, type Right } from './intake-request';

/** One mailbox of an address header, as the MIME parser saw it. */
export interface EmailMailbox {
  name: string;
  address: string;
}

/** What we noted about an attachment we did not keep. */
export interface AttachmentNote {
  filename: string;
  contentType: string;
  size: number;
}

/**
 * An email after MIME parsing, channel-independent: what the SMTP listener and the SES inbound
 * notification both hand to extraction. HTML-only mail arrives here already converted to text.
 */
export interface InboundEmail {
  from: readonly EmailMailbox[];
  /** How many From header lines the mail has (the parser keeps only the first one's mailboxes). */
  fromHeaderCount?: number;
  /** How many different address-like texts the (first) raw From header holds, display name included. */
  fromHeaderAddresses?: number;
  replyTo: readonly EmailMailbox[];
  subject: string;
  /** The plain text body (or the HTML body converted to text); unbounded here, bounded by extraction. */
  text: string;
  /** The Message-ID header as sent, angle brackets and all; absent when the mail has none. */
  messageId?: string | undefined;
  attachments: ReadonlyArray<{ filename?: string | undefined; contentType?: string | undefined; size?: number }>;
  /**
   * The mail says it was sent by a machine (Auto-Submitted, Precedence: bulk/junk/list/auto_reply,
   * X-Autoreply, a delivery or read report). Such mail is never a request, and answering it with a
   * receipt could start a mail loop with an auto-responder.
   */
  automatic?: boolean;
  /** The raw values of the Authentication-Results fields (RFC 8601), topmost first; the SMTP channel's evidence. */
  authenticationResults?: readonly string[];
}

/** Why a mail cannot become a request. The messages name no personal data. */
export type UnusableEmailReason = 'no-sender' | 'invalid-sender' | 'nothing-asked' | 'invalid-request';

export type EmailExtraction =
  | {
      usable: true;
      request: IntakeRequest;
      /**
       * The requester is the one From mailbox (not a different Reply-To, not one of several From
       * mailboxes or headers): only then can sender checks verify them.
       */
      requesterIsSender: boolean;
      attachments: AttachmentNote[];
    }
  | { usable: false; reason: UnusableEmailReason; message: string };

export interface ExtractionContext {
  /**
   * Our own (privacy) addresses. Unused since the company is no longer taken from the body (the
   * relay reads it from the text); kept so the channels' wiring need not change.
   */
  ownAddresses: readonly string[];
}

/** How much text keyword and company searches read: enough for any real letter, bounded for regex cost. */
const SEARCH_WINDOW = 100_000;

// Unicode-aware word edges: \b only knows ASCII letters, and requests arrive in every language.
const EDGE_BEFORE = '(?<![\\p{L}\\p{N}_])';
const EDGE_AFTER = '(?![\\p{L}\\p{N}_])';
const words = (source: string, flags = 'iu') => new RegExp(`${EDGE_BEFORE}(?:${source})${EDGE_AFTER}`, flags);

/**
 * Keywords per right. English first; a few common French and German forms too. Matching is
 * deliberately generous: the controller reads the requester's own text beside the rights we
 * derived, and a missed right costs more than an extra one.
 */
const RIGHT_PATTERNS: ReadonlyArray<readonly [Exclude<Right, 'other'>, readonly RegExp[]]> = [
  [
    'access',
    [
      words('access|subject[\\s-]+access|copy\\s+of\\s+(?:my|the|all)\\s+(?:personal\\s+)?(?:data|information)'),
      words('what\\s+(?:personal\\s+)?(?:data|information)\\s+(?:do\\s+)?you\\s+(?:hold|have|keep|store)'),
      words('D?SARs?', 'u'),
      words('accès|acces|auskunft'),
    ],
  ],
  [
    'rectification',
    [
      words('rectif(?:y|ied|ying|ication)|correct(?:ed|ing|ion)?|inaccurate|incorrect'),
      words('update\\s+my\\s+(?:personal\\s+)?(?:data|details|information|address|name)'),
      words('berichtigung|berichtigen'),
    ],
  ],
  [
    'erasure',
    [
      words('eras(?:e|ed|ing|ure)|delet(?:e|ed|ing|ion)|forget|forgotten'),
      words('remove\\s+(?:all\\s+)?(?:of\\s+)?my\\s+(?:personal\\s+)?(?:data|information|details)'),
      words('effacement|effacer|supprimer|suppression|löschung|löschen|loeschen'),
    ],
  ],
  ['restriction', [words('restrict(?:ed|ing|ion)?|limitation\\s+du\\s+traitement|einschränkung')]],
  ['portability', [words('portab(?:le|ility)|portabilité|export(?:ed|ing)?|transfer(?:red|ring)?')]],
  [
    'objection',
    [
      words('object(?:s|ed|ing|ion)?|opt(?:ing)?[\\s-]*out|stop\\s+processing'),
      words('opposition|widerspruch|widersprechen'),
    ],
  ],
  [
    'withdraw-consent',
    [
      words(
        '(?:withdraw(?:n|ing|al)?|revok(?:e|ing)|revocation|retract)\\s+(?:of\\s+)?(?:my\\s+|all\\s+|the\\s+)?consent',
      ),
      words('unsubscrib(?:e|ed|ing)'),
      words('retirer\\s+(?:mon\\s+)?consentement|einwilligung\\s+widerrufen|widerruf'),
    ],
  ],
];

/**
 * One keyword per right that must always yield it wherever it stands between words (the
 * property tests hold extraction to this).
 */
export const RIGHT_KEYWORD_EXAMPLES: Readonly<Record<Exclude<Right, 'other'>, readonly string[]>> = {
  access: ['access', 'subject access', 'copy of my data', 'SAR', 'DSAR'],
  rectification: ['rectify', 'correct', 'rectification'],
  erasure: ['erase', 'delete', 'forget', 'right to be forgotten', 'erasure'],
  restriction: ['restrict', 'restriction'],
  portability: ['portability', 'export', 'transfer'],
  objection: ['object', 'opt out', 'opt-out', 'objection'],
  'withdraw-consent': ['withdraw consent', 'withdraw my consent', 'unsubscribe'],
};

/** The rights a text asks for, in vocabulary order; empty when no keyword is found. */
export function detectRights(text: string): Array<Exclude<Right, 'other'>> {
  const window = text.slice(0, SEARCH_WINDOW);
  return RIGHT_PATTERNS.filter(([, patterns]) => patterns.some((pattern) => pattern.test(window))).map(
    ([right]) => right,
  );
}

// eslint-disable-next-line no-control-regex
const CONTROL_IN_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
// Keeps tab, line feed and carriage return: the body is multi-line text.
// eslint-disable-next-line no-control-regex
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/** One line, no control characters (no header injection into anything we later send), bounded. */
export function toOneLine(value: string, max: number): string {
  return truncate(value.replace(CONTROL_IN_LINE, ' ').replace(/\s+/g, ' ').trim(), max).trim();
}

/** Cuts to at most `max` UTF-16 units without leaving half a surrogate pair behind. */
function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  const cut = value.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/**
 * `email:` and the Message-ID without its brackets and whitespace (the same mail resent keeps
 * its Message-ID); a Message-ID too long to be a key, or none, falls back to a hash.
 */
export function emailIdempotencyKey(messageId: string | undefined, raw: Uint8Array): string {
  const normalised = (messageId ?? '').replace(/[\s<>]+/g, '').replace(CONTROL_IN_LINE, '');
  if (normalised.length > 0 && normalised.length <= 500) return `email:${normalised}`;
  if (normalised.length > 500) return `email:sha256:${sha256(normalised)}`;
  return `email:sha256:${sha256(raw)}`;
}

function sha256(value: string | Uint8Array): string {
  return createHash('sha256').update(value).digest('hex');
}

function firstValidMailbox(mailboxes: readonly EmailMailbox[]): EmailMailbox | undefined {
  for (const mailbox of mailboxes) {
    const address = requesterEmailSchema.safeParse(mailbox.address);
    if (address.success) return { name: mailbox.name, address: address.data };
  }
  return undefined;
}

/**
 * Turns a parsed email into a validated intake request: the requester is Reply-To or From, the
 * rights come from keywords in subject and body ("other" with the subject when none), the text is
 * the bounded body; attachments are only noted. Never throws: what cannot become a request is
 * reported as unusable, with a reason.
 */
export function extractEmailRequest(email: InboundEmail, _context: ExtractionContext): EmailExtraction {
  const mailboxes = [...email.replyTo, ...email.from];
  if (!mailboxes.some((mailbox) => mailbox.address.trim().length > 0)) {
    return { usable: false, reason: 'no-sender', message: 'The mail has no sender address (From or Reply-To)' };
  }
  const requester = firstValidMailbox(email.replyTo) ?? firstValidMailbox(email.from);
  if (!requester) {
    return { usable: false, reason: 'invalid-sender', message: 'The sender address is not a valid email address' };
  }
  // DMARC judges one From domain: with several From mailboxes or headers, which one it judged is
  // not ours to guess, so no requester counts as the proven sender.
  // Nor when the one From header holds other address-like text beside its address
  // ("<victim@bank>mallory@evil"): parsers differ on which one such a header names.
  const sender =
    email.from.length === 1 && (email.fromHeaderCount ?? 1) <= 1 && (email.fromHeaderAddresses ?? 1) <= 1
      ? email.from[0]
      : undefined;
  const requesterIsSender = sender !== undefined && sender.address.toLowerCase() === requester.address.toLowerCase();

  const subject = toOneLine(email.subject, LIMITS.otherRightTextMax);
  const body = truncate(email.text.replace(CONTROL_IN_TEXT, '').trim(), LIMITS.freeTextMax);
  if (subject.length === 0 && body.length === 0) {
    return { usable: false, reason: 'nothing-asked', message: 'The mail has neither a subject nor a text' };
  }

  const detected = detectRights(`${subject}\n${email.text}`);
  const name = toOneLine(requester.name, LIMITS.nameMax) || toOneLine(requester.address.split('@')[0] ?? '', 200);

  const parsed = intakeRequestSchema.safeParse({
    requester: { name: name || 'Unknown', email: requester.address },
    rights: detected.length > 0 ? detected : ['other'],
    ...(detected.length === 0 && subject ? { otherRightText: subject } : {}),
    // No company from the body here: the relay reads the company named in the text the same way
    // for every channel, and an address in the body is never the company's (it may be the writer's employer).
    text: body,
  });
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || 'request'))];
    return {
      usable: false,
      reason: 'invalid-request',
      message: `The mail does not make a valid request (${fields.join(', ')})`,
    };
  }

  const attachments = email.attachments.slice(0, LIMITS.attachmentsMax).map((attachment) => ({
    filename: toOneLine(attachment.filename ?? '', 255) || 'unnamed',
    contentType: toOneLine(attachment.contentType ?? '', 255) || 'application/octet-stream',
    size: Number.isSafeInteger(attachment.size) && (attachment.size ?? 0) >= 0 ? (attachment.size ?? 0) : 0,
  }));
  return { usable: true, request: parsed.data, requesterIsSender, attachments };
}
