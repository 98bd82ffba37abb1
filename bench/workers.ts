/**
 * `lectern serve --workers N` at 1 and 2 workers: the workload in PostgreSQL, the real CLI serving
 * it, autocannon (a child process) posting batches of 100 checks and single checks. Needs
 * DATABASE_URL (the embedded store is one process's database); without it, it says so and stops.
 *   npm run bench -- --only workers [--scale 0.05]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InstitutionRow } from '../src/domain/rows.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import { Store } from '../src/store/store.js';
import type { BenchOptions } from './run.js';
import { generateChecks, generateWorkload } from './workload.js';

function fire(url: string, token: string, file: string, connections: number, seconds: number): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', 'bench/http-load.ts', url, token, file, String(connections), String(seconds)], (e, out) => (e ? reject(e) : resolve(JSON.parse(out)))),
  );
}

export async function run(opts: BenchOptions): Promise<unknown> {
  if (!process.env.DATABASE_URL) {
    console.log('workers: skipped — set DATABASE_URL (several processes need PostgreSQL; the embedded store is one process’s database)');
    return undefined;
  }
  const wl = generateWorkload(opts.scale);
  const schema = `bench_workers_${Date.now()}`;
  const store = await Store.open({ databaseUrl: process.env.DATABASE_URL, schema });
  await store.migrate();
  await store.seed(wl.rows[0]!.row as InstitutionRow, wl.rows, 'bench');
  const lectern = new Lectern(store);
  await lectern.world(wl.institutionId);
  const token = (await new Auth(lectern).createToken(wl.institutionId, wl.staff[0]!, 'bench')).token;
  const checks = generateChecks(wl, 20_000, 23);
  const dir = mkdtempSync(join(tmpdir(), 'lectern-workers-'));
  const single = join(dir, 'single.json');
  const batches = join(dir, 'batches.json');
  writeFileSync(single, JSON.stringify(checks.map((c) => JSON.stringify(c))));
  const b: string[] = [];
  for (let i = 0; i + 100 <= checks.length; i += 100) b.push(JSON.stringify({ checks: checks.slice(i, i + 100) }));
  writeFileSync(batches, JSON.stringify(b));
  const seconds = opts.scale < 0.2 ? 4 : 8;
  const rows: { workers: number; endpoint: string; connections: number; requestsPerSecond: number; decisionsPerSecond: number; p50ms: number; p99ms: number; errors: number }[] = [];
  for (const workers of [1, 2]) {
    const server = spawn(process.execPath, ['bin/lectern.js', 'serve', '--workers', String(workers), '--port', '0', '--host', '127.0.0.1'], {
      env: { ...process.env, LECTERN_SCHEMA: schema, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const base = await new Promise<string>((resolve, reject) => {
      const t = setInterval(() => {
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
        if (m || server.exitCode !== null) clearInterval(t);
        if (server.exitCode !== null) reject(new Error(`serve exited: ${out}`));
      }, 100);
    });
    // Every worker loads the world on its first request: warm them all before measuring.
    await fire(`${base}/v1/check`, token, single, 8, 3);
    for (const [endpoint, file, per] of [['/v1/check', single, 1], ['/v1/checks', batches, 100]] as const) {
      for (const c of [16, 64]) {
        const r = await fire(base + endpoint, token, file, c, seconds);
        rows.push({ workers, endpoint, connections: c, requestsPerSecond: Math.round(r.rps), decisionsPerSecond: Math.round(r.rps * per), p50ms: r.p50, p99ms: r.p99, errors: r.errors });
      }
    }
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  await store.dropSchemaAndClose();
  const result = { date: new Date().toISOString(), machine: `${process.platform} ${process.arch}, node ${process.version}`, scale: opts.scale, loadAverage: loadavg().map((x) => +x.toFixed(1)), rows };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/workers.json', JSON.stringify(result, null, 2) + '\n');
  const md = [
    `# lectern serve --workers (scale ${opts.scale}, PostgreSQL, ${result.date.slice(0, 10)}, ${result.machine})`,
    '',
    `autocannon in a child process, ${seconds} s per row, on the same machine as the server; load average at the end: ${result.loadAverage.join(', ')} on ${availableParallelism()} cores.`,
    '',
    '| workers | endpoint | connections | requests/s | decisions/s | p50 ms | p99 ms | errors |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.workers} | ${r.endpoint} | ${r.connections} | ${r.requestsPerSecond.toLocaleString('en')} | ${r.decisionsPerSecond.toLocaleString('en')} | ${r.p50ms} | ${r.p99ms} | ${r.errors} |`),
    '',
  ].join('\n');
  writeFileSync('bench/results/workers.md', md);
  console.log(md);
  return result;
}
