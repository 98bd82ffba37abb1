/**
 * License CSV import throughput (SPEC §5, §10): an institution with 50,000 academic-staff users
 * (× scale) and packs enough for all of them, built through Lectern.runRows as Lectern itself;
 * then a 50,000-row license CSV (assign rows, every tenth an autoassign) imported through importCsv
 * — on PGlite, and on PostgreSQL when DATABASE_URL is set. Writes rows/second and peak RSS to
 * bench/results/licenses-import.{json,md}.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { SYSTEM } from '../src/policy/index.js';
import { importCsv, summarize } from '../src/services/imports/csv.js';
import { licenseKind } from '../src/services/imports/licenses.js';
import { Lectern, type BatchRow, type RowResult } from '../src/services/lectern.js';
import { Store } from '../src/store/store.js';
import type { BenchOptions } from './run.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results');
const SEATS_PER_PACK = 1000;
const SETUP_BATCH = 5000;

interface Figures {
  driver: 'pglite' | 'postgres';
  rows: number;
  users: number;
  packs: number;
  setupSeconds: number;
  importSeconds: number;
  rowsPerSecond: number;
  applied: number;
  refused: number;
  /** Highest RSS sampled while the import ran, in MiB. */
  peakRssMiBDuringImport: number;
  /** The process's highest RSS so far (setup included), in MiB. */
  peakRssMiBProcess: number;
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const packId = (i: number) => `ID 2026-01-01-${String(i + 1).padStart(6, '0')}`;

/** The license CSV: one row per user, assign to the user's pack, every tenth row an autoassign. */
function* licenseCsv(users: number): Generator<string> {
  yield 'Username,Action,License ID\r\n';
  let chunk = '';
  for (let i = 0; i < users; i++) {
    chunk += i % 10 === 9 ? `u${i}@bench.edu,autoassign,\r\n` : `u${i},assign,${packId(Math.floor(i / SEATS_PER_PACK))}\r\n`;
    if (chunk.length > 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

async function setup(lectern: Lectern, users: number): Promise<{ institutionId: string; packs: number }> {
  const institutionId = `bench-${randomBytes(3).toString('hex')}`;
  const created = await lectern.run(SYSTEM, institutionId, 'institution.create', { id: institutionId, name: 'Bench University' });
  if (created.status !== 'ok') throw new Error(created.message);
  const packs = Math.ceil(users / SEATS_PER_PACK) + 1;
  const depts = Math.max(1, Math.ceil(users / 2000));
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
  for (let d = 0; d < depts; d++) await push('unit.create', { id: `dept${d}`, parent: institutionId, name: `Department ${d}` });
  for (let p = 0; p < packs; p++) await push('licensePack.create', { id: packId(p), seats: SEATS_PER_PACK });
  // Users, then their grants, in runs of one table each: the store writes a run as one statement.
  const half = SETUP_BATCH / 2;
  for (let from = 0; from < users; from += half) {
    const to = Math.min(users, from + half);
    for (let i = from; i < to; i++) await push('user.create', { id: `u${i}`, email: `u${i}@bench.edu`, firstName: 'Bench', lastName: `User ${i}` });
    for (let i = from; i < to; i++) await push('role.grant', { user: `u${i}`, role: 'academic_staff', scope: `dept${i % depts}` });
  }
  if (rows.length) await flush();
  return { institutionId, packs };
}

async function measure(driver: Figures['driver'], users: number): Promise<Figures> {
  const store = driver === 'postgres' ? await Store.open({ databaseUrl: process.env.DATABASE_URL!, schema: `bench_${randomBytes(4).toString('hex')}` }) : await Store.open({});
  try {
    await store.migrate();
    const lectern = new Lectern(store);
    const t0 = performance.now();
    const { institutionId, packs } = await setup(lectern, users);
    const setupSeconds = (performance.now() - t0) / 1000;
    global.gc?.();

    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const results: RowResult[] = [];
    const t1 = performance.now();
    try {
      for await (const batch of importCsv(lectern, SYSTEM, institutionId, licenseKind, Readable.from(licenseCsv(users)))) {
        for (const r of batch) results.push(r);
        peak = Math.max(peak, process.memoryUsage().rss);
      }
    } finally {
      clearInterval(sampler);
    }
    const importSeconds = (performance.now() - t1) / 1000;
    const s = summarize(results, false);
    if (s.rows !== users) throw new Error(`imported ${s.rows} rows, expected ${users}`);
    return {
      driver,
      rows: s.rows,
      users,
      packs,
      setupSeconds: Math.round(setupSeconds * 10) / 10,
      importSeconds: Math.round(importSeconds * 100) / 100,
      rowsPerSecond: Math.round(s.rows / importSeconds),
      applied: s.applied,
      refused: s.refused,
      peakRssMiBDuringImport: mib(peak),
      peakRssMiBProcess: mib(process.resourceUsage().maxRSS * 1024),
    };
  } finally {
    await store.dropSchemaAndClose();
  }
}

export async function run(opts: BenchOptions): Promise<Figures[]> {
  const users = Math.round(50_000 * opts.scale);
  const drivers: Figures['driver'][] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
  if (!process.env.DATABASE_URL) console.log('  DATABASE_URL is not set: PostgreSQL is not measured');
  const figures: Figures[] = [];
  for (const driver of drivers) {
    console.log(`  ${driver}: building ${users} academic-staff users …`);
    const f = await measure(driver, users);
    console.log(`  ${driver}: ${f.rows} rows in ${f.importSeconds} s = ${f.rowsPerSecond} rows/s (${f.applied} applied, ${f.refused} refused); peak RSS ${f.peakRssMiBDuringImport} MiB during the import, ${f.peakRssMiBProcess} MiB overall; setup ${f.setupSeconds} s`);
    figures.push(f);
  }
  await mkdir(RESULTS, { recursive: true });
  const meta = { benchmark: 'licenses-import', at: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`, scale: opts.scale };
  await writeFile(join(RESULTS, 'licenses-import.json'), JSON.stringify({ ...meta, results: figures }, null, 2) + '\n');
  const md = [
    `# License CSV import (${users.toLocaleString('en')} rows)`,
    '',
    `${meta.at}, Node ${meta.node}, ${meta.platform}. \`npm run bench -- --only licenses-import${opts.scale !== 1 ? ` --scale ${opts.scale}` : ''}\``,
    '',
    '| driver | rows | import s | rows/s | applied | refused | peak RSS during import (MiB) | peak RSS overall (MiB) | setup s |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...figures.map((f) => `| ${f.driver} | ${f.rows} | ${f.importSeconds} | ${f.rowsPerSecond} | ${f.applied} | ${f.refused} | ${f.peakRssMiBDuringImport} | ${f.peakRssMiBProcess} | ${f.setupSeconds} |`),
    '',
  ].join('\n');
  await writeFile(join(RESULTS, 'licenses-import.md'), md);
  return figures;
}
