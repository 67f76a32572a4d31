import type { OutgoingMail } from '../../application/ports';
import { PacedMailer } from './paced-mailer';

describe('PacedMailer', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('When five mails are sent at once at 2 per second, then they go out half a second apart, in order', async () => {
    const sentAt: Array<[string, number]> = [];
    const mailer = new PacedMailer(
      {
        send: async (mail) => {
          sentAt.push([mail.subject, Date.now()]);
          return { messageId: mail.subject };
        },
      },
      2,
    );
    const mail = (subject: string): OutgoingMail => ({ to: 'a@example.org', subject, text: '' });
    const all = Promise.all(['1', '2', '3', '4', '5'].map((subject) => mailer.send(mail(subject))));
    await jest.advanceTimersByTimeAsync(2_000);
    await all;
    expect(sentAt).toEqual([
      ['1', 0],
      ['2', 500],
      ['3', 1000],
      ['4', 1500],
      ['5', 2000],
    ]);
  });
});
