import { EmailThrottle, SubmissionLimits, addressKey } from './email-throttle';

const HOUR = 60 * 60 * 1000;
const T0 = Date.parse('2026-03-02T09:00:00Z');

/** How many submissions in a row the address gets through at `now`. */
function allowedInARow(throttle: EmailThrottle, email: string, now: number, tries = 20): number {
  let allowed = 0;
  for (let i = 0; i < tries; i++) if (throttle.tryConsume(addressKey(email), now)) allowed++;
  return allowed;
}

describe('EmailThrottle', () => {
  it('When one address submits past its allowance, then it is refused, whatever its case, and others are not', () => {
    const throttle = new EmailThrottle(3, HOUR);
    expect(allowedInARow(throttle, 'ada@example.org', T0)).toBe(3);
    expect(throttle.tryConsume(addressKey('  ADA@Example.org '), T0 + 1000)).toBe(false);
    expect(throttle.tryConsume(addressKey('grace@example.org'), T0 + 1000)).toBe(true);
  });

  it('When time passes, then earlier submissions weigh less as they leave the window, and nothing after two', () => {
    const throttle = new EmailThrottle(4, HOUR);
    expect(allowedInARow(throttle, 'ada@example.org', T0)).toBe(4);
    // Still within the hour: nothing more.
    expect(throttle.tryConsume(addressKey('ada@example.org'), T0 + HOUR - 1)).toBe(false);
    // Half of the next window gone: the four count as two.
    expect(allowedInARow(throttle, 'ada@example.org', T0 + HOUR + HOUR / 2)).toBe(2);
    // Two windows later everything is forgotten.
    expect(allowedInARow(throttle, 'ada@example.org', T0 + 4 * HOUR)).toBe(4);
  });

  it('When more addresses come than it may count, then it forgets the oldest counts (lenient) and keeps the latest', () => {
    const throttle = new EmailThrottle(2, HOUR, 10);
    expect(allowedInARow(throttle, 'first@example.org', T0)).toBe(2);
    for (let i = 0; i < 25; i++)
      expect(throttle.tryConsume(addressKey(`requester-${i}@example.org`), T0 + 1 + i)).toBe(true);
    // Over twice the bound later, the first address is forgotten; the last one is still counted.
    expect(throttle.tryConsume(addressKey('first@example.org'), T0 + 100)).toBe(true);
    expect(throttle.tryConsume(addressKey('requester-24@example.org'), T0 + 101)).toBe(true);
    expect(throttle.tryConsume(addressKey('requester-24@example.org'), T0 + 102)).toBe(false);
  });

  it('When the wall clock goes back, then the window starts again from then, no stricter than before', () => {
    const throttle = new EmailThrottle(4, HOUR);
    expect(allowedInARow(throttle, 'ada@example.org', T0)).toBe(4);
    // Half into the next window the four weigh two: two more get through.
    expect(allowedInARow(throttle, 'ada@example.org', T0 + HOUR + HOUR / 2)).toBe(2);
    // The clock steps back an hour: the latest two still count, nothing weighs more than once.
    expect(allowedInARow(throttle, 'ada@example.org', T0 + HOUR / 2)).toBe(2);
  });
});

describe('SubmissionLimits per requester mailbox', () => {
  it('When one mailbox is written with sub-address tags, Gmail dots or googlemail.com, then every spelling shares its allowance', () => {
    // Every spelling below is delivered to the same inbox: were each counted on its own, anyone
    // could mail that inbox without bound (SMTP and SES inbound have no per-client allowance).
    const limits = new SubmissionLimits(new EmailThrottle(3, HOUR), undefined, () => T0);
    const admitted = (email: string) => limits.counterFor({ email }).tryCount();
    for (const email of ['ada@example.org', 'ada+1@example.org', 'Ada+anything@Example.org']) {
      expect(admitted(email)).toBe(true);
    }
    expect(admitted('ada+4@example.org')).toBe(false);
    for (const email of ['jane.doe@gmail.com', 'janedoe+x@gmail.com', 'j.a.n.e.d.o.e@googlemail.com']) {
      expect(admitted(email)).toBe(true);
    }
    expect(admitted('JaneDoe@gmail.com')).toBe(false);
    // Dots are part of the mailbox elsewhere, and a tag alone is not a mailbox.
    expect(admitted('jane.doe@example.org')).toBe(true);
    expect(admitted('janedoe@example.org')).toBe(true);
  });
});
