/**
 * An uploaded CSV file run through an importer, shared by the license and the bulk-import routes.
 * The body (text/csv) is streamed to a file as it arrives — checked for UTF-8 and the byte and row
 * caps on the way, so a refused upload runs no row — and then runs as an import job
 * (services/imports/jobs.ts) that reads the file as a stream.
 *
 * `?async=true` (or `Prefer: respond-async`) answers 202 at once, once the header is checked, with
 * the job and its status URL (Location); the job's rows are paged at …/results and downloaded at
 * …/results.csv. Otherwise the answer waits for the job and is its result — a summary and every
 * row's outcome as JSON, or the CSV `line,outcome,reason` — as before jobs existed.
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { importMaxRows } from '../config.js';
import type { Refusal } from '../domain/outcome.js';
import type { Lectern, RowResult } from '../services/lectern.js';
import { ImportRefused, importCsv, resultLine, type ImportKind } from '../services/imports/csv.js';
import { ImportJobs, rowOf, type ImportJob, type JobRow } from '../services/imports/jobs.js';
import { spool, SpoolRefused } from '../services/imports/spool.js';
import { CSV_BODY_LIMIT } from './licenses.js';
import { caller, denied, fromRefusal, HttpError } from './http.js';
import type { Caller } from './http.js';

/** Planning one batch of an upload holds the event loop at most about this long (then batches shrink). */
export const UPLOAD_BLOCK_MS = 20;

const registries = new WeakMap<Lectern, ImportJobs>();

/** The import jobs of the server that owns this Lectern (one registry per server process). */
export function jobsOf(lectern: Lectern): ImportJobs {
  let j = registries.get(lectern);
  if (!j) registries.set(lectern, (j = new ImportJobs()));
  return j;
}

/** Deletes the jobs' files when the server closes (running jobs stop between batches). */
export async function closeJobs(lectern: Lectern): Promise<void> {
  const j = registries.get(lectern);
  registries.delete(lectern);
  await j?.close();
}

/** Who started a job: the actor's id, as policy names it. */
export function ownerOf(c: Caller): string {
  return c.principal.kind === 'user' ? c.principal.userId : '(Lectern)';
}

export function rowView(r: RowResult) {
  return r.status === 'ok'
    ? { line: r.line, outcome: r.changed ? 'applied' : 'unchanged', reason: '' }
    : { line: r.line, outcome: r.status, reason: r.message, code: r.code, ...(r.field ? { field: r.field } : {}) };
}

export function wantsAsync(req: FastifyRequest, query: { async?: boolean }): boolean {
  return query.async === true || /\brespond-async\b/i.test(String(req.headers.prefer ?? ''));
}

export function jobUrls(id: string) {
  const statusUrl = `/v1/imports/jobs/${id}`;
  return { statusUrl, resultsUrl: `${statusUrl}/results`, resultFileUrl: `${statusUrl}/results.csv` };
}

/** The body as a stream or a buffer; anything else is not a file. */
export function uploadBody(req: FastifyRequest, what: string, type: string): Readable | Buffer {
  const body: unknown = req.body ?? Buffer.alloc(0);
  if (Buffer.isBuffer(body) || (typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function')) return body as Readable | Buffer;
  throw new HttpError(415, { code: 'unsupportedMediaType', field: 'Content-Type', message: `send the ${what} as the request body with Content-Type: ${type}` });
}

export function refusalOf(e: unknown): Refusal | undefined {
  return e instanceof ImportRefused ? e.refusal : undefined;
}

/** Spools an upload; a refused one answers 400 or 413 naming the cap or the bad byte. */
export async function spoolOrRefuse(body: Readable | Buffer, path: string, caps: Parameters<typeof spool>[2]) {
  try {
    return await spool(body, path, caps);
  } catch (e) {
    if (e instanceof SpoolRefused) throw fromRefusal(e.refusal, e.httpStatus);
    throw e;
  }
}

/**
 * Answers for a started job: 202 with the job as soon as its header is read (or, refused before any
 * row, the refusal), or — not async — once it ends.
 */
export async function answerJob(req: FastifyRequest, reply: FastifyReply, job: ImportJob, started: Promise<void>, async: boolean, failure: () => unknown) {
  const refuseIfEnded = () => {
    if (job.state === 'refused' && job.error) throw fromRefusal(job.error as Refusal);
    if (job.state === 'failed') throw failure();
  };
  await Promise.race([started, job.finished]);
  refuseIfEnded();
  if (async) {
    const urls = jobUrls(job.id);
    reply.status(202).header('location', urls.statusUrl);
    return { job: job.view(), ...urls };
  }
  await job.finished;
  refuseIfEnded();
  reply.header('location', jobUrls(job.id).statusUrl);
  return undefined;
}

/** Every row of a finished job, in file order. */
export async function allRows(job: ImportJob): Promise<JobRow[]> {
  return (await job.page(0, job.rows)).rows;
}

export async function runUpload(app: FastifyInstance, req: FastifyRequest, reply: FastifyReply, kind: ImportKind, query: { dryRun?: boolean; format?: 'json' | 'csv'; async?: boolean }) {
  const c = caller(req);
  const body = uploadBody(req, `${kind.name} CSV`, 'text/csv');
  const jobs = jobsOf(app.lectern);
  const upload = jobs.path(`upload-${process.hrtime.bigint()}.csv`);
  const { dataLines } = await spoolOrRefuse(body, upload, { maxBytes: CSV_BODY_LIMIT, maxRows: importMaxRows(), text: true, rowsHint: 'import it with `lectern import` on the server' });
  // Who may import this kind at all, before any row runs (the importer asks again; each row is still checked).
  const world = (await app.lectern.refresh(c.institutionId)) ?? c.world;
  const gate = app.lectern.check(world, c.principal, kind.importAction, `institution:${c.institutionId}`, { kind: kind.name });
  if (!gate.allow) {
    await rm(upload, { force: true });
    throw denied(gate.reasons);
  }
  const { dryRun = false, format = 'json' } = query;
  const async = wantsAsync(req, query);
  let markStarted!: () => void;
  const started = new Promise<void>((r) => (markStarted = r));
  let failure: unknown;
  const job = jobs.start(
    { kind: kind.name, institutionId: c.institutionId, owner: ownerOf(c), dryRun, columns: kind.columns, totalRows: dataLines },
    async (job) => {
      try {
        const rows = importCsv(app.lectern, c.principal, c.institutionId, kind, createReadStream(upload), {
          dryRun,
          withValues: true,
          maxBlockMs: UPLOAD_BLOCK_MS,
          signal: job.abort.signal,
          onStart: markStarted,
        });
        for await (const batch of rows) await job.record(batch.map((r) => rowOf(r, r.values)));
      } catch (e) {
        failure = e;
        throw e;
      } finally {
        await rm(upload, { force: true });
      }
    },
    refusalOf,
  );
  const early = await answerJob(req, reply, job, started, async, () => failure);
  if (early) return early;
  const rows = await allRows(job);
  if (format === 'csv') {
    reply.type('text/csv; charset=utf-8');
    return ['line,outcome,reason\r\n', ...rows.map((r) => resultLine(r.outcome === 'applied' || r.outcome === 'unchanged' ? { line: r.line, status: 'ok', changed: r.outcome === 'applied' } : ({ line: r.line, status: r.outcome, code: r.code ?? '', message: r.reason } as RowResult)))].join('');
  }
  return { kind: kind.name, summary: job.view().summary, results: rows.map(({ values: _v, file: _f, ...r }) => r) };
}

/**
 * text/csv bodies reach the route as the request stream (spooled by runUpload with the byte cap),
 * never as one buffer: registered by each plugin that takes CSV uploads.
 */
export function streamCsvBodies(app: FastifyInstance): void {
  app.addContentTypeParser(['text/csv', 'application/csv'], (_req, payload, done) => done(null, payload));
}
