/**
 * Custom roles and institution role names (docs/ROLES.md) through the services and over HTTP, on
 * each driver: defining, changing, deleting, granting and revoking custom roles, with their
 * refusals (which change nothing), the rows surviving a reload from the store, what a holder may
 * do, GET /v1/roles, and renamed roles in reasons and in the role listing.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import type { Outcome } from '../src/domain/outcome.js';
import { decide, SYSTEM, type Principal } from '../src/policy/index.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { World } from '../src/world/world.js';
import { Readable } from 'node:stream';
import { exportCsv, importCsv } from '../src/services/imports/csv.js';
import { roleGrantKind } from '../src/services/imports/kinds.js';
import type { RowResult } from '../src/services/lectern.js';
import { DRIVERS, ok, openTestStore, smallInstitution } from './helpers.js';

type Json = Record<string, unknown>;

describe.each(DRIVERS)('custom roles (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  let app: FastifyInstance;
  let inst: string;
  const as: Record<string, Record<string, string>> = {};
  const who = (userId: string): Principal => ({ kind: 'user', institutionId: inst, userId, systemAdmin: false });
  const run = (user: string, op: string, args: Record<string, unknown>): Promise<Outcome> => lectern.run(user === 'system' ? SYSTEM : who(user), inst, op, args);
  const world = async () => (await lectern.world(inst))!;

  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
    const auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    const sys = (op: string, args: Record<string, unknown>) => lectern.run(SYSTEM, inst, op, args).then(ok);
    await sys('unit.create', { id: 'chemistry', parent: 'science', name: 'Chemistry' });
    for (const u of ['ins', 'cap', 'mon', 'chad', 'coord', 'stu2']) await sys('user.create', { id: u, email: `${u}@example.edu`, firstName: u, lastName: 'Test' });
    await sys('role.grant', { user: 'ins', role: 'academic_staff', scope: 'physics' });
    await sys('role.grant', { user: 'chad', role: 'admin', scope: 'chemistry' });
    await sys('term.create', { id: 't1', start: '2026-01-05', end: '2026-06-30', name: 'Spring 2026' });
    await sys('course.create', { id: 'phys101', unit: 'physics', name: 'Mechanics' });
    await sys('course.create', { id: 'chem101', unit: 'chemistry', name: 'Reactions' });
    await sys('section.create', { id: 'sec1', course: 'phys101', term: 't1' });
    await sys('section.create', { id: 'sec2', course: 'phys101', term: 't1' });
    await sys('section.create', { id: 'csec', course: 'chem101', term: 't1' });
    await sys('section.enroll', { section: 'sec1', user: 'ins', role: 'instructor' });
    await sys('section.enroll', { section: 'sec1', user: 'stu', role: 'student' });
    await sys('class.create', { id: 'c1', section: 'sec1', name: 'Week 1' });
    await sys('class.create', { id: 'c2', section: 'sec2', name: 'Week 1' });
    await sys('class.create', { id: 'cc', section: 'csec', name: 'Week 1' });
    for (const [m, c] of [['m1', 'c1'], ['m2', 'c2'], ['mc', 'cc']] as const) {
      await sys('media.create', { id: m, owner: 'ins', title: m });
      await sys('media.publish', { media: m, class: c, by: 'ins' });
    }
    for (const u of ['root', 'ada', 'stu', 'cap', 'mon', 'chad']) as[u] = { authorization: `Bearer ${(await auth.createToken(inst, u, 'test')).token}` };
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  /** Runs `op` expecting a refusal, and shows that nothing changed: same revision, same world. */
  async function refused(user: string, op: string, args: Record<string, unknown>, status: string, words?: RegExp): Promise<Outcome> {
    const before = await world();
    const revision = before.revision;
    const snap = JSON.stringify(before.snapshot());
    const o = await run(user, op, args);
    expect(o.status, JSON.stringify(o)).toBe(status);
    if (words && o.status !== 'ok') expect([o.message, ...(o.reasons ?? [])].join(' | ')).toMatch(words);
    const after = await world();
    expect(after.revision).toBe(revision);
    expect(JSON.stringify(after.snapshot())).toBe(snap);
    return o;
  }

  it('defines a role an admin of its home unit holds, and refuses the rest in words', async () => {
    ok(await run('ada', 'role.define', { id: 'captioner', name: 'Captioning assistant', unit: 'science', description: 'Fixes transcripts', capabilities: ['media.view', 'media.editTranscripts'] }));
    const w = await world();
    expect(w.customRole('captioner')).toMatchObject({ name: 'Captioning assistant', scopeKind: 'unit', unitId: 'science' });
    expect(w.capabilitiesOf('captioner')).toEqual([{ action: 'media.view' }, { action: 'media.editTranscripts' }]);
    await refused('chad', 'role.define', { id: 'x1', name: 'X1', unit: 'science', capabilities: ['media.view'] }, 'denied', /admin rights only at Chemistry/);
    await refused('ada', 'role.define', { id: 'x2', name: 'X2', capabilities: ['media.view'] }, 'denied');
    await refused('root', 'role.define', { id: 'x3', name: 'X3', capabilities: ['platform.logs'] }, 'denied', /platform\.logs belongs to the platform/);
    await refused('root', 'role.define', { id: 'x4', name: 'X4', capabilities: ['institution.create'] }, 'denied', /never in a custom role/);
    await refused('root', 'role.define', { id: 'x5', name: 'X5', capabilities: ['role.define'] }, 'denied', /never defines or changes roles/);
    await refused('root', 'role.define', { id: 'x6', name: 'X6', capabilities: ['role.grant role=system_admin'] }, 'denied', /granting system admin/);
    const bad = await refused('root', 'role.define', { id: 'x7', name: 'X7', capabilities: ['media.view', 'media.teleport'] }, 'invalid');
    expect(bad).toMatchObject({ field: 'capabilities' });
    expect(bad.status !== 'ok' && bad.message).toMatch(/item 2: 'media.teleport' is not an action/);
    await refused('root', 'role.define', { id: 'x8', name: 'X8', capabilities: 'media.view' }, 'invalid', /must be a list/);
    await refused('root', 'role.define', { id: 'admin', name: 'Boss', capabilities: ['media.view'] }, 'invalid', /built-in role/);
    await refused('root', 'role.define', { id: 'captioner', name: 'Other', capabilities: ['media.view'] }, 'conflict', /already exists/);
    await refused('root', 'role.define', { id: 'x9', name: 'captioning ASSISTANT', capabilities: ['media.view'] }, 'conflict', /already named/);
    await refused('stu', 'role.define', { id: 'x10', name: 'X10', unit: 'physics', capabilities: ['media.view'] }, 'denied');
  });

  it('grants a custom role within its home unit to a holder who then has exactly its capabilities', async () => {
    ok(await run('ada', 'role.grant', { user: 'cap', role: 'captioner', scope: 'physics' }));
    const w = await world();
    expect(w.customGrantsOf('cap')).toEqual([{ institutionId: inst, userId: 'cap', roleId: 'captioner', scopeType: 'unit', scopeId: 'physics' }]);
    const d = decide(w, who('cap'), 'media.editTranscripts', 'media:m1');
    expect(d.allow).toBe(true);
    expect(d.reasons[0]).toMatch(/cap holds the custom role Captioning assistant at unit Physics, which carries media.editTranscripts/);
    expect(decide(w, who('cap'), 'media.editTranscripts', 'media:mc').allow).toBe(false); // chemistry
    expect(decide(w, who('cap'), 'media.edit', 'media:m1').allow).toBe(false);
    expect(decide(w, who('cap'), 'media.delete', 'media:m1').allow).toBe(false);
    // Operations agree with the checks.
    await refused('cap', 'media.edit', { media: 'm1' }, 'denied');
    // Grants stay within the home unit, by someone who administers the scope.
    await refused('ada', 'role.grant', { user: 'stu2', role: 'captioner', scope: 'arts' }, 'invalid', /defined at Science and is granted only within it/);
    await refused('chad', 'role.grant', { user: 'stu2', role: 'captioner', scope: 'physics' }, 'denied', /may not grant roles at unit Physics/);
    await refused('cap', 'role.grant', { user: 'stu2', role: 'captioner', scope: 'physics' }, 'denied');
    await refused('ada', 'role.grant', { user: 'stu2', role: 'captioner', scope: 'section:sec1' }, 'invalid', /granted at an org unit, not a section/);
  });

  it('a section role reaches its section only; a narrowed capability only matching checks', async () => {
    ok(await run('root', 'role.define', { id: 'monitor', name: 'Exam monitor', scope: 'section', capabilities: ['section.view', 'media.view'] }));
    ok(await run('root', 'role.define', { id: 'listener', name: 'Audio listener', capabilities: ['media.view', { action: 'media.download', narrow: { format: 'audio' } }] }));
    await refused('ada', 'role.grant', { user: 'mon', role: 'monitor' }, 'invalid', /section role/);
    await refused('chad', 'role.grant', { user: 'mon', role: 'monitor', scope: 'section:sec1' }, 'denied');
    ok(await run('ada', 'role.grant', { user: 'mon', role: 'monitor', scope: 'section:sec1' }));
    ok(await run('root', 'role.grant', { user: 'stu2', role: 'listener', scope: 'physics' }));
    const w = await world();
    expect(decide(w, who('mon'), 'media.view', 'media:m1').allow).toBe(true);
    expect(decide(w, who('mon'), 'section.view', 'section:sec1').allow).toBe(true);
    expect(decide(w, who('mon'), 'media.view', 'media:m2').allow).toBe(false);
    expect(decide(w, who('mon'), 'media.download', 'media:m1', { format: 'audio' }).allow).toBe(false);
    expect(decide(w, who('stu2'), 'media.download', 'media:m1', { format: 'audio' }).allow).toBe(true);
    expect(decide(w, who('stu2'), 'media.download', 'media:m1', { format: 'video' }).allow).toBe(false);
    expect(decide(w, who('stu2'), 'media.download', 'media:mc', { format: 'audio' }).allow).toBe(false);
  });

  it('a lock binds a holder as it binds admins: a conflict, not an allow', async () => {
    ok(await run('system', 'media.create', { id: 'mh', owner: 'ins', title: 'Homework' }));
    ok(await run('system', 'media.publish', { media: 'mh', class: 'c1', by: 'ins' }));
    ok(await run('ins', 'media.post', { media: 'mh', to: 'lmsHomework' }));
    const w = await world();
    expect(w.media('mh')!.locked).toBe(true);
    const d = decide(w, who('cap'), 'media.editTranscripts', 'media:mh');
    expect(d).toMatchObject({ allow: false, conflict: 'locked' });
    // The operation answers as the check does: a role carrying media.edit meets the lock as a conflict.
    ok(await run('ada', 'role.define', { id: 'fixer', name: 'Fixer', unit: 'physics', capabilities: ['media.edit'] }));
    ok(await run('ada', 'role.grant', { user: 'coord', role: 'fixer', scope: 'physics' }));
    ok(await run('coord', 'media.edit', { media: 'm1' }));
    await refused('coord', 'media.edit', { media: 'mh' }, 'conflict', /locked/);
  });

  it('changes a role only when no holder gains what the changer could not grant', async () => {
    await refused('chad', 'role.update', { role: 'captioner', capabilities: ['media.view', 'media.editTranscripts', 'media.download'] }, 'denied');
    ok(await run('ada', 'role.update', { role: 'captioner', capabilities: ['media.view', 'media.editTranscripts', 'media.download'] }));
    expect(decide(await world(), who('cap'), 'media.download', 'media:m1').allow).toBe(true);
    // A holder sitting outside what the changer administers: a root role held in arts, changed by ada.
    ok(await run('root', 'role.define', { id: 'artsy', name: 'Arts helper', capabilities: ['media.view'] }));
    ok(await run('root', 'role.grant', { user: 'stu2', role: 'artsy', scope: 'arts' }));
    await refused('ada', 'role.update', { role: 'artsy', capabilities: ['media.view', 'media.edit'] }, 'denied'); // not admin of its home (the root)
    // The rule itself: move physics (with cap's grant) out of science; ada, admin of science, may no longer widen captioner for cap.
    ok(await run('root', 'unit.update', { unit: 'physics', parent: inst }));
    const o = await refused('ada', 'role.update', { role: 'captioner', capabilities: ['media.view', 'media.editTranscripts', 'media.download', 'media.copy'] }, 'denied');
    expect(o.status !== 'ok' && o.reasons?.join(' ')).toMatch(/cap holds Captioning assistant at unit Physics and would gain media.copy/);
    ok(await run('ada', 'role.update', { role: 'captioner', capabilities: ['media.view', 'media.editTranscripts'] })); // taking away is always allowed
    ok(await run('root', 'unit.update', { unit: 'physics', parent: 'science' }));
  });

  it('revokes and deletes, taking grants along; deleting a user takes their custom grants', async () => {
    ok(await run('root', 'role.grant', { user: 'stu2', role: 'captioner', scope: 'science' }));
    await refused('chad', 'role.revoke', { user: 'stu2', role: 'captioner', scope: 'science' }, 'denied');
    ok(await run('ada', 'role.revoke', { user: 'stu2', role: 'captioner', scope: 'science' }));
    await refused('ada', 'role.revoke', { user: 'stu2', role: 'captioner', scope: 'science' }, 'notFound');
    await refused('chad', 'role.delete', { role: 'captioner' }, 'denied');
    ok(await run('root', 'user.create', { id: 'gone', email: 'gone@example.edu', firstName: 'Gone', lastName: 'Soon' }));
    ok(await run('root', 'role.grant', { user: 'gone', role: 'artsy', scope: 'arts' }));
    ok(await run('root', 'user.delete', { user: 'gone' }));
    expect((await world()).customGrantsOf('gone')).toBeUndefined();
    ok(await run('root', 'role.delete', { role: 'artsy' }));
    const w = await world();
    expect(w.customRole('artsy')).toBeUndefined();
    expect(w.customGrantsOf('stu2')?.some((g) => g.roleId === 'artsy')).toBe(false);
    // What the world holds is what the store holds.
    const loaded = (await store.loadInstitution(inst))!;
    const rebuilt = World.build(inst, loaded.revision, loaded.changes);
    expect(JSON.stringify(rebuilt.snapshot())).toBe(JSON.stringify(w.snapshot()));
    expect(rebuilt.customRole('captioner')).toBeDefined();
    expect(rebuilt.capabilitiesOf('listener')).toEqual([{ action: 'media.view' }, { action: 'media.download', narrow: { format: 'audio' } }]);
  });

  it('a holder who may grant passes on only what they hold themselves (no chain escalates)', async () => {
    ok(await run('ada', 'role.define', { id: 'granter', name: 'Granter', unit: 'science', capabilities: ['role.grant', 'media.view'] }));
    ok(await run('ada', 'role.define', { id: 'looker', name: 'Looker', unit: 'science', capabilities: ['media.view'] }));
    ok(await run('ada', 'role.grant', { user: 'mon', role: 'granter', scope: 'physics' }));
    // captioner carries media.editTranscripts, which mon does not hold
    await refused('mon', 'role.grant', { user: 'stu2', role: 'captioner', scope: 'physics' }, 'denied', /mon does not hold media.editTranscripts at unit Physics/);
    await refused('mon', 'role.grant', { user: 'stu2', role: 'looker', scope: 'science' }, 'denied'); // above where mon holds it
    ok(await run('mon', 'role.grant', { user: 'stu2', role: 'looker', scope: 'physics' }));
    ok(await run('mon', 'role.revoke', { user: 'stu2', role: 'looker', scope: 'physics' }));
    await refused('mon', 'role.grant', { user: 'ins', role: 'looker', scope: 'physics' }, 'denied', /holds a staff role/);
    ok(await run('ada', 'role.revoke', { user: 'mon', role: 'granter' }));
  });

  it('the role grants CSV takes a custom role id, refuses row by row as role.grant would, and exports names', async () => {
    const csv = 'User,Role,Scope\r\nstu,listener,arts\r\nstu,monitor,section:sec2\r\nstu,listener,nowhere\r\n';
    const rows = async (p: Principal) => {
      const out: RowResult[] = [];
      for await (const b of importCsv(lectern, p, inst, roleGrantKind, Readable.from([csv]))) out.push(...b);
      return out.map((r) => r.status);
    };
    expect(await rows(who('chad'))).toEqual(['denied', 'denied', 'invalid']);
    expect(await rows(who('root'))).toEqual(['ok', 'ok', 'invalid']);
    const w = await world();
    expect(w.customGrantsOf('stu')?.map((g) => `${g.roleId}@${g.scopeId}`).sort()).toEqual(['listener@arts', 'monitor@sec2']);
    const text = [...exportCsv(roleGrantKind, w, who('root'))].join('');
    expect(text).toContain('\r\n,stu,listener,arts,Audio listener\r\n');
    expect(text).toContain('\r\n,stu,monitor,section:sec2,Exam monitor\r\n');
    // Read back, it changes nothing.
    const again: RowResult[] = [];
    for await (const b of importCsv(lectern, who('root'), inst, roleGrantKind, Readable.from([text]))) again.push(...b);
    expect(again.every((r) => r.status === 'ok' && !r.changed)).toBe(true);
    ok(await run('root', 'role.revoke', { user: 'stu', role: 'listener' }));
    ok(await run('root', 'role.revoke', { user: 'stu', role: 'monitor' }));
  });

  it('GET /v1/roles lists built-in and custom roles with capabilities and scope kind, for admins', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/roles', headers: as.ada });
    expect(r.statusCode).toBe(200);
    const items = (r.json() as { items: Json[] }).items;
    const byId = (id: string, kind?: string) => items.find((x) => x.id === id && (kind === undefined || x.kind === kind));
    expect(byId('admin')).toMatchObject({ kind: 'staff', scopeKind: 'unit' });
    expect(byId('instructor')).toMatchObject({ kind: 'section', scopeKind: 'section' });
    expect((byId('instructor')!.capabilities as string[])).toContain('media.publish');
    expect(byId('captioner')).toMatchObject({ kind: 'custom', scopeKind: 'unit', label: 'Captioning assistant', unit: 'science', capabilities: ['media.view', 'media.editTranscripts'], holders: 1 });
    expect(byId('listener')).toMatchObject({ capabilities: ['media.view', 'media.download format=audio'] });
    expect((await app.inject({ method: 'GET', url: '/v1/roles', headers: as.stu })).statusCode).toBe(403);
    const one = await app.inject({ method: 'GET', url: '/v1/roles/captioner', headers: as.ada });
    expect(one.json()).toMatchObject({ holders: [{ user: 'cap', scope: 'physics' }] });
    // Define, change and delete over HTTP.
    const created = await app.inject({ method: 'POST', url: '/v1/roles', headers: as.ada, payload: { id: 'viewer2', name: 'Viewer two', unit: 'physics', capabilities: ['media.view'] } });
    expect(created.statusCode).toBe(201);
    const denied = await app.inject({ method: 'PATCH', url: '/v1/roles/viewer2', headers: as.chad, payload: { capabilities: ['media.view', 'media.edit'] } });
    expect(denied.statusCode).toBe(403);
    expect((await app.inject({ method: 'PATCH', url: '/v1/roles/viewer2', headers: as.ada, payload: { description: 'Views physics media' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: '/v1/roles/viewer2', headers: as.ada })).statusCode).toBe(200);
    const granted = await app.inject({ method: 'POST', url: '/v1/users/stu/roles', headers: as.ada, payload: { role: 'captioner', scope: 'physics' } });
    expect(granted.statusCode).toBe(201);
    const user = await app.inject({ method: 'GET', url: '/v1/users/stu', headers: as.ada });
    expect((user.json() as { user: { roles: Json[] } }).user.roles).toContainEqual({ role: 'captioner', scope: 'physics', name: 'Captioning assistant' });
  });

  it('renames roles for display: reasons and the listing use the names, ids stay', async () => {
    await refused('ada', 'institution.renameRoles', { names: { instructor: 'Lecturer' } }, 'denied', /renamed only by an admin of the root/);
    await refused('root', 'institution.renameRoles', { names: { teacher: 'Lecturer' } }, 'invalid', /'teacher' is not a built-in role/);
    await refused('root', 'institution.renameRoles', { names: { instructor: 'Lec\u0000turer' } }, 'invalid');
    ok(await run('root', 'institution.renameRoles', { names: { instructor: 'Lecturer', academic_staff: 'Faculty member', 'collection.editor': 'Co-editor' } }));
    const w = await world();
    const d = decide(w, who('ins'), 'media.editDetails', 'media:m1');
    expect(d.allow).toBe(true);
    const d2 = decide(w, who('stu'), 'section.settings', 'section:sec1');
    expect(d2.reasons.join(' ')).toMatch(/stu is a student in section sec1/);
    const d3 = decide(w, who('ins'), 'section.settings', 'section:sec1');
    expect(d3.reasons.join(' ')).toMatch(/ins is a Lecturer in section sec1/);
    const d4 = decide(w, who('chad'), 'role.grant', 'user:stu2', { role: 'academic_staff', scope: 'physics' });
    expect(d4.allow).toBe(false);
    const refusal = await refused('ada', 'role.grant', { user: 'stu2', role: 'license_manager', scope: 'physics' }, 'invalid');
    expect(refusal.status !== 'ok' && refusal.message).toMatch(/license manager is granted only at the institution root/);
    const missing = await refused('ada', 'role.revoke', { user: 'stu2', role: 'academic_staff', scope: 'physics' }, 'notFound');
    expect(missing.status !== 'ok' && missing.message).toMatch(/Faculty member at unit Physics/);
    ok(await run('ada', 'role.grant', { user: 'stu2', role: 'academic_staff', scope: 'physics' })); // the id still works
    const r = await app.inject({ method: 'GET', url: '/v1/roles', headers: as.ada });
    const items = (r.json() as { items: Json[] }).items;
    expect(items.find((x) => x.id === 'instructor')).toMatchObject({ label: 'Lecturer', builtInLabel: 'instructor' });
    expect(items.find((x) => x.id === 'editor' && x.kind === 'collection')).toMatchObject({ label: 'Co-editor' });
    expect(items.find((x) => x.id === 'editor' && x.kind === 'library')).toMatchObject({ label: 'editor' });
    ok(await run('root', 'institution.renameRoles', { names: { instructor: '' } }));
    expect(decide(await world(), who('ins'), 'section.settings', 'section:sec1').reasons.join(' ')).toMatch(/ins is an instructor in section sec1/);
  });
});
