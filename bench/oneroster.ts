/**
 * OneRoster 1.1 CSV import throughput (docs/PROVISIONING.md): a generated district export of
 * 200 orgs, 50,000 users, 5,000 classes and 250,000 enrollments (× scale) written to a directory,
 * imported into an empty institution as Lectern itself, imported again (every row unchanged), then
 * a delta of 1% of the users and enrollments. Rows/second per file, on PGlite and on PostgreSQL when
 * DATABASE_URL is set. Writes bench/results/oneroster.{json,md}.
 *   npm run bench -- --only oneroster [--scale 0.1]
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { importOneRoster } from '../src/integrations/oneroster/import.js';
import { openPath } from '../src/integrations/oneroster/source.js';
import { SYSTEM } from '../src/policy/index.js';
import { Lectern } from '../src/services/lectern.js';
import { Store } from '../src/store/store.js';
import { DISTRICT, districtDelta, HEADERS, manifest, writeDistrict, writeText, type DistrictSize } from '../test/oneroster-gen.js';
import type { BenchOptions } from './run.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results');

interface FileFigures {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  applied: number;
  unchanged: number;
  refused: number;
}

interface Figures {
  driver: 'pglite' | 'postgres';
  /** Per file, the first import. */
  first: Record<string, FileFigures>;
  firstSeconds: number;
  /** The same export again: every row unchanged. */
  againSeconds: number;
  againRowsPerSecond: number;
  delta: FileFigures;
  peakRssMiB: number;
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Runs one import; figures per file (time from the file's first batch to its last). */
async function timed(lectern: Lectern, institutionId: string, dir: string): Promise<{ files: Record<string, FileFigures>; seconds: number }> {
  const source = await openPath(dir);
  const files: Record<string, FileFigures & { start: number }> = {};
  const t0 = performance.now();
  let last = t0;
  try {
    for await (const batch of importOneRoster(lectern, SYSTEM, institutionId, source)) {
      const now = performance.now();
      for (const r of batch) {
        const f = (files[r.file] ??= { rows: 0, seconds: 0, rowsPerSecond: 0, applied: 0, unchanged: 0, refused: 0, start: last });
        f.rows++;
        if (r.status !== 'ok') {
          f.refused++;
          if (f.refused === 1) console.log(`    refused: ${r.file} line ${r.line}: ${r.message}`);
        } else if (r.changed) f.applied++;
        else f.unchanged++;
        f.seconds = (now - f.start) / 1000;
      }
      last = now;
    }
  } finally {
    source.close();
  }
  const out: Record<string, FileFigures> = {};
  for (const [name, { start: _start, ...f }] of Object.entries(files)) out[name] = { ...f, seconds: Math.round(f.seconds * 100) / 100, rowsPerSecond: Math.round(f.rows / Math.max(f.seconds, 0.001)) };
  return { files: out, seconds: Math.round(((performance.now() - t0) / 1000) * 10) / 10 };
}

async function writeDelta(dir: string, size: DistrictSize): Promise<number> {
  const { users, enrollments } = districtDelta(size);
  await mkdir(dir, { recursive: true });
  await writeText(join(dir, 'manifest.csv'), [manifest({ 'users.csv': 'delta', 'enrollments.csv': 'delta' })]);
  await writeText(join(dir, 'users.csv'), [HEADERS['users.csv'] + '\r\n', ...users.map((l) => l + '\r\n')]);
  await writeText(join(dir, 'enrollments.csv'), [HEADERS['enrollments.csv'] + '\r\n', ...enrollments.map((l) => l + '\r\n')]);
  return users.length + enrollments.length;
}

async function measure(driver: Figures['driver'], dir: string, deltaDir: string): Promise<Figures> {
  const store = driver === 'postgres' ? await Store.open({ databaseUrl: process.env.DATABASE_URL!, schema: `bench_${randomBytes(4).toString('hex')}` }) : await Store.open({});
  try {
    await store.migrate();
    const lectern = new Lectern(store);
    const institutionId = `district-${randomBytes(3).toString('hex')}`;
    const created = await lectern.run(SYSTEM, institutionId, 'institution.create', { id: institutionId, name: 'Bench District' });
    if (created.status !== 'ok') throw new Error(created.message);
    const first = await timed(lectern, institutionId, dir);
    const again = await timed(lectern, institutionId, dir);
    const rows = Object.values(again.files).reduce((n, f) => n + f.rows, 0);
    const changed = Object.values(again.files).reduce((n, f) => n + f.applied + f.refused, 0);
    if (changed) throw new Error(`the second import changed or refused ${changed} rows`);
    const delta = await timed(lectern, institutionId, deltaDir);
    const d = Object.values(delta.files).reduce<FileFigures>((a, f) => ({ rows: a.rows + f.rows, seconds: delta.seconds, rowsPerSecond: 0, applied: a.applied + f.applied, unchanged: a.unchanged + f.unchanged, refused: a.refused + f.refused }), { rows: 0, seconds: 0, rowsPerSecond: 0, applied: 0, unchanged: 0, refused: 0 });
    d.rowsPerSecond = Math.round(d.rows / Math.max(delta.seconds, 0.001));
    return { driver, first: first.files, firstSeconds: first.seconds, againSeconds: again.seconds, againRowsPerSecond: Math.round(rows / again.seconds), delta: d, peakRssMiB: mib(process.resourceUsage().maxRSS * 1024) };
  } finally {
    await store.dropSchemaAndClose();
  }
}

export async function run(opts: BenchOptions): Promise<Figures[]> {
  const size: DistrictSize = {
    orgs: Math.max(4, Math.round(DISTRICT.orgs * Math.min(1, opts.scale * 4))),
    users: Math.max(100, Math.round(DISTRICT.users * opts.scale)),
    classes: Math.max(10, Math.round(DISTRICT.classes * opts.scale)),
    enrollments: Math.max(100, Math.round(DISTRICT.enrollments * opts.scale)),
  };
  const tmp = await mkdtemp(join(tmpdir(), 'lectern-oneroster-'));
  const drivers: Figures['driver'][] = opts.driver ? [opts.driver] : process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
  if (!process.env.DATABASE_URL) console.log('  DATABASE_URL is not set: PostgreSQL is not measured');
  const figures: Figures[] = [];
  try {
    await writeDistrict(join(tmp, 'bulk'), size);
    const deltaRows = await writeDelta(join(tmp, 'delta'), size);
    console.log(`  export: ${size.orgs} orgs, ${size.users} users, ${size.classes} classes, ${size.enrollments} enrollments; delta ${deltaRows} rows`);
    for (const driver of drivers) {
      const f = await measure(driver, join(tmp, 'bulk'), join(tmp, 'delta'));
      for (const [name, k] of Object.entries(f.first)) console.log(`  ${driver} ${name}: ${k.rows} rows in ${k.seconds} s = ${k.rowsPerSecond} rows/s (${k.applied} applied, ${k.refused} refused)`);
      console.log(`  ${driver}: first import ${f.firstSeconds} s; again (no-op) ${f.againSeconds} s = ${f.againRowsPerSecond} rows/s; delta ${f.delta.rows} rows in ${f.delta.seconds} s (${f.delta.applied} applied); peak RSS ${f.peakRssMiB} MiB`);
      figures.push(f);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await mkdir(RESULTS, { recursive: true });
  const meta = { benchmark: 'oneroster', at: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`, scale: opts.scale, size };
  await writeFile(join(RESULTS, 'oneroster.json'), JSON.stringify({ ...meta, results: figures }, null, 2) + '\n');
  const md = [
    `# OneRoster 1.1 CSV import: ${size.orgs} orgs, ${size.users.toLocaleString('en')} users, ${size.classes.toLocaleString('en')} classes, ${size.enrollments.toLocaleString('en')} enrollments`,
    '',
    `${meta.at}, Node ${meta.node}, ${meta.platform}. \`npm run bench -- --only oneroster${opts.scale !== 1 ? ` --scale ${opts.scale}` : ''}${opts.driver ? ` --driver ${opts.driver}` : ''}\``,
    '',
    'A bulk export into an empty institution as Lectern itself, in the default batches (1,000 rows on PGlite, 5,000 on PostgreSQL).',
    '',
    '| driver | file | rows | s | rows/s | applied | refused |',
    '|---|---|--:|--:|--:|--:|--:|',
    ...figures.flatMap((f) => Object.entries(f.first).map(([n, k]) => `| ${f.driver} | ${n} | ${k.rows} | ${k.seconds} | ${k.rowsPerSecond} | ${k.applied} | ${k.refused} |`)),
    '',
    '| driver | first import (s) | re-import, all unchanged (s) | re-import rows/s | delta rows | delta (s) | peak RSS (MiB) |',
    '|---|--:|--:|--:|--:|--:|--:|',
    ...figures.map((f) => `| ${f.driver} | ${f.firstSeconds} | ${f.againSeconds} | ${f.againRowsPerSecond} | ${f.delta.rows} | ${f.delta.seconds} | ${f.peakRssMiB} |`),
    '',
  ].join('\n');
  await writeFile(join(RESULTS, 'oneroster.md'), md);
  return figures;
}

// Run on its own: node --import tsx bench/oneroster.ts [--scale N]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--scale');
  const scale = Number(i >= 0 ? process.argv[i + 1] : 1);
  if (!Number.isFinite(scale) || scale <= 0) throw new Error('--scale must be a positive number');
  run({ scale }).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
