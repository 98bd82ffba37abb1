/**
 * The workload through the store and over HTTP: loading it into PGlite (and PostgreSQL when
 * DATABASE_URL is set), the cold build of the world from each store, memory, and POST /v1/check and
 * POST /v1/checks (batches of 100) under autocannon at concurrency 1, 16 and 64.
 *   npm run bench -- --only http [--scale 0.05]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { buildApp } from '../src/api/app.js';
import type { InstitutionRow } from '../src/domain/rows.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import { Store } from '../src/store/store.js';
import type { BenchOptions } from './run.js';
import { generateChecks, generateWorkload } from './workload.js';

const mb = (b: number) => Math.round(b / 1024 / 1024);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, Math.round(performance.now() - t)];
}

async function load(store: Store, wl: ReturnType<typeof generateWorkload>) {
  await store.migrate();
  const inst = wl.rows[0]!.row as InstitutionRow;
  const [, loadMs] = await timed(() => store.seed(inst, wl.rows, 'bench'));
  (globalThis as { gc?: () => void }).gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const lectern = new Lectern(store);
  const [, buildMs] = await timed(() => lectern.world(wl.institutionId));
  (globalThis as { gc?: () => void }).gc?.();
  return { lectern, loadMs, buildMs, worldHeapMB: mb(process.memoryUsage().heapUsed - heap0), rssMB: mb(process.memoryUsage().rss) };
}

interface Load {
  endpoint: string;
  connections: number;
  requestsPerSecond: number;
  decisionsPerSecond: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  /** The server's CPU time (user + system, this process) per request: steadier than requests/s on a busy machine. */
  cpuUsPerRequest: number;
}

/** Fires load from a child process (bench/http-load.ts), so the generator does not share the server's event loop. */
async function fire(url: string, token: string, bodiesFile: string, endpoint: string, connections: number, perRequest: number, seconds: number): Promise<Load> {
  const cpu0 = process.cpuUsage();
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'bench/http-load.ts', url + endpoint, token, bodiesFile, String(connections), String(seconds)], { maxBuffer: 1 << 20 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
  const cpu = process.cpuUsage(cpu0);
  const r = JSON.parse(out) as { rps: number; p50: number; p99: number; errors: number; total: number };
  return {
    endpoint,
    connections,
    requestsPerSecond: Math.round(r.rps),
    decisionsPerSecond: Math.round(r.rps * perRequest),
    p50ms: r.p50,
    p99ms: r.p99,
    errors: r.errors,
    cpuUsPerRequest: r.total > 0 ? Math.round((cpu.user + cpu.system) / r.total) : 0,
  };
}

/**
 * The framework's floor: a bare Fastify route that parses the same JSON body and answers a constant
 * decision (no authentication, no schema, no headers, no world). What Lectern adds is measured against it.
 */
async function floorApp() {
  const app = Fastify({ logger: false });
  app.post('/v1/check', async (req) => {
    const b = req.body as { user?: string } | undefined;
    return { allow: b?.user !== undefined, reasons: [], revision: 1 };
  });
  app.post('/v1/checks', async (req) => {
    const b = req.body as { checks?: unknown[] } | undefined;
    return { results: (b?.checks ?? []).map(() => ({ allow: true, reasons: [] })), revision: 1 };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

function ratios(loads: Load[], inProcess: number) {
  const out: { endpoint: string; connections: number; rps: number; p99: number | string; cpu: number; inProcess: number }[] = [];
  for (const l of loads) {
    if (l.endpoint.startsWith('floor')) continue;
    const f = loads.find((x) => x.endpoint === `floor: bare Fastify ${l.endpoint}` && x.connections === l.connections);
    if (!f) continue;
    out.push({
      endpoint: l.endpoint,
      connections: l.connections,
      rps: +(l.requestsPerSecond / f.requestsPerSecond).toFixed(2),
      // autocannon reports whole milliseconds; a floor p99 of 0 ms cannot be divided by.
      p99: f.p99ms > 0 ? +(l.p99ms / f.p99ms).toFixed(2) : `${l.p99ms} ms vs ${f.p99ms} ms`,
      cpu: l.cpuUsPerRequest > 0 ? +(f.cpuUsPerRequest / l.cpuUsPerRequest).toFixed(2) : 0,
      inProcess: +(l.decisionsPerSecond / inProcess).toFixed(2),
    });
  }
  return out;
}

export async function run(opts: BenchOptions): Promise<unknown> {
  const wl = generateWorkload(opts.scale);
  const stores: Record<string, Awaited<ReturnType<typeof load>> & { store: Store }> = {};
  {
    const store = await Store.open({});
    stores.pglite = { store, ...(await load(store, wl)) };
  }
  if (process.env.DATABASE_URL) {
    const schema = `bench_${Date.now()}`;
    const store = await Store.open({ databaseUrl: process.env.DATABASE_URL, schema });
    stores.postgres = { store, ...(await load(store, wl)) };
  }
  // HTTP on the embedded store (decisions never touch the database, so the driver does not matter here).
  const { lectern } = stores.pglite!;
  const auth = new Auth(lectern);
  const token = (await auth.createToken(wl.institutionId, wl.staff[0]!, 'bench')).token; // a system admin may ask about anyone
  const app = buildApp({ lectern, auth });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const checks = generateChecks(wl, 20_000, 23);
  const dir = mkdtempSync(join(tmpdir(), 'lectern-http-'));
  const single = join(dir, 'single.json');
  const batches = join(dir, 'batches.json');
  writeFileSync(single, JSON.stringify(checks.map((c) => JSON.stringify(c))));
  const b: string[] = [];
  for (let i = 0; i + 100 <= checks.length; i += 100) b.push(JSON.stringify({ checks: checks.slice(i, i + 100) }));
  writeFileSync(batches, JSON.stringify(b));
  // In-process throughput of the same questions, as the batch endpoint answers them (with reasons,
  // the subject gate and the user looked up by name), for the batch target's ratio.
  const admin = lectern.principal(wl.institutionId, wl.staff[0]!);
  const world0 = (await lectern.world(wl.institutionId))!;
  const inProcess = () => {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 1000) {
      for (const c of checks) {
        const u = world0.findUser(c.user)!;
        lectern.check(world0, admin, 'user.view', `user:${u.id}`, {}, { explain: false });
        lectern.check(world0, lectern.principal(wl.institutionId, u.id), c.action, c.resource, c.context ?? {});
      }
      n += checks.length;
    }
    return Math.round(n / ((performance.now() - t0) / 1000));
  };
  inProcess();
  const inProcessPerSecond = inProcess();
  const seconds = opts.scale < 0.2 ? 3 : 8;
  const loads: Load[] = [];
  const floor = await floorApp();
  // Floor and Lectern alternate per concurrency, so both see the same machine.
  for (const c of [1, 16, 64]) {
    loads.push({ ...(await fire(floor.url, token, single, '/v1/check', c, 1, seconds)), endpoint: 'floor: bare Fastify /v1/check' });
    loads.push(await fire(url, token, single, '/v1/check', c, 1, seconds));
  }
  for (const c of [1, 16, 64]) {
    loads.push({ ...(await fire(floor.url, token, batches, '/v1/checks', c, 100, seconds)), endpoint: 'floor: bare Fastify /v1/checks' });
    loads.push(await fire(url, token, batches, '/v1/checks', c, 100, seconds));
  }
  await floor.app.close();
  await app.close();
  for (const s of Object.values(stores)) await (s.store.kind === 'postgres' ? s.store.dropSchemaAndClose() : s.store.close());

  const result = {
    date: new Date().toISOString(),
    machine: `${process.platform} ${process.arch}, node ${process.version}`,
    scale: opts.scale,
    /** The machine's load averages (1, 5, 15 min) at the end of the run: figures from a busy machine say so. */
    loadAverage: loadavg().map((x) => +x.toFixed(1)),
    rows: wl.rows.length,
    stores: Object.fromEntries(Object.entries(stores).map(([k, v]) => [k, { loadMs: v.loadMs, coldBuildMs: v.buildMs, worldHeapMB: v.worldHeapMB, rssMB: v.rssMB }])),
    http: loads,
    inProcessDecisionsPerSecond: inProcessPerSecond,
    ratios: ratios(loads, inProcessPerSecond),
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/http.json', JSON.stringify(result, null, 2) + '\n');
  const md = [
    `# Store and HTTP (scale ${opts.scale}: ${wl.rows.length.toLocaleString('en')} rows, ${result.date.slice(0, 10)}, ${result.machine})`,
    '',
    '| store | load into the store | cold build of the world | world heap | RSS |',
    '|---|---|---|---|---|',
    ...Object.entries(result.stores).map(([k, v]) => `| ${k} | ${(v.loadMs / 1000).toFixed(1)} s | ${(v.coldBuildMs / 1000).toFixed(2)} s | ${v.worldHeapMB} MB | ${v.rssMB} MB |`),
    '',
    `Load average at the end of the run: ${result.loadAverage.join(', ')} (on ${availableParallelism()} cores).`,
    '',
    `autocannon (in a child process), ${seconds} s per row, a system admin's token asking about generated users (the issue's check mix):`,
    '',
    '| endpoint | connections | requests/s | decisions/s | p50 ms | p99 ms | errors | server CPU µs/request |',
    '|---|---|---|---|---|---|---|---|',
    ...loads.map((l) => `| ${l.endpoint} | ${l.connections} | ${l.requestsPerSecond.toLocaleString('en')} | ${l.decisionsPerSecond.toLocaleString('en')} | ${l.p50ms} | ${l.p99ms} | ${l.errors} | ${l.cpuUsPerRequest} |`),
    '',
    `Against the floor of the same run (targets: requests/s ≥ 0.67×, p99 ≤ 2×; batch decisions/s ≥ 0.5× in-process, which did ${inProcessPerSecond.toLocaleString('en')} decisions/s with reasons and the subject gate):`,
    '',
    '| endpoint | connections | × floor requests/s | × floor p99 | floor CPU / Lectern CPU per request | × in-process decisions/s |',
    '|---|---|---|---|---|---|',
    ...result.ratios.map((r) => `| ${r.endpoint} | ${r.connections} | ${r.rps} | ${r.p99} | ${r.cpu} | ${r.inProcess} |`),
    '',
  ].join('\n');
  writeFileSync('bench/results/http.md', md);
  console.log(md);
  return result;
}
