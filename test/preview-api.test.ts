/**
 * POST /v1/preview over app.inject(): a toggle at a unit counted and listed, authorized like the
 * operation (a unit admin may preview only within their unit; a student sees the refusal), nothing
 * written (the revision and the answers stay), paging, notes on locks below, unknown operations,
 * and the route in the OpenAPI document.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { SYSTEM } from '../src/policy/index.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, ok, openTestStore, smallInstitution } from './helpers.js';

describe.each(DRIVERS)('POST /v1/preview (%s)', (driver) => {
  let store: Store;
  let app: FastifyInstance;
  let lectern: Lectern;
  let inst: string;
  const as: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
    const auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    const run = async (op: string, args: Record<string, unknown>) => ok(await lectern.run(SYSTEM, inst, op, args));
    // Physics (under Science) has a section with two students and a lecture; Arts one with a third.
    await run('term.create', { id: 'fall', unit: inst, name: 'Fall', start: '2026-09-01', end: '2026-12-20' });
    for (const [unit, c, s] of [['physics', 'phys101', 'phys101-a'], ['arts', 'art101', 'art101-a']] as const) {
      await run('course.create', { id: c, unit, name: c });
      await run('section.create', { id: s, course: c, term: 'fall', name: s });
      await run('class.create', { id: `${s}-1`, section: s, name: 'Week 1' });
    }
    for (const u of ['amy', 'bob', 'cat', 'ian']) await run('user.create', { id: u, email: `${u}@example.edu`, firstName: u, lastName: 'Test' });
    await run('role.grant', { user: 'ian', role: 'academic_staff', scope: 'physics' });
    await run('section.enroll', { section: 'phys101-a', user: 'ian', role: 'instructor' });
    await run('section.enroll', { section: 'phys101-a', user: 'amy', role: 'student' });
    await run('section.enroll', { section: 'phys101-a', user: 'bob', role: 'student' });
    await run('section.enroll', { section: 'art101-a', user: 'cat', role: 'student' });
    await run('media.create', { id: 'lec1', owner: 'ian', title: 'Lecture 1' });
    await run('media.publish', { media: 'lec1', class: 'phys101-a-1', by: 'ian' });
    await run('settings.set', { scope: 'physics', key: 'qa', value: 'off', allowsOverride: false });
    for (const u of ['root', 'ada', 'stu']) as[u] = { authorization: `Bearer ${(await auth.createToken(inst, u, 'test')).token}` };
    app = buildApp({ lectern, auth });
    await app.ready();
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const call = (who: string, payload: object) => app.inject({ method: 'POST', url: '/v1/preview', headers: as[who], payload });
  const downloadsOff = { do: 'settings.set', with: { scope: 'science', key: 'downloads', value: 'off' }, at: '2026-10-15' };

  it('counts and lists who loses downloads when they are turned off at Science, and writes nothing', async () => {
    const before = (await lectern.world(inst))!.revision;
    const res = await call('ada', downloadsOff);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ status: 'ok', revision: before, changes: 1 });
    const video = body.impact.find((i: { capability: string }) => i.capability === 'media.download:video');
    expect(video).toEqual({ capability: 'media.download:video', action: 'media.download', type: 'media', gained: { users: 0, objects: 0, pairs: 0, sections: 0 }, lost: { users: 2, objects: 1, pairs: 2, sections: 1 } });
    const lost = body.items.filter((i: { capability: string }) => i.capability === 'media.download:video').map((i: { user: string }) => i.user).sort();
    expect(lost).toEqual(['amy', 'bob']);
    expect(body.items.every((i: { change: string; object: string }) => i.change === 'loss' && i.object === 'media:lec1')).toBe(true);
    expect(body.notes.find((n: { code: string }) => n.code === 'locksBelow').message).toMatch(/locks below it: none/);
    // Nothing written: same revision, and amy still downloads.
    expect((await lectern.world(inst))!.revision).toBe(before);
    const still = lectern.check((await lectern.world(inst))!, lectern.principal(inst, 'amy'), 'media.download', 'media:lec1', { format: 'video', at: '2026-10-15' });
    expect(still.allow).toBe(true);
  });

  it('names the locks below a changed unit', async () => {
    const body = (await call('root', { do: 'settings.set', with: { scope: inst, key: 'qa', value: 'on' } })).json();
    expect(body.status).toBe('ok');
    expect(body.notes.find((n: { code: string }) => n.code === 'locksBelow').message).toMatch(/locks below it: unit Physics/);
  });

  it('is authorized like the operation: a refusal, with its reason, and nothing else', async () => {
    const arts = (await call('ada', { do: 'settings.set', with: { scope: 'arts', key: 'downloads', value: 'off' } })).json();
    expect(arts).toMatchObject({ status: 'refused', refusal: { status: 'denied' } });
    expect(arts.refusal.reasons.join(' ')).toMatch(/Arts/);
    expect(arts.items).toBeUndefined();
    const student = (await call('stu', downloadsOff)).json();
    expect(student).toMatchObject({ status: 'refused', refusal: { status: 'denied' } });
    const locked = (await call('root', { do: 'settings.set', with: { scope: 'section:phys101-a', key: 'qa', value: 'on' } })).json();
    expect(locked).toMatchObject({ status: 'refused', refusal: { status: 'conflict', code: 'lockedAbove', field: 'key' } });
    const invalid = (await call('root', { do: 'settings.set', with: { scope: 'science', key: 'coffee', value: 'on' } })).json();
    expect(invalid).toMatchObject({ status: 'refused', refusal: { status: 'invalid', field: 'key' } });
  });

  it('previews a role grant, a unit move and delegated administration', async () => {
    const grant = (await call('root', { do: 'role.grant', with: { user: 'stu', role: 'admin', scope: 'physics' } })).json();
    expect(grant.status).toBe('ok');
    expect(grant.items.some((i: { user: string; capability: string; object: string; change: string }) => i.user === 'stu' && i.capability === 'media.view' && i.object === 'media:lec1' && i.change === 'gain')).toBe(true);
    const move = (await call('root', { do: 'unit.update', with: { unit: 'physics', parent: 'arts' } })).json();
    expect(move.status).toBe('ok');
    // ada (admin of Science) would lose Physics and what is in it.
    expect(move.items.some((i: { user: string; change: string; object: string }) => i.user === 'ada' && i.change === 'loss' && i.object === 'unit:physics')).toBe(true);
    expect(move.notes.map((n: { code: string }) => n.code)).toContain('move');
    const da = (await call('root', { do: 'institution.configure', with: { delegatedAdministration: true } })).json();
    expect(da.status).toBe('ok');
    expect(da.notes.map((n: { code: string }) => n.code)).toContain('delegatedAdministration');
  });

  it('pages the list and rejects what it cannot preview', async () => {
    const all = (await call('root', { ...downloadsOff, limit: 1000 })).json();
    const first = (await call('root', { ...downloadsOff, limit: 1 })).json();
    const second = (await call('root', { ...downloadsOff, limit: 1, offset: 1 })).json();
    expect(all.total).toBeGreaterThanOrEqual(2);
    expect([first.items[0], second.items[0]]).toEqual(all.items.slice(0, 2));
    expect(first).toMatchObject({ total: all.total, limit: 1, offset: 0 });
    const unknown = await call('root', { do: 'coffee.make', with: {} });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'unknownOperation', field: 'do' });
    const create = await call('root', { do: 'institution.create', with: { id: 'x', name: 'X' } });
    expect(create.statusCode).toBe(400);
    expect(create.json()).toMatchObject({ code: 'notPreviewable', field: 'do' });
    const badTime = (await call('root', { ...downloadsOff, at: 'yesterday-ish' })).json();
    expect(badTime).toMatchObject({ status: 'refused', refusal: { field: 'at' } });
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.paths['/v1/preview'].post.summary).toMatch(/what would change/);
  });
});
