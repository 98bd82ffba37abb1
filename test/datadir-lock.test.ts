/**
 * The embedded database is one process's: with `lectern serve` running on a data directory, a CLI
 * write on the same directory must fail at once naming the server (never "applied" into a copy the
 * server does not see), and after the server is killed its stale lock is taken over. Real processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirLock, DataDirLocked, LOCK_FILE } from '../src/store/lock.js';
import { BIN, ROOT } from './reliability/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'lectern-lock-'));
const dataDir = join(dir, 'data');
const env = { ...process.env, DATABASE_URL: '', LECTERN_DATA_DIR: dataDir, LOG_LEVEL: 'error' };

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Starts `lectern serve` on the data directory and waits for its address. */
async function serve(): Promise<{ child: ChildProcess; base: string }> {
  const world = join(dir, 'world.yaml');
  writeFileSync(world, 'institution: { id: tiny, name: Tiny }\nunits: [ { id: physics } ]\nusers: [ { id: admin, email: admin@x.edu, firstName: A, lastName: B, roles: [ { role: admin } ] } ]\n');
  const child = spawn(process.execPath, [BIN, 'serve', '--world', world, '--port', '0', '--host', '127.0.0.1'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start:\n${out}`));
    }, 280_000);
    const seen = (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, base: m[1]! });
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('close', () => reject(new Error(`serve exited:\n${out}`)));
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the embedded data directory is one process’s', () => {
  it('refuses a second process while the server runs, naming it, and takes over after it died', async () => {
    const server = await serve();
    try {
      const lock = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number; command: string };
      expect(lock.pid).toBe(server.child.pid);
      const csv = join(dir, 'two.csv');
      writeFileSync(csv, 'id,username,firstName,lastName,email,unit\nnew1,new1,New,One,new1@x.edu,physics\nnew2,new2,New,Two,new2@x.edu,physics\n');
      const t0 = Date.now();
      const imported = await run(['import', 'users', csv]);
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(imported.code).not.toBe(0);
      expect(imported.stdout).not.toMatch(/applied/);
      expect(imported.stderr).toContain(`process ${server.child.pid}`);
      expect(imported.stderr).toMatch(/serve/);
      expect(imported.stderr).toMatch(/DATABASE_URL/);
      const token = await run(['token', 'create', '--user', 'admin']);
      expect(token.code).not.toBe(0);
      expect(token.stdout).not.toMatch(/lct_/);
      // The server still answers, and its lock is still its own.
      expect((await fetch(`${server.base}/health`)).ok).toBe(true);
      expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')).pid).toBe(server.child.pid);
    } finally {
      server.child.kill('SIGKILL');
      await new Promise((r) => server.child.once('close', r));
    }
    // Killed: the lock file stays behind, naming a dead process, and the next opener takes it over.
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true);
    const migrated = await run(['db', 'migrate']);
    expect(migrated.stderr).toBe('');
    expect(migrated.code).toBe(0);
    // A clean exit gives the directory back.
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  }, 420_000);

  it('refuses a second opener in the same process too, and gives the directory back on release', () => {
    const d = join(dir, 'same');
    const first = DataDirLock.acquire(d);
    expect(() => DataDirLock.acquire(d)).toThrow(DataDirLocked);
    first.release();
    const again = DataDirLock.acquire(d);
    again.release();
    expect(existsSync(join(d, LOCK_FILE))).toBe(false);
  });
});
