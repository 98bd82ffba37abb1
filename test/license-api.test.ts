/**
 * Personal Capture licensing over HTTP (SPEC §5): packs with totals and free seats, assignments by
 * unit and pack, a user's licenses, assign/autoassign/revoke, bulk assign and revoke-all with an
 * outcome per user, the CSV import (JSON or CSV result, dry run, refusals) and export. Then the
 * seat race: hundreds of concurrent requests over real HTTP at ten free seats, on every driver —
 * on PostgreSQL through two server instances sharing one database.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { SYSTEM } from '../src/policy/index.js';
import { Auth } from '../src/services/auth.js';
import { Lectern, type BatchRow } from '../src/services/lectern.js';
import { Store } from '../src/store/store.js';
import { DRIVERS, type Driver, freshId, ok, openTestStore, smallInstitution } from './helpers.js';

const P1 = 'ID 2026-01-01-000001';
const P2 = 'ID 2026-02-01-000002';
const enc = encodeURIComponent;

describe.each(DRIVERS)('license API (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  let app: FastifyInstance;
  let inst: string;
  const as: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
    const auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    const run = (op: string, args: Record<string, unknown>) => lectern.run(SYSTEM, inst, op, args).then(ok);
    for (const u of ['lm', 'lma', 'pia', 'pat', 'art', 'cy']) await run('user.create', { id: u, email: `${u}@example.edu`, firstName: u, lastName: 'Test' });
    await run('role.grant', { user: 'lm', role: 'license_manager' });
    await run('role.grant', { user: 'lma', role: 'license_manager' });
    await run('role.grant', { user: 'lma', role: 'admin', scope: 'science' });
    for (const u of ['pia', 'pat', 'cy']) await run('role.grant', { user: u, role: 'academic_staff', scope: 'physics' });
    await run('role.grant', { user: 'art', role: 'academic_staff', scope: 'arts' });
    await run('licensePack.create', { id: P2, seats: 2 });
    await run('licensePack.create', { id: P1, seats: 1 });
    for (const u of ['root', 'ada', 'sam', 'stu', 'lm', 'lma', 'pia']) as[u] = { authorization: `Bearer ${(await auth.createToken(inst, u, 'test')).token}` };
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const call = (who: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: as[who], ...(payload ? { payload } : {}) });
  const csv = (who: string, url: string, body: string) => app.inject({ method: 'POST', url, headers: { ...as[who], 'content-type': 'text/csv' }, payload: body });

  it('creates and resizes packs (system admins only) and lists them with totals and free seats', async () => {
    const P3 = 'ID 2026-03-01-000003';
    expect((await call('lma', 'POST', '/v1/license-packs', { id: P3, seats: 4 })).statusCode).toBe(403);
    const made = await call('sam', 'POST', '/v1/license-packs', { id: P3, seats: 4 });
    expect(made.statusCode).toBe(201);
    expect(made.json().result).toMatchObject({ id: P3, seats: 4, unitId: inst });
    expect((await call('sam', 'POST', '/v1/license-packs', { id: P3, seats: 4 })).json()).toMatchObject({ code: 'duplicateId', field: 'id' });
    expect((await call('sam', 'POST', '/v1/license-packs', { id: 'ID 2026-02-30-000009', seats: 1 })).json()).toMatchObject({ code: 'format', field: 'id' });
    expect((await call('sam', 'POST', '/v1/license-packs', { id: P3 })).json()).toMatchObject({ code: 'required', field: 'seats' });
    expect((await call('sam', 'PATCH', `/v1/license-packs/${enc(P3)}`, { seats: 5 })).json()).toMatchObject({ changed: true, result: { seats: 5 } });
    expect((await call('lma', 'PATCH', `/v1/license-packs/${enc(P3)}`, { seats: 6 })).statusCode).toBe(403);
    expect((await call('sam', 'PATCH', `/v1/license-packs/${enc('ID 2026-09-09-999999')}`, { seats: 6 })).statusCode).toBe(404);

    const list = await call('lm', 'GET', '/v1/license-packs');
    expect(list.statusCode).toBe(200);
    const body = list.json();
    expect(body.items.map((p: { id: string }) => p.id)).toEqual([P1, P2, P3]);
    expect(body.items[2]).toEqual({ id: P3, unit: inst, seats: 5, assigned: 0, free: 5 });
    expect(body.totals.seats).toBe(1 + 2 + 5);
    expect(body.abilities).toEqual({ create: false, update: false, assign: false, import: false, export: true });
    expect((await call('stu', 'GET', '/v1/license-packs')).statusCode).toBe(403);
    expect((await call('root', 'GET', '/v1/license-packs')).statusCode).toBe(403); // an admin who is not a license manager
    // Emptied again, so the tests below work with P1 (1 seat) and P2 (2 seats) alone.
    expect((await call('sam', 'PATCH', `/v1/license-packs/${enc(P3)}`, { seats: 0 })).json().result.seats).toBe(0);
  });

  it('assigns, autoassigns and revokes for one user, with the §13 outcomes', async () => {
    const assigned = await call('lma', 'POST', '/v1/licenses', { user: 'pia', pack: P1 });
    expect(assigned.statusCode).toBe(201);
    expect(assigned.json()).toMatchObject({ changed: true, result: { user: 'pia', pack: P1 } });
    expect((await call('lma', 'POST', '/v1/licenses', { user: 'pia', pack: P1 })).json()).toMatchObject({ changed: false });
    // P1 has one seat: full.
    const full = await call('lma', 'POST', '/v1/licenses', { user: 'pat@example.edu', pack: P1 });
    expect(full.statusCode).toBe(409);
    expect(full.json()).toMatchObject({ code: 'noFreeSeat', field: 'pack' });
    // Autoassign skips the full P1 and takes P2.
    expect((await call('lma', 'POST', '/v1/licenses/autoassign', { user: 'pat' })).json()).toMatchObject({ result: { user: 'pat', pack: P2 } });
    // Outside lma's unit (science): denied. Not academic staff: conflict. Unknown: 404. Bad id: 400.
    expect((await call('lma', 'POST', '/v1/licenses', { user: 'art', pack: P2 })).statusCode).toBe(403);
    expect((await call('sam', 'POST', '/v1/licenses', { user: 'stu', pack: P2 })).json()).toMatchObject({ code: 'notAcademicStaff' });
    expect((await call('sam', 'POST', '/v1/licenses', { user: 'ghost', pack: P2 })).json()).toMatchObject({ code: 'notFound', field: 'user' });
    expect((await call('sam', 'POST', '/v1/licenses', { user: 'pia', pack: 'PCAP-1' })).json()).toMatchObject({ code: 'format', field: 'pack' });
    expect((await call('lm', 'POST', '/v1/licenses', { user: 'pia', pack: P2 })).statusCode).toBe(403);
    expect((await call('root', 'POST', '/v1/licenses', { user: 'pia', pack: P2 })).statusCode).toBe(403);

    const revoked = await app.inject({ method: 'DELETE', url: `/v1/licenses?user=pat&pack=${enc(P2)}`, headers: as.lma });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().changed).toBe(true);
    const again = await app.inject({ method: 'DELETE', url: `/v1/licenses?user=pat&pack=${enc(P2)}`, headers: as.lma });
    expect(again.statusCode).toBe(404);
    // A pack cannot shrink below its assigned seats.
    expect((await call('sam', 'PATCH', `/v1/license-packs/${enc(P1)}`, { seats: 0 })).json()).toMatchObject({ code: 'seatsInUse', field: 'seats' });
  });

  it('lists assignments filtered by unit and pack, and a user’s own licenses', async () => {
    await call('sam', 'POST', '/v1/licenses', { user: 'art', pack: P2 });
    const all = (await call('lm', 'GET', '/v1/licenses')).json();
    const pairs = (items: { user: string; pack: string }[]) => items.map((a) => `${a.user}:${a.pack}`);
    expect(pairs(all.items)).toEqual([`art:${P2}`, `pia:${P1}`]);
    expect(all.items[0]).toMatchObject({ units: ['arts'], abilities: { revoke: false } });
    expect(pairs((await call('lm', 'GET', '/v1/licenses?unit=science')).json().items)).toEqual([`pia:${P1}`]);
    expect(pairs((await call('lm', 'GET', `/v1/licenses?unit=${inst}&pack=${enc(P2)}`)).json().items)).toEqual([`art:${P2}`]);
    expect(pairs((await call('lm', 'GET', '/v1/licenses?unit=arts&pack=' + enc(P1))).json().items)).toEqual([]);
    expect((await call('lm', 'GET', '/v1/licenses?unit=atlantis')).json()).toMatchObject({ code: 'notFound', field: 'unit' });
    expect((await call('lm', 'GET', `/v1/licenses?pack=${enc('ID 2020-01-01-000000')}`)).json()).toMatchObject({ code: 'notFound', field: 'pack' });
    expect((await call('lma', 'GET', '/v1/licenses')).json().items.find((a: { user: string }) => a.user === 'pia').abilities.revoke).toBe(true);
    expect((await call('ada', 'GET', '/v1/licenses')).statusCode).toBe(403);

    const mine = await call('pia', 'GET', '/v1/users/pia/licenses');
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({ user: 'pia', academicStaff: true, presenter: true, abilities: { assign: false, revoke: false } });
    expect(mine.json().items.map((p: { id: string; held: boolean }) => [p.id, p.held])).toEqual([[P1, true], [P2, false], ['ID 2026-03-01-000003', false]]);
    expect((await call('pia', 'GET', '/v1/users/art/licenses')).statusCode).toBe(403);
    expect((await call('lma', 'GET', '/v1/users/pia@example.edu/licenses')).json()).toMatchObject({ user: 'pia', abilities: { assign: true, revoke: true } });
    expect((await call('lm', 'GET', '/v1/users/ghost/licenses')).statusCode).toBe(404);
    await app.inject({ method: 'DELETE', url: `/v1/licenses?user=art&pack=${enc(P2)}`, headers: as.sam });
  });

  it('bulk-assigns and bulk-revokes-all as one batch, with an outcome per user', async () => {
    const res = await call('lma', 'POST', '/v1/licenses/bulk-assign', { users: ['pat', 'cy', 'art', 'stu', 'ghost'], pack: P2 });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.results.map((r: { user: string; outcome: string }) => `${r.user}:${r.outcome}`)).toEqual(['pat:applied', 'cy:applied', 'art:denied', 'stu:conflict', 'ghost:notFound']);
    expect(body.summary).toMatchObject({ rows: 5, applied: 2, refused: 3 });
    // Each refusal also in words, for the console.
    expect(body.results[4]).toMatchObject({ code: 'notFound', text: expect.stringMatching(/'ghost' does not exist\.$/) });
    // All seats of P1 and P2 are now taken: an autoassign batch finds none.
    const auto = (await call('sam', 'POST', '/v1/licenses/bulk-assign', { users: ['art', 'pia'] })).json();
    expect(auto.results.map((r: { outcome: string; code?: string }) => r.code ?? r.outcome)).toEqual(['noFreeSeat', 'unchanged']);
    const packs = (await call('lm', 'GET', '/v1/license-packs')).json();
    expect(packs.items.filter((p: { id: string }) => p.id === P1 || p.id === P2).map((p: { free: number }) => p.free)).toEqual([0, 0]);

    const revoked = (await call('lma', 'POST', '/v1/licenses/bulk-revoke-all', { users: ['pat', 'cy', 'pia', 'art'] })).json();
    expect(revoked.results.map((r: { outcome: string }) => r.outcome)).toEqual(['applied', 'applied', 'applied', 'denied']);
    expect(revoked.results[2].result).toEqual({ user: 'pia', revoked: [P1] });
    expect((await call('lma', 'POST', '/v1/licenses/bulk-revoke-all', { users: [] })).json()).toMatchObject({ code: 'invalid', field: 'users' });
    expect((await call('lm', 'POST', '/v1/licenses/bulk-revoke-all', { users: ['pia'] })).json().results[0].outcome).toBe('denied');
  });

  it('imports a license CSV: JSON or CSV results, dry run, refused files with code and field', async () => {
    const file = `Username,Action,License ID\r\npia@example.edu,assign,${P1}\r\ncy,autoassign,\r\nart,assign,${P2}\r\nnobody,revokeall,\r\n`;
    const dry = await csv('lma', '/v1/licenses/import?dryRun=true', file);
    expect(dry.statusCode).toBe(200);
    expect(dry.json().summary).toMatchObject({ rows: 4, applied: 2, refused: 2, dryRun: true });
    expect((await call('lm', 'GET', '/v1/licenses')).json().total).toBe(0);
    const real = await csv('lma', '/v1/licenses/import', file);
    expect(real.json().results).toEqual(dry.json().results);
    expect(real.json().results[2]).toMatchObject({ line: 4, outcome: 'denied', code: 'denied' });
    expect(real.json().results[3]).toMatchObject({ line: 5, outcome: 'notFound', field: 'Username' });
    expect((await call('lm', 'GET', '/v1/licenses')).json().total).toBe(2);

    const asCsv = await csv('lma', '/v1/licenses/import?format=csv', file);
    expect(asCsv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = asCsv.body.trim().split('\r\n');
    expect(lines[0]).toBe('line,outcome,reason');
    expect(lines.slice(1, 3)).toEqual(['2,unchanged,', '3,unchanged,']);
    expect(lines[3]).toMatch(/^4,denied,/);

    expect((await csv('lma', '/v1/licenses/import', 'User,Action,License ID\r\n')).json()).toMatchObject({ code: 'unknownColumn', field: 'User' });
    expect((await csv('lma', '/v1/licenses/import', 'Username,Action\r\n')).json()).toMatchObject({ code: 'missingColumn', field: 'License ID' });
    expect((await csv('lma', '/v1/licenses/import', '')).json()).toMatchObject({ code: 'missingHeader', field: 'header' });
    const lmAlone = await csv('lm', '/v1/licenses/import', file);
    expect(lmAlone.statusCode).toBe(403);
    expect(lmAlone.json()).toMatchObject({ code: 'denied', reasons: [expect.stringMatching(/license manager alone/)] });
    const json = await call('lma', 'POST', '/v1/licenses/import', { rows: [] });
    expect(json.statusCode).toBe(415);
    expect((await call('lma', 'POST', '/v1/licenses/import?dryRun=maybe')).json()).toMatchObject({ field: 'dryRun' });
  });

  it('exports the assignments as a CSV that imports back unchanged (license.export)', async () => {
    const res = await call('lm', 'GET', '/v1/licenses/export');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.body).toBe(`Username,Action,License ID\r\ncy,assign,${P2}\r\npia,assign,${P1}\r\n`);
    expect((await call('ada', 'GET', '/v1/licenses/export')).statusCode).toBe(403);
    const back = (await csv('lma', '/v1/licenses/import', res.body)).json();
    expect(back.summary).toMatchObject({ rows: 2, unchanged: 2 });
  });

  it('refuses a CSV larger than the limit with 413', async () => {
    const big = 'Username,Action,License ID\r\n' + 'x'.repeat(50 * 1024 * 1024 + 10);
    const res = await csv('lma', '/v1/licenses/import', big);
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('tooLarge');
  });

  it('documents the license routes in OpenAPI', async () => {
    const doc = (await app.inject({ url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    for (const [path, method] of [
      ['/v1/license-packs', 'get'], ['/v1/license-packs', 'post'], ['/v1/license-packs/{id}', 'patch'], ['/v1/licenses', 'get'], ['/v1/licenses', 'post'],
      ['/v1/licenses', 'delete'], ['/v1/licenses/autoassign', 'post'], ['/v1/licenses/bulk-assign', 'post'], ['/v1/licenses/bulk-revoke-all', 'post'],
      ['/v1/licenses/import', 'post'], ['/v1/licenses/export', 'get'], ['/v1/users/{id}/licenses', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
  });
});

/**
 * No over-allocation, ever (SPEC §5): REQUESTS concurrent assign/autoassign requests from distinct
 * academic-staff users at SEATS free seats, over real HTTP. On PostgreSQL two Lectern instances
 * (two stores, two servers) share one database, like two server processes.
 */
const REQUESTS = 240;
const SEATS = 10;

describe.each(DRIVERS)('seats under concurrent HTTP requests (%s)', (driver: Driver) => {
  const stores: Store[] = [];
  const apps: FastifyInstance[] = [];
  const bases: string[] = [];
  let inst: string;
  let token: string;
  const QA = 'ID 2026-05-01-000001';
  const QB = 'ID 2026-05-02-000002';

  beforeAll(async () => {
    const first = await openTestStore(driver);
    stores.push(first);
    if (driver === 'postgres') stores.push(await Store.open({ databaseUrl: process.env.DATABASE_URL!, schema: first.schema }));
    const lecterns = stores.map((s) => new Lectern(s));
    inst = freshId('race');
    ok(await lecterns[0]!.run(SYSTEM, inst, 'institution.create', { id: inst, name: 'Race University' }));
    const rows: BatchRow[] = [
      { line: 1, op: 'unit.create', args: { id: 'dept', parent: inst, name: 'Department' } },
      { line: 2, op: 'user.create', args: { id: 'sam', email: 'sam@example.edu', firstName: 'Sam', lastName: 'Admin' } },
      { line: 3, op: 'role.grant', args: { user: 'sam', role: 'system_admin' } },
      { line: 4, op: 'licensePack.create', args: { id: QB, seats: SEATS / 2 } },
      { line: 5, op: 'licensePack.create', args: { id: QA, seats: SEATS / 2 } },
    ];
    for (let i = 0; i < REQUESTS; i++) {
      rows.push({ line: rows.length + 1, op: 'user.create', args: { id: `u${i}`, email: `u${i}@example.edu`, firstName: 'U', lastName: String(i) } });
      rows.push({ line: rows.length + 1, op: 'role.grant', args: { user: `u${i}`, role: 'academic_staff', scope: 'dept' } });
    }
    const results = await lecterns[0]!.runRows(SYSTEM, inst, rows);
    expect(results.filter((r) => r.status !== 'ok')).toEqual([]);
    token = (await new Auth(lecterns[0]!).createToken(inst, 'sam', 'race')).token;
    for (const l of lecterns) {
      const app = buildApp({ lectern: l, auth: new Auth(l) });
      await app.listen({ host: '127.0.0.1', port: 0 });
      apps.push(app);
      bases.push(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
    }
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    for (const s of stores.slice(1)) await s.close();
    await stores[0]?.dropSchemaAndClose();
  });

  it(`lets exactly ${SEATS} of ${REQUESTS} concurrent requests take a seat; the rest answer 409`, async () => {
    expect(apps).toHaveLength(driver === 'postgres' ? 2 : 1);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    // Warm both servers (world loaded, token seen) so neither starts the race behind.
    for (const base of bases) expect((await fetch(`${base}/v1/license-packs`, { headers })).status).toBe(200);
    const requests = Array.from({ length: REQUESTS }, (_, i) => {
      const base = bases[i % bases.length]!;
      const kind = i % 3;
      const [path, body] = kind === 0 ? ['/v1/licenses/autoassign', { user: `u${i}` }] : ['/v1/licenses', { user: `u${i}`, pack: kind === 1 ? QA : QB }];
      return fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }).then(async (r) => ({ i, status: r.status, body: (await r.json()) as { code?: string; result?: { pack: string } } }));
    });
    const answers = await Promise.all(requests);
    const won = answers.filter((a) => a.status === 201);
    const lost = answers.filter((a) => a.status !== 201);
    expect(won).toHaveLength(SEATS);
    expect(lost.every((a) => a.status === 409 && a.body.code === 'noFreeSeat')).toBe(true);
    const perServer = bases.map((_, k) => `server ${k + 1}: ${won.filter((a) => a.i % bases.length === k).length} of ${answers.filter((a) => a.i % bases.length === k).length}`);
    console.log(`[${driver}] ${REQUESTS} concurrent requests at ${SEATS} seats: ${won.length} took a seat, ${lost.length} answered 409 (${perServer.join(', ')})`);

    // Read back through a fresh Lectern, its world loaded from the store.
    const fresh = await new Lectern(stores[stores.length - 1]!).world(inst);
    const held = [QA, QB].flatMap((p) => [...fresh!.seatHolders(p)].map((u) => `${u}:${p}`)).sort();
    expect(held).toHaveLength(SEATS);
    expect(fresh!.seatHolders(QA).size).toBe(SEATS / 2);
    expect(fresh!.seatHolders(QB).size).toBe(SEATS / 2);
    expect(held).toEqual(won.map((a) => `u${a.i}:${a.body.result!.pack}`).sort());
  });
});
