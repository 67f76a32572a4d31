import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { AppError } from '@privacy-relay/shared/errors';
import type { Mailer, OutgoingMail } from '../../application/ports';

export interface SesMailerOptions {
  from: string;
  region: string;
  /** aws-ses-v2-local in development and tests; unset uses AWS. */
  endpoint?: string | undefined;
  /** A send that takes longer fails (and is reported by the caller), so no answer waits on SES. */
  timeoutMs?: number;
}

/**
 * Whether SES would refuse this one mail however often it is sent. `MessageRejected` also covers an
 * unverified sender or a sandbox recipient ("... not verified"): that is the account's set-up, and
 * those mails wait (retriable) until it is fixed, like throttling and outages do.
 */
export function isPermanentRefusal(error: unknown): boolean {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  if (name === 'InvalidParameterValue') return true;
  return name === 'MessageRejected' && !/not verified/i.test(String(message));
}

/** Mailer over Amazon SES (SendEmail). Credentials come from the SDK's default chain. */
export class SesMailer implements Mailer {
  private readonly client: SESClient;

  constructor(private readonly options: SesMailerOptions) {
    this.client = new SESClient({
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
    try {
      const result = await this.client.send(
        new SendEmailCommand({
          Source: this.options.from,
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
      throw new AppError('MAIL_UNAVAILABLE', 'SES did not accept the mail', { retriable: true, cause: error });
    }
  }
}
