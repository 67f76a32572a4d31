import type { Logger } from '@privacy-relay/shared/logger';
import type { SMTPServerDataStream } from 'smtp-server';
import type { ReceiveEmailOutcome } from './receive-email';

/** An error smtp-server turns into a reply: the code and one human line, never an address. */
export class SmtpReply extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** smtp-server's onData callback: an error for a refusal, a message for the 250 line. */
export type SmtpDataCallback = (error?: Error | null, message?: string) => void;

export interface SmtpDataOptions {
  maxBytes: number;
  /** Bytes the client announced with `MAIL FROM … SIZE=`; the whole `maxBytes` is reserved without it. */
  announcedBytes?: number | undefined;
  /** Shared by every message in progress on the listener. */
  budget: SmtpMemoryBudget;
  /** The raw mail through parsing, extraction and acceptance (never rejects). */
  receive(raw: Buffer): Promise<ReceiveEmailOutcome>;
  logger: Logger;
}

/**
 * The memory all messages in progress may hold together. A message reserves what it may need
 * when its DATA starts (its announced SIZE, else the size limit) and more as it grows past that;
 * what cannot be reserved is refused with a temporary 452, so the sending MTA tries again later,
 * and nothing is held for it. So connections × message size never exceeds the total, however many
 * clients send at once.
 */
export class SmtpMemoryBudget {
  private reserved = 0;

  constructor(readonly totalBytes: number) {}

  get reservedBytes(): number {
    return this.reserved;
  }

  tryReserve(bytes: number): boolean {
    if (this.reserved + bytes > this.totalBytes) return false;
    this.reserved += bytes;
    return true;
  }

  release(bytes: number): void {
    this.reserved = Math.max(0, this.reserved - bytes);
  }
}

/**
 * One message's DATA: reads the stream within the size limit and the memory budget, and answers
 * through `callback` exactly once, whatever the order of the stream's 'error' and 'end' and the
 * handling's outcome (a second call would write a second reply into the session).
 */
export function receiveSmtpData(
  stream: SMTPServerDataStream,
  callback: SmtpDataCallback,
  options: SmtpDataOptions,
): void {
  const { maxBytes, budget, logger: log } = options;
  let answered = false;
  let reserved = 0;
  const release = () => {
    budget.release(reserved);
    reserved = 0;
  };
  const answer: SmtpDataCallback = (error, message) => {
    if (answered) return;
    answered = true;
    callback(error, message);
  };
  const wanted = Math.min(
    maxBytes,
    options.announcedBytes && options.announcedBytes > 0 ? options.announcedBytes : maxBytes,
  );
  let overBudget = !budget.tryReserve(wanted);
  if (!overBudget) reserved = wanted;

  let chunks: Buffer[] = [];
  let bytes = 0;
  // Hard limit whatever the client announced: bytes past it (or past the budget) are read and dropped, never kept.
  stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (overBudget || bytes > maxBytes) return;
    if (bytes > reserved) {
      if (budget.tryReserve(bytes - reserved)) {
        reserved = bytes;
      } else {
        overBudget = true;
        chunks = [];
        release();
        return;
      }
    }
    chunks.push(chunk);
  });
  let ended = false;
  stream.once('error', (error) => {
    log.warn({ err: error }, 'smtp data stream failed');
    // After 'end' the message is in hand: its handling answers, not a late stream failure.
    if (ended) return;
    chunks = [];
    release();
    answer(new SmtpReply(451, '4.3.0 The message could not be read; please try again'));
  });
  stream.once('end', () => {
    ended = true;
    if (answered) return release();
    if (stream.sizeExceeded || bytes > maxBytes) {
      release();
      log.info({ reason: 'too-large', bytes }, 'email rejected');
      return answer(new SmtpReply(552, `5.3.4 Message too big: the limit is ${maxBytes} bytes`));
    }
    if (overBudget) {
      release();
      log.warn({ reason: 'memory-budget', bytes, budgetBytes: budget.totalBytes }, 'email refused for now');
      return answer(new SmtpReply(452, '4.3.1 Too many messages in progress; please try again later'));
    }
    const raw = Buffer.concat(chunks);
    chunks = [];
    if (holdsSmugglingDot(raw)) {
      release();
      log.info({ reason: 'smuggling-dot', bytes }, 'email rejected');
      return answer(
        new SmtpReply(554, '5.5.2 A line holding only "." must end and begin with CR LF (bare CR or LF refused)'),
      );
    }
    options
      .receive(raw)
      .then(
        (outcome) => reply(outcome, answer),
        (error: unknown) => {
          log.error({ err: error }, 'email handling failed');
          answer(new SmtpReply(451, '4.3.0 The request could not be recorded right now; please try again later'));
        },
      )
      .finally(release);
  });
  // Refused before reading: the rest is drained so that the stream ends and the reply goes out.
  if (overBudget) stream.resume();
}

/**
 * Whether a line holding only a dot is delimited by anything but CR LF on either side (`\n.\n`,
 * `\n.\r\n`, `\r\n.\n`, `\r.\r\n`, `\r\n.\r`, …). Only CR LF . CR LF ends DATA here, but a server
 * in front of the listener (or a later hop) may take one of these for the end, and read what
 * follows as a second, forged transaction (SMTP smuggling): such a mail is refused whole, as
 * Postfix, Sendmail and Exim now do.
 */
export function holdsSmugglingDot(raw: Buffer): boolean {
  // The line break after the dot is looked ahead at, so that it can also begin the next dot line.
  for (const [, before, after] of raw.toString('latin1').matchAll(/(^|\r\n|\n|\r)\.(?=(\r\n|\n|\r))/g)) {
    if ((before !== '' && before !== '\r\n') || after !== '\r\n') return true;
  }
  return false;
}

function reply(outcome: ReceiveEmailOutcome, callback: SmtpDataCallback): void {
  switch (outcome.kind) {
    case 'accepted':
      return callback(null, `2.0.0 Accepted: your request reference is ${outcome.reference}`);
    case 'discarded':
      // Refusing would make the sender's MTA bounce it back to us; taking it ends the exchange.
      return callback(null, '2.0.0 Automatic message received; it is not a request and was discarded');
    case 'unavailable':
      return callback(new SmtpReply(451, `4.3.0 ${outcome.message}`));
    case 'throttled':
      // Temporary: the sending MTA keeps the mail and retries later; we send nothing to anyone.
      return callback(new SmtpReply(450, `4.2.1 ${outcome.message}`));
    case 'unusable':
      return callback(
        outcome.reason === 'no-sender' || outcome.reason === 'invalid-sender'
          ? new SmtpReply(550, `5.1.7 ${outcome.message}`)
          : new SmtpReply(554, `5.6.0 ${outcome.message}`),
      );
  }
}
