/**
 * Streaming CSV import and export, shared by every kind of file (SPEC §5, §10).
 * Reading: UTF-8 with or without a BOM, CRLF or LF, quoted fields; the header is checked before any
 * row is read; every row becomes an operation or a refusal of its own; rows run in batches, each
 * batch one transaction. Writing: cells that a spreadsheet would run as a formula are escaped.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import type { Refusal } from '../../domain/outcome.js';
import type { Principal } from '../../policy/index.js';
import type { World } from '../../world/world.js';
import type { BatchRow, Lectern, RowResult } from '../lectern.js';
import { utf8Checked } from './utf8.js';

export interface ImportKind {
  name: string;
  /** The header, exactly as exports write it. */
  columns: readonly string[];
  /** Columns a header may leave out (every other column is required). */
  optional?: readonly string[];
  /** The columns that name what a row is about: a second row with the same values is refused. */
  key?: readonly string[];
  /** The action that allows importing this kind at all (each row is still authorized on its own). */
  importAction: string;
  exportAction: string;
  /** Turns one record (column → cell) into an operation or a refusal. */
  toRow(record: Record<string, string>, line: number): BatchRow;
  /** The column an operation's field comes from, to name it in a row's reason. */
  columnOf: Record<string, string>;
  /** The rows of an export, header excluded, limited to what the principal may see. */
  exportRows(world: World, principal: Principal): Iterable<string[]>;
}

export class ImportRefused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

/** Rows per transaction: larger batches pay off on PostgreSQL, where each is one round of unnest inserts. */
export const DEFAULT_BATCH = { pglite: 1000, postgres: 5000 } as const;

/**
 * A file whose first rows are every one refused for the same reason stops after this many rows
 * with that reason (SPEC §10): a wrong file, or a file the caller may not import, is not run to the
 * end only to be refused row by row.
 */
export const EARLY_STOP_ROWS = 1000;

export interface ImportOptions {
  dryRun?: boolean;
  /** Rows after which a file refused throughout for one reason stops (default EARLY_STOP_ROWS). */
  earlyStopRows?: number;
  batchSize?: number;
  /** Called after each batch with the rows done so far. */
  onProgress?: (rowsDone: number) => void;
  /** Called once the header is checked, before any row runs. */
  onStart?: () => void;
  /** Each result carries the row's cells by column (`values`), to show what the row was about. */
  withValues?: boolean;
  /**
   * Sizes batches so that planning one holds the event loop about this long (starting small, never
   * above batchSize): for imports inside a server, which must keep answering other requests.
   */
  maxBlockMs?: number;
  /** Stops the import between batches (the batches before stay applied, as after an interruption). */
  signal?: AbortSignal;
}

/** A row's outcome with the row's cells (when asked for with withValues). */
export type ImportRowResult = RowResult & { values?: Record<string, string> };

/** The smallest batch an import sized by maxBlockMs runs. */
const MIN_ADAPTIVE_BATCH = 20;

export interface ImportSummary {
  rows: number;
  applied: number;
  unchanged: number;
  refused: number;
  byStatus: Record<string, number>;
  dryRun: boolean;
}

const norm = (h: string) => h.trim().toLowerCase();

/** Checks the header against the kind's columns: every required column present, nothing unknown. */
export function checkHeader(kind: ImportKind, header: string[]): void {
  const optional = new Set((kind.optional ?? []).map(norm));
  const want = new Map(kind.columns.map((c) => [norm(c), c]));
  const seen = new Set<string>();
  for (const h of header) {
    const n = norm(h);
    if (!want.has(n)) {
      throw new ImportRefused({ status: 'invalid', code: 'unknownColumn', field: h || 'header', message: `header: unknown column '${h}' for a ${kind.name} file (expected ${kind.columns.join(',')})` });
    }
    if (seen.has(n)) throw new ImportRefused({ status: 'invalid', code: 'duplicateColumn', field: h, message: `header: column '${h}' appears twice` });
    seen.add(n);
  }
  for (const [n, c] of want) {
    if (!seen.has(n) && !optional.has(n)) throw new ImportRefused({ status: 'invalid', code: 'missingColumn', field: c, message: `header: missing column '${c}' (a ${kind.name} file has ${kind.columns.join(',')}${kind.optional?.length ? `; ${kind.optional.join(', ')} may be left out` : ''})` });
  }
}

/**
 * Reads CSV from `input` and runs it; yields each batch's results as it completes.
 * Throws ImportRefused (before any row runs) for a refused import or a bad header.
 */
export async function* importCsv(lectern: Lectern, principal: Principal, institutionId: string, kind: ImportKind, input: Readable, opts: ImportOptions = {}): AsyncGenerator<ImportRowResult[]> {
  const world = await lectern.refresh(institutionId);
  if (!world) throw new ImportRefused({ status: 'notFound', code: 'notFound', field: 'institution', message: `institution '${institutionId}' does not exist` });
  const d = lectern.check(world, principal, kind.importAction, `institution:${institutionId}`, { kind: kind.name });
  if (!d.allow) throw new ImportRefused({ status: 'denied', code: 'denied', message: d.reasons[0] ?? 'denied', reasons: d.reasons });
  const scratch = opts.dryRun ? await lectern.scratchWorld(institutionId) : undefined;
  const maxBatch = opts.batchSize ?? DEFAULT_BATCH[lectern.store.kind];
  let batchSize = opts.maxBlockMs ? Math.min(maxBatch, 100) : maxBatch;
  const timing = { planMs: 0 };
  const cells = opts.withValues ? new Map<number, Record<string, string>>() : undefined;
  const { delimiter, stream } = await sniffDelimiter(input);
  const parser = parse({ bom: true, delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true, skip_records_with_error: true });
  // Bytes that are not UTF-8 stop the file at that line and byte offset (never U+FFFD).
  Readable.from(utf8Checked(stream, (r) => new ImportRefused(r)))
    .on('error', (e) => parser.destroy(e))
    .pipe(parser);
  const skipped: BatchRow[] = [];
  parser.on('skip', (err: Error & { lines?: number }) => {
    skipped.push({ line: err.lines ?? 0, refusal: { status: 'invalid', code: 'malformed', message: `the row is not valid CSV: ${err.message}` } });
  });
  let header: string[] | undefined;
  /** Each header cell's column as the kind spells it. */
  let cols: string[] = [];
  /** Where the key columns are in the header (those present), and the line each key was first seen on. */
  let keyAt: number[] = [];
  const firstLine = new Map<string, number>();
  let batch: BatchRow[] = [];
  let done = 0;
  const earlyStop = opts.earlyStopRows ?? EARLY_STOP_ROWS;
  /** While every row so far was refused for one reason: that reason (code and field). */
  let sameRefusal: { code: string; field?: string; message: string; status: RowResult['status'] } | undefined;
  let allRefusedAlike = true;
  const flush = async (final = false) => {
    const rows = [...skipped.splice(0), ...batch].sort((a, b) => a.line - b.line);
    batch = [];
    if (rows.length === 0) return [];
    // Let other requests in between batches: planning a batch holds the event loop.
    await new Promise<void>((r) => setImmediate(r));
    if (opts.signal?.aborted) throw new Error(`the import stopped after ${done} rows: ${String(opts.signal.reason ?? 'stopped')}`);
    const results: ImportRowResult[] = (await lectern.runRows(principal, institutionId, rows, { dryRun: opts.dryRun, scratch, label: `import.${kind.name}`, timing })).map((r) => nameColumn(kind, r));
    if (opts.maxBlockMs) batchSize = Math.max(MIN_ADAPTIVE_BATCH, Math.min(maxBatch, Math.round((rows.length * opts.maxBlockMs) / Math.max(timing.planMs, 1))));
    if (cells) {
      for (const r of results) {
        const v = cells.get(r.line);
        if (v) r.values = v;
      }
      cells.clear();
    }
    done += results.length;
    opts.onProgress?.(done);
    for (const r of results) {
      if (!allRefusedAlike) break;
      if (r.status === 'ok') allRefusedAlike = false;
      else if (!sameRefusal) sameRefusal = { code: r.code, field: r.field, message: r.message, status: r.status };
      else if (sameRefusal.code !== r.code || sameRefusal.field !== r.field) allRefusedAlike = false;
    }
    if (!final && allRefusedAlike && sameRefusal && done >= earlyStop) {
      // Nothing was applied (every row was refused): stop here with the reason.
      throw new ImportRefused({
        status: sameRefusal.status === 'ok' ? 'invalid' : sameRefusal.status,
        code: 'allRowsRefused',
        ...(sameRefusal.field ? { field: sameRefusal.field } : {}),
        message: `stopped after the first ${done} rows: every one was refused for the same reason (${sameRefusal.code}), e.g. line ${rows[0]!.line}: ${sameRefusal.message}`,
      } as Refusal);
    }
    return results;
  };
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!header) {
      header = record;
      checkHeader(kind, header);
      cols = header.map((h) => kind.columns.find((c) => norm(c) === norm(h))!);
      keyAt = (kind.key ?? []).map((k) => cols.indexOf(k)).filter((i) => i >= 0);
      opts.onStart?.();
      continue;
    }
    const line = info.lines;
    if (record.length !== header.length) {
      batch.push({ line, refusal: { status: 'invalid', code: 'columnCount', message: `expected ${header.length} columns, found ${record.length}` } });
    } else {
      const rec: Record<string, string> = {};
      for (let i = 0; i < cols.length; i++) rec[cols[i]!] = unescapeCell(record[i]!.trim());
      cells?.set(line, rec);
      const dup = keyAt.length > 0 ? duplicateOf(keyAt.map((i) => rec[cols[i]!]!), line, firstLine) : undefined;
      if (dup !== undefined) {
        const names = keyAt.map((i) => cols[i]!);
        batch.push({ line, refusal: { status: 'invalid', code: 'duplicateRow', field: names[0]!, message: `${names.join(' + ')}: duplicate of line ${dup} (a file names each ${kind.name.replace(/s$/, '')} once)` } });
      } else batch.push(kind.toRow(rec, line));
    }
    if (batch.length >= batchSize) yield await flush();
  }
  if (!header) throw new ImportRefused({ status: 'invalid', code: 'missingHeader', field: 'header', message: `the file is empty: a ${kind.name} file starts with the header ${kind.columns.join(',')}` });
  const last = await flush(true);
  if (last.length) yield last;
}

/** The line a row's key was first seen on, if it was; otherwise remembers this one. Rows with an empty key cell are not compared. */
function duplicateOf(values: string[], line: number, firstLine: Map<string, number>): number | undefined {
  if (values.some((v) => v === '')) return undefined;
  const k = values.length === 1 ? values[0]! : values.join('\u0000');
  const first = firstLine.get(k);
  if (first !== undefined) return first;
  firstLine.set(k, line);
  return undefined;
}

const DELIMITERS = [',', ';', '\t'] as const;

/**
 * Reads the start of the input up to the end of the header line and picks the delimiter the header
 * uses most (outside quotes): comma, semicolon or tab, comma when the header has none of them.
 * Answers with a stream that still starts at the beginning.
 */
export async function sniffDelimiter(input: Readable): Promise<{ delimiter: string; stream: Readable }> {
  const it = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let text = '';
  let ended = false;
  while (!/[\r\n]/.test(text) && text.length < 1 << 20) {
    const n = await it.next();
    if (n.done) {
      ended = true;
      break;
    }
    const b = typeof n.value === 'string' ? Buffer.from(n.value) : n.value;
    head.push(b);
    text += b.toString('utf8');
  }
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\r' || ch === '\n')) break;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let delimiter = ',';
  for (const d of DELIMITERS) if (counts.get(d)! > counts.get(delimiter)!) delimiter = d;
  const stream = Readable.from(
    (async function* () {
      yield* head;
      if (ended) return;
      for (;;) {
        const n = await it.next();
        if (n.done) return;
        yield typeof n.value === 'string' ? Buffer.from(n.value) : n.value;
      }
    })(),
    { objectMode: false },
  );
  return { delimiter, stream };
}

/** Reasons name the CSV column rather than the operation's argument (and always start with it). */
function nameColumn(kind: ImportKind, r: RowResult): RowResult {
  if (r.status === 'ok' || !r.field) return r;
  const col = kind.columnOf[r.field];
  if (!col) return r;
  const message = r.message.startsWith(`${r.field}:`) ? `${col}:${r.message.slice(r.field.length + 1)}` : `${col}: ${r.message}`;
  return { ...r, field: col, message };
}

export function summarize(results: Iterable<RowResult>, dryRun: boolean): ImportSummary {
  const s: ImportSummary = { rows: 0, applied: 0, unchanged: 0, refused: 0, byStatus: {}, dryRun };
  for (const r of results) add(s, r);
  return s;
}

export function add(s: ImportSummary, r: RowResult): void {
  s.rows++;
  const key = r.status === 'ok' ? (r.changed ? 'applied' : 'unchanged') : r.status;
  s.byStatus[key] = (s.byStatus[key] ?? 0) + 1;
  if (r.status !== 'ok') s.refused++;
  else if (r.changed) s.applied++;
  else s.unchanged++;
}

/** A cell a spreadsheet would evaluate (=, +, -, @, tab, CR at the start) is prefixed with '. */
export function safeCell(v: string): string {
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

/** Undoes safeCell, so that an export read back as an import names the same things. */
export function unescapeCell(v: string): string {
  return /^'[=+\-@\t\r]/.test(v) ? v.slice(1) : v;
}

export function csvLine(cells: readonly string[]): string {
  return stringify([cells.map(safeCell)], { record_delimiter: '\r\n' });
}

/** The result file: line, outcome, reason. */
export function resultLine(r: RowResult): string {
  const outcome = r.status === 'ok' ? (r.changed ? 'applied' : 'unchanged') : r.status;
  const reason = r.status === 'ok' ? '' : r.message;
  return csvLine([String(r.line), outcome, reason]);
}

export function exportCsv(kind: ImportKind, world: World, principal: Principal): Iterable<string> {
  return (function* () {
    yield csvLine(kind.columns);
    for (const row of kind.exportRows(world, principal)) yield csvLine(row);
  })();
}
