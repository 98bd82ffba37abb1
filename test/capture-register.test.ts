/**
 * A schedule's capture (issue 20): registered through POST /v1/schedules/:id/captures, it is owned
 * and presented by the schedule's presenter and published in a system class of the schedule's
 * section — whatever the caller would have liked — and a refused registration writes nothing.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { SYSTEM } from '../src/policy/index.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, ok, openTestStore, smallInstitution } from './helpers.js';

describe.each(DRIVERS)('capture registration (%s)', (driver) => {
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
    for (const u of ['ins', 'gp', 'sch']) await run('user.create', { id: u, email: `${u}@example.edu`, firstName: u, lastName: 'Test' });
    await run('role.grant', { user: 'ins', role: 'academic_staff', scope: 'physics' });
    await run('role.grant', { user: 'gp', role: 'academic_staff', scope: 'science' });
    await run('role.grant', { user: 'sch', role: 'scheduler', scope: 'science' });
    await run('term.create', { id: 't1', start: '2026-01-05', end: '2026-06-30' });
    await run('course.create', { id: 'phys101', unit: 'physics' });
    await run('section.create', { id: 'sec1', course: 'phys101', term: 't1' });
    await run('section.enroll', { section: 'sec1', user: 'ins', role: 'instructor' });
    await run('section.enroll', { section: 'sec1', user: 'gp', role: 'guest_presenter' });
    await run('schedule.create', { id: 'lec', section: 'sec1', presenter: 'ins', name: 'Lectures' });
    await run('schedule.create', { id: 'guest', section: 'sec1', presenter: 'gp', name: 'Guest talks' });
    app = buildApp({ lectern, auth });
    for (const u of ['ada', 'sch', 'ins']) as[u] = { authorization: `Bearer ${(await auth.createToken(inst, u, 'test')).token}` };
  });

  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const post = (who: string, schedule: string, payload: object) => app.inject({ method: 'POST', url: `/v1/schedules/${schedule}/captures`, headers: as[who], payload });

  it('makes the schedule’s presenter the owner and publishes in a new system class of its section', async () => {
    const r = await post('ada', 'lec', { media: 'cap1', title: 'Lecture 1' });
    expect(r.statusCode).toBe(201);
    expect(r.json().result).toEqual({ media: 'cap1', owner: 'ins', schedule: 'lec', class: 'cap1' });
    const w = (await lectern.refresh(inst))!;
    expect(w.media('cap1')).toMatchObject({ ownerId: 'ins', presenterId: 'ins', origin: 'scheduled', title: 'Lecture 1', libraryId: null });
    expect(w.class('cap1')).toMatchObject({ sectionId: 'sec1', kind: 'system', name: 'Lecture 1' });
    expect(w.publicationsOf('cap1')).toEqual([expect.objectContaining({ classId: 'cap1', publishedBy: 'ins' })]);
    // A guest presenter's schedule: theirs, and they view it.
    expect((await post('ada', 'guest', { media: 'cap2', class: 'cap1' })).statusCode).toBe(201);
    const w2 = (await lectern.refresh(inst))!;
    expect(w2.media('cap2')).toMatchObject({ ownerId: 'gp', presenterId: 'gp' });
    expect(lectern.check(w2, lectern.principal(inst, 'gp'), 'media.view', 'media:cap2', {}).allow).toBe(true);
  });

  it('refuses an owner from the caller, and the wrong people, and writes nothing when it refuses', async () => {
    const before = (await lectern.refresh(inst))!.revision;
    expect((await post('ada', 'lec', { media: 'cap3', owner: 'ada' })).statusCode).toBe(400);
    const denied = await post('sch', 'lec', { media: 'cap3' });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().reasons.join(' ')).toMatch(/capture service or an admin/);
    expect((await post('ins', 'lec', { media: 'cap3' })).statusCode).toBe(403);
    expect((await post('ada', 'lec', { media: 'cap1' })).json()).toMatchObject({ code: 'duplicateId', field: 'media' });
    expect((await post('ada', 'nope', { media: 'cap3' })).statusCode).toBe(404);
    // Only a system class of the section holds a capture.
    ok(await lectern.run(SYSTEM, inst, 'class.create', { id: 'notes', section: 'sec1', name: 'Notes' }));
    expect((await post('ada', 'lec', { media: 'cap3', class: 'notes' })).json()).toMatchObject({ code: 'notSystemClass', field: 'class' });
    const w = (await lectern.refresh(inst))!;
    expect(w.revision).toBe(before + 1); // only the class made above
    expect(w.media('cap3')).toBeUndefined();
  });
});
