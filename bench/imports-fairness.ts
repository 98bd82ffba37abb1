/**
 * Imports must not hold the server hostage (SPEC §10, issue 13): while one admin uploads a large
 * users CSV over HTTP (about 50 MB × scale, every row a create, through a real listening server on
 * PGlite, as an import job followed at its status URL), `GET /health` is asked every 20 ms and a
 * second admin's 10-row import is timed. Reports the health answers' p50/p99/max, the upload's
 * time and status, and the RSS growth during the upload. Targets: p99 ≤ 50 ms, RSS growth ≤ 300 MB.
 * Writes bench/results/imports-fairness.{json,md}. On a shared machine the figures are noisy.
 *   npm run bench -- --only imports-fairness --scale 0.05
 */
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildApp } from '../src/api/app.js';
import { SYSTEM } from '../src/policy/index.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import { Store } from '../src/store/store.js';
import type { BenchOptions } from './run.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results');
const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

export async function run(opts: BenchOptions): Promise<unknown> {
  const store = await Store.open({});
  await store.migrate();
  const lectern = new Lectern(store);
  const auth = new Auth(lectern);
  const inst = 'fair';
  const ok = (o: { status: string }) => {
    if (o.status !== 'ok') throw new Error(`setup refused: ${JSON.stringify(o)}`);
  };
  ok(await lectern.run(SYSTEM, inst, 'institution.create', { id: inst, name: 'Fairness University' }));
  ok(await lectern.run(SYSTEM, inst, 'user.create', { id: 'admin', email: 'admin@fair.edu', firstName: 'A', lastName: 'Dmin' }));
  ok(await lectern.run(SYSTEM, inst, 'role.grant', { user: 'admin', role: 'admin' }));
  const token = (await auth.createToken(inst, 'admin', 'bench')).token;
  const app = buildApp({ lectern, auth });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  // About 50 MB × scale of users rows (~80 bytes each), every one a create.
  const targetBytes = Math.round(50 * 1024 * 1024 * opts.scale);
  const lines = ['Id,Username,Email,First Name,Last Name\r\n'];
  let bytes = lines[0]!.length;
  for (let i = 0; bytes < targetBytes; i++) {
    const l = `fairuser${i},fairuser${i},fair.user.${i}@students.fair.edu,Firstname${i},Lastname${i}\r\n`;
    lines.push(l);
    bytes += l.length;
  }
  const body = Buffer.from(lines.join(''));
  const rows = lines.length - 1;
  lines.length = 0;

  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const health: number[] = [];
  let uploading = true;
  const prober = (async () => {
    while (uploading) {
      const t0 = performance.now();
      await fetch(`${base}/health`).then((r) => r.text());
      health.push(performance.now() - t0);
      peak = Math.max(peak, process.memoryUsage().rss);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const auth_ = { authorization: `Bearer ${token}` };
  const t0 = performance.now();
  // The upload as the console sends it: an import job, followed at its status URL until it ends.
  const res = await fetch(`${base}/v1/imports/users?async=true`, { method: 'POST', headers: { ...auth_, 'content-type': 'text/csv' }, body });
  const started = (await res.json()) as { statusUrl: string };
  // Meanwhile, another admin's small import: how long it waits behind the big one.
  const smallFile = `Id,Email,First Name,Last Name\r\n${Array.from({ length: 10 }, (_, i) => `small${i},small${i}@fair.edu,S,${i}`).join('\r\n')}\r\n`;
  const s0 = performance.now();
  const small = await fetch(`${base}/v1/imports/users`, { method: 'POST', headers: { ...auth_, 'content-type': 'text/csv' }, body: smallFile });
  await small.arrayBuffer();
  const smallImportMs = Math.round(performance.now() - s0);
  let state = 'running';
  let summary: unknown;
  while (state === 'running') {
    await new Promise((r) => setTimeout(r, 200));
    const j = (await (await fetch(`${base}${started.statusUrl}`, { headers: auth_ })).json()) as { state: string; summary?: unknown };
    state = j.state;
    summary = j.summary;
  }
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  uploading = false;
  await prober;
  await app.close();
  await store.close();

  const sorted = [...health].sort((a, b) => a - b);
  const figures = {
    driver: 'pglite',
    fileMiB: mib(body.length),
    rows,
    status: res.status,
    jobState: state,
    summary,
    uploadSeconds: seconds,
    smallImportStatus: small.status,
    smallImportMs,
    healthRequests: health.length,
    healthP50ms: Math.round(pct(sorted, 50) * 10) / 10,
    healthP99ms: Math.round(pct(sorted, 99) * 10) / 10,
    healthMaxMs: Math.round((sorted[sorted.length - 1] ?? 0) * 10) / 10,
    rssGrowthMiB: mib(peak - rss0),
    targets: { healthP99ms: 50, rssGrowthMiB: 300 },
  };
  await mkdir(RESULTS, { recursive: true });
  const meta = { benchmark: 'imports-fairness', at: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`, scale: opts.scale };
  await writeFile(join(RESULTS, 'imports-fairness.json'), JSON.stringify({ ...meta, results: figures }, null, 2) + '\n');
  await writeFile(
    join(RESULTS, 'imports-fairness.md'),
    [
      `# Imports fairness: /health during a ${figures.fileMiB} MiB users upload`,
      '',
      `${meta.at}, Node ${meta.node}, ${meta.platform}. \`npm run bench -- --only imports-fairness${opts.scale !== 1 ? ` --scale ${opts.scale}` : ''}\` (a shared, noisy machine: figures vary run to run)`,
      '',
      'The upload is an import job (`?async=true`, then its status URL until it ends); meanwhile another 10-row import is sent and timed.',
      '',
      '| driver | file MiB | rows | status | job | import s | /health asked | p50 ms | p99 ms (target ≤ 50) | max ms | small import ms | RSS growth MiB (target ≤ 300) |',
      '|---|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|',
      `| ${figures.driver} | ${figures.fileMiB} | ${rows} | ${figures.status} | ${state} | ${seconds} | ${figures.healthRequests} | ${figures.healthP50ms} | ${figures.healthP99ms} | ${figures.healthMaxMs} | ${smallImportMs} | ${figures.rssGrowthMiB} |`,
      '',
    ].join('\n'),
  );
  console.log(JSON.stringify(figures));
  return figures;
}

// Run on its own: node --import tsx bench/imports-fairness.ts [--scale N]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--scale');
  const scale = Number(i >= 0 ? process.argv[i + 1] : 1);
  run({ scale }).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
