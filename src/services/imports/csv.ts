/**
 * Streaming CSV import and export, shared by every kind of file (SPEC §5, §10).
 * Reading: UTF-8 with or without a BOM, CRLF or LF, quoted fields; the header is checked before any
 * row is read; every row becomes an operation or a refusal of its own; rows run in batches, each
 * batch one transaction. Writing: cells that a spreadsheet would run as a formula are escaped.
 */
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import type { Refusal } from '../../domain/outcome.js';
import type { Principal } from '../../policy/index.js';
import type { World } from '../../world/world.js';
import type { BatchRow, Lectern, RowResult } from '../lectern.js';

export interface ImportKind {
  name: string;
  /** The header, exactly as exports write it. */
  columns: readonly string[];
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

export interface ImportOptions {
  dryRun?: boolean;
  batchSize?: number;
  /** Called after each batch with the rows done so far. */
  onProgress?: (rowsDone: number) => void;
}

export interface ImportSummary {
  rows: number;
  applied: number;
  unchanged: number;
  refused: number;
  byStatus: Record<string, number>;
  dryRun: boolean;
}

const norm = (h: string) => h.trim().toLowerCase();

/** Checks the header against the kind's columns: every column present, nothing unknown. */
export function checkHeader(kind: ImportKind, header: string[]): void {
  const want = new Map(kind.columns.map((c) => [norm(c), c]));
  const seen = new Set<string>();
  for (const h of header) {
    const n = norm(h);
    if (!want.has(n)) {
      throw new ImportRefused({ status: 'invalid', code: 'unknownColumn', field: h, message: `header: unknown column '${h}' for a ${kind.name} file (expected ${kind.columns.join(',')})` });
    }
    if (seen.has(n)) throw new ImportRefused({ status: 'invalid', code: 'duplicateColumn', field: h, message: `header: column '${h}' appears twice` });
    seen.add(n);
  }
  for (const [n, c] of want) {
    if (!seen.has(n)) throw new ImportRefused({ status: 'invalid', code: 'missingColumn', field: c, message: `header: missing column '${c}' (a ${kind.name} file has ${kind.columns.join(',')})` });
  }
}

/**
 * Reads CSV from `input` and runs it; yields each batch's results as it completes.
 * Throws ImportRefused (before any row runs) for a refused import or a bad header.
 */
export async function* importCsv(lectern: Lectern, principal: Principal, institutionId: string, kind: ImportKind, input: Readable, opts: ImportOptions = {}): AsyncGenerator<RowResult[]> {
  const world = await lectern.refresh(institutionId);
  if (!world) throw new ImportRefused({ status: 'notFound', code: 'notFound', field: 'institution', message: `institution '${institutionId}' does not exist` });
  const d = lectern.check(world, principal, kind.importAction, `institution:${institutionId}`);
  if (!d.allow) throw new ImportRefused({ status: 'denied', code: 'denied', message: d.reasons[0] ?? 'denied', reasons: d.reasons });
  const scratch = opts.dryRun ? await lectern.scratchWorld(institutionId) : undefined;
  const batchSize = opts.batchSize ?? 1000;
  const parser = input.pipe(
    parse({ bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true, skip_records_with_error: true }),
  );
  const skipped: BatchRow[] = [];
  parser.on('skip', (err: Error & { lines?: number }) => {
    skipped.push({ line: err.lines ?? 0, refusal: { status: 'invalid', code: 'malformed', message: `the row is not valid CSV: ${err.message}` } });
  });
  let header: string[] | undefined;
  let batch: BatchRow[] = [];
  let done = 0;
  const flush = async () => {
    const rows = [...skipped.splice(0), ...batch].sort((a, b) => a.line - b.line);
    batch = [];
    if (rows.length === 0) return [];
    const results = await lectern.runRows(principal, institutionId, rows, { dryRun: opts.dryRun, scratch, label: `import.${kind.name}` });
    done += results.length;
    opts.onProgress?.(done);
    return results.map((r) => nameColumn(kind, r));
  };
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!header) {
      header = record;
      checkHeader(kind, header);
      continue;
    }
    const line = info.lines;
    if (record.length !== header.length) {
      batch.push({ line, refusal: { status: 'invalid', code: 'columnCount', message: `expected ${header.length} columns, found ${record.length}` } });
    } else {
      const rec: Record<string, string> = {};
      header.forEach((h, i) => {
        const col = kind.columns.find((c) => norm(c) === norm(h))!;
        rec[col] = unescapeCell(record[i]!.trim());
      });
      batch.push(kind.toRow(rec, line));
    }
    if (batch.length >= batchSize) yield await flush();
  }
  if (!header) throw new ImportRefused({ status: 'invalid', code: 'missingHeader', field: 'header', message: `the file is empty: a ${kind.name} file starts with the header ${kind.columns.join(',')}` });
  const last = await flush();
  if (last.length) yield last;
}

/** Reasons name the CSV column rather than the operation's argument. */
function nameColumn(kind: ImportKind, r: RowResult): RowResult {
  if (r.status === 'ok' || !r.field) return r;
  const col = kind.columnOf[r.field];
  if (!col) return r;
  const message = r.message.startsWith(`${r.field}:`) ? `${col}:${r.message.slice(r.field.length + 1)}` : r.message;
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
