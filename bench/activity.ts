/**
 * Student activity ingest throughput (issue 20: ≥ 50,000 events/s on PostgreSQL). An institution
 * with 2,000 students in 40 sections and 400 media items; then 300,000 events (× scale) — views,
 * plays with seconds, downloads, spread over three months — sent as the platform would, in batches
 * of 10,000 through ingestActivity (policy's decision, every event read against the world, one
 * INSERT … unnest per batch into the month partitions). On PostgreSQL when DATABASE_URL is set,
 * else PGlite. Writes events/second, the slowest batch and a section report's time to
 * bench/results/activity.{json,md}.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SYSTEM } from '../src/policy/index.js';
import { activityStore, ingestActivity, sectionReport } from '../src/services/activity.js';
import { Lectern, type BatchRow } from '../src/services/lectern.js';
import { Store } from '../src/store/store.js';
import type { BenchOptions } from './run.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results');
const STUDENTS = 2000;
const SECTIONS = 40;
const MEDIA = 400;
const BATCH = 10_000;

async function setup(lectern: Lectern): Promise<string> {
  const inst = `bench-${randomBytes(3).toString('hex')}`;
  const made = await lectern.run(SYSTEM, inst, 'institution.create', { id: inst, name: 'Bench University' });
  if (made.status !== 'ok') throw new Error(made.message);
  const rows: Omit<BatchRow, 'line'>[] = [
    { op: 'term.create', args: { id: 't1', start: '2026-01-01', end: '2026-12-31' } },
    { op: 'course.create', args: { id: 'c1', unit: inst } },
    { op: 'user.create', args: { id: 'prof', email: 'prof@bench.edu', firstName: 'Pro', lastName: 'Fessor' } },
  ];
  for (let s = 0; s < SECTIONS; s++) rows.push({ op: 'section.create', args: { id: `s${s}`, course: 'c1', term: 't1' } });
  for (let u = 0; u < STUDENTS; u++) rows.push({ op: 'user.create', args: { id: `u${u}`, email: `u${u}@bench.edu`, firstName: 'Stu', lastName: `Dent ${u}` } });
  for (let u = 0; u < STUDENTS; u++) rows.push({ op: 'section.enroll', args: { section: `s${u % SECTIONS}`, user: `u${u}`, role: 'student' } });
  for (let m = 0; m < MEDIA; m++) rows.push({ op: 'media.create', args: { id: `m${m}`, owner: 'prof' } });
  const out = await lectern.runRows(SYSTEM, inst, rows.map((r, i) => ({ line: i + 1, ...r }) as BatchRow), { label: 'bench.setup' });
  const bad = out.find((r) => r.status !== 'ok');
  if (bad && 'message' in bad) throw new Error(`setup row ${bad.line}: ${bad.message}`);
  return inst;
}

function batch(n: number, offset: number, now: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const k = offset + i;
    const u = (k * 7919) % STUDENTS;
    const kind = k % 10 === 0 ? 'download' : k % 3 === 0 ? 'view' : 'play';
    out.push({
      at: new Date(now - ((k * 104_729) % (90 * 86_400)) * 1000).toISOString(),
      user: `u${u}`,
      media: `m${(k * 31) % MEDIA}`,
      section: `s${u % SECTIONS}`,
      kind,
      ...(kind === 'play' ? { seconds: k % 3600 } : {}),
    });
  }
  return out;
}

export async function run({ scale }: BenchOptions): Promise<void> {
  const driver = process.env.DATABASE_URL ? 'postgres' : 'pglite';
  const store = driver === 'postgres' ? await Store.open({ databaseUrl: process.env.DATABASE_URL!, schema: `bench_${randomBytes(4).toString('hex')}` }) : await Store.open({});
  try {
    await store.migrate();
    const lectern = new Lectern(store);
    const inst = await setup(lectern);
    const total = Math.max(BATCH, Math.round(300_000 * scale));
    const now = Date.now();
    // Batches are built before the clock starts: the platform's side of the wire is not ours to time.
    const batches: Record<string, unknown>[][] = [];
    for (let off = 0; off < total; off += BATCH) batches.push(batch(Math.min(BATCH, total - off), off, now));
    await ingestActivity(lectern, SYSTEM, inst, batch(100, total, now)); // partitions and a warm path
    let slowest = 0;
    const t0 = performance.now();
    for (const b of batches) {
      const t = performance.now();
      await ingestActivity(lectern, SYSTEM, inst, b);
      slowest = Math.max(slowest, performance.now() - t);
    }
    const seconds = (performance.now() - t0) / 1000;
    const stored = await activityStore(lectern).count(inst);
    if (stored !== total + 100) throw new Error(`stored ${stored} events, sent ${total + 100}`);
    const w = (await lectern.world(inst))!;
    const r0 = performance.now();
    const report = await sectionReport(lectern, SYSTEM, w, 's7', { from: new Date(now - 91 * 86_400_000), to: new Date(now + 1000) });
    const reportMs = performance.now() - r0;
    const figures = {
      driver,
      events: total,
      batch: BATCH,
      seconds: Math.round(seconds * 100) / 100,
      eventsPerSecond: Math.round(total / seconds),
      slowestBatchMs: Math.round(slowest),
      sectionReportMs: Math.round(reportMs),
      sectionReportMedia: report.media.length,
      goalEventsPerSecond: 50_000,
      // The machine's state while measuring: a shared machine's figures mean little without it.
      cpus: cpus().length,
      loadAverage1m: Math.round(loadavg()[0]! * 10) / 10,
      at: new Date().toISOString(),
    };
    console.log(JSON.stringify(figures));
    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, 'activity.json'), JSON.stringify(figures, null, 2) + '\n');
    await writeFile(
      join(RESULTS, 'activity.md'),
      `# Student activity ingest (${driver})\n\n| events | batch | seconds | events/s | goal | slowest batch | section report (90 days) |\n|---|---|---|---|---|---|---|\n| ${total.toLocaleString('en')} | ${BATCH.toLocaleString('en')} | ${figures.seconds} | ${figures.eventsPerSecond.toLocaleString('en')} | 50,000 | ${figures.slowestBatchMs} ms | ${figures.sectionReportMs} ms (${report.media.length} media) |\n\nMeasured ${figures.at} on ${figures.cpus} CPUs at load average ${figures.loadAverage1m}, with \`DATABASE_URL=… npm run bench -- --only activity\`.\n`,
    );
  } finally {
    await store.dropSchemaAndClose();
  }
}
