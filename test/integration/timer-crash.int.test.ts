import { describeTimerCrash, runTimerCrash } from '../support/timer-crash-run';

// The small SIGKILL run of the ladder's durable timers (the 1,000-timer one is `npm run
// bench:timer-crash`, by hand): two relays as real processes on the same Kafka, database and SES
// endpoint; 200 timers due while no relay ran are caught up by both at once, and one relay is
// killed (and restarted) while they fire.
describe('Ladder timers while one of two relays is SIGKILLed and restarted', () => {
  it('When two relays fire 200 due timers and one is killed while they fire, then each timer fires once: its step recorded once, one escalated.v2 event per (case, step), its mail once per recipient (twice only where the intent stood without an SES id at the kill)', async () => {
    const result = await runTimerCrash({
      timers: 200,
      kills: 1,
      seed: Number(process.env.TIMER_CRASH_SEED ?? 16),
      tenants: 5,
      // Due 4 to 1 minutes ago: every minute has ended when the relays start, so both sweep at once.
      dueFromSeconds: -240,
      dueSpreadSeconds: 170,
      maxKillDelayMs: 1000,
      leaseMs: 10_000,
      settleTimeoutMs: 40_000,
    });
    const report = describeTimerCrash(result).join('\n');
    expect(result.kills.length).toBe(1);
    expect({
      unfired: result.unfired,
      missingMails: result.missingMails,
      unexpectedMails: result.unexpectedMails,
      missingEvents: result.missingEvents,
      doubleFiredEvents: result.doubleFiredEvents,
      recordedOtherThanOnce: result.recordedOtherThanOnce,
      report,
    }).toEqual({
      unfired: [],
      missingMails: [],
      unexpectedMails: 0,
      missingEvents: [],
      doubleFiredEvents: [],
      recordedOtherThanOnce: [],
      report,
    });
    expect(result.fired).toBe(200);
    expect(result.distinctEvents).toBe(200);
    const unexplained = result.duplicateMails.filter((d) => d.windowAtKill === undefined);
    expect({ unexplained, report }).toEqual({ unexplained: [], report });
  }, 200_000);
});
