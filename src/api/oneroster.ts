/**
 * POST /v1/imports/oneroster?dryRun=&format=  with a OneRoster 1.1 CSV export as a zip body
 * (Content-Type: application/zip) → {kind, summary, results: [{file, line, outcome, reason}]}, or
 * ?format=csv for file,line,outcome,reason. Every row runs as the caller's own operation
 * (docs/PROVISIONING.md); this route only unpacks the upload and presents the results.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { importOneRoster, type OneRosterRowResult } from '../integrations/oneroster/import.js';
import { openZipBuffer, type Source } from '../integrations/oneroster/source.js';
import { add, csvLine, ImportRefused, type ImportSummary } from '../services/imports/csv.js';
import { caller, fromRefusal, HttpError } from './http.js';
import { rowView } from './upload.js';

/** A district's export zipped: a few hundred thousand rows compress to a few MB; 200 MB is ample. */
export const ONEROSTER_BODY_LIMIT = 200 * 1024 * 1024;

export const onerosterRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addContentTypeParser(['application/zip', 'application/x-zip-compressed', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: ONEROSTER_BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.post(
    '/imports/oneroster',
    {
      bodyLimit: ONEROSTER_BODY_LIMIT,
      schema: {
        summary: 'import a OneRoster 1.1 CSV export (a zip with manifest.csv, orgs, academicSessions, courses, classes, users, enrollments); every row applied or refused on its own',
        tags: ['imports'],
        querystring: Type.Object(
          {
            dryRun: Type.Optional(Type.Boolean({ default: false, description: 'report what would happen, write nothing' })),
            format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json', description: 'csv: the result as file,line,outcome,reason' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const c = caller(req);
      if (!Buffer.isBuffer(req.body)) {
        throw new HttpError(415, { code: 'unsupportedMediaType', field: 'Content-Type', message: 'send the OneRoster export as a zip file with Content-Type: application/zip' });
      }
      const { dryRun = false, format = 'json' } = req.query;
      let source: Source;
      try {
        source = await openZipBuffer(req.body);
      } catch (e) {
        throw new HttpError(400, { code: 'invalidZip', field: 'body', message: `the body is not a readable zip file: ${(e as Error).message}` });
      }
      const results: OneRosterRowResult[] = [];
      try {
        for await (const batch of importOneRoster(app.lectern, c.principal, c.institutionId, source, { dryRun })) results.push(...batch);
      } catch (e) {
        if (e instanceof ImportRefused) throw fromRefusal(e.refusal);
        throw e;
      } finally {
        source.close();
      }
      if (format === 'csv') {
        reply.type('text/csv; charset=utf-8');
        return ['file,line,outcome,reason\r\n', ...results.map((r) => { const v = rowView(r); return csvLine([r.file, String(r.line), v.outcome, v.reason]); })].join('');
      }
      const summary: ImportSummary = { rows: 0, applied: 0, unchanged: 0, refused: 0, byStatus: {}, dryRun };
      for (const r of results) add(summary, r);
      return { kind: 'oneroster', summary, results: results.map((r) => ({ file: r.file, ...rowView(r) })) };
    },
  );
};
