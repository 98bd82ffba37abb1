/**
 * Profiles the server side of POST /v1/check (or /v1/checks) under load: builds the workload at a
 * scale, starts the app, profiles only while autocannon (a child process) drives it, and writes a
 * .cpuprofile (open it in Chrome DevTools or speedscope for the flame graph) plus the top self-time
 * frames. Not a benchmark of its own (exports no run).
 *   node --import tsx bench/profile-http.ts [scale=0.05] [endpoint=/v1/check] [connections=16] [seconds=5] [out.cpuprofile]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/api/app.js';
import type { InstitutionRow } from '../src/domain/rows.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import { Store } from '../src/store/store.js';
import { generateChecks, generateWorkload } from './workload.js';

interface Frame { callFrame: { functionName: string; url: string; lineNumber: number }; id: number }

if (process.argv[1]?.endsWith('profile-http.ts')) {
  const [scale = '0.05', endpoint = '/v1/check', connections = '16', seconds = '5', out = 'http.cpuprofile'] = process.argv.slice(2);
  const wl = generateWorkload(Number(scale));
  const store = await Store.open({});
  await store.migrate();
  await store.seed(wl.rows[0]!.row as InstitutionRow, wl.rows, 'bench');
  const lectern = new Lectern(store);
  await lectern.world(wl.institutionId);
  const auth = new Auth(lectern);
  const token = (await auth.createToken(wl.institutionId, wl.staff[0]!, 'bench')).token;
  const app = buildApp({ lectern, auth });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const checks = generateChecks(wl, 20_000, 23);
  const file = join(mkdtempSync(join(tmpdir(), 'lectern-prof-')), 'bodies.json');
  const bodies: string[] = [];
  if (endpoint === '/v1/checks') for (let i = 0; i + 100 <= checks.length; i += 100) bodies.push(JSON.stringify({ checks: checks.slice(i, i + 100) }));
  else for (const c of checks) bodies.push(JSON.stringify(c));
  writeFileSync(file, JSON.stringify(bodies));
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const res = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', 'bench/http-load.ts', url + endpoint, token, file, connections, seconds], (e, so) => (e ? reject(e) : resolve(so))),
  );
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(out, JSON.stringify(profile));
  console.log(res);
  const self = new Map<string, number>();
  const byId = new Map((profile.nodes as Frame[]).map((n) => [n.id, n]));
  let total = 0;
  profile.samples!.forEach((id, i) => {
    const dt = profile.timeDeltas![i] ?? 0;
    total += dt;
    const cf = byId.get(id)!.callFrame;
    const k = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/')}:${cf.lineNumber + 1}`;
    self.set(k, (self.get(k) ?? 0) + dt);
  });
  for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
  await app.close();
  await store.close();
}
