import type { Connection } from 'mongoose';
import type { DirectoryImportJob, DirectoryImportJobs } from '../../application/ports';

type JobDocument = Omit<DirectoryImportJob, 'jobId'> & { _id: string };

/**
 * The console's directory import jobs (`console_import_jobs`, `_id` = job id): one small document
 * per upload, moved by single-document `$set`s from the instance running the import. Reads are by
 * `_id`, and the import page's list of recent jobs (a scan of this small collection).
 */
export class MongoDirectoryImportJobs implements DirectoryImportJobs {
  constructor(private readonly connection: Connection) {}

  private get jobs() {
    return this.connection.collection<JobDocument>('console_import_jobs');
  }

  async create(job: DirectoryImportJob): Promise<void> {
    const { jobId, ...rest } = job;
    await this.jobs.insertOne({ _id: jobId, ...rest });
  }

  async progress(jobId: string, done: number, at: Date): Promise<void> {
    await this.jobs.updateOne({ _id: jobId, state: 'importing' }, { $set: { done, updatedAt: at } });
  }

  async finish(jobId: string, state: 'done' | 'failed', done: number, at: Date): Promise<void> {
    await this.jobs.updateOne({ _id: jobId }, { $set: { state, done, updatedAt: at } });
  }

  async find(jobId: string): Promise<DirectoryImportJob | undefined> {
    const document = await this.jobs.findOne({ _id: jobId });
    return document ? toJob(document) : undefined;
  }

  async listRecent(limit: number): Promise<DirectoryImportJob[]> {
    const documents = await this.jobs.find({}).sort({ startedAt: -1 }).limit(limit).toArray();
    return documents.map(toJob);
  }
}

function toJob({ _id, ...rest }: JobDocument): DirectoryImportJob {
  return { jobId: _id, ...rest };
}
