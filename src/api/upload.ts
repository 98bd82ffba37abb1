/**
 * An uploaded CSV file run through an importer, shared by the license and the bulk-import routes:
 * the body must be text/csv; the answer is the job's result — a summary and every row's outcome —
 * as JSON, or as the CSV `line,outcome,reason`.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ImportRefused, importCsv, resultLine, summarize, type ImportKind } from '../services/imports/csv.js';
import type { RowResult } from '../services/lectern.js';
import { caller, fromRefusal, HttpError } from './http.js';

export function rowView(r: RowResult) {
  return r.status === 'ok'
    ? { line: r.line, outcome: r.changed ? 'applied' : 'unchanged', reason: '' }
    : { line: r.line, outcome: r.status, reason: r.message, code: r.code, ...(r.field ? { field: r.field } : {}) };
}

export async function runUpload(app: FastifyInstance, req: FastifyRequest, reply: FastifyReply, kind: ImportKind, query: { dryRun?: boolean; format?: 'json' | 'csv' }) {
  const c = caller(req);
  const body: unknown = req.body ?? '';
  if (typeof body !== 'string') {
    throw new HttpError(415, { code: 'unsupportedMediaType', field: 'Content-Type', message: `send the ${kind.name} CSV as the request body with Content-Type: text/csv` });
  }
  const { dryRun = false, format = 'json' } = query;
  const results: RowResult[] = [];
  try {
    for await (const batch of importCsv(app.lectern, c.principal, c.institutionId, kind, Readable.from([body]), { dryRun })) results.push(...batch);
  } catch (e) {
    if (e instanceof ImportRefused) throw fromRefusal(e.refusal);
    throw e;
  }
  if (format === 'csv') {
    reply.type('text/csv; charset=utf-8');
    return ['line,outcome,reason\r\n', ...results.map(resultLine)].join('');
  }
  return { kind: kind.name, summary: summarize(results, dryRun), results: results.map(rowView) };
}
