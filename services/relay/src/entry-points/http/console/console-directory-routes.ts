import { isoDateTimeSchema, tenantIdSchema } from '@privacy-relay/shared/events';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { startDirectoryImport } from '../../../application/import-directory';
import type {
  CaseListing,
  Clock,
  DirectoryImportJobs,
  EventPublisher,
  TenantDirectoryRepository,
  TenantRecord,
} from '../../../application/ports';
import { tenantMatchesQuery } from '../../../domain/console';
import { directoryPage, importJobPage, importPage, tenantPage } from './console-directory-pages';
import { CONSOLE_PREFIX, consolePage, type Notice } from './console-pages';
import type { ConsoleRouteKit } from './console-route-kit';

/** The largest directory file the console takes (the CLI has no such bound). */
export const DIRECTORY_UPLOAD_MAX_BYTES = 5 * 1024 * 1024;
/** Search results shown; past it the page asks for a narrower query. */
const SEARCH_RESULTS = 50;
/** A tenant page's cases. */
const TENANT_CASES = 200;
/** An import page reloads itself this often while the import runs (an HTTP `Refresh`, no script). */
const REFRESH_SECONDS = 2;
/** An import with no progress for this long is shown as stalled (its instance probably stopped). */
const STALLED_AFTER_MS = 2 * 60_000;

export interface DirectoryRouteDeps {
  directory: TenantDirectoryRepository;
  caseListing: CaseListing;
  importJobs: DirectoryImportJobs;
  publisher: EventPublisher;
  clock: Clock;
}

const searchQuery = z.object({ q: z.string().max(200).optional() });
const tenantParams = z.object({ tenantId: tenantIdSchema });
const jobParams = z.object({ jobId: z.uuid() });

/** The import form's fields as `@fastify/multipart` attaches them (`keyValues`: strings, the file a Buffer). */
const importForm = z.object({
  format: z.enum(['jsonl', 'csv']).default('jsonl'),
  asOf: z.string().max(40).optional(),
  file: z.instanceof(Buffer),
});

/**
 * The tenant directory in the console: search, one tenant's page, and import with progress.
 * Search scans the stored directory (bounded by its size; docs/console.md, "Query cost"). An
 * import is validated whole with the CLI's parser, then published by this instance while a job
 * document records its progress; its page reloads itself until it is done.
 */
export function registerDirectoryRoutes(app: FastifyInstance, deps: DirectoryRouteDeps, kit: ConsoleRouteKit): void {
  /** Imports under way on this instance: a graceful stop lets them finish. */
  const running = new Set<Promise<unknown>>();
  app.addHook('onClose', async () => {
    await Promise.allSettled([...running]);
  });

  app.get('/directory', async (request, reply) => {
    const parsed = searchQuery.safeParse(request.query);
    const query = parsed.success ? (parsed.data.q ?? '').trim() : '';
    const results: TenantRecord[] = [];
    let scanned = 0;
    let more = false;
    if (query !== '') {
      for await (const tenant of deps.directory.allTenants()) {
        scanned++;
        if (!tenantMatchesQuery(tenant, query)) continue;
        if (results.length === SEARCH_RESULTS) {
          more = true;
          break;
        }
        results.push(tenant);
      }
      results.sort((a, b) => a.legalName.localeCompare(b.legalName));
    }
    const notice: Notice | undefined = parsed.success
      ? undefined
      : { kind: 'error', text: 'Search with at most 200 characters.' };
    return kit.html(
      reply,
      parsed.success ? 200 : 400,
      directoryPage(kit.viewerOf(request), { query, results, more, scanned }, notice),
    );
  });

  app.get('/directory/tenants/:tenantId', async (request, reply) => {
    const params = tenantParams.safeParse(request.params);
    const tenant = params.success ? await deps.directory.findTenant(params.data.tenantId) : undefined;
    if (!tenant) {
      return kit.html(
        reply,
        404,
        consolePage('Tenant not found', kit.viewerOf(request), '<p>There is no such tenant in the directory.</p>'),
      );
    }
    const cases = await deps.caseListing.listByTenant(tenant.tenantId, TENANT_CASES);
    return kit.html(reply, 200, tenantPage(kit.viewerOf(request), tenant, cases, TENANT_CASES));
  });

  const renderImport = async (viewer: ReturnType<ConsoleRouteKit['viewerOf']>, notice?: Notice) =>
    importPage(viewer, { maxBytes: DIRECTORY_UPLOAD_MAX_BYTES, recent: await deps.importJobs.listRecent(20) }, notice);

  app.get('/directory/import', async (request, reply) =>
    kit.html(reply, 200, await renderImport(kit.viewerOf(request))),
  );

  app.post(
    '/directory/import',
    {
      config: {
        multipartOptions: { limits: { fileSize: DIRECTORY_UPLOAD_MAX_BYTES, files: 1, fields: 5, fieldSize: 1024 } },
      },
    },
    async (request, reply) => {
      const viewer = kit.viewerOf(request);
      const form = importForm.safeParse(request.body);
      if (!form.success) {
        return kit.html(
          reply,
          400,
          await renderImport(viewer, { kind: 'error', text: 'Choose a file (JSON Lines or CSV) to import.' }),
        );
      }
      const asOf = form.data.asOf?.trim() || undefined;
      if (asOf !== undefined && !isoDateTimeSchema.safeParse(asOf).success) {
        return kit.html(
          reply,
          400,
          await renderImport(viewer, {
            kind: 'error',
            text: 'The version must be an ISO 8601 time with a zone, like 2026-03-01T08:00:00Z.',
          }),
        );
      }
      const { job, run } = await startDirectoryImport(
        { jobs: deps.importJobs, publisher: deps.publisher, clock: deps.clock },
        {
          text: form.data.file.toString('utf8'),
          format: form.data.format,
          ...(asOf ? { asOf } : {}),
          operatorId: viewer.username,
        },
      );
      // Counts only: a bad row's message may quote the row (names, addresses); it is shown on the job's page, never logged.
      request.log.info(
        {
          jobId: job.jobId,
          by: viewer.username,
          format: job.format,
          rows: job.total,
          badRows: job.errorCount,
          state: job.state,
        },
        'console directory import',
      );
      const tracked = run.then((outcome) => {
        running.delete(tracked);
        request.log.info(
          {
            jobId: job.jobId,
            state: outcome.state,
            ...(outcome.error
              ? { code: (outcome.error as { code?: string }).code ?? (outcome.error as Error).name }
              : {}),
          },
          'console directory import ended',
        );
      });
      running.add(tracked);
      return reply.redirect(`${CONSOLE_PREFIX}/directory/imports/${job.jobId}`, 303);
    },
  );

  app.get('/directory/imports/:jobId', async (request, reply) => {
    const params = jobParams.safeParse(request.params);
    const job = params.success ? await deps.importJobs.find(params.data.jobId) : undefined;
    if (!job) {
      return kit.html(
        reply,
        404,
        consolePage('Import not found', kit.viewerOf(request), '<p>There is no such import.</p>'),
      );
    }
    const stalled =
      job.state === 'importing' && deps.clock.now().getTime() - job.updatedAt.getTime() > STALLED_AFTER_MS;
    if (job.state === 'importing' && !stalled) void reply.header('refresh', String(REFRESH_SECONDS));
    return kit.html(reply, 200, importJobPage(kit.viewerOf(request), job, stalled));
  });
}
