/**
 * Faults: `kill -9` of Lectern in the middle of a large CSV import and in the middle of a burst of
 * writes, then a restart; and the database dropping every connection under a running server.
 * What must hold: no partial batch (each batch is one changelog entry holding all its rows, and
 * the rows in the tables are exactly those the changelog says), the world rebuilt from the store
 * equals the store, every acknowledged write survives, an import re-runs to completion (rows
 * already applied report unchanged), and a dropped database connection answers 503 — not 500, not
 * a hang — and recovers without restarting Lectern.
 *
 * Bounded counts here; `npm run test:long` (LECTERN_LONG=1) imports more rows and injects more faults.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BATCH } from '../../src/services/imports/csv.js';
import {
  call, cli, cliChild, createDatabase, directToken, PG, rng, scale, seed, sleep, startServer, terminateConnections, type Answer, type TestDatabase,
} from './harness.js';

const IMPORT_ROWS = scale(12_000, 60_000);
const BURSTS = scale(1, 4);
const TERMINATIONS = scale(8, 40);
const tally = { kills: 0, terminations: 0, requests: 0, importRows: 0, answered503: 0, lost: 0 };

const num = (v: unknown) => Number(v);

describe.skipIf(!PG)('faults: kill -9 and dropped database connections', () => {
  let db: TestDatabase;
  let token: string;
  let dir: string;

  const revisionOf = async () => num((await db.q('select revision from institution where institution_id = $1', ['rel']))[0]!.revision);

  /** The store's own consistency: one changelog and one audit entry per revision, 1..revision. */
  async function storeConsistent(): Promise<void> {
    const rev = await revisionOf();
    const log = await db.q<{ revision: string }>('select revision from changelog where institution_id = $1 order by revision', ['rel']);
    expect(log.map((r) => num(r.revision))).toEqual(Array.from({ length: rev }, (_, i) => i + 1));
    const audit = await db.q<{ n: string }>('select count(distinct revision) as n from audit_log where institution_id = $1', ['rel']);
    expect(num(audit[0]!.n)).toBe(rev);
  }

  /** The tables hold exactly what replaying the changelog gives (for users and members). */
  async function tablesMatchChangelog(): Promise<void> {
    const replay = new Map<string, Map<string, unknown>>([['user', new Map()], ['collectionMember', new Map()], ['setting', new Map()]]);
    const log = await db.q<{ changes: { table: string; op: string; row: Record<string, unknown> }[] }>('select changes from changelog where institution_id = $1 order by revision', ['rel']);
    for (const e of log) {
      for (const c of e.changes) {
        const t = replay.get(c.table);
        if (!t) continue;
        const k = c.table === 'user' ? String(c.row.id) : c.table === 'setting' ? `${String(c.row.scopeId)}/${String(c.row.key)}` : `${String(c.row.collectionId)}/${String(c.row.userId)}`;
        if (c.op === 'put') t.set(k, c.table === 'setting' ? c.row.value : c.table === 'collectionMember' ? c.row.level : c.row.email);
        else t.delete(k);
      }
    }
    const users = await db.q<{ id: string; email: string }>('select id, email from app_user where institution_id = $1', ['rel']);
    expect(new Map(users.map((u) => [u.id, u.email]))).toEqual(replay.get('user'));
    const members = await db.q<{ collection_id: string; user_id: string; level: string }>('select collection_id, user_id, level from collection_member where institution_id = $1', ['rel']);
    expect(new Map(members.map((m) => [`${m.collection_id}/${m.user_id}`, m.level]))).toEqual(replay.get('collectionMember'));
    const settings = await db.q<{ scope_id: string; key: string; value: string }>('select scope_id, key, value from setting where institution_id = $1', ['rel']);
    expect(new Map(settings.map((s) => [`${s.scope_id}/${s.key}`, s.value]))).toEqual(replay.get('setting'));
  }

  /** A running server's answers equal direct reads of the store. */
  async function serverMatchesStore(base: string): Promise<void> {
    const exp = await call(base, token, 'GET', '/v1/exports/users');
    expect(exp.status).toBe(200);
    const lines = String(exp.body).trim().split(/\r?\n/).slice(1);
    const users = await db.q<{ id: string }>('select id from app_user where institution_id = $1', ['rel']);
    expect(lines.length).toBe(users.length);
    expect(new Set(lines.map((l) => l.split(',')[1]))).toEqual(new Set(users.map((u) => u.id)));
    const m = await call(base, token, 'GET', '/v1/collections/c1/members?limit=500');
    const rows = await db.q<{ user_id: string; level: string }>("select user_id, level from collection_member where institution_id = $1 and collection_id = 'c1'", ['rel']);
    expect((m.body as { members: { user: string; level: string }[] }).members.map((x) => `${x.user}=${x.level}`).sort()).toEqual(rows.map((r) => `${r.user_id}=${r.level}`).sort());
    const s = await call(base, token, 'GET', '/v1/settings?scope=science');
    const row = await db.q<{ value: string }>("select value from setting where institution_id = $1 and scope_id = 'science' and key = 'downloads'", ['rel']);
    const item = (s.body as { items: { key: string; value: string }[] }).items.find((i) => i.key === 'downloads')!;
    expect(item.value).toBe(row[0]?.value ?? 'on');
  }

  beforeAll(async () => {
    db = await createDatabase();
    await seed(db.url, { staff: 30, packs: [] });
    token = await directToken(db.url, 'rel', 'root');
    dir = mkdtempSync(join(tmpdir(), 'lectern-faults-'));
    const s = await startServer(db.url);
    expect((await call(s.base, token, 'POST', '/v1/collections', { id: 'c1', name: 'Shared' })).status).toBe(201);
    await s.stop();
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    console.log(
      `[reliability] faults: ${tally.kills} kill -9, ${tally.terminations} connection terminations, ${tally.requests} requests, ` +
        `${tally.importRows} import rows, ${tally.answered503} answered 503, ${tally.lost} acknowledged writes lost`,
    );
  }, 60_000);

  it(`kill -9 in the middle of a ${IMPORT_ROWS}-row users import leaves only whole batches, and the import re-runs to completion`, async () => {
    const file = join(dir, 'users.csv');
    const lines = ['Id,Email,First Name,Last Name'];
    for (let i = 0; i < IMPORT_ROWS; i++) lines.push(`imp${i},imp${i}@example.edu,Imported,"Person, ${i}"`);
    writeFileSync(file, `${lines.join('\r\n')}\r\n`);
    const before = await revisionOf();
    const { child, done } = cliChild(db.url, ['import', 'users', file, '--institution', 'rel']);
    // Wait for two batches to commit, then kill it without warning.
    const deadline = Date.now() + 60_000;
    while ((await revisionOf()) < before + 2 && Date.now() < deadline) await sleep(15);
    child.kill('SIGKILL');
    tally.kills++;
    const r = await done;
    expect(r.signal).toBe('SIGKILL');
    const committed = (await revisionOf()) - before;
    expect(committed).toBeGreaterThanOrEqual(2);
    expect(committed).toBeLessThan(IMPORT_ROWS / DEFAULT_BATCH.postgres);
    // Every committed batch is whole: 1,000 users in one changelog entry, audited as one import.
    const batches = await db.q<{ revision: string; n: string; op: string }>(
      `select c.revision, jsonb_array_length(c.changes::jsonb) as n, a.operation as op
         from changelog c join audit_log a using (institution_id, revision)
        where c.institution_id = $1 and c.revision > $2 order by c.revision`,
      ['rel', before],
    );
    expect(batches.map((b) => [num(b.n), b.op])).toEqual(Array.from({ length: committed }, () => [DEFAULT_BATCH.postgres, 'import.users']));
    const imported = num((await db.q("select count(*) as n from app_user where institution_id = $1 and id like 'imp%'", ['rel']))[0]!.n);
    expect(imported).toBe(committed * DEFAULT_BATCH.postgres);
    await storeConsistent();
    await tablesMatchChangelog();

    // A server started on the store after the kill sees exactly the store.
    const s = await startServer(db.url);
    try {
      await serverMatchesStore(s.base);
    } finally {
      await s.stop();
    }

    // The same file again: the rows already applied are unchanged, the rest applied, none refused.
    const again = await cli(db.url, ['import', 'users', file, '--institution', 'rel']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`${IMPORT_ROWS} rows: ${IMPORT_ROWS - imported} applied, ${imported} unchanged, 0 refused`);
    tally.importRows += IMPORT_ROWS * 2;
    expect(num((await db.q("select count(*) as n from app_user where institution_id = $1 and id like 'imp%'", ['rel']))[0]!.n)).toBe(IMPORT_ROWS);
    await storeConsistent();
    await tablesMatchChangelog();
  }, 240_000);

  it('kill -9 in the middle of a burst of writes loses no acknowledged write and leaves the store whole', async () => {
    const random = rng(99);
    const users = Array.from({ length: 30 }, (_, i) => `u${String(i).padStart(4, '0')}`);
    for (let b = 0; b < BURSTS; b++) {
      const s = await startServer(db.url);
      const acked: { revision: number; check: () => Promise<boolean> }[] = [];
      let stop = false;
      const seen: number[] = [];
      const worker = async () => {
        while (!stop) {
          const u = users[Math.floor(random() * users.length)]!;
          const r = random();
          const value = (['on', 'off', 'audioOnly'] as const)[Math.floor(random() * 3)]!;
          const req =
            r < 0.4 ? { method: 'POST', path: '/v1/collections/c1/members', body: { user: u, level: 'reviewer' } }
            : r < 0.7 ? { method: 'DELETE', path: `/v1/collections/c1/members/${u}` }
            : { method: 'PUT', path: '/v1/settings', body: { scope: 'science', key: 'downloads', value } };
          const a: Answer = await call(s.base, token, req.method, req.path, req.body, 5000);
          tally.requests++;
          seen.push(a.status);
          if (a.status === 0) return; // the server is gone
          expect(a.status).toBeLessThan(500);
          const body = a.body as { revision?: number; changed?: boolean };
          if (a.status < 300 && body.changed) {
            const rev = body.revision!;
            // Acknowledged: the changelog must hold this very change at this revision.
            acked.push({
              revision: rev,
              check: async () => {
                const e = await db.q<{ changes: { table: string; op: string; row: Record<string, unknown> }[] }>('select changes from changelog where institution_id = $1 and revision = $2', ['rel', rev]);
                const c = e[0]?.changes[0];
                if (!c) return false;
                if (req.method === 'PUT') return c.table === 'setting' && c.row.value === value;
                return c.table === 'collectionMember' && c.row.userId === u && c.op === (req.method === 'POST' ? 'put' : 'del');
              },
            });
          }
        }
      };
      const workers = Array.from({ length: 6 }, worker);
      // Kill it once writes are flowing (the first request may still be loading the world).
      const until = Date.now() + 30_000;
      while (acked.length < 10 && Date.now() < until) await sleep(10);
      await sleep(Math.floor(random() * 300));
      await s.kill9();
      tally.kills++;
      stop = true;
      await Promise.all(workers);
      expect(acked.length, `answers: ${seen.join(' ')}`).toBeGreaterThan(0);
      for (const a of acked) {
        const ok = await a.check();
        if (!ok) tally.lost++;
        expect(ok, `acknowledged revision ${a.revision} is not in the changelog as answered`).toBe(true);
      }
      await storeConsistent();
      await tablesMatchChangelog();
      const again = await startServer(db.url);
      try {
        await serverMatchesStore(again.base);
      } finally {
        await again.stop();
      }
    }
  }, 240_000);

  it(`answers 503 while the database drops its connections (${TERMINATIONS} times), and recovers without a restart`, async () => {
    // The product as it ships: no preloaded shim, no listener added from outside.
    const s = await startServer(db.url);
    const statuses = new Map<number, number>();
    let stop = false;
    const random = rng(5);
    const worker = async () => {
      while (!stop) {
        const r = random();
        const a =
          r < 0.3 ? await call(s.base, token, 'GET', '/v1/session', undefined, 10_000)
          : r < 0.6 ? await call(s.base, token, 'PUT', '/v1/settings', { scope: 'science', key: 'qa', value: random() < 0.5 ? 'on' : 'off' }, 10_000)
          : r < 0.8 ? await call(s.base, token, 'POST', '/v1/collections/c1/members', { user: `u000${Math.floor(random() * 10)}`, level: 'editor' }, 10_000)
          : await call(s.base, token, 'DELETE', `/v1/collections/c1/members/u000${Math.floor(random() * 10)}`, undefined, 10_000);
        tally.requests++;
        expect(a.error, `no answer (${a.error}) after ${a.ms} ms; server output:\n${s.output().slice(-2000)}`).toBeUndefined();
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        if (a.status >= 500) {
          expect(a.status, JSON.stringify(a.body)).toBe(503);
          expect((a.body as { code: string }).code).toBe('databaseUnavailable');
          tally.answered503++;
        }
      }
    };
    try {
      const workers = Array.from({ length: 4 }, worker);
      for (let i = 0; i < TERMINATIONS; i++) {
        await sleep(150 + Math.floor(random() * 200));
        await terminateConnections(db);
        tally.terminations++;
      }
      stop = true;
      await Promise.all(workers);
      expect(s.exited(), s.output()).toBe(false);
      // Recovered: the next requests succeed, and the world still equals the store.
      await sleep(100);
      expect((await call(s.base, token, 'GET', '/v1/session')).status).toBe(200);
      expect((await call(s.base, token, 'PUT', '/v1/settings', { scope: 'science', key: 'qa', value: 'on' })).status).toBe(200);
      await storeConsistent();
      await tablesMatchChangelog();
      await serverMatchesStore(s.base);
      const refused = [...statuses.keys()].filter((k) => k >= 500 && k !== 503);
      expect(refused).toEqual([]);
    } finally {
      stop = true;
      await s.stop();
    }
  }, 120_000);
});
