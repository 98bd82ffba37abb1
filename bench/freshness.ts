/**
 * Freshness across processes: a write committed by this process, visible to a check in a second
 * process on the same PostgreSQL database (LISTEN/NOTIFY wakes it, the changelog catches it up).
 * Milliseconds from commit to visible, p50 and p99. Needs DATABASE_URL.
 *   npm run bench -- --only freshness
 * The second process is this file run with `follow` (it prints each revision as it sees it).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SYSTEM } from '../src/policy/index.js';
import { Lectern } from '../src/services/lectern.js';
import { Store } from '../src/store/store.js';
import type { BenchOptions } from './run.js';

const now = () => performance.timeOrigin + performance.now();

async function follow(url: string, schema: string, institutionId: string): Promise<void> {
  const store = await Store.open({ databaseUrl: url, schema });
  const lectern = new Lectern(store);
  const world = (await lectern.world(institutionId))!;
  const stop = lectern.follow();
  let seen = world.revision;
  console.log(`ready ${seen}`);
  // A check asked continuously, as a service would: the first one that sees a revision reports it.
  const timer = setInterval(() => {
    if (world.revision > seen) {
      const t = now();
      for (let r = seen + 1; r <= world.revision; r++) console.log(`seen ${r} ${t}`);
      seen = world.revision;
    }
  }, 0);
  process.stdin.on('end', () => {
    clearInterval(timer);
    void stop().then(() => store.close()).then(() => process.exit(0));
  });
  process.stdin.resume();
}

export async function run(opts: BenchOptions): Promise<unknown> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.log('freshness: skipped — it needs PostgreSQL (set DATABASE_URL); PGlite is one process');
    return undefined;
  }
  const schema = `fresh_${Date.now()}`;
  const store = await Store.open({ databaseUrl: url, schema });
  await store.migrate();
  const lectern = new Lectern(store);
  const inst = 'fresh';
  await lectern.run(SYSTEM, inst, 'institution.create', { id: inst, name: 'Freshness' });
  await lectern.run(SYSTEM, inst, 'user.create', { id: 'u', email: 'u@fresh.edu', firstName: 'U', lastName: 'Zero' });
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/freshness.ts', 'follow', url, schema, inst], { stdio: ['pipe', 'pipe', 'inherit'] });
  const seen = new Map<number, number>();
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [what, rev, t] = line.split(' ');
    if (what === 'ready') ready();
    if (what === 'seen') seen.set(Number(rev), Number(t));
  });
  await isReady;
  await new Promise((r) => setTimeout(r, 500)); // the follower's LISTEN connection
  const writes = Math.max(50, Math.round(400 * Math.min(1, opts.scale * 4)));
  const committed = new Map<number, number>();
  for (let i = 0; i < writes; i++) {
    const o = await lectern.run(SYSTEM, inst, 'user.update', { user: 'u', lastName: `Name${i}` });
    if (o.status === 'ok') committed.set(o.revision, now());
    await new Promise((r) => setTimeout(r, 5));
  }
  const deadline = Date.now() + 5000;
  while (seen.size < committed.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  child.stdin!.end();
  await new Promise((r) => child.on('exit', r));
  await store.dropSchemaAndClose();
  const lat = [...committed].map(([rev, t]) => (seen.get(rev) ?? Number.POSITIVE_INFINITY) - t).sort((a, b) => a - b);
  const p = (q: number) => +lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!.toFixed(2);
  const result = { date: new Date().toISOString(), writes: committed.size, seen: [...committed.keys()].filter((r) => seen.has(r)).length, p50ms: p(0.5), p99ms: p(0.99), maxms: p(1) };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/freshness.json', JSON.stringify(result, null, 2) + '\n');
  const md = `# Freshness across processes (${result.date.slice(0, 10)})\n\n${result.writes} writes committed by one process; a second process (LISTEN/NOTIFY, then the changelog) saw ${result.seen} of them.\n\n| commit → visible | p50 | p99 | max |\n|---|---|---|---|\n| ms | ${result.p50ms} | ${result.p99ms} | ${result.maxms} |\n`;
  writeFileSync('bench/results/freshness.md', md);
  console.log(md);
  return result;
}

if (process.argv[2] === 'follow') await follow(process.argv[3]!, process.argv[4]!, process.argv[5]!);
