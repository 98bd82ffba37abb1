/**
 * Concurrency across processes: three `lectern serve` children on one PostgreSQL database, and
 * bursts of concurrent requests spread over all three — seats, collection membership, toggles.
 * What must hold: no seat over-allocated, no lost update (every successful write has a revision of
 * its own, and the store's revision advanced by exactly the number of successful writes), and
 * every process answers the same final state once it has caught up (`atLeastRevision`).
 *
 * Bounded counts and a fixed seed here; `npm run test:long` (LECTERN_LONG=1) runs more rounds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, cliToken, createDatabase, PG, rng, scale, seed, startServer, type Answer, type Seeded, type Server, type TestDatabase } from './harness.js';

const SERVERS = 3;
const PACK = 'ID 2026-09-01-000001';
const SEATS = 10;
const ROUNDS = scale(2, 20);
const LEVELS = ['reviewer', 'collaborator', 'contributor', 'editor'] as const;

/** Counts for the report (printed at the end). */
const tally = { requests: 0, writesOk: 0, refused: 0 };

describe.skipIf(!PG)('concurrent writes through several server processes', () => {
  let db: TestDatabase;
  let world: Seeded;
  let token: string;
  let servers: Server[] = [];
  let startRevision = 0;
  /** Revisions answered by successful writes that changed something. */
  const revisions: number[] = [];

  const storeRevision = async () => Number((await db.q<{ revision: string }>('select revision from institution where institution_id = $1', ['rel']))[0]!.revision);

  /** Fires requests at once, round-robin over the servers; records what they answered. */
  async function burst(reqs: { method: string; path: string; body?: unknown }[]): Promise<Answer[]> {
    const answers = await Promise.all(reqs.map((r, i) => call(servers[i % servers.length]!.base, token, r.method, r.path, r.body)));
    tally.requests += answers.length;
    for (const a of answers) {
      expect(a.error, `no answer: ${a.error}`).toBeUndefined();
      expect(a.status, JSON.stringify(a.body)).toBeLessThan(500);
      const b = a.body as { revision?: number; changed?: boolean };
      if (a.status < 300 && b.changed === true) {
        revisions.push(b.revision!);
        tally.writesOk++;
      } else if (a.status >= 400) tally.refused++;
    }
    return answers;
  }

  /** Makes every process catch up to the store's revision (a check with atLeastRevision). */
  async function catchUp(): Promise<number> {
    const rev = await storeRevision();
    for (const s of servers) {
      const a = await call(s.base, token, 'POST', '/v1/check', { user: 'root', action: 'collection.view', resource: 'collection:c1', atLeastRevision: rev });
      expect(a.status, JSON.stringify(a.body)).toBe(200);
      expect((a.body as { revision: number }).revision).toBeGreaterThanOrEqual(rev);
    }
    return rev;
  }

  beforeAll(async () => {
    db = await createDatabase();
    world = await seed(db.url, { staff: 40, packs: [{ id: PACK, seats: SEATS }] });
    token = await cliToken(db.url, world.institution, 'root');
    servers = await Promise.all(Array.from({ length: SERVERS }, () => startServer(db.url)));
    const c = await call(servers[0]!.base, token, 'POST', '/v1/collections', { id: 'c1', name: 'Shared' });
    expect(c.status).toBe(201);
    startRevision = await storeRevision();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await db?.drop();
    console.log(`[reliability] concurrency: ${tally.requests} requests over ${SERVERS} processes, ${tally.writesOk} writes applied, ${tally.refused} refused, 0 lost`);
  }, 60_000);

  it('never hands out more seats than a pack has, and every process counts the same', async () => {
    const random = rng(7);
    for (let round = 0; round < ROUNDS; round++) {
      // Everyone asks for a seat at once; then a random third give theirs back while others ask.
      const order = [...world.staff].sort(() => random() - 0.5);
      const grab = await burst(order.map((u) => ({ method: 'POST', path: '/v1/licenses', body: { user: u, pack: PACK } })));
      const held = await db.q<{ user_id: string }>('select user_id from license_assignment where institution_id = $1 and pack_id = $2', ['rel', PACK]);
      expect(held.length).toBe(SEATS);
      // Newly granted seats plus already-held seats (200 changed:false) cannot exceed the pack.
      expect(grab.filter((a) => a.status === 201).length).toBeLessThanOrEqual(SEATS);
      for (const a of grab.filter((x) => x.status === 409)) expect((a.body as { code: string }).code).toBe('noFreeSeat');
      const holders = held.map((h) => h.user_id);
      const giveBack = holders.filter(() => random() < 0.4);
      const others = world.staff.filter((u) => !holders.includes(u)).slice(0, giveBack.length + 5);
      await burst([
        ...giveBack.map((u) => ({ method: 'DELETE', path: `/v1/licenses?user=${u}&pack=${encodeURIComponent(PACK)}` })),
        ...others.map((u) => ({ method: 'POST', path: '/v1/licenses', body: { user: u, pack: PACK } })),
      ]);
      const after = await db.q<{ n: string }>('select count(*) as n from license_assignment where institution_id = $1 and pack_id = $2', ['rel', PACK]);
      expect(Number(after[0]!.n)).toBeLessThanOrEqual(SEATS);
    }
    const rev = await catchUp();
    const inStore = Number((await db.q<{ n: string }>('select count(*) as n from license_assignment where institution_id = $1', ['rel']))[0]!.n);
    for (const s of servers) {
      const packs = await call(s.base, token, 'GET', '/v1/license-packs');
      const p = (packs.body as { revision: number; items: { id: string; assigned: number; free: number }[] });
      expect(p.revision).toBeGreaterThanOrEqual(rev);
      expect(p.items[0]).toMatchObject({ id: PACK, assigned: inStore, free: SEATS - inStore });
    }
  }, 120_000);

  it('keeps collection membership consistent: the store and every process agree on each member and level', async () => {
    const random = rng(11);
    const users = world.staff.slice(0, 16);
    for (let round = 0; round < ROUNDS * 2; round++) {
      // Each request adds, changes or removes a random user; several may name the same user at once.
      const reqs = Array.from({ length: 24 }, () => {
        const u = users[Math.floor(random() * users.length)]!;
        const level = LEVELS[Math.floor(random() * LEVELS.length)]!;
        const r = random();
        if (r < 0.45) return { method: 'POST', path: '/v1/collections/c1/members', body: { user: u, level } };
        if (r < 0.8) return { method: 'PATCH', path: `/v1/collections/c1/members/${u}`, body: { level } };
        return { method: 'DELETE', path: `/v1/collections/c1/members/${u}` };
      });
      const answers = await burst(reqs);
      for (const a of answers) {
        if (a.status >= 400) expect(['alreadyMember', 'notFound']).toContain((a.body as { code: string }).code);
      }
    }
    await catchUp();
    const rows = await db.q<{ user_id: string; level: string }>('select user_id, level from collection_member where institution_id = $1 and collection_id = $2 order by user_id', ['rel', 'c1']);
    const expected = rows.map((r) => `${r.user_id}=${r.level}`).sort();
    for (const s of servers) {
      const m = await call(s.base, token, 'GET', '/v1/collections/c1/members?limit=500');
      expect(m.status).toBe(200);
      const items = (m.body as { members: { user: string; level: string }[] }).members;
      expect(items.map((i) => `${i.user}=${i.level}`).sort()).toEqual(expected);
    }
  }, 120_000);

  it('applies concurrent toggle changes in revision order: the last revision wins everywhere', async () => {
    const random = rng(23);
    const values = ['off', 'audioOnly', 'on'] as const;
    /** For each successful change: its revision and the value it set. */
    const applied: { revision: number; value: string }[] = [];
    for (let round = 0; round < ROUNDS * 2; round++) {
      const sent = Array.from({ length: 18 }, () => values[Math.floor(random() * values.length)]!);
      const answers = await burst(sent.map((value) => ({ method: 'PUT', path: '/v1/settings', body: { scope: 'science', key: 'downloads', value } })));
      answers.forEach((a, i) => {
        const b = a.body as { revision: number; changed: boolean };
        expect(a.status).toBe(200);
        if (b.changed) applied.push({ revision: b.revision, value: sent[i]! });
      });
    }
    await catchUp();
    const last = applied.sort((a, b) => a.revision - b.revision).at(-1)!;
    const row = await db.q<{ value: string }>("select value from setting where institution_id = $1 and scope_id = 'science' and key = 'downloads'", ['rel']);
    expect(row[0]!.value).toBe(last.value);
    for (const s of servers) {
      const g = await call(s.base, token, 'GET', '/v1/settings?scope=science');
      const item = (g.body as { items: { key: string; value: string }[] }).items.find((i) => i.key === 'downloads')!;
      expect(item.value).toBe(last.value);
    }
  }, 120_000);

  it('gives every successful write its own revision: the store advanced by exactly their number', async () => {
    const end = await storeRevision();
    expect(new Set(revisions).size).toBe(revisions.length);
    expect(end - startRevision).toBe(revisions.length);
    const log = await db.q<{ n: string; lo: string; hi: string }>('select count(*) as n, min(revision) as lo, max(revision) as hi from changelog where institution_id = $1 and revision > $2', ['rel', startRevision]);
    expect(Number(log[0]!.n)).toBe(revisions.length);
    expect(Number(log[0]!.hi)).toBe(end);
    const audit = await db.q<{ n: string }>('select count(*) as n from audit_log where institution_id = $1 and revision > $2', ['rel', startRevision]);
    expect(Number(audit[0]!.n)).toBe(revisions.length);
    for (const s of servers) expect(s.exited(), s.output()).toBe(false);
  });
});
