/**
 * Import jobs (SPEC §10, issue 13): an upload runs in the background of the server process that
 * received it, and its caller follows it by a status URL — rows read, done, applied, unchanged,
 * refused — while every row's outcome goes to a result file on disk as it completes, never into
 * one giant answer. The result file can be paged (optionally only the refused rows) and downloaded
 * as CSV. Memory per job is a few numbers per row (where each row's line starts in the file), not
 * the rows themselves.
 *
 * What a row does is unchanged: a job runs the same importer the CLI runs, with the same batches,
 * early stop and dry run; a job only records and reports. Jobs live in the process (a restart ends
 * them, and the batches already committed stay, as after an interrupted CLI import); finished jobs
 * are kept for an hour (LECTERN_IMPORT_JOB_TTL_SECONDS), then their files are deleted.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Refusal } from '../../domain/outcome.js';
import type { RowResult } from '../lectern.js';
import { csvLine, type ImportSummary } from './csv.js';

export type JobState = 'running' | 'done' | 'refused' | 'failed';

/** One row's outcome as a job reports it: the file (OneRoster), the line, and the row's own cells. */
export interface JobRow {
  file?: string;
  line: number;
  outcome: string;
  reason: string;
  code?: string;
  field?: string;
  /** The row's cells by column (what the row was about: username, action, pack, …). */
  values?: Record<string, string>;
}

export interface JobProgress {
  /** Data lines in the upload (an upper bound on the rows: a quoted cell may span lines). */
  totalRows: number;
  /** Rows read and finished (applied, unchanged or refused). */
  rowsDone: number;
  applied: number;
  unchanged: number;
  refused: number;
  /** For a OneRoster export: the file being read. */
  file?: string;
}

export interface JobView {
  id: string;
  kind: string;
  state: JobState;
  dryRun: boolean;
  startedBy: string;
  startedAt: string;
  finishedAt?: string;
  progress: JobProgress;
  summary?: ImportSummary;
  /** Why the whole file was refused (state `refused`) or what went wrong (state `failed`). */
  error?: { status?: string; code: string; message: string; field?: string };
}

export function rowOf(r: RowResult & { file?: string }, values?: Record<string, string>): JobRow {
  const base = { ...(r.file ? { file: r.file } : {}), line: r.line };
  const row: JobRow =
    r.status === 'ok'
      ? { ...base, outcome: r.changed ? 'applied' : 'unchanged', reason: '' }
      : { ...base, outcome: r.status, reason: r.message, code: r.code, ...(r.field ? { field: r.field } : {}) };
  if (values) row.values = values;
  return row;
}

/** A growable array of byte offsets (8 bytes a row), so a 1,000,000-row job holds 8 MB, not the rows. */
class Offsets {
  private a = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.length++] = v;
  }
  at(i: number): number {
    return this.a[i]!;
  }
}

export class ImportJob {
  readonly id = randomBytes(9).toString('base64url');
  readonly startedAt = new Date();
  finishedAt: Date | undefined;
  state: JobState = 'running';
  error: JobView['error'];
  readonly progress: JobProgress;
  readonly summary: ImportSummary;
  /** Where each row's JSON line starts in the result file; one more entry at the end. */
  private readonly starts = new Offsets();
  /** Indexes (into starts) of the refused rows. */
  private readonly refusedAt = new Offsets();
  private bytes = 0;
  private fh: FileHandle | undefined;
  private writing: Promise<unknown> = Promise.resolve();
  /** Resolved when the job ends, whatever the state. */
  readonly finished: Promise<void>;
  private finish!: () => void;
  readonly abort = new AbortController();
  /** The result file: one JSON line a row. */
  readonly file: string;

  constructor(
    readonly kind: string,
    readonly institutionId: string,
    /** The actor id of whoever started it: only they see it (policy: import.run with jobOwner). */
    readonly owner: string,
    readonly dryRun: boolean,
    /** The columns of the result file after file,line,outcome,code,reason (the upload's columns). */
    readonly columns: readonly string[],
    /** The directory the result file goes in. */
    dir: string,
    totalRows: number,
  ) {
    this.file = join(dir, `${this.id}.results`);
    this.progress = { totalRows, rowsDone: 0, applied: 0, unchanged: 0, refused: 0 };
    this.summary = { rows: 0, applied: 0, unchanged: 0, refused: 0, byStatus: {}, dryRun };
    this.finished = new Promise((r) => (this.finish = r));
    this.starts.push(0);
  }

  get rows(): number {
    return this.starts.length - 1;
  }

  get refusedRows(): number {
    return this.refusedAt.length;
  }

  /** Records a batch of rows: appended to the result file, counted in progress and summary. */
  async record(rows: JobRow[]): Promise<void> {
    if (rows.length === 0) return;
    this.fh ??= await open(this.file, 'w+');
    const parts: string[] = [];
    for (const r of rows) {
      const text = JSON.stringify(r) + '\n';
      parts.push(text);
      if (r.outcome !== 'applied' && r.outcome !== 'unchanged') this.refusedAt.push(this.starts.length - 1);
      this.bytes += Buffer.byteLength(text);
      this.starts.push(this.bytes);
      const s = this.summary;
      s.rows++;
      s.byStatus[r.outcome] = (s.byStatus[r.outcome] ?? 0) + 1;
      if (r.outcome === 'applied') s.applied++;
      else if (r.outcome === 'unchanged') s.unchanged++;
      else s.refused++;
    }
    const chunk = parts.join('');
    const fh = this.fh;
    this.writing = this.writing.then(() => fh.write(chunk));
    await this.writing;
    const p = this.progress;
    p.rowsDone = this.summary.rows;
    p.applied = this.summary.applied;
    p.unchanged = this.summary.unchanged;
    p.refused = this.summary.refused;
    if (p.rowsDone > p.totalRows) p.totalRows = p.rowsDone;
  }

  end(state: Exclude<JobState, 'running'>, error?: Refusal | Error): void {
    if (this.state !== 'running') return;
    this.state = state;
    this.finishedAt = new Date();
    if (error) {
      this.error = error instanceof Error ? { code: 'failed', message: error.message } : { status: error.status, code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) };
    }
    if (state === 'done') this.progress.totalRows = this.progress.rowsDone;
    this.finish();
  }

  view(): JobView {
    return {
      id: this.id,
      kind: this.kind,
      state: this.state,
      dryRun: this.dryRun,
      startedBy: this.owner,
      startedAt: this.startedAt.toISOString(),
      ...(this.finishedAt ? { finishedAt: this.finishedAt.toISOString() } : {}),
      progress: { ...this.progress },
      ...(this.state === 'running' ? {} : { summary: { ...this.summary, byStatus: { ...this.summary.byStatus } } }),
      ...(this.error ? { error: this.error } : {}),
    };
  }

  private async readRange(from: number, to: number): Promise<string> {
    if (to <= from || !this.fh) return '';
    await this.writing;
    const buf = Buffer.alloc(to - from);
    await this.fh.read(buf, 0, buf.length, from);
    return buf.toString('utf8');
  }

  /** A page of rows, in file order; `refusedOnly` pages through the refused rows alone. */
  async page(offset: number, limit: number, refusedOnly = false): Promise<{ total: number; rows: JobRow[] }> {
    const total = refusedOnly ? this.refusedAt.length : this.rows;
    const rows: JobRow[] = [];
    if (!refusedOnly) {
      const end = Math.min(total, offset + limit);
      if (offset < end) {
        const text = await this.readRange(this.starts.at(offset), this.starts.at(end));
        for (const l of text.split('\n')) if (l) rows.push(JSON.parse(l) as JobRow);
      }
      return { total, rows };
    }
    for (let i = offset; i < Math.min(total, offset + limit); i++) {
      const at = this.refusedAt.at(i);
      rows.push(JSON.parse(await this.readRange(this.starts.at(at), this.starts.at(at + 1))) as JobRow);
    }
    return { total, rows };
  }

  /** The result file as CSV: [file,]line,outcome,code,reason and the upload's own columns. */
  csv(refusedOnly = false): Readable {
    const oneroster = this.kind === 'oneroster';
    const columns = this.columns;
    const n = refusedOnly ? this.refusedAt.length : this.rows;
    const page = (i: number) => this.page(i, 1000, refusedOnly);
    return Readable.from(
      (async function* () {
        yield csvLine([...(oneroster ? ['file'] : []), 'line', 'outcome', 'code', 'reason', ...columns]);
        for (let i = 0; i < n; i += 1000) {
          const { rows } = await page(i);
          yield rows.map((r) => csvLine([...(oneroster ? [r.file ?? ''] : []), String(r.line), r.outcome, r.code ?? '', r.reason, ...columns.map((c) => r.values?.[c] ?? '')])).join('');
        }
      })(),
    );
  }

  async dispose(): Promise<void> {
    this.abort.abort();
    await this.finished;
    await this.writing.catch(() => undefined);
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
    await rm(this.file, { force: true });
  }
}

/** The jobs of one server process, with the directory their files live in. */
export class ImportJobs {
  private readonly jobs = new Map<string, ImportJob>();
  readonly dir: string;
  private readonly ttlMs: number;

  constructor(opts: { dir?: string; ttlSeconds?: number } = {}) {
    this.dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'lectern-imports-'));
    const ttl = opts.ttlSeconds ?? Number(process.env.LECTERN_IMPORT_JOB_TTL_SECONDS ?? 3600);
    this.ttlMs = (Number.isFinite(ttl) && ttl > 0 ? ttl : 3600) * 1000;
  }

  /** A path for a spooled upload or a result file in the jobs' directory. */
  path(name: string): string {
    return join(this.dir, name);
  }

  /**
   * Starts a job: `work` runs in the background and records rows into the job; its end state is
   * `done`, or `refused`/`failed` when it throws (with the refusal or the error).
   */
  start(init: { kind: string; institutionId: string; owner: string; dryRun: boolean; columns: readonly string[]; totalRows: number }, work: (job: ImportJob) => Promise<void>, isRefusal: (e: unknown) => Refusal | undefined): ImportJob {
    this.prune();
    const job = new ImportJob(init.kind, init.institutionId, init.owner, init.dryRun, init.columns, this.dir, init.totalRows);
    this.jobs.set(job.id, job);
    void (async () => {
      try {
        await work(job);
        job.end('done');
      } catch (e) {
        const r = isRefusal(e);
        job.end(r ? 'refused' : 'failed', r ?? (e as Error));
      }
    })();
    return job;
  }

  get(institutionId: string, id: string): ImportJob | undefined {
    const j = this.jobs.get(id);
    return j && j.institutionId === institutionId ? j : undefined;
  }

  /** The jobs of an institution started by `owner`, newest first. */
  list(institutionId: string, owner: string): ImportJob[] {
    return [...this.jobs.values()].filter((j) => j.institutionId === institutionId && j.owner === owner).reverse();
  }

  /** Deletes finished jobs older than the time to live. */
  prune(now = Date.now()): void {
    for (const [id, j] of this.jobs) {
      if (j.finishedAt && now - j.finishedAt.getTime() > this.ttlMs) {
        this.jobs.delete(id);
        void j.dispose();
      }
    }
  }

  /** Stops running jobs between batches, waits for them, and deletes every file. */
  async close(): Promise<void> {
    const all = [...this.jobs.values()];
    this.jobs.clear();
    await Promise.all(all.map((j) => j.dispose()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
