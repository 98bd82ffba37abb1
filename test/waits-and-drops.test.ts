/**
 * `atLeastRevision` never polls and never waits for a revision that does not exist; a PostgreSQL
 * connection dropped under a query or under the LISTEN client never takes the process down, and
 * the listener comes back on its own.
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { SYSTEM } from '../src/policy/index.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import { Store } from '../src/store/store.js';
import { DRIVERS, ok, openTestStore, smallInstitution } from './helpers.js';

const until = async (what: () => boolean, ms: number): Promise<boolean> => {
  const deadline = Date.now() + ms;
  while (!what() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return what();
};

describe.each(DRIVERS)('atLeastRevision (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  let app: FastifyInstance;
  let inst: string;
  let bearer: Record<string, string>;

  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
    const auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    bearer = { authorization: `Bearer ${(await auth.createToken(inst, 'root', 'test')).token}` };
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  it('answers a revision beyond the latest committed at once, 50 at a time, without starving /health', async () => {
    const rev = (await lectern.world(inst))!.revision;
    // Count the store's questions (the real store, only counted): polling would ask again and again.
    const asked = { changes: 0, revision: 0 };
    const changesSince = vi.spyOn(store, 'changesSince').mockImplementation(function (this: Store, ...a) {
      asked.changes++;
      return Store.prototype.changesSince.apply(this, a);
    });
    const currentRevision = vi.spyOn(store, 'currentRevision').mockImplementation(function (this: Store, ...a) {
      asked.revision++;
      return Store.prototype.currentRevision.apply(this, a);
    });
    try {
      const far = Array.from({ length: 50 }, (_, i) =>
        app.inject({ method: 'POST', url: '/v1/check', headers: bearer, payload: { user: 'ada', action: 'user.view', resource: 'user:ada', atLeastRevision: rev + 1_000_000 + i } }),
      );
      const health = app.inject({ method: 'GET', url: '/health' });
      const answers = await Promise.all(far);
      for (const a of answers) expect(a.json()).toMatchObject({ code: 'revisionNotReached', field: 'atLeastRevision' });
      expect((await health).statusCode).toBe(200);
      expect(asked.changes).toBe(0);
      expect(asked.revision).toBeLessThanOrEqual(50);
    } finally {
      changesSince.mockRestore();
      currentRevision.mockRestore();
    }
  });

  it('catches up at once to a revision another process committed', async () => {
    const other = new Lectern(store);
    const w = (await other.world(inst))!;
    const r = ok(await lectern.run(SYSTEM, inst, 'user.create', { id: `late${driver}`, email: `late-${driver}@example.edu`, firstName: 'L', lastName: 'A' })).revision;
    expect(w.revision).toBeLessThan(r);
    const seen = await Promise.all(Array.from({ length: 10 }, () => other.atLeast(inst, r)));
    for (const s of seen) expect(s?.user(`late${driver}`)).toBeDefined();
  });
});

describe.runIf(DRIVERS.includes('postgres'))('dropped PostgreSQL connections (postgres)', () => {
  let store: Store;
  let admin: pg.Client;

  beforeAll(async () => {
    store = await openTestStore('postgres');
    admin = new pg.Client({ connectionString: process.env.DATABASE_URL! });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await store?.dropSchemaAndClose();
  });

  it('a query whose connection is terminated fails on its own; the process lives and the next query connects afresh', async () => {
    const inst = await smallInstitution(new Lectern(store));
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      // A transaction holds a checked-out client, busy, when its backend is terminated.
      const busy = store.db.transaction().execute(async (trx) => {
        await sql`select revision from institution for update`.execute(trx);
        await sql`select pg_sleep(30)`.execute(trx);
      });
      const victim = await until(() => false, 300).then(() =>
        admin.query<{ pid: number }>(`select pid from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()`),
      );
      expect(victim.rows.length).toBeGreaterThan(0);
      await admin.query('select pg_terminate_backend($1)', [victim.rows[0]!.pid]);
      await expect(busy).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 200));
      expect(uncaught).toEqual([]);
      expect(await store.currentRevision(inst)).toBeGreaterThan(0);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('the LISTEN connection, terminated, comes back and hears later commits', async () => {
    const writer = new Lectern(store);
    const inst = await smallInstitution(writer);
    const other = await Store.open({ databaseUrl: process.env.DATABASE_URL!, schema: store.schema });
    const follower = new Lectern(other);
    const stop = follower.follow();
    try {
      const w = (await follower.world(inst))!;
      const listening = () => admin.query<{ pid: number }>(`select pid from pg_stat_activity where query like 'listen ${store.channel}%'`);
      expect(await until(() => false, 500).then(listening).then((r) => r.rows.length)).toBe(1);
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where query like 'listen ${store.channel}%'`);
      // Reconnected (a new backend listens again)…
      let back = false;
      for (let i = 0; i < 100 && !back; i++) {
        await new Promise((r) => setTimeout(r, 100));
        back = (await listening()).rows.length === 1;
      }
      expect(back).toBe(true);
      // …and hears the next commit without being asked.
      const r = ok(await writer.run(SYSTEM, inst, 'user.create', { id: 'heard', email: 'heard@example.edu', firstName: 'H', lastName: 'D' })).revision;
      expect(await until(() => w.revision >= r, 10_000)).toBe(true);
      expect(w.user('heard')).toBeDefined();
    } finally {
      await stop();
      await other.close();
    }
  });
});
