import { describeCrashRun, runForwardingCrash } from '../support/forwarding-crash-run';

// The small SIGKILL run (the 1,000-request one is `npm run bench:forwarding-crash`, by hand):
// the relay as a real process, killed at seeded random moments while requests flow to forwarding.
describe('Forwarding while the relay is SIGKILLed and restarted', () => {
  it('When the relay is killed three times while 150 requests flow, then every request ends forwarded (with its mail) or in triage, and a contact gets a case twice only where its intent stood without a message id at a kill', async () => {
    const result = await runForwardingCrash({
      requests: 150,
      kills: 3,
      seed: Number(process.env.CRASH_SEED ?? 15),
      tenants: 10,
      maxKillDelayMs: 1500,
      settleTimeoutMs: 30_000,
    });
    const report = describeCrashRun(result).join('\n');
    expect({ unfinished: result.unfinished, report }).toEqual({ unfinished: [], report });
    expect(result.forwarded + result.triaged).toBe(150);
    expect(result.kills.length).toBeGreaterThan(0);
    // Every forwarded case's first contact got its mail: at least one per forwarded request.
    expect(result.mailedPairs).toBe(result.forwarded);
    const unexplained = result.duplicates.filter((d) => d.windowAtKill === undefined);
    expect({ unexplained, report }).toEqual({ unexplained: [], report });
  }, 300_000);
});
