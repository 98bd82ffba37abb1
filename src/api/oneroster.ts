/**
 * POST /v1/imports/oneroster?dryRun=&format=&async=  with a OneRoster 1.1 CSV export as a zip body
 * (Content-Type: application/zip) → {kind, summary, results: [{file, line, outcome, reason}]}, or
 * ?format=csv for file,line,outcome,reason; with ?async=true, 202 and an import job to follow
 * (import-jobs.ts) whose rows carry their sourcedId and key cells. Every row runs as the caller's own operation
 * (docs/PROVISIONING.md); this route only unpacks the upload and presents the results.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { rm } from 'node:fs/promises';
import { FILES } from '../integrations/oneroster/files.js';
import { importOneRoster } from '../integrations/oneroster/import.js';
import { openPath, type Source } from '../integrations/oneroster/source.js';
import { csvLine } from '../services/imports/csv.js';
import { rowOf } from '../services/imports/jobs.js';
import { caller, HttpError } from './http.js';
import { allRows, answerJob, jobsOf, ownerOf, refusalOf, spoolOrRefuse, UPLOAD_BLOCK_MS, uploadBody, wantsAsync } from './upload.js';

/** The cells a OneRoster job's result file shows beside file, line and outcome. */
const ONEROSTER_RESULT_COLUMNS = ['sourcedId', 'username', 'role', 'classSourcedId', 'userSourcedId', 'orgSourcedId', 'title', 'name'];

/** The data lines of the files Lectern reads (an upper bound on their rows), for the progress bar. */
async function countRows(source: Source): Promise<number> {
  let total = 0;
  const names = source.names();
  for (const f of FILES) {
    if (!names.includes(f.file)) continue;
    let lines = 0;
    for await (const chunk of await source.open(f.file)) for (const b of chunk as Buffer) if (b === 0x0a) lines++;
    total += Math.max(0, lines - 1);
  }
  return total;
}

/** A district's export zipped: a few hundred thousand rows compress to a few MB; 200 MB is ample. */
export const ONEROSTER_BODY_LIMIT = 200 * 1024 * 1024;

export const onerosterRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // The zip reaches the route as the request stream, spooled to disk with the byte cap.
  app.addContentTypeParser(['application/zip', 'application/x-zip-compressed', 'application/octet-stream'], (_req, payload, done) => done(null, payload));

  app.post(
    '/imports/oneroster',
    {
      schema: {
        summary: 'import a OneRoster 1.1 CSV export (a zip with manifest.csv, orgs, academicSessions, courses, classes, users, enrollments); every row applied or refused on its own',
        tags: ['imports'],
        querystring: Type.Object(
          {
            dryRun: Type.Optional(Type.Boolean({ default: false, description: 'report what would happen, write nothing' })),
            format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json', description: 'csv: the result as file,line,outcome,reason' })),
            async: Type.Optional(Type.Boolean({ description: 'answer 202 with an import job to follow at its status URL (also Prefer: respond-async)' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const c = caller(req);
      const body = uploadBody(req, 'OneRoster export as a zip file', 'application/zip');
      const { dryRun = false, format = 'json' } = req.query;
      const jobs = jobsOf(app.lectern);
      // The zip goes to disk as it arrives and is read from there one entry at a time.
      const upload = jobs.path(`oneroster-${process.hrtime.bigint()}.zip`);
      await spoolOrRefuse(body, upload, { maxBytes: ONEROSTER_BODY_LIMIT, text: false });
      let source: Source;
      try {
        source = await openPath(upload);
      } catch (e) {
        await rm(upload, { force: true });
        throw new HttpError(400, { code: 'invalidZip', field: 'body', message: `the body is not a readable zip file: ${(e as Error).message}` });
      }
      let markStarted!: () => void;
      const started = new Promise<void>((r) => (markStarted = r));
      let failure: unknown;
      const job = jobs.start(
        { kind: 'oneroster', institutionId: c.institutionId, owner: ownerOf(c), dryRun, columns: ONEROSTER_RESULT_COLUMNS, totalRows: 0 },
        async (job) => {
          try {
            job.progress.totalRows = await countRows(source);
            const rows = importOneRoster(app.lectern, c.principal, c.institutionId, source, {
              dryRun,
              withValues: true,
              maxBlockMs: UPLOAD_BLOCK_MS,
              signal: job.abort.signal,
              onStart: markStarted,
              onProgress: (file) => (job.progress.file = file),
            });
            for await (const batch of rows) await job.record(batch.map((r) => rowOf(r, r.values)));
          } catch (e) {
            failure = e;
            throw e;
          } finally {
            source.close();
            await rm(upload, { force: true });
          }
        },
        refusalOf,
      );
      const early = await answerJob(req, reply, job, started, wantsAsync(req, req.query), () => failure);
      if (early) return early;
      const results = await allRows(job);
      if (format === 'csv') {
        reply.type('text/csv; charset=utf-8');
        return ['file,line,outcome,reason\r\n', ...results.map((r) => csvLine([r.file ?? '', String(r.line), r.outcome, r.reason]))].join('');
      }
      return { kind: 'oneroster', summary: job.view().summary, results: results.map(({ values: _v, ...r }) => r) };
    },
  );
};
