/**
 * Import jobs over HTTP (services/imports/jobs.ts): an upload started with ?async=true is followed
 * here by whoever started it.
 *   GET /v1/imports/jobs                         the caller's jobs, newest first
 *   GET /v1/imports/jobs/:id                     state, progress (rows done, applied, unchanged,
 *                                                refused, of about totalRows) and, once ended, the summary
 *   GET /v1/imports/jobs/:id/results?offset=&limit=&outcome=refused   a page of rows
 *   GET /v1/imports/jobs/:id/results.csv[?outcome=refused]            the result file
 * Who may see a job is policy's (import.run with the job's owner).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ImportJob } from '../services/imports/jobs.js';
import { authorize, caller, HttpError } from './http.js';
import { jobsOf, jobUrls, ownerOf } from './upload.js';

const JobParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9_-]+$' }) }, { additionalProperties: false });
const Outcome = Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('refused')], { default: 'all', description: 'refused: only the rows that were refused' }));

export const importJobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const jobOf = (req: Parameters<typeof caller>[0], id: string): ImportJob => {
    const c = caller(req);
    const job = jobsOf(app.lectern).get(c.institutionId, id);
    if (!job) throw new HttpError(404, { code: 'notFound', field: 'id', message: `id: there is no import job '${id}' (jobs are kept for an hour after they end, by the server that ran them)` });
    authorize(c, 'import.run', `institution:${c.institutionId}`, { jobOwner: job.owner });
    return job;
  };

  app.get('/imports/jobs', { schema: { summary: "the caller's import jobs, newest first", tags: ['imports'] } }, async (req) => {
    const c = caller(req);
    return { items: jobsOf(app.lectern).list(c.institutionId, ownerOf(c)).map((j) => ({ ...j.view(), ...jobUrls(j.id) })) };
  });

  app.get('/imports/jobs/:id', { schema: { summary: "an import job's state and progress (rows done, applied, unchanged, refused), and its summary once ended", tags: ['imports'], params: JobParam } }, async (req) => {
    const job = jobOf(req, req.params.id);
    return { ...job.view(), ...jobUrls(job.id) };
  });

  app.get(
    '/imports/jobs/:id/results',
    {
      schema: {
        summary: "a page of an import job's rows: line, outcome, reason and the row's own cells",
        tags: ['imports'],
        params: JobParam,
        querystring: Type.Object(
          { offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })), outcome: Outcome },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const job = jobOf(req, req.params.id);
      const { offset = 0, limit = 100, outcome = 'all' } = req.query;
      const page = await job.page(offset, limit, outcome === 'refused');
      return { state: job.state, total: page.total, offset, limit, items: page.rows };
    },
  );

  app.get(
    '/imports/jobs/:id/results.csv',
    {
      schema: {
        summary: "an import job's result file: line, outcome, code, reason and the row's own columns",
        tags: ['imports'],
        params: JobParam,
        querystring: Type.Object({ outcome: Outcome }, { additionalProperties: false }),
      },
    },
    async (req, reply) => {
      const job = jobOf(req, req.params.id);
      const refused = req.query.outcome === 'refused';
      reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${job.kind}-${refused ? 'refused' : 'results'}-${job.id}.csv"`);
      return job.csv(refused);
    },
  );
};
