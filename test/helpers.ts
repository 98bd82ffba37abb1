/**
 * Test support: the same storage and service tests run on every driver — PGlite always, and the
 * PostgreSQL server whenever DATABASE_URL is set (each test store in a schema of its own).
 */
import { randomBytes } from 'node:crypto';
import { Store } from '../src/store/store.js';
import { Lectern } from '../src/services/lectern.js';
import { SYSTEM } from '../src/policy/index.js';
import type { Outcome, Success } from '../src/domain/outcome.js';

export type Driver = 'pglite' | 'postgres';

export const DRIVERS: Driver[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export async function openTestStore(driver: Driver, retried = false): Promise<Store> {
  const store =
    driver === 'postgres'
      ? await Store.open({ databaseUrl: process.env.DATABASE_URL!, schema: `t_${randomBytes(6).toString('hex')}` })
      : await Store.open({});
  try {
    await store.migrate();
  } catch (e) {
    // Seen once in a full run on a loaded machine: a fresh test schema reported missing by the
    // migrator right after it was created (cause not yet found; see the closing note). Set-up is
    // tried once more in another fresh schema, loudly; a second failure fails the suite.
    if (retried || driver !== 'postgres' || !/schema "t_[0-9a-f]+" does not exist/.test(String(e))) throw e;
    console.warn(`[helpers] ${String(e)}; opening another test schema`);
    await store.close().catch(() => undefined);
    return openTestStore(driver, true);
  }
  return store;
}

/** A fresh institution id, so tests sharing a store never meet. */
export function freshId(prefix = 'inst'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Fails loudly when an operation that set up a test was refused. */
export function ok(o: Outcome): Success {
  if (o.status !== 'ok') throw new Error(`expected ok, got ${o.status}: ${o.message}`);
  return o;
}

/**
 * A small institution: root > science > physics, root > arts; users root (institution admin),
 * ada (admin of science), sam (system admin), stu (student).
 */
export async function smallInstitution(lectern: Lectern, id = freshId()): Promise<string> {
  const run = (op: string, args: Record<string, unknown>) => lectern.run(SYSTEM, id, op, args).then(ok);
  ok(await lectern.run(SYSTEM, id, 'institution.create', { id, name: 'State University' }));
  await run('unit.create', { id: 'science', parent: id, name: 'Science' });
  await run('unit.create', { id: 'physics', parent: 'science', name: 'Physics' });
  await run('unit.create', { id: 'arts', parent: id, name: 'Arts' });
  for (const [u, first] of [['root', 'Rita'], ['ada', 'Ada'], ['sam', 'Sam'], ['stu', 'Stu']] as const) {
    await run('user.create', { id: u, email: `${u}@example.edu`, firstName: first, lastName: 'Test' });
  }
  await run('role.grant', { user: 'root', role: 'admin' });
  await run('role.grant', { user: 'ada', role: 'admin', scope: 'science' });
  await run('role.grant', { user: 'sam', role: 'system_admin' });
  return id;
}
