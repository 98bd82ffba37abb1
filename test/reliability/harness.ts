/**
 * Harness for the reliability suites: a throw-away PostgreSQL database per suite, real
 * `lectern serve` child processes on their own ports, the `lectern` CLI as a child, and a small
 * HTTP client with a deadline (a hang is a failure, not a wait).
 *
 * The PostgreSQL server is DATABASE_URL when set, else the local CI server
 * (postgres://postgres@127.0.0.1:5432/test). Suites skip themselves when it does not answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SYSTEM } from '../../src/policy/index.js';
import { Auth } from '../../src/services/auth.js';
import { Lectern } from '../../src/services/lectern.js';
import { Store } from '../../src/store/store.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = `${ROOT}bin/lectern.js`;

/** Long runs (`npm run test:long`) scale every count up; CI runs the bounded defaults. */
export const LONG = process.env.LECTERN_LONG === '1';
export const scale = (normal: number, long: number): number => (LONG ? long : normal);

export const SERVER_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** Does the PostgreSQL server answer? (Checked once, at collection time.) */
export async function postgresAvailable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export const PG = await postgresAvailable();

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Runs one statement on the server's maintenance connection (the database DATABASE_URL names). */
export async function admin<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = [], url = SERVER_URL): Promise<pg.QueryResult<T>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query<T>(text, values);
  } finally {
    await c.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  /** A query on this database. */
  q<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  /** Closes connections to it and drops it. */
  drop(): Promise<void>;
}

/** A fresh database `lectern_rel_<random>`, migrated. */
export async function createDatabase(): Promise<TestDatabase> {
  const name = `lectern_rel_${randomBytes(5).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = withDatabase(SERVER_URL, name);
  const store = await Store.open({ databaseUrl: url });
  await store.migrate();
  await store.close();
  return {
    name,
    url,
    q: async <T extends pg.QueryResultRow>(text: string, values?: unknown[]) => (await admin<T>(text, values ?? [], url)).rows,
    drop: async () => {
      await admin('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]).catch(() => undefined);
      await admin(`drop database if exists ${name}`);
    },
  };
}

/** Terminates every connection to a database but ours: how a PostgreSQL restart looks to a pool. */
export async function terminateConnections(db: TestDatabase): Promise<number> {
  const r = await admin<{ n: string }>('select count(*) filter (where pg_terminate_backend(pid)) as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [db.name]);
  return Number(r.rows[0]!.n);
}

export interface Seeded {
  institution: string;
  /** Academic-staff users (license holders): u0000, u0001, … */
  staff: string[];
  packs: { id: string; seats: number }[];
}

/**
 * An institution `rel` with an admin `root` (institution admin and system admin), `staff` academic
 * staff users, license packs and collection `c1` managed by root. Written in batches (one
 * transaction each) so tens of thousands of users take seconds.
 */
export async function seed(url: string, opts: { staff: number; packs: { id: string; seats: number }[] }): Promise<Seeded> {
  const store = await Store.open({ databaseUrl: url });
  try {
    const lectern = new Lectern(store);
    const institution = 'rel';
    const must = async (op: string, args: Record<string, unknown>) => {
      const o = await lectern.run(SYSTEM, institution, op, args);
      if (o.status !== 'ok') throw new Error(`seed ${op}: ${o.status} ${o.message}`);
    };
    const o = await lectern.run(SYSTEM, institution, 'institution.create', { id: institution, name: 'Reliability University' });
    if (o.status !== 'ok') throw new Error(`seed: ${o.message}`);
    await must('unit.create', { id: 'science', parent: institution, name: 'Science' });
    await must('user.create', { id: 'root', email: 'root@example.edu', firstName: 'Rita', lastName: 'Root' });
    await must('role.grant', { user: 'root', role: 'admin' });
    await must('role.grant', { user: 'root', role: 'system_admin' });
    const staff = Array.from({ length: opts.staff }, (_, i) => `u${String(i).padStart(4, '0')}`);
    for (let i = 0; i < staff.length; i += 500) {
      const rows = staff.slice(i, i + 500).flatMap((u, j) => [
        { line: 2 * (i + j), op: 'user.create', args: { id: u, email: `${u}@example.edu`, firstName: 'U', lastName: u } },
        { line: 2 * (i + j) + 1, op: 'role.grant', args: { user: u, role: 'academic_staff', scope: 'science' } },
      ]);
      const results = await lectern.runRows(SYSTEM, institution, rows);
      const bad = results.find((r) => r.status !== 'ok');
      if (bad) throw new Error(`seed row ${bad.line}: ${bad.status}`);
    }
    for (const p of opts.packs) await must('licensePack.create', p);
    return { institution, staff, packs: opts.packs };
  } finally {
    await store.close();
  }
}

/** A token for `user`, made by the CLI against the database (as an operator would). */
export async function cliToken(url: string, institution: string, user: string): Promise<string> {
  const r = await cli(url, ['token', 'create', '--institution', institution, '--user', user, '--name', 'reliability']);
  if (r.code !== 0) throw new Error(`token create failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').pop()!.trim();
}

/** A token made in-process (faster, for suites that need several). */
export async function directToken(url: string, institution: string, user: string): Promise<string> {
  const store = await Store.open({ databaseUrl: url });
  try {
    return (await new Auth(new Lectern(store)).createToken(institution, user, 'reliability')).token;
  } finally {
    await store.close();
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const childEnv = (url: string): NodeJS.ProcessEnv => ({ ...process.env, DATABASE_URL: url, LOG_LEVEL: 'error', NODE_ENV: 'production' });

/** Runs `lectern ARGS` to the end. */
export function cli(url: string, args: string[]): Promise<CliResult> {
  const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(url), stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(p);
}

/** Starts `lectern ARGS` and hands back the child (to kill it). */
export function cliChild(url: string, args: string[]): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(url), stdio: ['ignore', 'pipe', 'pipe'] });
  return { child, done: collect(child) };
}

function collect(p: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  p.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Server {
  port: number;
  base: string;
  child: ChildProcess;
  /** Everything the child printed (for a failing test's message). */
  output(): string;
  /** Whether it has exited (crashed, or killed). */
  exited(): boolean;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `lectern serve` on a free port against `url` and waits until it answers /health. */
export async function startServer(url: string): Promise<Server> {
  const port = await freePort();
  // One process each: the suites start the several servers they want themselves.
  const child = spawn(process.execPath, [BIN, 'serve', '--workers', '1', '--port', String(port), '--host', '127.0.0.1'], {
    cwd: ROOT,
    env: childEnv(url),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let gone = false;
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const closed = new Promise<void>((resolve) => child.on('close', () => ((gone = true), resolve())));
  const base = `http://127.0.0.1:${port}`;
  // Generous: a loaded CI machine starting several servers next to the rest of the suite.
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (gone) throw new Error(`lectern serve exited before listening:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`lectern serve did not answer within 90 s:\n${out}`);
    }
    const ok = await fetch(`${base}/health`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ok) break;
    await sleep(100);
  }
  const end = async (sig: NodeJS.Signals) => {
    if (!gone) child.kill(sig);
    await closed;
  };
  return { port, base, child, output: () => out, exited: () => gone, kill9: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Answer {
  status: number;
  body: unknown;
  ms: number;
  /** Set when no answer came (connection refused/reset, or the deadline passed). */
  error?: string;
}

/** One HTTP request with a deadline; never throws. */
export async function call(base: string, token: string, method: string, path: string, body?: unknown, timeoutMs = 15_000): Promise<Answer> {
  const t0 = Date.now();
  try {
    const r = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: r.status, body: parsed, ms: Date.now() - t0 };
  } catch (e) {
    return { status: 0, body: undefined, ms: Date.now() - t0, error: (e as Error).name === 'TimeoutError' ? 'timeout' : String((e as Error).message) };
  }
}

/** A seeded PRNG (mulberry32): every "random" choice in these suites is reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
