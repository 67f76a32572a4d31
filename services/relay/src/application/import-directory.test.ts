import { startDirectoryImport } from './import-directory';
import type { DirectoryImportJob, DirectoryImportJobs, EventPublisher } from './ports';

class InMemoryJobs implements DirectoryImportJobs {
  readonly jobs = new Map<string, DirectoryImportJob>();
  readonly progressSeen: number[] = [];
  async create(job: DirectoryImportJob) {
    this.jobs.set(job.jobId, { ...job });
  }
  async progress(jobId: string, done: number, at: Date) {
    this.progressSeen.push(done);
    Object.assign(this.jobs.get(jobId)!, { done, updatedAt: at });
  }
  async finish(jobId: string, state: 'done' | 'failed', done: number, at: Date) {
    Object.assign(this.jobs.get(jobId)!, { state, done, updatedAt: at });
  }
  async find(jobId: string) {
    return this.jobs.get(jobId);
  }
  async listRecent() {
    return [...this.jobs.values()];
  }
}

const NOW = new Date('2026-06-15T12:00:00Z');
const clock = { now: () => NOW };
const row = (i: number) =>
  JSON.stringify({ tenantId: `t-${i}`, changedAt: '2026-06-01T00:00:00Z', legalName: `Tenant ${i} Ltd` });

describe('A directory import started from the console', () => {
  it('When every row is good, then each is published once, progress is recorded after each slice, and the job ends done', async () => {
    const jobs = new InMemoryJobs();
    const published: string[] = [];
    const publisher: EventPublisher = {
      publish: async (_contract, envelope) => void published.push((envelope.payload as { tenantId: string }).tenantId),
    };
    const { job, run } = await startDirectoryImport(
      { jobs, publisher, clock },
      { text: Array.from({ length: 250 }, (_, i) => row(i)).join('\n'), format: 'jsonl', operatorId: 'op' },
    );
    expect(job).toMatchObject({ state: 'importing', total: 250, done: 0, by: 'op' });
    expect(await run).toEqual({ state: 'done' });
    expect(new Set(published).size).toBe(250);
    expect(jobs.progressSeen).toEqual([100, 200]);
    expect(jobs.jobs.get(job.jobId)).toMatchObject({ state: 'done', done: 250 });
  });

  it('When a row is bad, then nothing is published and the job is refused with each bad row and its line', async () => {
    const jobs = new InMemoryJobs();
    const publish = jest.fn();
    const { job, run } = await startDirectoryImport(
      { jobs, publisher: { publish }, clock },
      { text: [row(1), '{"tenantId":"x"}', 'not json'].join('\n'), format: 'jsonl', operatorId: 'op' },
    );
    await run;
    expect(publish).not.toHaveBeenCalled();
    expect(jobs.jobs.get(job.jobId)).toMatchObject({ state: 'refused', total: 1, done: 0, errorCount: 2 });
    expect(jobs.jobs.get(job.jobId)!.errors.map((e) => e.line)).toEqual([2, 3]);
  });

  it('When Kafka stops taking rows part way, then the job ends failed at the rows published', async () => {
    const jobs = new InMemoryJobs();
    let calls = 0;
    const publisher: EventPublisher = {
      publish: async () => {
        if (++calls > 150) throw new Error('broker away');
      },
    };
    const { job, run } = await startDirectoryImport(
      { jobs, publisher, clock },
      { text: Array.from({ length: 250 }, (_, i) => row(i)).join('\n'), format: 'jsonl', operatorId: 'op' },
    );
    expect((await run).state).toBe('failed');
    expect(jobs.jobs.get(job.jobId)).toMatchObject({ state: 'failed', done: 100 });
  });
});
