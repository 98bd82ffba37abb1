/**
 * An uploaded CSV file run through an importer, shared by the license and the bulk-import routes:
 * the body must be text/csv; the answer is the job's result — a summary and every row's outcome —
 * as JSON, or as the CSV `line,outcome,reason`.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ImportRefused, importCsv, resultLine, summarize, type ImportKind } from '../services/imports/csv.js';
import type { RowResult } from '../services/lectern.js';
import { checkUtf8 } from '../services/imports/utf8.js';
import { importMaxRows } from '../config.js';
import { caller, fromRefusal, HttpError } from './http.js';

/** Lines after the header that hold anything (an upper bound on the rows: a quoted cell may span lines). */
function dataLines(buf: Buffer): number {
  let lines = 0;
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    const end = nl < 0 ? buf.length : nl;
    if (end - start > (buf[end - 1] === 0x0d ? 1 : 0)) lines++;
    if (nl < 0) break;
    start = nl + 1;
  }
  return Math.max(0, lines - 1);
}

export function rowView(r: RowResult) {
  return r.status === 'ok'
    ? { line: r.line, outcome: r.changed ? 'applied' : 'unchanged', reason: '' }
    : { line: r.line, outcome: r.status, reason: r.message, code: r.code, ...(r.field ? { field: r.field } : {}) };
}

export async function runUpload(app: FastifyInstance, req: FastifyRequest, reply: FastifyReply, kind: ImportKind, query: { dryRun?: boolean; format?: 'json' | 'csv' }) {
  const c = caller(req);
  const body: unknown = req.body ?? Buffer.alloc(0);
  if (!Buffer.isBuffer(body)) {
    throw new HttpError(415, { code: 'unsupportedMediaType', field: 'Content-Type', message: `send the ${kind.name} CSV as the request body with Content-Type: text/csv` });
  }
  // The whole file is here: refuse bytes that are not UTF-8 before any row runs.
  const notUtf8 = checkUtf8(body);
  if (notUtf8) throw fromRefusal(notUtf8);
  const max = importMaxRows();
  const rows = dataLines(body);
  if (rows > max) {
    throw new HttpError(413, {
      code: 'tooManyRows',
      field: 'file',
      message: `the file has ${rows} rows; an upload may have at most ${max} (LECTERN_IMPORT_MAX_ROWS): split it, or import it with \`lectern import\` on the server`,
    });
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
