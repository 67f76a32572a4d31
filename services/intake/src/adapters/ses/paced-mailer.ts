import type { Mailer, OutgoingMail } from '../../application/ports';

/**
 * Spaces sends to at most `perSecond` (SES refuses faster than the account's maximum send rate
 * with a throttling error). Callers wait for their slot; slots are handed out in call order.
 */
export class PacedMailer implements Mailer {
  private readonly intervalMs: number;
  private nextSlotAt = 0;

  constructor(
    private readonly inner: Mailer,
    perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.intervalMs = 1000 / perSecond;
  }

  async send(mail: OutgoingMail): Promise<{ messageId: string }> {
    const slot = Math.max(this.now(), this.nextSlotAt);
    this.nextSlotAt = slot + this.intervalMs;
    const wait = slot - this.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    return this.inner.send(mail);
  }
}
