/**
 * `lectern serve --workers N`: refused with its reason on the embedded store; on PostgreSQL, N
 * processes answer on one port, and a write answered by one is read (by revision) through any.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../src/store/store.js';

const CLI = join(import.meta.dirname, '..', 'bin', 'lectern.js');

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('lectern serve --workers on the embedded store', () => {
  it('refuses more than one worker, saying why', async () => {
    const env = { ...process.env, DATABASE_URL: '', LECTERN_DATA_DIR: mkdtempSync(join(tmpdir(), 'lectern-workers-')) };
    const r = await cli(['serve', '--workers', '2', '--port', '0', '--host', '127.0.0.1'], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--workers 2 needs PostgreSQL \(set DATABASE_URL\)/);
    expect(r.stderr).toMatch(/one process's database/);
  }, 120_000);
});

// PostgreSQL only: without DATABASE_URL there is no second process to share a database with.
describe.skipIf(!process.env.DATABASE_URL)('lectern serve --workers 2 on PostgreSQL (needs DATABASE_URL)', () => {
  const schema = `t_workers_${randomBytes(5).toString('hex')}`;
  const env = { ...process.env, LECTERN_SCHEMA: schema, LOG_LEVEL: 'warn' };
  let server: ChildProcess | undefined;

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    const s = await Store.open({ databaseUrl: process.env.DATABASE_URL!, schema });
    await s.dropSchemaAndClose();
  });

  it('answers on one port from two processes; a write through one is read by revision through any', async () => {
    server = spawn(process.execPath, [CLI, 'serve', '--workers', '2', '--port', '0', '--host', '127.0.0.1', '--world', 'scenarios/demo.yaml'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const t = setInterval(() => {
        const m = /listening on (http:\/\/\S+) with 2 workers/.exec(out);
        if (m) {
          clearInterval(t);
          resolve(m[1]!);
        }
        if (server!.exitCode !== null) {
          clearInterval(t);
          reject(new Error(`serve exited: ${out}`));
        }
      }, 100);
    });
    // Two worker processes under the primary.
    const children = readFileSync(`/proc/${server.pid}/task/${server.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    expect(children).toHaveLength(2);

    const t = await cli(['token', 'create', '--institution', 'stateu', '--user', 'mreyes'], env);
    expect(t.code, t.stderr).toBe(0);
    const headers = { authorization: `Bearer ${t.stdout.trim()}`, 'content-type': 'application/json' };
    // Wait until both workers answer (the second may still be loading its world).
    for (let i = 0; i < 50; i++) {
      const r = await fetch(`${url}/v1/check`, { method: 'POST', headers, body: JSON.stringify({ user: 'mreyes', action: 'institution.view', resource: 'institution:stateu' }) });
      if (r.status === 200) break;
    }
    for (let i = 0; i < 12; i++) {
      const id = `w${i}_${randomBytes(3).toString('hex')}`;
      const w = await fetch(`${url}/v1/users`, { method: 'POST', headers, body: JSON.stringify({ id, firstName: 'W', lastName: String(i), email: `${id}@stateu.edu` }) });
      expect(w.status, await w.clone().text()).toBe(201);
      const { revision } = (await w.json()) as { revision: number };
      // New connections spread over the workers; each must see the write once it has the revision.
      const r = await fetch(`${url}/v1/check`, {
        method: 'POST',
        headers: { ...headers, connection: 'close' },
        body: JSON.stringify({ user: id, action: 'user.view', resource: `user:${id}`, atLeastRevision: revision }),
      });
      expect(r.status, await r.clone().text()).toBe(200);
      const d = (await r.json()) as { allow: boolean; revision: number };
      expect(d.revision).toBeGreaterThanOrEqual(revision);
      expect(d.allow).toBe(true);
    }
    server.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => server!.once('exit', r));
    expect(code).toBe(0);
  }, 300_000);
});
