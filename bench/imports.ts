/**
 * CSV import throughput for users and enrollments (SPEC §10, docs/IMPORTS.md), as Lectern itself:
 * a 100,000-row users file (× scale) imported into an empty institution (every row a create), then
 * 200 courses and 20,000 sections (× scale) set up through Lectern.runRows, then a 1,000,000-row
 * enrollments file (× scale: 50 students per section, each user in ten sections) — through
 * importCsv, on PGlite, and on PostgreSQL when DATABASE_URL is set. Also times the export of the
 * enrollments. Writes rows/second and peak RSS to bench/results/imports.{json,md}.
 *   npm run bench -- --only imports --scale 0.05
 *   node --import tsx bench/imports.ts --scale 0.05
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SYSTEM } from '../src/policy/index.js';
import { exportCsv, importCsv, summarize, type ImportKind } from '../src/services/imports/csv.js';
import { enrollmentKind, userKind } from '../src/services/imports/kinds.js';
import { Lectern, type BatchRow, type RowResult } from '../src/services/lectern.js';
import { Store } from '../src/store/store.js';
import type { BenchOptions } from './run.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results');
const PER_SECTION = 50;
const SETUP_BATCH = 5000;


interface KindFigures {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  applied: number;
  refused: number;
  /** Highest RSS sampled while the import ran, in MiB. */
  peakRssMiB: number;
}

interface Figures {
  driver: 'pglite' | 'postgres';
  users: KindFigures;
  enrollments: KindFigures;
  sections: number;
  setupSeconds: number;
  exportEnrollmentsSeconds: number;
  /** The process's highest RSS (setup included), in MiB. */
  peakRssMiBProcess: number;
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Joins generated lines into chunks of about 64 KiB, as a file read would deliver them. */
function* chunks(header: string, lines: Iterable<string>): Generator<string> {
  let chunk = header;
  for (const l of lines) {
    chunk += l;
    if (chunk.length > 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

function* userLines(n: number): Generator<string> {
  for (let i = 0; i < n; i++) yield `,u${i},user${i},u${i}@bench.edu,Bench,User ${i},local,active\r\n`;
}

/** Section s gets students s*5 … : each user lands in PER_SECTION * sections / users sections. */
function* enrollmentLines(sections: number, users: number): Generator<string> {
  const stride = Math.max(1, Math.floor(users / PER_SECTION));
  for (let s = 0; s < sections; s++) {
    for (let j = 0; j < PER_SECTION; j++) yield `,sec${s},u${(s + j * stride) % users},student\r\n`;
  }
}

async function timedImport(lectern: Lectern, institutionId: string, kind: ImportKind, file: Iterable<string>): Promise<KindFigures> {
  global.gc?.();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const results: RowResult[] = [];
  const t = performance.now();
  try {
    for await (const batch of importCsv(lectern, SYSTEM, institutionId, kind, Readable.from(file))) {
      for (const r of batch) results.push(r);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - t) / 1000;
  const s = summarize(results, false);
  const bad = results.find((r) => r.status !== 'ok');
  if (bad && 'message' in bad) throw new Error(`${kind.name} line ${bad.line}: ${bad.message}`);
  return { rows: s.rows, seconds: Math.round(seconds * 100) / 100, rowsPerSecond: Math.round(s.rows / seconds), applied: s.applied, refused: s.refused, peakRssMiB: mib(peak) };
}

async function setupSections(lectern: Lectern, institutionId: string, sections: number): Promise<void> {
  let rows: BatchRow[] = [];
  const flush = async () => {
    const results = await lectern.runRows(SYSTEM, institutionId, rows, { label: 'bench.setup' });
    const bad = results.find((r) => r.status !== 'ok');
    if (bad && 'message' in bad) throw new Error(`setup row ${bad.line}: ${bad.message}`);
    rows = [];
  };
  const push = async (op: string, args: Record<string, unknown>) => {
    rows.push({ line: rows.length + 1, op, args });
    if (rows.length >= SETUP_BATCH) await flush();
  };
  const courses = Math.max(1, Math.ceil(sections / 100));
  await push('unit.create', { id: 'dept', name: 'Department' });
  await push('term.create', { id: 'fall', start: '2026-09-01', end: '2026-12-20' });
  for (let c = 0; c < courses; c++) await push('course.create', { id: `course${c}`, unit: 'dept' });
  for (let s = 0; s < sections; s++) await push('section.create', { id: `sec${s}`, course: `course${s % courses}`, term: 'fall' });
  if (rows.length) await flush();
}

async function measure(driver: Figures['driver'], users: number, sections: number): Promise<Figures> {
  const store = driver === 'postgres' ? await Store.open({ databaseUrl: process.env.DATABASE_URL!, schema: `bench_${randomBytes(4).toString('hex')}` }) : await Store.open({});
  try {
    await store.migrate();
    const lectern = new Lectern(store);
    const institutionId = `bench-${randomBytes(3).toString('hex')}`;
    const created = await lectern.run(SYSTEM, institutionId, 'institution.create', { id: institutionId, name: 'Bench University' });
    if (created.status !== 'ok') throw new Error(created.message);

    const u = await timedImport(lectern, institutionId, userKind, chunks(userKind.columns.join(',') + '\r\n', userLines(users)));
    const t0 = performance.now();
    await setupSections(lectern, institutionId, sections);
    const setupSeconds = (performance.now() - t0) / 1000;
    const e = await timedImport(lectern, institutionId, enrollmentKind, chunks(enrollmentKind.columns.join(',') + '\r\n', enrollmentLines(sections, users)));

    const t1 = performance.now();
    const w = (await lectern.refresh(institutionId))!;
    let exported = -1;
    for (const line of exportCsv(enrollmentKind, w, SYSTEM)) if (line) exported++;
    const exportEnrollmentsSeconds = (performance.now() - t1) / 1000;
    if (exported !== e.rows) throw new Error(`exported ${exported} enrollments, imported ${e.rows}`);
    return {
      driver,
      users: u,
      enrollments: e,
      sections,
      setupSeconds: Math.round(setupSeconds * 10) / 10,
      exportEnrollmentsSeconds: Math.round(exportEnrollmentsSeconds * 100) / 100,
      peakRssMiBProcess: mib(process.resourceUsage().maxRSS * 1024),
    };
  } finally {
    await store.dropSchemaAndClose();
  }
}

export async function run(opts: BenchOptions): Promise<Figures[]> {
  const users = Math.max(PER_SECTION, Math.round(100_000 * opts.scale));
  const sections = Math.max(1, Math.round(20_000 * opts.scale));
  const drivers: Figures['driver'][] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
  if (!process.env.DATABASE_URL) console.log('  DATABASE_URL is not set: PostgreSQL is not measured');
  const figures: Figures[] = [];
  for (const driver of drivers) {
    console.log(`  ${driver}: ${users} users, then ${sections * PER_SECTION} enrollments in ${sections} sections …`);
    const f = await measure(driver, users, sections);
    for (const [name, k] of [['users', f.users], ['enrollments', f.enrollments]] as const) {
      console.log(`  ${driver} ${name}: ${k.rows} rows in ${k.seconds} s = ${k.rowsPerSecond} rows/s (${k.applied} applied, ${k.refused} refused); peak RSS ${k.peakRssMiB} MiB`);
    }
    console.log(`  ${driver}: sections set up in ${f.setupSeconds} s; enrollments exported in ${f.exportEnrollmentsSeconds} s; peak RSS ${f.peakRssMiBProcess} MiB overall`);
    figures.push(f);
  }
  await mkdir(RESULTS, { recursive: true });
  const meta = { benchmark: 'imports', at: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`, scale: opts.scale };
  await writeFile(join(RESULTS, 'imports.json'), JSON.stringify({ ...meta, results: figures }, null, 2) + '\n');
  const md = [
    `# CSV imports: ${users.toLocaleString('en')} users, ${(sections * PER_SECTION).toLocaleString('en')} enrollments`,
    '',
    `${meta.at}, Node ${meta.node}, ${meta.platform}. \`npm run bench -- --only imports${opts.scale !== 1 ? ` --scale ${opts.scale}` : ''}\``,
    '',
    'Every row a create, as Lectern itself, in the importer\'s default batches (one transaction each: 1,000 rows on PGlite, 5,000 on PostgreSQL).',
    '',
    '| driver | file | rows | import s | rows/s | applied | refused | peak RSS during import (MiB) |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
    ...figures.flatMap((f) =>
      (['users', 'enrollments'] as const).map((n) => `| ${f.driver} | ${n} | ${f[n].rows} | ${f[n].seconds} | ${f[n].rowsPerSecond} | ${f[n].applied} | ${f[n].refused} | ${f[n].peakRssMiB} |`),
    ),
    '',
    '| driver | sections set up (s) | enrollments export (s) | peak RSS overall (MiB) |',
    '|---|--:|--:|--:|',
    ...figures.map((f) => `| ${f.driver} | ${f.setupSeconds} | ${f.exportEnrollmentsSeconds} | ${f.peakRssMiBProcess} |`),
    '',
  ].join('\n');
  await writeFile(join(RESULTS, 'imports.md'), md);
  return figures;
}

// Run on its own: node --import tsx bench/imports.ts [--scale N]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--scale');
  const eq = process.argv.find((a) => a.startsWith('--scale='));
  const scale = Number(eq ? eq.slice(8) : i >= 0 ? process.argv[i + 1] : 1);
  if (!Number.isFinite(scale) || scale <= 0) throw new Error('--scale must be a positive number');
  run({ scale }).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
