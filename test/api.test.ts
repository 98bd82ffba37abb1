/**
 * The HTTP API over app.inject(): decisions with reasons, operations as REST resources, the mapping
 * of outcomes to statuses (code + field), revisions, listings, audit and the OpenAPI document.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, openTestStore, smallInstitution } from './helpers.js';

describe.each(DRIVERS)('HTTP API (%s)', (driver) => {
  let store: Store;
  let app: FastifyInstance;
  let inst: string;
  const as: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    store = await openTestStore(driver);
    const lectern = new Lectern(store);
    const auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    for (const u of ['root', 'ada', 'sam', 'stu']) as[u] = { authorization: `Bearer ${(await auth.createToken(inst, u, 'test')).token}` };
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const call = (who: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: as[who], ...(payload ? { payload } : {}) });

  it('answers one decision with its reasons and the revision', async () => {
    const allowed = await call('root', 'POST', '/v1/check', { user: 'ada', action: 'unit.create', resource: 'unit:physics' });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json()).toMatchObject({ allow: true, revision: expect.any(Number) });
    expect(allowed.json().reasons[0]).toMatch(/admin of Science/);

    const denied = await call('root', 'POST', '/v1/check', { user: 'ada', action: 'unit.create', resource: 'unit:arts' });
    expect(denied.json().allow).toBe(false);
    expect(denied.json().reasons[0]).toMatch(/no admin rights over Arts/);

    const unknownUser = await call('root', 'POST', '/v1/check', { user: 'ghost', action: 'unit.create', resource: 'unit:arts' });
    expect(unknownUser.json()).toMatchObject({ allow: false, reasons: [expect.stringMatching(/not a user/)] });
  });

  it('answers a batch of decisions in order', async () => {
    const res = await call('root', 'POST', '/v1/checks', {
      checks: [
        { user: 'stu', action: 'console.signIn', resource: `institution:${inst}` },
        { user: 'ada@example.edu', action: 'console.signIn', resource: `institution:${inst}` },
        { user: 'sam', action: 'institution.configure', resource: `institution:${inst}`, context: {} },
      ],
    });
    expect(res.statusCode).toBe(200);
    const results = res.json().results as { allow: boolean; reasons: string[] }[];
    expect(results.map((r) => r.allow)).toEqual([false, true, true]);
    expect(results[0]!.reasons[0]).toMatch(/student/);
    const tooMany = await call('root', 'POST', '/v1/checks', { checks: Array.from({ length: 1001 }, () => ({ user: 'stu', action: 'user.view', resource: 'user:stu' })) });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().field).toBe('checks');
  });

  it('lets a student ask only about themselves', async () => {
    expect((await call('stu', 'POST', '/v1/check', { user: 'stu', action: 'user.view', resource: 'user:stu' })).json().allow).toBe(true);
    const other = await call('stu', 'POST', '/v1/checks', { checks: [{ user: 'stu', action: 'user.view', resource: 'user:stu' }, { user: 'root', action: 'user.view', resource: 'user:root' }] });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ code: 'denied', field: 'checks.1.user' });
  });

  it('waits for atLeastRevision, and answers 503 when it is not reached', async () => {
    const now = (await call('root', 'GET', '/v1/institution')).json().revision as number;
    const ok = await call('root', 'POST', '/v1/check', { user: 'ada', action: 'user.view', resource: 'user:ada', atLeastRevision: now });
    expect(ok.json().revision).toBe(now);
    const ahead = await call('root', 'POST', '/v1/check', { user: 'ada', action: 'user.view', resource: 'user:ada', atLeastRevision: now + 1000 });
    expect(ahead.statusCode).toBe(503);
    expect(ahead.json()).toMatchObject({ code: 'revisionNotReached', field: 'atLeastRevision' });
  });

  it('maps schema-validation errors to 400 naming the field', async () => {
    const missing = await call('root', 'POST', '/v1/check', { user: 'ada', resource: 'unit:arts' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'required', field: 'action' });
    const extra = await call('root', 'POST', '/v1/users', { id: 'x1', email: 'x1@example.edu', firstName: 'X', lastName: 'Y', shoeSize: 9 });
    expect(extra.json()).toMatchObject({ code: 'unknownField', field: 'shoeSize' });
    const wrongType = await call('root', 'PATCH', '/v1/institution', { delegatedAdministration: 'maybe' });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().field).toBe('delegatedAdministration');
  });

  it('maps each refusal to its status with a stable code and the field', async () => {
    const invalid = await call('root', 'POST', '/v1/users', { id: 'bad', email: 'not-an-email', firstName: 'B', lastName: 'D' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ code: 'format', field: 'email' });

    const denied = await call('ada', 'PATCH', '/v1/institution', { studentLibrary: false });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ code: 'denied', reasons: [expect.stringMatching(/admin of the root/)] });

    const notFound = await call('root', 'PATCH', '/v1/units/atlantis', { name: 'Lost' });
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json()).toMatchObject({ code: 'notFound', field: 'unit' });

    const conflict = await call('root', 'POST', '/v1/users', { id: 'ada2', email: 'ADA@example.edu', firstName: 'Ada', lastName: 'Two' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ code: 'duplicateEmail', field: 'email' });
  });

  it('returns the new revision from writes, and the unchanged one when nothing changed', async () => {
    const before = (await call('root', 'GET', '/v1/institution')).json().revision as number;
    const created = await call('root', 'POST', '/v1/units', { id: 'music', parent: 'arts', name: 'Music' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ revision: before + 1, changed: true, result: { id: 'music', parentId: 'arts' } });
    const renamed = await call('root', 'PATCH', '/v1/units/music', { name: 'Music' });
    expect(renamed.json()).toMatchObject({ revision: before + 1, changed: false });
    const moved = await call('root', 'PATCH', '/v1/units/music', { parent: 'science' });
    expect(moved.json()).toMatchObject({ revision: before + 2, result: { parentId: 'science' } });
    expect((await call('root', 'DELETE', '/v1/units/music')).json().revision).toBe(before + 3);
  });

  it('lists units in tree order with the caller’s abilities', async () => {
    const res = await call('ada', 'GET', '/v1/units');
    const items = res.json().items as { id: string; depth: number; abilities: Record<string, boolean> }[];
    const ids = items.map((u) => u.id);
    expect(ids[0]).toBe(inst);
    expect(ids.indexOf('physics')).toBe(ids.indexOf('science') + 1);
    const physics = items.find((u) => u.id === 'physics')!;
    expect(physics.depth).toBe(2);
    expect(physics.abilities).toEqual({ create: true, update: true, delete: true });
    expect(items.find((u) => u.id === 'science')!.abilities).toEqual({ create: true, update: false, delete: false });
    expect(items.find((u) => u.id === 'arts')!.abilities.create).toBe(false);
  });

  it('manages users: create, read with roles and abilities, update, deactivate, delete', async () => {
    const created = await call('ada', 'POST', '/v1/users', { id: 'pat', email: 'pat@example.edu', firstName: 'Pat', lastName: 'Lee' });
    expect(created.statusCode).toBe(201);
    expect(created.json().result).toMatchObject({ id: 'pat', username: 'pat', status: 'active' });

    const granted = await call('ada', 'POST', '/v1/users/pat/roles', { role: 'academic_staff', scope: 'physics' });
    expect(granted.statusCode).toBe(201);
    const one = await call('ada', 'GET', '/v1/users/pat');
    expect(one.json().user).toMatchObject({ id: 'pat', staff: true, roles: [{ role: 'academic_staff', scope: 'physics' }] });
    expect(one.json().abilities).toEqual({ update: true, deactivate: true, delete: true, grantRole: true });
    // ada may not touch the institution admin.
    expect((await call('ada', 'GET', '/v1/users/root')).json().abilities).toEqual({ update: false, deactivate: false, delete: false, grantRole: false });

    expect((await call('ada', 'PATCH', '/v1/users/pat', { lastName: 'Lee-Smith' })).json().result.lastName).toBe('Lee-Smith');
    expect((await call('ada', 'POST', '/v1/users/pat/deactivate')).json().result.status).toBe('deactivated');
    expect((await call('ada', 'POST', '/v1/users/pat/reactivate')).json().result.status).toBe('active');
    const revoked = await app.inject({ method: 'DELETE', url: '/v1/users/pat/roles?role=academic_staff&scope=physics', headers: as.ada });
    expect(revoked.statusCode).toBe(200);
    expect((await call('ada', 'GET', '/v1/users/pat/roles')).json().items).toEqual([]);
    const wrongRevoke = await app.inject({ method: 'DELETE', url: '/v1/users/pat/roles?role=admin&scope=physics', headers: as.ada });
    expect(wrongRevoke.statusCode).toBe(404);
    expect((await call('ada', 'DELETE', '/v1/users/pat')).statusCode).toBe(200);
    expect((await call('ada', 'GET', '/v1/users/pat')).statusCode).toBe(404);
    expect((await call('ada', 'DELETE', '/v1/users/root')).statusCode).toBe(403);
  });

  it('lists users by tab, role and unit, searched, sorted and paged; only for who may view them', async () => {
    const q = async (who: string, query: string) => {
      const r = await call(who, 'GET', `/v1/users?${query}`);
      return r.json() as { total: number; items: { id: string }[] };
    };
    expect((await q('root', 'tab=students')).items.map((u) => u.id)).toEqual(['stu']);
    expect((await q('root', 'tab=staff&sort=id')).items.map((u) => u.id)).toEqual(['ada', 'root', 'sam']);
    expect((await q('root', 'tab=staff&sort=-id')).items.map((u) => u.id)).toEqual(['sam', 'root', 'ada']);
    expect((await q('root', 'role=admin&unit=science')).items.map((u) => u.id)).toEqual(['ada']);
    expect((await q('root', 'q=RITA')).items.map((u) => u.id)).toEqual(['root']);
    const page = await q('root', 'sort=id&limit=2&offset=1');
    expect(page.total).toBeGreaterThanOrEqual(4);
    expect(page.items).toHaveLength(2);
    // A student sees only themselves.
    expect((await q('stu', '')).items.map((u) => u.id)).toEqual(['stu']);
    expect((await call('stu', 'GET', '/v1/users/root')).statusCode).toBe(403);
    expect((await call('root', 'GET', '/v1/users?sort=shoeSize')).json().field).toBe('sort');
  });

  it('runs any operation through POST /v1/operations', async () => {
    const res = await call('root', 'POST', '/v1/operations', { do: 'role.grant', with: { user: 'stu', role: 'academic_staff', scope: 'arts' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ changed: true, revision: expect.any(Number) });
    const back = await call('root', 'POST', '/v1/operations', { do: 'role.revoke', with: { user: 'stu', role: 'academic_staff', scope: 'arts' } });
    expect(back.json().revision).toBe(res.json().revision + 1);
    const unknown = await call('root', 'POST', '/v1/operations', { do: 'coffee.make', with: {} });
    expect(unknown.json()).toMatchObject({ code: 'unknownOperation', field: 'do' });
    const stray = await call('root', 'POST', '/v1/operations', { do: 'unit.delete', with: { unit: 'arts', force: true } });
    expect(stray.json()).toMatchObject({ code: 'unknownField', field: 'force' });
  });

  it('creates institutions only for system admins', async () => {
    const id = `${inst}-b`;
    expect((await call('root', 'POST', '/v1/institutions', { id, name: 'B' })).statusCode).toBe(403);
    const made = await call('sam', 'POST', '/v1/institutions', { id, name: 'B', delegatedAdministration: true });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({ revision: 1, result: { institutionId: id, delegatedAdministration: true } });
    expect((await call('sam', 'POST', '/v1/institutions', { id, name: 'B' })).statusCode).toBe(409);
  });

  it('shows the audit log to admins of the root, filtered', async () => {
    await call('root', 'PATCH', '/v1/institution', { name: 'State University (audited)' });
    const res = await call('root', 'GET', `/v1/audit?actor=root&target=institution:${inst}&since=2000-01-01T00:00:00Z`);
    expect(res.statusCode).toBe(200);
    expect(res.json().items[0]).toMatchObject({ actor: 'root', operation: 'institution.configure' });
    expect((await call('root', 'GET', '/v1/audit?until=2000-01-01T00:00:00Z')).json().items).toEqual([]);
    expect((await call('root', 'GET', '/v1/audit?since=yesterday')).json()).toMatchObject({ code: 'invalid', field: 'since' });
    expect((await call('ada', 'GET', '/v1/audit')).statusCode).toBe(403);
  });

  it('serves health, a start page and the OpenAPI document without a caller', async () => {
    expect((await app.inject({ url: '/health' })).json()).toEqual({ ok: true });
    expect((await app.inject({ url: '/' })).body).toMatch(/href="\/docs"/);
    const doc = (await app.inject({ url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    for (const [path, method] of [
      ['/v1/check', 'post'], ['/v1/checks', 'post'], ['/v1/session', 'post'], ['/v1/session', 'get'], ['/v1/tokens', 'post'],
      ['/v1/institution', 'patch'], ['/v1/institutions', 'post'], ['/v1/units', 'get'], ['/v1/units/{id}', 'delete'],
      ['/v1/users', 'get'], ['/v1/users/{id}', 'patch'], ['/v1/users/{id}/deactivate', 'post'], ['/v1/users/{id}/roles', 'delete'],
      ['/v1/users/{id}/password', 'put'], ['/v1/audit', 'get'], ['/v1/operations', 'post'], ['/health', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect((await app.inject({ url: '/v1/nothing-here', headers: as.root })).statusCode).toBe(404);
  });
});
