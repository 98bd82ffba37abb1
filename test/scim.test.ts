/**
 * The SCIM 2.0 server over HTTP, on every driver: discovery documents, the RFC's own examples,
 * request sequences shaped like Entra ID's and Okta's provisioning, groups that grant and revoke a
 * role, paging/sorting/attributes, ETags and concurrency, Bulk, and refusals carrying the reason.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { URN } from '../src/integrations/scim/schema.js';
import { SYSTEM } from '../src/policy/index.js';
import { auditTimes } from '../src/store/scim.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, ok, openTestStore, smallInstitution } from './helpers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(DRIVERS)('SCIM 2.0 (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  let app: FastifyInstance;
  let inst: string;
  let other: string;
  const bearer: Record<string, string> = {};
  const PACK = 'ID 2026-08-01-000001';

  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
    const auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    other = await smallInstitution(lectern);
    const run = async (op: string, args: Json, i = inst) => ok(await lectern.run(SYSTEM, i, op, args));
    await run('licensePack.create', { id: PACK, seats: 2 });
    // zed: a system admin; arty: academic staff of arts (beyond ada's reach, who is admin of science).
    await run('user.create', { id: 'arty', email: 'arty@example.edu', firstName: 'Arty', lastName: 'Fact' });
    await run('role.grant', { user: 'arty', role: 'academic_staff', scope: 'arts' });
    // ada is made root admin to create her token, then brought back to science.
    await run('role.revoke', { user: 'ada', role: 'admin' });
    await run('role.grant', { user: 'ada', role: 'admin' });
    app = buildApp({ lectern, auth });
    await app.ready();
    const api = async (who: string, i: string) => `Bearer ${(await auth.createToken(i, who, 'test')).token}`;
    bearer.rootApi = await api('root', inst);
    bearer.adaApi = await api('ada', inst);
    const mint = async (apiToken: string) => {
      const r = await app.inject({ method: 'POST', url: '/v1/scim/tokens', headers: { authorization: apiToken }, payload: { name: 'Entra ID' } });
      expect(r.statusCode, r.body).toBe(201);
      return `Bearer ${r.json().result.token as string}`;
    };
    bearer.root = await mint(bearer.rootApi);
    bearer.ada = await mint(bearer.adaApi);
    await run('role.revoke', { user: 'ada', role: 'admin' });
    await run('role.grant', { user: 'ada', role: 'admin', scope: 'science' });
    bearer.other = await mint(await api('root', other));
  });
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const scim = (who: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, payload?: unknown, headers: Json = {}) =>
    app.inject({
      method,
      url: `/scim/v2/${inst}${path}`,
      headers: { authorization: bearer[who]!, ...(payload !== undefined ? { 'content-type': 'application/scim+json' } : {}), ...headers },
      ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
    });
  const expectError = (r: { statusCode: number; json(): Json }, status: number, scimType?: string) => {
    expect(r.statusCode, JSON.stringify(r.json())).toBe(status);
    const b = r.json();
    expect(b.schemas).toEqual([URN.error]);
    expect(b.status).toBe(String(status));
    if (scimType) expect(b.scimType).toBe(scimType);
    else expect(b.scimType).toBeUndefined();
    return b;
  };

  it('accepts its own tokens only, and its tokens nowhere else', async () => {
    expectError(await app.inject({ method: 'GET', url: `/scim/v2/${inst}/Users` }), 401);
    expectError(await scim('rootApi', 'GET', '/Users'), 401); // an ordinary API token
    expectError(await app.inject({ method: 'GET', url: `/scim/v2/${inst}/Users`, headers: { authorization: bearer.other! } }), 401); // another institution's
    const v1 = await app.inject({ method: 'GET', url: '/v1/users', headers: { authorization: bearer.root! } });
    expect(v1.statusCode).toBe(401);
    // Listing and revoking: only admins see them; only a root admin makes or revokes them.
    const listed = await app.inject({ method: 'GET', url: '/v1/scim/tokens', headers: { authorization: bearer.rootApi! } });
    expect(listed.json().items.map((t: Json) => t.ownerId).sort()).toEqual(['ada', 'root']);
    expect(JSON.stringify(listed.json())).not.toContain('tokenHash');
    const denied = await app.inject({ method: 'POST', url: '/v1/scim/tokens', headers: { authorization: bearer.adaApi! }, payload: { name: 'x' } });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().message).toContain('only by an admin of the root');
    const made = await app.inject({ method: 'POST', url: '/v1/scim/tokens', headers: { authorization: bearer.rootApi! }, payload: { name: 'short-lived' } });
    const token = `Bearer ${made.json().result.token as string}`;
    expect((await app.inject({ method: 'GET', url: `/scim/v2/${inst}/Users`, headers: { authorization: token } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/v1/scim/tokens/${made.json().result.id as string}`, headers: { authorization: bearer.rootApi! } })).statusCode).toBe(200);
    expectError(await app.inject({ method: 'GET', url: `/scim/v2/${inst}/Users`, headers: { authorization: token } }), 401);
  });

  it('describes exactly what it supports', async () => {
    const spc = (await scim('root', 'GET', '/ServiceProviderConfig')).json();
    expect(spc).toMatchObject({ patch: { supported: true }, filter: { supported: true }, etag: { supported: true }, sort: { supported: true }, changePassword: { supported: false }, bulk: { supported: true } });
    const types = (await scim('root', 'GET', '/ResourceTypes')).json();
    expect(types.Resources.map((r: Json) => r.endpoint)).toEqual(['/Users', '/Groups']);
    expect(types.Resources[0].schemaExtensions).toEqual([{ schema: URN.enterprise, required: false }]);
    const schemas = (await scim('root', 'GET', '/Schemas')).json();
    expect(schemas.Resources.map((s: Json) => s.id)).toEqual([URN.user, URN.enterprise, URN.group, URN.lecternGroup]);
    const userSchema = (await scim('root', 'GET', `/Schemas/${URN.user}`)).json();
    expect(userSchema.attributes.map((a: Json) => a.name)).toEqual(['userName', 'name', 'emails', 'active', 'groups']);
    expect((await scim('root', 'GET', '/ServiceProviderConfig')).headers['content-type']).toContain('application/scim+json');
  });

  it('creates, reads, finds and refuses duplicates like the RFC examples (409 uniqueness)', async () => {
    const created = await scim('root', 'POST', '/Users', {
      schemas: [URN.user],
      userName: 'bjensen',
      externalId: 'bjensen',
      name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Barbara' },
      emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
    });
    expect(created.statusCode, created.body).toBe(201);
    const u = created.json();
    expect(u).toMatchObject({ id: 'bjensen', userName: 'bjensen', externalId: 'bjensen', active: true, name: { givenName: 'Barbara', familyName: 'Jensen' }, emails: [{ value: 'bjensen@example.com', primary: true }] });
    expect(created.headers.location).toBe(u.meta.location);
    expect(created.headers.etag).toBe(u.meta.version);
    expect(u.meta.version).toMatch(/^W\/".+"$/);
    expect(Date.parse(u.meta.created)).not.toBeNaN();
    const got = await scim('root', 'GET', '/Users/bjensen');
    expect(got.json()).toEqual(u);
    const found = (await scim('root', 'GET', `/Users?filter=${encodeURIComponent('userName eq "BJENSEN"')}`)).json();
    expect(found).toMatchObject({ schemas: [URN.list], totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(found.Resources[0].id).toBe('bjensen');
    // One name, one user: the same userName, an email another user has, or a userName that is another's email.
    const dupName = expectError(await scim('root', 'POST', '/Users', { userName: 'bjensen', name: { givenName: 'B', familyName: 'J' }, emails: [{ value: 'b2@example.com' }] }), 409, 'uniqueness');
    expect(dupName.detail).toContain('bjensen');
    expectError(await scim('root', 'POST', '/Users', { userName: 'bj2', name: { givenName: 'B', familyName: 'J' }, emails: [{ value: 'BJensen@example.com' }] }), 409, 'uniqueness');
    // Lectern needs names and an email: bad input names the field.
    const missing = expectError(await scim('root', 'POST', '/Users', { userName: 'nomail', name: { givenName: 'N', familyName: 'M' } }), 400, 'invalidValue');
    expect(missing.detail).toContain('email');
    expectError(await scim('root', 'GET', '/Users/nobody'), 404);
    expectError(await scim('root', 'POST', '/Users', '{not json'), 400, 'invalidSyntax');
  });

  it('follows an Entra ID provisioning cycle: match, create, patch (strings for booleans), disable freeing seats, enable, delete', async () => {
    const q = encodeURIComponent('userName eq "alice.w@stateu.edu"');
    expect((await scim('root', 'GET', `/Users?filter=${q}`)).json()).toMatchObject({ totalResults: 0, Resources: [] });
    const created = await scim('root', 'POST', '/Users', {
      schemas: [URN.user, URN.enterprise],
      externalId: '5b8e-entra-object-id',
      userName: 'alice.w@stateu.edu',
      active: true,
      displayName: 'Alice Walker',
      emails: [{ primary: true, type: 'work', value: 'alice.w@stateu.edu' }],
      name: { formatted: 'Alice Walker', familyName: 'Walker', givenName: 'Alice' },
      [URN.enterprise]: { employeeNumber: '70012', department: 'Physics' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect(created.json()[URN.enterprise]).toEqual({ employeeNumber: '70012', department: 'Physics' });
    // Entra's capitalised ops, value paths and extension paths.
    const patched = await scim('root', 'PATCH', `/Users/${id}`, {
      schemas: [URN.patch],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'alice.walker@stateu.edu' },
        { op: 'Replace', path: 'name.familyName', value: 'Walker-Smith' },
        { op: 'Add', path: `${URN.enterprise}:department`, value: 'Chemistry' },
        { op: 'Replace', path: 'displayName', value: 'ignored: Lectern keeps no display name' },
      ],
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ emails: [{ value: 'alice.walker@stateu.edu' }], name: { familyName: 'Walker-Smith' }, [URN.enterprise]: { department: 'Chemistry' } });
    await expect(lectern.world(inst).then((w) => w!.user(id)!.email)).resolves.toBe('alice.walker@stateu.edu');
    // Give her a seat, then disable her as Entra does: a string "False".
    ok(await lectern.run(SYSTEM, inst, 'role.grant', { user: id, role: 'academic_staff', scope: 'physics' }));
    ok(await lectern.run(SYSTEM, inst, 'license.assign', { user: id, pack: PACK }));
    const off = await scim('root', 'PATCH', `/Users/${id}`, { schemas: [URN.patch], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json().active).toBe(false);
    const w = (await lectern.world(inst))!;
    expect(w.user(id)!.status).toBe('deactivated');
    expect(w.seatsOf(id).size).toBe(0);
    const onAgain = await scim('root', 'PATCH', `/Users/${id}`, { schemas: [URN.patch], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] });
    expect(onAgain.json().active).toBe(true);
    expectError(await scim('root', 'PATCH', `/Users/${id}`, { schemas: [URN.patch], Operations: [{ op: 'Replace', path: 'active', value: 'maybe' }] }), 400, 'invalidValue');
    expectError(await scim('root', 'PATCH', `/Users/${id}`, { schemas: [URN.patch], Operations: [{ op: 'Replace', path: 'id', value: 'x' }] }), 400, 'mutability');
    expectError(await scim('root', 'PATCH', `/Users/${id}`, { schemas: [URN.patch], Operations: [{ op: 'Frobnicate', path: 'active', value: true }] }), 400, 'invalidSyntax');
    expectError(await scim('root', 'PATCH', `/Users/${id}`, { schemas: [URN.patch], Operations: [{ op: 'Replace', path: 'emails[type eq', value: 'x' }] }), 400, 'invalidPath');
    expect((await scim('root', 'DELETE', `/Users/${id}`)).statusCode).toBe(204);
    expectError(await scim('root', 'GET', `/Users/${id}`), 404);
  });

  it('follows an Okta provisioning cycle: find with paging, create, PUT, replace with a value object and no path', async () => {
    const q = encodeURIComponent('userName eq "bob.okta@stateu.edu"');
    expect((await scim('root', 'GET', `/Users?filter=${q}&startIndex=1&count=100`)).json().totalResults).toBe(0);
    const body = {
      schemas: [URN.user],
      userName: 'bob.okta@stateu.edu',
      name: { givenName: 'Bob', familyName: 'Okta' },
      emails: [{ primary: true, value: 'bob.okta@stateu.edu', type: 'work' }],
      displayName: 'Bob Okta',
      locale: 'en-US',
      externalId: '00u1abcd',
      groups: [],
      password: 'never-stored-1',
      active: true,
    };
    const created = await scim('root', 'POST', '/Users', body);
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const put = await scim('root', 'PUT', `/Users/${id}`, { ...body, id, name: { givenName: 'Robert', familyName: 'Okta' } });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().name.givenName).toBe('Robert');
    const off = await scim('root', 'PATCH', `/Users/${id}`, { schemas: [URN.patch], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(off.json().active).toBe(false);
    // A PUT with active true reactivates and sets details in one go.
    const back = await scim('root', 'PUT', `/Users/${id}`, { ...body, active: true, emails: [{ value: 'rob@stateu.edu', primary: true }] });
    expect(back.json()).toMatchObject({ active: true, emails: [{ value: 'rob@stateu.edu' }] });
    expectError(await scim('root', 'PUT', `/Users/${id}`, { ...body, id: 'someone-else' }), 400, 'mutability');
    // A PUT that leaves active out keeps the status.
    await scim('root', 'PATCH', `/Users/${id}`, { schemas: [URN.patch], Operations: [{ op: 'replace', value: { active: false } }] });
    const { active: _omitted, ...noActive } = body;
    expect((await scim('root', 'PUT', `/Users/${id}`, noActive)).json().active).toBe(false);
  });

  it('binds a group to a role at a unit: members are granted and revoked through the same rules', async () => {
    for (const u of ['gina', 'hank']) {
      expect((await scim('root', 'POST', '/Users', { userName: u, name: { givenName: u, familyName: 'G' }, emails: [{ value: `${u}@stateu.edu` }] })).statusCode).toBe(201);
    }
    // Entra sends only a displayName: the name carries the role and unit.
    const g = await scim('root', 'POST', '/Groups', { schemas: [URN.group], displayName: 'academic_staff@physics', members: [{ value: 'gina' }] });
    expect(g.statusCode, g.body).toBe(201);
    const gid = g.json().id as string;
    expect(g.json()).toMatchObject({ displayName: 'academic_staff@physics', members: [{ value: 'gina' }], [URN.lecternGroup]: { role: 'academic_staff', scope: 'physics' } });
    let w = (await lectern.world(inst))!;
    expect(w.grantsOf('gina').map((x) => `${x.role}@${x.scopeId}`)).toEqual(['academic_staff@physics']);
    // Entra's membership PATCH, then its member removal by value path.
    const add = await scim('root', 'PATCH', `/Groups/${gid}`, { schemas: [URN.patch], Operations: [{ op: 'Add', path: 'members', value: [{ value: 'hank' }] }] });
    expect(add.statusCode, add.body).toBe(204);
    expect((await scim('root', 'GET', `/Groups/${gid}`)).json().members.map((m: Json) => m.value)).toEqual(['gina', 'hank']);
    expect((await scim('root', 'GET', '/Users/hank')).json().groups).toEqual([expect.objectContaining({ value: gid, display: 'academic_staff@physics' })]);
    const remove = await scim('root', 'PATCH', `/Groups/${gid}`, { schemas: [URN.patch], Operations: [{ op: 'Remove', path: 'members[value eq "gina"]' }] });
    expect(remove.statusCode, remove.body).toBe(204);
    w = (await lectern.world(inst))!;
    expect(w.grantsOf('gina')).toEqual([]);
    // Okta: rename with a value object, members removed with a value list, and a full PUT.
    await scim('root', 'PATCH', `/Groups/${gid}`, { schemas: [URN.patch], Operations: [{ op: 'replace', value: { id: gid, displayName: 'Physics teaching staff' } }, { op: 'remove', path: 'members', value: [{ value: 'hank' }] }] });
    const after = (await scim('root', 'GET', `/Groups/${gid}?excludedAttributes=members`)).json();
    expect(after.displayName).toBe('Physics teaching staff');
    expect(after.members).toBeUndefined();
    const put = await scim('root', 'PUT', `/Groups/${gid}`, { schemas: [URN.group], displayName: 'Physics teaching staff', members: [{ value: 'gina' }, { value: 'hank' }] });
    expect(put.json().members.map((m: Json) => m.value)).toEqual(['gina', 'hank']);
    expectError(await scim('root', 'PATCH', `/Groups/${gid}`, { schemas: [URN.patch], Operations: [{ op: 'replace', path: `${URN.lecternGroup}:scope`, value: 'arts' }] }), 400, 'mutability');
    // Never system_admin; the role and unit must exist; names are unique.
    expectError(await scim('root', 'POST', '/Groups', { displayName: 'system_admin@physics' }), 400, 'invalidValue');
    expectError(await scim('root', 'POST', '/Groups', { displayName: 'Admins', [URN.lecternGroup]: { role: 'system_admin', scope: inst } }), 400, 'invalidValue');
    expectError(await scim('root', 'POST', '/Groups', { displayName: 'Everyone' }), 400, 'invalidValue');
    expectError(await scim('root', 'POST', '/Groups', { displayName: 'academic_staff@nowhere' }), 404);
    expectError(await scim('root', 'POST', '/Groups', { displayName: 'physics teaching STAFF', [URN.lecternGroup]: { role: 'scheduler', scope: 'physics' } }), 409, 'uniqueness');
    // Deleting the group revokes its role from every member.
    expect((await scim('root', 'DELETE', `/Groups/${gid}`)).statusCode).toBe(204);
    w = (await lectern.world(inst))!;
    expect(w.grantsOf('gina')).toEqual([]);
    expect(w.grantsOf('hank')).toEqual([]);
  });

  it('applies the RFC 7644 PATCH examples to a group and a user', async () => {
    for (const u of ['rfc1', 'rfc2', 'rfc3']) {
      await scim('root', 'POST', '/Users', { userName: u, name: { givenName: u, familyName: 'R' }, emails: [{ value: `${u}@stateu.edu`, type: 'work' }] });
    }
    const g = await scim('root', 'POST', '/Groups', { schemas: [URN.group], displayName: 'av_technician@science', [URN.lecternGroup]: { role: 'av_technician', scope: 'science' } });
    const gid = g.json().id as string;
    const patch = (...Operations: Json[]) => scim('root', 'PATCH', `/Groups/${gid}`, { schemas: [URN.patch], Operations });
    const members = async () => ((await scim('root', 'GET', `/Groups/${gid}`)).json().members as Json[]).map((m) => m.value);
    // Adding members with display and $ref, as in the RFC.
    expect((await patch({ op: 'add', path: 'members', value: [{ display: 'rfc1 R', $ref: 'https://x/Users/rfc1', value: 'rfc1' }, { value: 'rfc2' }] })).statusCode).toBe(204);
    expect(await members()).toEqual(['rfc1', 'rfc2']);
    // Removing one member by a value filter, then replacing all, then removing all.
    await patch({ op: 'remove', path: 'members[value eq "rfc1"]' });
    expect(await members()).toEqual(['rfc2']);
    await patch({ op: 'replace', path: 'members', value: [{ value: 'rfc1' }, { value: 'rfc3' }] });
    expect(await members()).toEqual(['rfc1', 'rfc3']);
    await patch({ op: 'remove', path: 'members' });
    expect(await members()).toEqual([]);
    // Several operations apply in order, all or nothing: an unknown member refuses the whole request.
    expectError(await patch({ op: 'add', path: 'members', value: [{ value: 'rfc1' }] }, { op: 'add', path: 'members', value: [{ value: 'ghost' }] }), 404);
    expect(await members()).toEqual([]);
    // A user: replace without a path (an object of attributes), add to a multi-valued attribute, remove a sub-attribute's value.
    const u = await scim('root', 'PATCH', '/Users/rfc1', { schemas: [URN.patch], Operations: [{ op: 'replace', value: { emails: [{ value: 'babs@jensen.org', type: 'home', primary: true }], nickName: 'Babs' } }] });
    expect(u.statusCode, u.body).toBe(200);
    expect(u.json().emails).toEqual([{ value: 'babs@jensen.org', type: 'work', primary: true }]);
    const added = await scim('root', 'PATCH', '/Users/rfc1', { schemas: [URN.patch], Operations: [{ op: 'add', path: 'emails', value: [{ value: 'second@jensen.org', type: 'other' }] }] });
    expect(added.json().emails[0].value).toBe('babs@jensen.org'); // the primary one stays Lectern's one email
    expectError(await scim('root', 'PATCH', '/Users/rfc1', { schemas: [URN.patch], Operations: [{ op: 'remove', path: 'userName' }] }), 400, 'invalidValue');
    expectError(await scim('root', 'PATCH', '/Users/rfc1', { schemas: [URN.patch], Operations: [{ op: 'remove' }] }), 400, 'noTarget');
    // Entra reads groups without members and finds them by name.
    const found = (await scim('root', 'GET', `/Groups?filter=${encodeURIComponent('displayName eq "AV_TECHNICIAN@science"')}&excludedAttributes=members`)).json();
    expect(found.totalResults).toBe(1);
    expect(found.Resources[0].members).toBeUndefined();
    // A user who owns media is not deleted (deactivate instead): 409 with the reason, no scimType.
    ok(await lectern.run(SYSTEM, inst, 'media.create', { id: 'rfc-media', owner: 'rfc2' }));
    const owned = expectError(await scim('root', 'DELETE', '/Users/rfc2'), 409);
    expect(owned.detail).toContain('owns');
  });

  it('refuses, with the reason, what the token owner may not do', async () => {
    // root may not touch a system admin.
    const sam = expectError(await scim('root', 'PATCH', '/Users/sam', { schemas: [URN.patch], Operations: [{ op: 'replace', path: 'active', value: false }] }), 403);
    expect(sam.detail).toMatch(/system admin/);
    // ada's token acts as ada, now admin of science only: root, an institution admin, is above her.
    const root = expectError(await scim('ada', 'PUT', '/Users/root', { userName: 'root', name: { givenName: 'R', familyName: 'T' }, emails: [{ value: 'root@example.edu' }] }), 403);
    expect(root.detail).toContain('root');
    expect((await lectern.world(inst))!.user('root')!.firstName).toBe('Rita');
    expectError(await scim('ada', 'PATCH', '/Users/root', { schemas: [URN.patch], Operations: [{ op: 'replace', value: { active: 'False' } }] }), 403);
    expect((await lectern.world(inst))!.user('root')!.status).toBe('active');
    // ... and she may not define groups (only a root admin may), nor grant beyond her units.
    expectError(await scim('ada', 'POST', '/Groups', { displayName: 'academic_staff@physics' }), 403);
    const g = await scim('root', 'POST', '/Groups', { displayName: 'academic_staff@arts' });
    const gid = g.json().id as string;
    const grant = expectError(await scim('ada', 'PATCH', `/Groups/${gid}`, { schemas: [URN.patch], Operations: [{ op: 'add', path: 'members', value: [{ value: 'stu' }] }] }), 403);
    expect(grant.detail).toMatch(/arts|Arts/);
    expect((await lectern.world(inst))!.grantsOf('stu')).toEqual([]);
  });

  it('pages, sorts and selects attributes', async () => {
    for (const n of ['pa', 'pb', 'pc', 'pd', 'pe']) {
      await scim('root', 'POST', '/Users', { userName: `page-${n}`, name: { givenName: n.toUpperCase(), familyName: `Z${n}` }, emails: [{ value: `${n}@page.edu` }] });
    }
    const filter = encodeURIComponent('userName sw "page-"');
    const page = (await scim('root', 'GET', `/Users?filter=${filter}&startIndex=2&count=2&sortBy=name.familyName&sortOrder=descending`)).json();
    expect(page).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
    expect(page.Resources.map((r: Json) => r.userName)).toEqual(['page-pd', 'page-pc']);
    const slim = (await scim('root', 'GET', `/Users?filter=${filter}&attributes=userName,name.givenName&count=1`)).json();
    expect(slim.Resources[0]).toEqual({ schemas: [URN.user], id: 'page-pa', userName: 'page-pa', name: { givenName: 'PA' } });
    const noEmails = (await scim('root', 'GET', '/Users/page-pa?excludedAttributes=emails,meta')).json();
    expect(noEmails.emails).toBeUndefined();
    expect(noEmails.meta).toBeUndefined();
    expect(noEmails.id).toBe('page-pa');
    const empty = (await scim('root', 'GET', `/Users?filter=${filter}&count=0`)).json();
    expect(empty).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
    const search = await scim('root', 'POST', '/Users/.search', { filter: 'userName sw "page-" and name.givenName eq "pc"', attributes: 'userName' });
    expect(search.json().Resources).toEqual([{ schemas: [URN.user], id: 'page-pc', userName: 'page-pc' }]);
    // Changed since: meta.lastModified gt a time before now finds them; after now, none.
    const since = encodeURIComponent(`userName sw "page-" and meta.lastModified gt "${new Date(Date.now() - 3_600_000).toISOString()}"`);
    expect((await scim('root', 'GET', `/Users?filter=${since}`)).json().totalResults).toBe(5);
    const later = encodeURIComponent(`meta.lastModified gt "${new Date(Date.now() + 3_600_000).toISOString()}"`);
    expect((await scim('root', 'GET', `/Users?filter=${later}`)).json().totalResults).toBe(0);
    const bad = expectError(await scim('root', 'GET', `/Users?filter=${encodeURIComponent('userName eq')}`), 400, 'invalidFilter');
    expect(bad.detail).toContain('filter');
    expectError(await scim('root', 'GET', '/Users?sortBy=shoeSize'), 400, 'invalidValue');
    expectError(await scim('root', 'GET', '/Users?startIndex=two'), 400, 'invalidValue');
  });

  it('versions every change, answers 412 on a stale If-Match, and loses no concurrent update', async () => {
    await scim('root', 'POST', '/Users', { userName: 'conc', name: { givenName: 'Con', familyName: 'Current' }, emails: [{ value: 'conc@stateu.edu' }] });
    const v1 = (await scim('root', 'GET', '/Users/conc')).headers.etag as string;
    // A change made elsewhere (the console) changes the version too.
    ok(await lectern.run(SYSTEM, inst, 'user.update', { user: 'conc', firstName: 'Connie' }));
    const got = await scim('root', 'GET', '/Users/conc');
    const v2 = got.headers.etag as string;
    expect(v2).not.toBe(v1);
    expect(got.json().meta.version).toBe(v2);
    expect(Date.parse(got.json().meta.lastModified)).toBeGreaterThanOrEqual(Date.parse(got.json().meta.created));
    const stale = expectError(await scim('root', 'PATCH', '/Users/conc', { schemas: [URN.patch], Operations: [{ op: 'replace', path: 'name.givenName', value: 'X' }] }, { 'if-match': v1 }), 412);
    expect(stale.detail).toContain('read it again');
    expectError(await scim('root', 'PUT', '/Users/conc', { userName: 'conc', name: { givenName: 'Y', familyName: 'Z' }, emails: [{ value: 'conc@stateu.edu' }] }, { 'if-match': v1 }), 412);
    expectError(await scim('root', 'DELETE', '/Users/conc', undefined, { 'if-match': v1 }), 412);
    const fresh = await scim('root', 'PATCH', '/Users/conc', { schemas: [URN.patch], Operations: [{ op: 'replace', path: 'name.givenName', value: 'Cora' }] }, { 'if-match': v2 });
    expect(fresh.statusCode, fresh.body).toBe(200);
    // Two provisioners (two tokens) patch different attributes at once, many times: every change lands.
    for (let i = 0; i < 5; i++) {
      const [a, b] = await Promise.all([
        scim('root', 'PATCH', '/Users/conc', { schemas: [URN.patch], Operations: [{ op: 'replace', path: 'name.givenName', value: `G${i}` }] }),
        scim('ada', 'PATCH', '/Users/conc', { schemas: [URN.patch], Operations: [{ op: 'replace', path: 'name.familyName', value: `F${i}` }] }),
      ]);
      expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
      const u = (await lectern.world(inst))!.user('conc')!;
      expect([u.firstName, u.lastName]).toEqual([`G${i}`, `F${i}`]);
    }
    // Times for a long list are read by kind, not by thousands of parameters: the same answer.
    const many = await auditTimes(store, inst, [...Array.from({ length: 600 }, (_, i) => `user:ghost${i}`), 'user:conc']);
    const few = await auditTimes(store, inst, ['user:conc']);
    expect(many.get('user:conc')).toEqual(few.get('user:conc'));
    expect(many.get('user:conc')!.lastModified.getTime()).toBeGreaterThan(many.get('user:conc')!.created.getTime());
    // Two provisioners with the same If-Match: one wins, the other is told 412.
    const v = (await scim('root', 'GET', '/Users/conc')).headers.etag as string;
    const both = await Promise.all(['root', 'ada'].map((n) => scim(n, 'PATCH', '/Users/conc', { schemas: [URN.patch], Operations: [{ op: 'replace', path: 'name.givenName', value: n }] }, { 'if-match': v })));
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 412]);
  });

  it('runs Bulk operations each on its own, resolving bulkId references', async () => {
    const r = await scim('root', 'POST', '/Bulk', {
      schemas: [URN.bulkRequest],
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'k1', data: { userName: 'bulk1', name: { givenName: 'B', familyName: 'One' }, emails: [{ value: 'bulk1@stateu.edu' }] } },
        { method: 'POST', path: '/Users', bulkId: 'k2', data: { userName: 'bulk1', name: { givenName: 'B', familyName: 'Dup' }, emails: [{ value: 'bulk1b@stateu.edu' }] } },
        { method: 'POST', path: '/Groups', bulkId: 'g1', data: { displayName: 'scheduler@science', members: [{ value: 'bulkId:k1' }] } },
        { method: 'PATCH', path: '/Users/bulkId:k1', data: { Operations: [{ op: 'replace', path: 'active', value: false }] } },
        { method: 'DELETE', path: '/Users/bulkId:k2' },
      ],
    });
    expect(r.statusCode, r.body).toBe(200);
    const ops = r.json().Operations as Json[];
    expect(ops.map((o) => o.status), JSON.stringify(ops)).toEqual(['201', '409', '201', '200', '409']);
    expect(ops[1]!.response.scimType).toBe('uniqueness');
    const w = (await lectern.world(inst))!;
    expect(w.user('bulk1')!.status).toBe('deactivated');
    expect(w.grantsOf('bulk1').map((g) => g.role)).toEqual(['scheduler']);
    const stop = (await scim('root', 'POST', '/Bulk', { failOnErrors: 1, Operations: [{ method: 'DELETE', path: '/Users/nobody' }, { method: 'DELETE', path: '/Users/bulk1' }] })).json();
    expect(stop.Operations.map((o: Json) => o.status)).toEqual(['404']);
    expect((await lectern.world(inst))!.user('bulk1')).toBeDefined();
  });
});
