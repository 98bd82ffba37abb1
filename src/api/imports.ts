/**
 * CSV imports and exports of every kind (SPEC §10; columns in docs/IMPORTS.md):
 *   POST /v1/imports/:kind?dryRun=&format=&async=  with the file as a text/csv body → the job
 *     result {summary, results} once it ends, or ?format=csv for line,outcome,reason; with
 *     ?async=true, 202 and the job to follow (import-jobs.ts);
 *   GET /v1/exports/:kind → text/csv, what the caller may see, a template for import.
 * Every rule is policy's: each row runs as the caller's own operation.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { exportCsv, type ImportKind } from '../services/imports/csv.js';
import { KIND_NAMES, kindNamed } from '../services/imports/kinds.js';
import { authorize, caller, HttpError } from './http.js';
import { closeJobs, runUpload, streamCsvBodies } from './upload.js';
import { importJobRoutes } from './import-jobs.js';

const KindParam = Type.Object({ kind: Type.String({ minLength: 1, maxLength: 40, description: KIND_NAMES.join(' | ') }) }, { additionalProperties: false });

function kind(name: string): ImportKind {
  const k = kindNamed(name);
  if (!k) throw new HttpError(404, { code: 'notFound', field: 'kind', message: `kind: '${name}' is not a kind of CSV file (${KIND_NAMES.join(', ')})` });
  return k;
}

export const importRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // As in the license routes: the file as it is (text/csv), streamed, up to 50 MB, in this plugin only.
  streamCsvBodies(app);
  app.addHook('onClose', async () => closeJobs(app.lectern));
  await app.register(importJobRoutes);

  app.post(
    '/imports/:kind',
    {
      schema: {
        summary: 'import a CSV file of one kind (users, units, terms, courses, sections, enrollments, schedules, members, licenses) sent as text/csv; every row applied or refused on its own',
        tags: ['imports'],
        params: KindParam,
        querystring: Type.Object(
          {
            dryRun: Type.Optional(Type.Boolean({ default: false, description: 'report what would happen, write nothing' })),
            format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json', description: 'csv: the result as line,outcome,reason' })),
            async: Type.Optional(Type.Boolean({ description: 'answer 202 with an import job to follow at its status URL (also Prefer: respond-async)' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => runUpload(app, req, reply, kind(req.params.kind), req.query),
  );

  app.get('/exports/:kind', { schema: { summary: 'what the caller may see of one kind, as a CSV file that is a template for import', tags: ['imports'], params: KindParam } }, async (req, reply) => {
    const c = caller(req);
    const k = kind(req.params.kind);
    const w = (await app.lectern.refresh(c.institutionId)) ?? c.world;
    authorize(c, k.exportAction, `institution:${c.institutionId}`, { kind: k.name });
    reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${k.name}-${c.institutionId}.csv"`);
    return Readable.from(exportCsv(k, w, c.principal));
  });
};
