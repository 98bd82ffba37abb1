/**
 * integrations/oneroster: OneRoster 1.1 CSV import (docs/PROVISIONING.md). Reads an export (a
 * directory or a zip) and turns every record into a `oneroster.<kind>` row operation run through
 * `Lectern.runRows`, in batches, so each row is applied or refused on its own by the same operations
 * and policy as the API, and audited and logged like any other write.
 *
 * Order: the manifest and every header are checked before any row runs. Then the files run in
 * dependency order (orgs, academic sessions, courses, classes, users, enrollments), orgs parents
 * first whatever the file's order. Rows with status `tobedeleted`, and in a bulk file the objects an
 * earlier import linked that the file no longer names, are removed afterwards in the reverse order
 * (enrollments first, orgs last), so nothing is deleted while something that belongs to it remains.
 *
 * Memory: rows stream through in batches; what is kept per file is the sourcedIds seen (to refuse a
 * duplicate and, for bulk files, to know what is absent), the rows to delete, and the orgs file
 * (to order parents first).
 */
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { Refusal } from '../../domain/outcome.js';
import type { Principal } from '../../policy/index.js';
import { DEFAULT_BATCH, ImportRefused } from '../../services/imports/csv.js';
import type { BatchRow, Lectern, RowResult } from '../../services/lectern.js';
import type { World } from '../../world/world.js';
import { FILES, type OneRosterFile, toRow } from './files.js';
import type { Source } from './source.js';

export type Mode = 'bulk' | 'delta' | 'absent';

/** A row's outcome, with the file it came from (line 0: an object a bulk file no longer names). */
export type OneRosterRowResult = RowResult & { file: string; values?: Record<string, string> };

export interface OneRosterOptions {
  dryRun?: boolean;
  batchSize?: number;
  /** After each batch: the file and how many of its rows are done. */
  onProgress?: (file: string, rowsDone: number) => void;
  /** Called once the manifest and every header are checked, before any row runs. */
  onStart?: () => void;
  /** Each result carries the row's identifying cells (`values`): sourcedId and the file's required columns. */
  withValues?: boolean;
  /** Sizes batches so that planning one holds the event loop about this long (never above batchSize). */
  maxBlockMs?: number;
  /** Stops the import between batches (the batches before stay applied). */
  signal?: AbortSignal;
}

/** Rows carry the cells they came from to their result, when asked for. */
const VALUES = Symbol('values');
type Carried = BatchRow & { [VALUES]?: Record<string, string> };

export interface Manifest {
  modes: Record<string, Mode>;
  /** Files of the export that Lectern does not read (or that the manifest calls absent). */
  ignored: string[];
}

const norm = (h: string) => h.trim().toLowerCase();

function refused(file: string, line: number, message: string, code = 'invalid', field?: string): ImportRefused {
  return new ImportRefused({ status: 'invalid', code, ...(field ? { field } : {}), message: `${file}${line ? ` line ${line}` : ''}: ${message}` });
}

async function* records(stream: Readable): AsyncGenerator<{ record: string[]; line: number }> {
  const parser = stream.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true }));
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) yield { record, line: info.lines };
  } finally {
    stream.destroy();
  }
}

/** Reads manifest.csv: the versions must be 1.0 and 1.1, and every file Lectern reads is bulk, delta or absent. */
export async function readManifest(source: Source): Promise<Manifest> {
  const names = source.names();
  if (!names.includes('manifest.csv')) {
    throw refused('manifest.csv', 0, 'missing: a OneRoster 1.1 CSV export has a manifest.csv naming each file bulk, delta or absent', 'missingManifest', 'manifest.csv');
  }
  for (const n of new Set(names)) {
    if (names.indexOf(n) !== names.lastIndexOf(n)) throw refused(n, 0, 'appears twice in the zip file', 'duplicateFile', n);
  }
  const props = new Map<string, { value: string; line: number }>();
  let header = true;
  for await (const { record, line } of records(await source.open('manifest.csv'))) {
    if (header) {
      header = false;
      if (record.length < 2 || norm(record[0]!) !== 'propertyname' || norm(record[1]!) !== 'value') {
        throw refused('manifest.csv', line, `the header must be propertyName,value, not ${record.join(',')}`, 'missingColumn', 'header');
      }
      continue;
    }
    const [key = '', value = ''] = record.map((c) => c.trim());
    if (props.has(key)) throw refused('manifest.csv', line, `${key} appears twice (first on line ${props.get(key)!.line})`, 'duplicateRow', key);
    props.set(key, { value, line });
  }
  const want = (key: string, value: string) => {
    const p = props.get(key);
    if (!p) throw refused('manifest.csv', 0, `${key} is missing (it must be ${value})`, 'required', key);
    if (p.value !== value) throw refused('manifest.csv', p.line, `${key} must be ${value}, not '${p.value}'`, 'unsupportedVersion', key);
  };
  want('manifest.version', '1.0');
  want('oneroster.version', '1.1');
  const modes: Record<string, Mode> = {};
  for (const f of FILES) {
    const p = props.get(f.manifestKey);
    const v = (p?.value ?? 'absent').toLowerCase();
    if (v !== 'bulk' && v !== 'delta' && v !== 'absent') throw refused('manifest.csv', p!.line, `${f.manifestKey} must be bulk, delta or absent, not '${p!.value}'`, 'enum', f.manifestKey);
    if (v !== 'absent' && !names.includes(f.file)) throw refused('manifest.csv', p!.line, `${f.manifestKey} is ${v}, but ${f.file} is not in the export`, 'missingFile', f.manifestKey);
    modes[f.file] = v;
  }
  const ignored = names.filter((n) => n !== 'manifest.csv' && (modes[n] === undefined || modes[n] === 'absent'));
  return { modes, ignored };
}

/** The header's column positions by the file's column names; refuses unknown, repeated or missing columns. */
function readHeader(f: OneRosterFile, header: string[]): string[] {
  const want = new Map(f.columns.map((c) => [norm(c), c]));
  const seen = new Set<string>();
  const cols: string[] = [];
  for (const h of header) {
    const n = norm(h);
    // Extension columns (metadata.*) are allowed by the standard; Lectern does not read them.
    if (n.startsWith('metadata.')) {
      cols.push('');
      continue;
    }
    const c = want.get(n);
    if (!c) throw refused(f.file, 1, `unknown column '${h}' (a OneRoster 1.1 ${f.file} has ${f.columns.join(',')})`, 'unknownColumn', h || 'header');
    if (seen.has(n)) throw refused(f.file, 1, `column '${h}' appears twice`, 'duplicateColumn', h);
    seen.add(n);
    cols.push(c);
  }
  for (const [n, c] of want) if (!seen.has(n)) throw refused(f.file, 1, `missing column '${c}' (a OneRoster 1.1 ${f.file} has ${f.columns.join(',')})`, 'missingColumn', c);
  return cols;
}

async function headerOf(source: Source, f: OneRosterFile): Promise<string[]> {
  for await (const { record } of records(await source.open(f.file))) return readHeader(f, record);
  throw refused(f.file, 0, `the file is empty: it starts with the header ${f.columns.join(',')}`, 'missingHeader', 'header');
}

/** Reasons name the file's column rather than the operation's argument. */
function nameColumn(f: OneRosterFile, r: RowResult): OneRosterRowResult {
  if (r.status === 'ok' || !r.field) return { ...r, file: f.file };
  const col = f.columnOf[r.field] ?? (f.columns.includes(r.field) ? r.field : undefined);
  if (!col) return { ...r, file: f.file };
  const message = r.message.startsWith(`${r.field}:`) ? `${col}:${r.message.slice(r.field.length + 1)}` : `${col}: ${r.message}`;
  return { ...r, field: col, message, file: f.file };
}

/** Orgs in an order where a parent comes before its children (a cycle is refused row by row). */
function parentsFirst(rows: { row: BatchRow; sid: string; parent: string }[]): BatchRow[] {
  const bySid = new Map(rows.filter((r) => !('refusal' in r.row)).map((r) => [r.sid, r]));
  const out: BatchRow[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (r: (typeof rows)[number], path: string[]): void => {
    const s = state.get(r.sid);
    if (s === 'done') return;
    if (s === 'visiting') return;
    state.set(r.sid, 'visiting');
    const p = r.parent ? bySid.get(r.parent) : undefined;
    if (p && path.includes(p.sid)) {
      state.set(r.sid, 'done');
      out.push({ line: r.row.line, refusal: { status: 'invalid', code: 'cycle', field: 'parentSourcedId', message: `parentSourcedId: orgs ${[...path.slice(path.indexOf(p.sid)), r.sid, p.sid].join(' → ')} form a cycle` } });
      return;
    }
    if (p) visit(p, [...path, r.sid]);
    state.set(r.sid, 'done');
    out.push(r.row);
  };
  for (const r of rows) {
    if ('refusal' in r.row) out.push(r.row);
    else visit(r, []);
  }
  return out;
}

/**
 * Imports a OneRoster 1.1 CSV export; yields each batch's results as it completes. Throws
 * ImportRefused before any row runs when the export cannot be read as a whole (no manifest, an
 * unsupported version, a file the manifest names missing, a header that is not 1.1).
 */
export async function* importOneRoster(lectern: Lectern, principal: Principal, institutionId: string, source: Source, opts: OneRosterOptions = {}): AsyncGenerator<OneRosterRowResult[]> {
  const world = await lectern.refresh(institutionId);
  if (!world) throw new ImportRefused({ status: 'notFound', code: 'notFound', field: 'institution', message: `institution '${institutionId}' does not exist` });
  const manifest = await readManifest(source);
  const files = FILES.filter((f) => manifest.modes[f.file] !== 'absent');
  const headers = new Map<OneRosterFile, string[]>();
  for (const f of files) headers.set(f, await headerOf(source, f));

  opts.onStart?.();

  const scratch = opts.dryRun ? await lectern.scratchWorld(institutionId) : undefined;
  const maxBatch = opts.batchSize ?? DEFAULT_BATCH[lectern.store.kind];
  let batchSize = opts.maxBlockMs ? Math.min(maxBatch, 100) : maxBatch;
  const timing = { planMs: 0 };
  const run = async (f: OneRosterFile, rows: BatchRow[]): Promise<OneRosterRowResult[]> => {
    if (rows.length === 0) return [];
    if (opts.maxBlockMs) await new Promise<void>((r) => setImmediate(r));
    if (opts.signal?.aborted) throw new Error(`the import stopped in ${f.file}: ${String(opts.signal.reason ?? 'stopped')}`);
    const results = await lectern.runRows(principal, institutionId, rows, { dryRun: opts.dryRun, scratch, label: `import.oneroster.${f.kind}`, timing });
    if (opts.maxBlockMs) batchSize = Math.max(20, Math.min(maxBatch, Math.round((rows.length * opts.maxBlockMs) / Math.max(timing.planMs, 1))));
    return results.map((r, i) => {
      const out = nameColumn(f, r);
      const v = (rows[i] as Carried)[VALUES];
      if (v) out.values = v;
      return out;
    });
  };
  const shown = (f: OneRosterFile, rec: Record<string, string>): Record<string, string> | undefined => {
    if (!opts.withValues) return undefined;
    const v: Record<string, string> = { sourcedId: rec.sourcedId ?? '' };
    for (const c of f.required) if (rec[c]) v[c] = rec[c];
    return v;
  };
  const deletions = new Map<OneRosterFile, BatchRow[]>();
  const seenIn = new Map<OneRosterFile, Set<string>>();

  for (const f of files) {
    const delta = manifest.modes[f.file] === 'delta';
    const gate = lectern.check((await lectern.refresh(institutionId))!, principal, 'import.run', `institution:${institutionId}`, { kind: f.lecternKind });
    const denied: Refusal | undefined = gate.allow ? undefined : { status: 'denied', code: 'denied', message: `${f.file}: ${gate.reasons[0] ?? 'denied'}`, reasons: gate.reasons };
    const cols = headers.get(f)!;
    const firstLine = new Map<string, number>();
    const removing: BatchRow[] = [];
    const orgs: { row: BatchRow; sid: string; parent: string }[] = [];
    let batch: BatchRow[] = [];
    let done = 0;
    let header = true;
    for await (const { record, line } of records(await source.open(f.file))) {
      if (header) {
        header = false;
        continue;
      }
      let row: BatchRow & { remove?: boolean };
      const rec: Record<string, string> = {};
      for (let i = 0; i < cols.length; i++) if (cols[i]) rec[cols[i]!] = (record[i] ?? '').trim();
      const sid = rec.sourcedId ?? '';
      const first = sid ? firstLine.get(sid) : undefined;
      if (record.length !== cols.length) row = { line, refusal: { status: 'invalid', code: 'columnCount', message: `expected ${cols.length} columns, found ${record.length}` } };
      else if (first !== undefined) row = { line, refusal: { status: 'invalid', code: 'duplicateRow', field: 'sourcedId', message: `sourcedId: '${sid}' is a duplicate of line ${first} (a file names each object once)` } };
      else if (denied) row = { line, refusal: denied };
      else row = toRow(f, rec, line, delta);
      if (sid && first === undefined) firstLine.set(sid, line);
      const v = shown(f, rec);
      if (v) (row as Carried)[VALUES] = v;
      if (row.remove) {
        const r: Carried = { line: row.line, op: (row as { op: string }).op, args: (row as { args: Record<string, unknown> }).args };
        if (v) r[VALUES] = v;
        removing.push(r);
        continue;
      }
      if (f.parentColumn) {
        orgs.push({ row, sid, parent: 'refusal' in row ? '' : (rec[f.parentColumn] ?? '') });
        continue;
      }
      batch.push(row);
      if (batch.length >= batchSize) {
        const out = await run(f, batch);
        batch = [];
        done += out.length;
        opts.onProgress?.(f.file, done);
        yield out;
      }
    }
    if (f.parentColumn) batch = parentsFirst(orgs);
    for (let i = 0; i < batch.length; ) {
      const chunk = batch.slice(i, i + batchSize);
      i += chunk.length;
      const out = await run(f, chunk);
      done += out.length;
      opts.onProgress?.(f.file, done);
      yield out;
    }
    deletions.set(f, removing);
    if (!delta) seenIn.set(f, new Set(firstLine.keys()));
  }

  // Removals, the last file's first: enrollments before users and classes, classes before courses, …
  for (const f of [...files].reverse()) {
    const rows = deletions.get(f) ?? [];
    const seen = seenIn.get(f);
    if (seen) rows.push(...absentFrom(opts.dryRun ? scratch! : (await lectern.refresh(institutionId))!, f, seen));
    for (let i = 0; i < rows.length; ) {
      const chunk = rows.slice(i, i + batchSize);
      i += chunk.length;
      const out = await run(f, chunk);
      opts.onProgress?.(f.file, i);
      yield out.map((r) => (r.line === 0 ? { ...r, ...(r.status !== 'ok' ? { message: `(no longer in the bulk file) ${r.message}` } : {}) } : r));
    }
  }
}

/**
 * The objects an earlier import linked that a bulk file no longer names: removed as if the file
 * said tobedeleted (orgs deepest first). Their rows have line 0.
 */
function absentFrom(w: World, f: OneRosterFile, seen: Set<string>): BatchRow[] {
  const gone: { sid: string; depth: number }[] = [];
  for (const l of w.tables.onerosterLink.values()) {
    if (l.kind !== f.kind || seen.has(l.sourcedId)) continue;
    let depth = 0;
    if (f.kind === 'org') for (let u = w.tree.units.get(l.lecternId); u?.parentId; u = w.tree.units.get(u.parentId)) depth++;
    gone.push({ sid: l.sourcedId, depth });
  }
  gone.sort((a, b) => b.depth - a.depth || (a.sid < b.sid ? -1 : 1));
  return gone.map((g) => ({ line: 0, op: `oneroster.${f.kind}`, args: { sourcedId: g.sid, remove: true }, [VALUES]: { sourcedId: g.sid } }) as Carried);
}
