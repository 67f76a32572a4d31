import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { AppError } from '../errors';

/** One mail to one recipient. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** SES message tags (names and values `[A-Za-z0-9_-]`, under 256 characters): they come back in SES's events. */
  tags?: Readonly<Record<string, string>>;
}

/** Sends mail (SES in production and tests); resolves with the provider's message id. */
export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
}

const TAG_TEXT = /^[A-Za-z0-9_-]{1,255}$/;

export interface SesMailerOptions {
  from: string;
  region: string;
  /** aws-ses-v2-local in development and tests; unset uses AWS. */
  endpoint?: string | undefined;
  /** A send that takes longer fails (and is reported by the caller), so no answer waits on SES. */
  timeoutMs?: number;
  /**
   * Attempts a consumer makes at a mail whose recipient SES refuses as not verified (SES sandbox)
   * before it dead-letters it (default 5). An unverified sender is retried without bound: it
   * stops every mail, and verifying it fixes them all.
   */
  unverifiedRecipientAttempts?: number;
  /** SES configuration set whose event destinations publish this mailer's delivery events (none when unset). */
  configurationSet?: string | undefined;
  /** The SES client to send with (tests add a middleware to it); built from the options above when absent. */
  client?: SESClient;
}

/**
 * Whether SES would refuse this one mail however often it is sent. `MessageRejected` also covers an
 * unverified sender or a sandbox recipient ("... not verified"): that is the account's set-up, not
 * the mail's (see {@link unverifiedIdentity}).
 */
export function isPermanentRefusal(error: unknown): boolean {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  if (name === 'InvalidParameterValue') return true;
  return name === 'MessageRejected' && !/not verified/i.test(String(message));
}

/**
 * Which identity SES refused as not verified, if that is the refusal: our own sender (every mail
 * fails until it is verified) or, in the SES sandbox, the recipient (only mails to that address
 * fail, possibly for ever). SES names the failing identities after "failed the check in region …:".
 */
export function unverifiedIdentity(error: unknown, from: string): 'sender' | 'recipient' | undefined {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  const text = String(message);
  if (name !== 'MessageRejected' || !/not verified/i.test(text)) return undefined;
  const identities = /failed the check[^:]*:(.*)$/is.exec(text)?.[1] ?? '';
  const failing = identities.split(/[\s,]+/).map((identity) => identity.trim().toLowerCase());
  return failing.includes(from.toLowerCase()) || failing.every((identity) => !identity) ? 'sender' : 'recipient';
}

/** Mailer over Amazon SES (SendEmail). Credentials come from the SDK's default chain. */
export class SesMailer implements Mailer {
  private readonly client: SESClient;

  constructor(private readonly options: SesMailerOptions) {
    this.client =
      options.client ??
      new SESClient({
        region: options.region,
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        maxAttempts: 2,
      });
  }

  private readonly inFlight = new Set<Promise<unknown>>();

  send(mail: OutgoingMail): Promise<{ messageId: string }> {
    const sending = this.sendNow(mail);
    const settled = sending.catch(() => undefined);
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return sending;
  }

  /** Waits for the sends under way (a graceful stop lets receipts go out), then closes the client. */
  async close(): Promise<void> {
    await Promise.all([...this.inFlight]);
    this.client.destroy();
  }

  private async sendNow(mail: OutgoingMail): Promise<{ messageId: string }> {
    const tags = Object.entries(mail.tags ?? {});
    for (const [name, value] of tags) {
      // A programmer error: SES would refuse the whole mail.
      if (!TAG_TEXT.test(name) || !TAG_TEXT.test(value))
        throw new Error(`SES message tag ${name} is not [A-Za-z0-9_-]`);
    }
    try {
      const result = await this.client.send(
        new SendEmailCommand({
          Source: this.options.from,
          ...(this.options.configurationSet ? { ConfigurationSetName: this.options.configurationSet } : {}),
          ...(tags.length > 0 ? { Tags: tags.map(([Name, Value]) => ({ Name, Value })) } : {}),
          Destination: { ToAddresses: [mail.to] },
          Message: {
            Subject: { Data: mail.subject, Charset: 'UTF-8' },
            Body: {
              Text: { Data: mail.text, Charset: 'UTF-8' },
              ...(mail.html ? { Html: { Data: mail.html, Charset: 'UTF-8' } } : {}),
            },
          },
        }),
        { abortSignal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) },
      );
      return { messageId: result.MessageId ?? '' };
    } catch (error) {
      if (isPermanentRefusal(error)) {
        // Sending again cannot help (a refused address or content): not retriable.
        throw new AppError('MAIL_REJECTED', 'SES refused the mail', { cause: error });
      }
      if (unverifiedIdentity(error, this.options.from) === 'recipient') {
        // Until someone verifies the address (or takes the account out of the sandbox): retried a
        // few times with backoff, then dead-lettered with this reason, never holding up the mails behind it.
        throw new AppError('MAIL_RECIPIENT_NOT_VERIFIED', 'SES refused the recipient as not verified (SES sandbox)', {
          retriable: true,
          maxAttempts: this.options.unverifiedRecipientAttempts ?? 5,
          cause: error,
        });
      }
      throw new AppError('MAIL_UNAVAILABLE', 'SES did not accept the mail', { retriable: true, cause: error });
    }
  }
}
