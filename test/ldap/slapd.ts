/**
 * A real OpenLDAP server for the directory tests: Debian's slapd, run in the foreground on a free
 * loopback port with its own temporary config and mdb database, loaded from people.ldif with
 * slapadd before it starts, and stopped (and its directory removed) after.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const SLAPD = process.env.SLAPD ?? '/usr/sbin/slapd';
export const SLAPADD = process.env.SLAPADD ?? '/usr/sbin/slapadd';
const SCHEMA = '/etc/ldap/schema/inetorgperson.schema';
const MODULE_DIRS = ['/usr/lib/ldap', '/usr/lib/x86_64-linux-gnu/ldap', '/usr/lib/aarch64-linux-gnu/ldap', '/usr/lib64/openldap', '/usr/lib/openldap'];

export const BASE_DN = 'dc=stateu,dc=test';
export const PEOPLE_DN = `ou=people,${BASE_DN}`;
export const ROOT_DN = `cn=admin,${BASE_DN}`;
export const ROOT_PASSWORD = 'admin-secret';
export const SERVICE_DN = `cn=lectern,ou=services,${BASE_DN}`;
export const SERVICE_PASSWORD = 'lectern-secret';

/** Why slapd cannot run here, or undefined when it can. */
export function slapdMissing(): string | undefined {
  for (const f of [SLAPD, SLAPADD, SCHEMA]) {
    if (!existsSync(f)) return `${f} not found (install the Debian packages: apt-get install slapd ldap-utils)`;
  }
  if (!MODULE_DIRS.some((d) => existsSync(join(d, 'back_mdb.la')) || existsSync(join(d, 'back_mdb.so')))) return `back_mdb module not found in ${MODULE_DIRS.join(', ')}`;
  return undefined;
}

/** A loopback port nobody listens on (at the moment of asking). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export interface Slapd {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startSlapd(): Promise<Slapd> {
  const missing = slapdMissing();
  if (missing) throw new Error(`cannot start slapd: ${missing}`);
  const dir = await mkdtemp(join(tmpdir(), 'lectern-slapd-'));
  const modules = MODULE_DIRS.find((d) => existsSync(join(d, 'back_mdb.la')) || existsSync(join(d, 'back_mdb.so')))!;
  const conf = join(dir, 'slapd.conf');
  await mkdir(join(dir, 'db'));
  await writeFile(conf, (await readFile(join(HERE, 'slapd.conf'), 'utf8')).replaceAll('@DIR@', dir).replaceAll('@MODULES@', modules));
  const add = spawnSync(SLAPADD, ['-f', conf, '-l', join(HERE, 'people.ldif')], { encoding: 'utf8', timeout: 30_000 });
  if (add.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`slapadd failed (${add.status ?? add.signal}): ${add.stderr || add.error?.message}`);
  }

  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `ldap://127.0.0.1:${port}/`;
    // -d 0: stay in the foreground (so the test owns the process) and log nothing.
    const child: ChildProcess = spawn(SLAPD, ['-f', conf, '-h', url, '-d', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => (output += String(d)));
    child.stderr!.on('data', (d) => (output += String(d)));
    let exited = false;
    const done = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
    child.once('error', (e) => (output += e.message));
    const deadline = Date.now() + 15_000;
    while (!exited && Date.now() < deadline && !(await canConnect(port))) await new Promise((r) => setTimeout(r, 50));
    if (!exited && (await canConnect(port))) {
      return {
        url,
        port,
        async stop() {
          if (!exited) {
            child.kill('SIGTERM');
            const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
            await done;
            clearTimeout(killer);
          }
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    if (!exited) {
      child.kill('SIGKILL');
      await done;
    }
    lastError = `slapd on ${url} did not start: ${output.trim() || 'no output'}`;
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(lastError);
}
