import { randomUUID } from 'node:crypto';
import { EVENTS } from '@privacy-relay/shared/events';
import { parseDirectoryFile, type DirectoryRow } from './directory-file';
import type { Clock, DirectoryImportJob, DirectoryImportJobs, EventPublisher } from './ports';

/** Rows published at once: acks=all per event, several in flight; progress is recorded after each slice. */
export const IMPORT_SLICE = 100;

/**
 * Publishes one `tenant.directory.changed.v1` per row (every relay instance stores and indexes
 * it), in slices, telling `onSlice` how many are published after each. The CLI and the console
 * both import through here.
 */
export async function publishDirectoryRows(
  publisher: EventPublisher,
  rows: readonly DirectoryRow[],
  correlationId: string,
  onSlice: (published: number) => void | Promise<void>,
): Promise<void> {
  let published = 0;
  for (let i = 0; i < rows.length; i += IMPORT_SLICE) {
    const slice = rows.slice(i, i + IMPORT_SLICE);
    await Promise.all(
      slice.map(({ payload }) =>
        publisher.publish(
          EVENTS.tenantDirectoryChangedV1,
          EVENTS.tenantDirectoryChangedV1.create(payload, { correlationId }),
        ),
      ),
    );
    published += slice.length;
    await onSlice(published);
  }
}

export interface DirectoryImportDeps {
  jobs: DirectoryImportJobs;
  publisher: EventPublisher;
  clock: Clock;
}

/** At most this many bad rows are kept on a refused job (the count says how many there were). */
const KEPT_ERRORS = 100;

/**
 * A directory file uploaded in the console: validated whole first with the CLI's parser (any bad
 * row refuses the file: nothing is imported, each bad row is kept on the job with its line), then
 * published row by row while the job records its progress. Returns at once with the job's id and
 * the run (which the caller does not wait for: the job page shows its progress); the run never
 * rejects: a failure is recorded on the job and returned.
 */
export async function startDirectoryImport(
  deps: DirectoryImportDeps,
  input: { text: string; format: 'jsonl' | 'csv'; asOf?: string; operatorId: string },
): Promise<{ job: DirectoryImportJob; run: Promise<{ state: DirectoryImportJob['state']; error?: unknown }> }> {
  const startedAt = deps.clock.now();
  const { rows, errors } = parseDirectoryFile(input.text, input.format, {
    ...(input.asOf ? { asOf: input.asOf } : {}),
    now: startedAt,
  });
  const job: DirectoryImportJob = {
    jobId: randomUUID(),
    by: input.operatorId,
    format: input.format,
    state: errors.length > 0 ? 'refused' : rows.length === 0 ? 'done' : 'importing',
    total: rows.length,
    done: 0,
    errors: errors.slice(0, KEPT_ERRORS),
    errorCount: errors.length,
    startedAt,
    updatedAt: startedAt,
  };
  await deps.jobs.create(job);
  if (job.state !== 'importing') return { job, run: Promise.resolve({ state: job.state }) };
  const run = (async () => {
    let done = 0;
    try {
      await publishDirectoryRows(deps.publisher, rows, `import:${job.jobId}`, async (published) => {
        done = published;
        if (published < rows.length) await deps.jobs.progress(job.jobId, published, deps.clock.now());
      });
      await deps.jobs.finish(job.jobId, 'done', done, deps.clock.now());
      return { state: 'done' as const };
    } catch (error) {
      // Kafka (or the store) away: what is published stays published (importing again is harmless:
      // each row carries its version). The job says where it stopped.
      await deps.jobs.finish(job.jobId, 'failed', done, deps.clock.now()).catch(() => undefined);
      return { state: 'failed' as const, error };
    }
  })();
  return { job, run };
}
