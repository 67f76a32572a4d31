import { PeriodicTask } from './periodic-task';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('PeriodicTask', () => {
  it('When a run takes longer than the interval, then runs never overlap, a failing run is reported and the next one still comes', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const errors: unknown[] = [];
    let finished!: () => void;
    const tenRuns = new Promise<void>((resolve) => (finished = resolve));
    const task = new PeriodicTask({
      intervalMs: 1,
      firstDelayMs: 0,
      run: async () => {
        active += 1;
        most = Math.max(most, active);
        runs += 1;
        for (let i = 0; i < 3; i++) await tick();
        active -= 1;
        if (runs === 2) throw new Error('the second run fails');
        if (runs === 10) finished();
      },
      onError: (error) => errors.push(error),
    });
    task.start();
    await tenRuns;
    await task.stop();
    expect(most).toBe(1);
    expect(errors).toEqual([new Error('the second run fails')]);
  });

  it('When stopped during a run, then stop waits for that run and no other starts', async () => {
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let runs = 0;
    let finishedRuns = 0;
    const task = new PeriodicTask({
      intervalMs: 1,
      firstDelayMs: 0,
      run: async () => {
        runs += 1;
        started();
        await new Promise<void>((resolve) => (release = resolve));
        finishedRuns += 1;
      },
      onError: () => undefined,
    });
    task.start();
    await running;
    let stopResolved = false;
    const stopped = task.stop().then(() => (stopResolved = true));
    for (let i = 0; i < 3; i++) await tick();
    expect(stopResolved).toBe(false);
    release();
    await stopped;
    expect(finishedRuns).toBe(1);
    for (let i = 0; i < 5; i++) await tick();
    expect(runs).toBe(1);
  });
});
