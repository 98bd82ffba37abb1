/**
 * Collections and libraries over HTTP: membership with levels and custom permissions, the manager
 * and admin rules as statuses, sorting/searching members, the typeahead, libraries with the
 * default-library rule, feature grants and the permissions page.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { SYSTEM } from '../src/policy/index.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, ok, openTestStore, smallInstitution } from './helpers.js';

describe.each(DRIVERS)('collections and libraries over HTTP (%s)', (driver) => {
  let store: Store;
  let app: FastifyInstance;
  let inst: string;
  const as: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    store = await openTestStore(driver);
    const lectern = new Lectern(store);
    const auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    const run = async (op: string, args: Record<string, unknown>) => ok(await lectern.run(SYSTEM, inst, op, args));
    for (const [id, first, last] of [['zoe', 'Zoe', 'Adams'], ['max', 'Max', 'Young'], ['amy', 'Amy', 'Zimmer']]) {
      await run('user.create', { id, email: `${id}@example.edu`, firstName: first, lastName: last });
    }
    await run('user.create', { id: 'kim', username: 'kwilliams', email: 'kim@example.edu', firstName: 'Kim', lastName: 'Lee' });
    await run('role.grant', { user: 'max', role: 'academic_staff', scope: 'physics' });
    await run('media.create', { id: 'm1', owner: 'zoe' });
    for (const u of ['root', 'ada', 'zoe', 'max', 'amy', 'stu']) as[u] = { authorization: `Bearer ${(await auth.createToken(inst, u, 'test')).token}` };
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const call = (who: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: as[who], ...(payload ? { payload } : {}) });

  it('makes the creator a manager and applies the membership rules as statuses', async () => {
    expect((await call('zoe', 'POST', '/v1/collections', { id: 'c1', name: 'Field trips' })).statusCode).toBe(201);
    expect((await call('zoe', 'POST', '/v1/collections/c1/media', { media: 'm1' })).statusCode).toBe(201);
    expect((await call('zoe', 'POST', '/v1/collections/c1/members', { user: 'max', level: 'manager' })).statusCode).toBe(201);
    expect((await call('zoe', 'POST', '/v1/collections/c1/members', { user: 'amy', permissions: ['download', 'post'] })).statusCode).toBe(201);
    expect((await call('zoe', 'POST', '/v1/collections/c1/members', { user: 'stu', level: 'reviewer' })).statusCode).toBe(201);
    // An admin is added only as a manager.
    const admin = await call('zoe', 'POST', '/v1/collections/c1/members', { user: 'root', level: 'editor' });
    expect(admin.statusCode).toBe(409);
    expect(admin.json()).toMatchObject({ code: 'adminNotManager', field: 'level' });
    // A manager cannot demote or remove another manager; an admin can.
    const demote = await call('zoe', 'PATCH', '/v1/collections/c1/members/max', { level: 'reviewer' });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().code).toBe('managerProtected');
    expect((await call('zoe', 'DELETE', '/v1/collections/c1/members/max')).statusCode).toBe(409);
    expect((await call('root', 'PATCH', '/v1/collections/c1/members/max', { level: 'editor' })).statusCode).toBe(200);
    // Max demoted, zoe is the last manager: a collection keeps a manager (SPEC §8), so neither an
    // admin removes her nor she leaves or demotes herself, and the refusal changes nothing.
    for (const [who, method, payload] of [['root', 'DELETE'], ['zoe', 'DELETE'], ['zoe', 'PATCH', { level: 'editor' }]] as const) {
      const last = await call(who, method, '/v1/collections/c1/members/zoe', payload);
      expect(last.statusCode).toBe(409);
      expect(last.json()).toMatchObject({ code: 'managerProtected', message: expect.stringContaining('last manager') });
    }
    const zoe = (await call('root', 'GET', '/v1/collections/c1/members?q=zoe')).json().members;
    expect(zoe).toMatchObject([{ user: 'zoe', level: 'manager' }]);
    // Only managers manage membership; any member may leave.
    expect((await call('amy', 'POST', '/v1/collections/c1/members', { user: 'ada', level: 'reviewer' })).statusCode).toBe(403);
    expect((await call('stu', 'DELETE', '/v1/collections/c1/members/stu')).statusCode).toBe(200);
    // Bad input names the field.
    const bad = await call('zoe', 'POST', '/v1/collections/c1/members', { user: 'ada', level: 'boss' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('level');
    expect((await call('zoe', 'POST', '/v1/collections/c1/members', { user: 'ghost', level: 'reviewer' })).statusCode).toBe(404);
  });

  it('lists members sorted by one column, searched and paged, with what the caller may do to each', async () => {
    const byName = await call('zoe', 'GET', '/v1/collections/c1/members?sort=name');
    expect(byName.statusCode).toBe(200);
    expect(byName.json().members.map((m: { firstName: string }) => m.firstName)).toEqual(['Amy', 'Max', 'Zoe']);
    const desc = await call('zoe', 'GET', '/v1/collections/c1/members?sort=lastName&order=desc');
    expect(desc.json().members.map((m: { lastName: string }) => m.lastName)).toEqual(['Zimmer', 'Young', 'Adams']);
    const search = await call('zoe', 'GET', '/v1/collections/c1/members?q=zim');
    expect(search.json()).toMatchObject({ total: 1, members: [{ user: 'amy', level: 'custom', permissions: ['post', 'download'] }] });
    const page = await call('zoe', 'GET', '/v1/collections/c1/members?sort=name&offset=1&limit=1');
    expect(page.json()).toMatchObject({ total: 3, members: [{ user: 'max' }] });
    const zoeSelf = byName.json().members.find((m: { user: string }) => m.user === 'zoe');
    // The last manager: neither removed nor demoted (a collection keeps a manager), so the console offers neither.
    expect(zoeSelf.abilities).toEqual({ update: false, remove: false });
    const amy = byName.json().members.find((m: { user: string }) => m.user === 'amy');
    expect(amy.abilities).toEqual({ update: true, remove: true });
    // Outsiders do not see the membership.
    expect((await call('ada', 'GET', '/v1/collections/c1/members')).statusCode).toBe(403);
  });

  it('looks people up by first name, last name and email', async () => {
    const r = await call('zoe', 'GET', '/v1/user-search?q=zi');
    expect(r.json().items.map((u: { id: string }) => u.id)).toEqual(['amy']);
    expect(r.json().items).toEqual([{ id: 'amy', firstName: 'Amy', lastName: 'Zimmer' }]); // no email: zoe may not view users
    // Email is matched (and shown) only where the caller may view the user: an admin may.
    expect((await call('zoe', 'GET', '/v1/user-search?q=max@')).json().items).toEqual([]);
    const byEmail = await call('root', 'GET', '/v1/user-search?q=max@');
    expect(byEmail.json().items).toEqual([{ id: 'max', firstName: 'Max', lastName: 'Young', email: 'max@example.edu', username: 'max' }]);
    // So is the username; and the presenter picker asks for academic staff only.
    expect((await call('root', 'GET', '/v1/user-search?q=kwill')).json().items).toEqual([{ id: 'kim', firstName: 'Kim', lastName: 'Lee', email: 'kim@example.edu', username: 'kwilliams' }]);
    expect((await call('zoe', 'GET', '/v1/user-search?q=kwill')).json().items).toEqual([]);
    expect((await call('root', 'GET', '/v1/user-search?q=kwill&role=academic_staff')).json().items).toEqual([]);
    expect((await call('root', 'GET', '/v1/user-search?q=ma&role=academic_staff')).json().items.map((u: { id: string }) => u.id)).toEqual(['max']);
    expect((await call('zoe', 'GET', '/v1/access-levels')).json().items).toContainEqual({ level: 'collaborator', permissions: ['post'], membership: false });
  });

  it('keeps the default library until another is set, and shows the permissions page', async () => {
    expect((await call('ada', 'POST', '/v1/libraries', { id: 'physlib', unit: 'physics' })).statusCode).toBe(201);
    expect((await call('ada', 'POST', '/v1/libraries', { id: 'artslib', unit: 'arts' })).statusCode).toBe(403);
    expect((await call('root', 'POST', '/v1/libraries', { id: 'sharedlib' })).statusCode).toBe(201);
    expect((await call('ada', 'PUT', '/v1/libraries/physlib/members/max', { role: 'contributor' })).statusCode).toBe(200);
    expect((await call('root', 'PUT', '/v1/libraries/sharedlib/members/max', { role: 'viewer' })).statusCode).toBe(200);
    expect((await call('ada', 'PUT', '/v1/users/max/default-library', { library: 'physlib' })).statusCode).toBe(200);
    const keep = await call('ada', 'DELETE', '/v1/libraries/physlib/members/max');
    expect(keep.statusCode).toBe(409);
    expect(keep.json().code).toBe('defaultLibrary');
    expect((await call('root', 'PUT', '/v1/users/max/default-library', { library: 'sharedlib' })).statusCode).toBe(200);
    expect((await call('ada', 'DELETE', '/v1/libraries/physlib/members/max')).statusCode).toBe(200);
    expect((await call('root', 'PUT', '/v1/users/max/features/liveStreaming')).statusCode).toBe(200);
    expect((await call('stu', 'PUT', '/v1/users/max/features/roomCapture')).statusCode).toBe(403);
    const page = await call('ada', 'GET', '/v1/users/max/permissions');
    expect(page.statusCode).toBe(200);
    const items = page.json().items as { type: string; id: string; removable: boolean; isDefault?: boolean }[];
    expect(items).toContainEqual(expect.objectContaining({ type: 'library', id: 'sharedlib', isDefault: true, removable: false }));
    expect(items).toContainEqual(expect.objectContaining({ type: 'role', id: 'physics', removable: true }));
    expect(items).toContainEqual(expect.objectContaining({ type: 'feature', id: 'liveStreaming', removable: true }));
    const check = await call('root', 'POST', '/v1/check', { user: 'max', action: 'feature.use', resource: `institution:${inst}`, context: { feature: 'liveStreaming' } });
    expect(check.json().allow).toBe(true);
  });

  it('filters the users list by library and collection', async () => {
    const lib = await call('root', 'GET', '/v1/users?library=sharedlib');
    expect(lib.json().items.map((u: { id: string }) => u.id)).toEqual(['max']);
    const col = await call('root', 'GET', '/v1/users?collection=c1&sort=firstName');
    expect(col.json().items.map((u: { id: string }) => u.id)).toEqual(['amy', 'max', 'zoe']);
  });
});
