/**
 * Many institutions in one process: memory per institution when every world is resident, the
 * first decision of a cold institution (loaded from the store on first use), and the memory budget
 * holding (least recently used worlds dropped, reloaded on demand).
 * Full size: 500 institutions of 2,000 users (the workload at 0.02 each: 400 sections,
 * 20,800 enrollments, 4,000 media); --scale shrinks the number of institutions, not their size.
 *   npm run bench -- --only institutions [--scale 0.05]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Change, InstitutionRow } from '../src/domain/rows.js';
import { Lectern, WORLD_BYTES_PER_ROW } from '../src/services/lectern.js';
import { Store } from '../src/store/store.js';
import { World } from '../src/world/world.js';
import type { BenchOptions } from './run.js';
import { generateChecks, generateWorkload, type Workload } from './workload.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const mb = (b: number) => Math.round(b / 1024 / 1024);

/** The workload as institution `id`. */
function as(wl: Workload, id: string): Change[] {
  return wl.rows.map((c) => ({ ...c, row: { ...c.row, institutionId: id } }) as Change);
}

export async function run(opts: BenchOptions): Promise<unknown> {
  const count = Math.max(4, Math.round(500 * opts.scale));
  const wl = generateWorkload(0.02);
  const checks = generateChecks(wl, 1000, 5);

  // 1. Every world resident, built from rows (the store is not what is measured here).
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const worlds: World[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) worlds.push(World.build(`inst${i}`, 1, as(wl, `inst${i}`)));
  const buildMs = (performance.now() - t0) / count;
  gc();
  const perInstitution = (process.memoryUsage().heapUsed - heap0) / count;
  const rssAll = process.memoryUsage().rss;
  worlds.length = 0;
  gc();

  // 2. Cold institutions from the store: first decision after a process has never seen them.
  const cold = Math.min(count, 6);
  const store = process.env.DATABASE_URL ? await Store.open({ databaseUrl: process.env.DATABASE_URL, schema: `bench_inst_${Date.now()}` }) : await Store.open({});
  await store.migrate();
  for (let i = 0; i < cold; i++) await store.seed(as(wl, `inst${i}`)[0]!.row as InstitutionRow, as(wl, `inst${i}`), 'bench');
  // A budget of two worlds: every institution after the second drops the least recently used.
  const budget = Math.round(2.5 * wl.rows.length * WORLD_BYTES_PER_ROW);
  const lectern = new Lectern(store, { worldBudgetBytes: budget });
  const firstDecisionMs: number[] = [];
  for (let i = 0; i < cold; i++) {
    const c = checks[i]!;
    const t = performance.now();
    const w = (await lectern.world(`inst${i}`))!;
    lectern.check(w, lectern.principal(`inst${i}`, c.user), c.action, c.resource, c.context ?? {});
    firstDecisionMs.push(performance.now() - t);
  }
  // Again, in the same order: each was dropped by the budget and reloads.
  const reloadMs: number[] = [];
  for (let i = 0; i < cold; i++) {
    const t = performance.now();
    const w = (await lectern.world(`inst${i}`))!;
    lectern.check(w, lectern.principal(`inst${i}`, checks[0]!.user), checks[0]!.action, checks[0]!.resource, checks[0]!.context ?? {});
    reloadMs.push(performance.now() - t);
  }
  const resident = lectern.resident();
  await (store.kind === 'postgres' ? store.dropSchemaAndClose() : store.close());

  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const result = {
    date: new Date().toISOString(),
    machine: `${process.platform} ${process.arch}, node ${process.version}`,
    scale: opts.scale,
    institutions: count,
    perInstitution: { rows: wl.rows.length, users: wl.counts.user, enrollments: wl.counts.enrollment, heapMB: +(perInstitution / 1024 / 1024).toFixed(2), buildMs: Math.round(buildMs), bytesPerRow: Math.round(perInstitution / wl.rows.length) },
    allResident: { heapMB: mb(perInstitution * count), rssMB: mb(rssAll) },
    cold: { store: store.kind, institutions: cold, firstDecisionMs: sorted(firstDecisionMs).map((x) => Math.round(x)), reloadMs: sorted(reloadMs).map((x) => Math.round(x)) },
    budget: { bytes: budget, resident },
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/institutions.json', JSON.stringify(result, null, 2) + '\n');
  const md = [
    `# Many institutions in one process (scale ${opts.scale}: ${count} institutions, ${result.date.slice(0, 10)}, ${result.machine})`,
    '',
    `Each institution: ${wl.counts.user?.toLocaleString('en')} users, ${wl.counts.enrollment?.toLocaleString('en')} enrollments, ${wl.rows.length.toLocaleString('en')} rows.`,
    '',
    '| measure | value |',
    '|---|---|',
    `| world heap per institution | ${result.perInstitution.heapMB} MB (${result.perInstitution.bytesPerRow} bytes per row) |`,
    `| all ${count} resident | ${result.allResident.heapMB} MB heap, ${result.allResident.rssMB} MB RSS |`,
    `| build from rows, per institution | ${result.perInstitution.buildMs} ms |`,
    `| cold institution, first decision (${store.kind}, ${cold} institutions) | ${result.cold.firstDecisionMs.join(', ')} ms |`,
    `| dropped by the budget, first decision again | ${result.cold.reloadMs.join(', ')} ms |`,
    `| budget ${mb(budget)} MB: resident afterwards | ${resident.institutions} worlds, ~${mb(resident.estimatedBytes)} MB estimated |`,
    '',
    `Institutions a host holds resident: (memory for Lectern − ~150 MB for the process) ÷ ${result.perInstitution.heapMB} MB; beyond that, set LECTERN_WORLD_BUDGET_MB and pay the cold load on a dropped institution's next request.`,
    '',
  ].join('\n');
  writeFileSync('bench/results/institutions.md', md);
  console.log(md);
  return result;
}
