/**
 * Teaching, settings, media, facilities and lookups over HTTP (app.inject): each route family on
 * its happy path and its refusals (400 naming the field, 403, 404, 409), toggles with their
 * effective value and lock source, and the lookups and media abilities against POST /v1/checks.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { SYSTEM } from '../src/policy/index.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, ok, openTestStore, smallInstitution } from './helpers.js';

type Json = Record<string, unknown> & { items: Record<string, unknown>[] };
const MEDIA_ACTIONS = ['view', 'edit', 'editDetails', 'editTranscripts', 'delete', 'download', 'copy', 'share', 'post'] as const;

describe.each(DRIVERS)('teaching and media API (%s)', (driver) => {
  let store: Store;
  let app: FastifyInstance;
  let inst: string;
  const as: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    store = await openTestStore(driver);
    const lectern = new Lectern(store);
    const auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    const run = (op: string, args: Record<string, unknown>) => lectern.run(SYSTEM, inst, op, args).then(ok);
    for (const u of ['ins', 'ta', 'sch', 'out', 'av']) await run('user.create', { id: u, email: `${u}@example.edu`, firstName: u, lastName: 'Test' });
    await run('role.grant', { user: 'ins', role: 'academic_staff', scope: 'physics' });
    await run('role.grant', { user: 'ta', role: 'academic_staff', scope: 'physics' });
    await run('role.grant', { user: 'sch', role: 'scheduler', scope: 'science' });
    await run('role.grant', { user: 'av', role: 'av_technician' });
    await run('term.create', { id: 't1', start: '2026-01-05', end: '2026-06-30', name: 'Spring 2026' });
    await run('course.create', { id: 'phys101', unit: 'physics', name: 'Mechanics' });
    await run('course.create', { id: 'art1', unit: 'arts', name: 'Drawing' });
    for (const s of ['sec1', 'sec2']) await run('section.create', { id: s, course: 'phys101', term: 't1' });
    await run('section.create', { id: 'draw1', course: 'art1', term: 't1' });
    await run('section.enroll', { section: 'sec1', user: 'ins', role: 'instructor' });
    await run('section.enroll', { section: 'sec1', user: 'ta', role: 'teaching_assistant' });
    await run('section.enroll', { section: 'sec1', user: 'stu', role: 'student' });
    await run('section.enroll', { section: 'sec2', user: 'ins', role: 'instructor' });
    await run('class.create', { id: 'c1', section: 'sec1', name: 'Week 1' });
    await run('class.create', { id: 'sys1', section: 'sec1', kind: 'system' });
    await run('class.create', { id: 'c2', section: 'sec2' });
    await run('media.create', { id: 'm1', owner: 'ins', title: 'Lecture 1' });
    await run('media.publish', { media: 'm1', class: 'c1', by: 'ins' });
    await run('media.create', { id: 'cap1', owner: 'ins', origin: 'scheduled' });
    await run('media.publish', { media: 'cap1', class: 'sys1', by: 'ins' });
    await run('media.create', { id: 'm2', owner: 'stu', title: 'My notes' });
    await run('room.create', { id: 'r1', name: 'Hall A' });
    for (const u of ['root', 'ada', 'sam', 'stu', 'ins', 'ta', 'sch', 'out', 'av']) as[u] = { authorization: `Bearer ${(await auth.createToken(inst, u, 'test')).token}` };
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const call = (who: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: as[who], ...(payload ? { payload } : {}) });
  const get = async (who: string, url: string) => (await call(who, 'GET', url)).json() as Json;
  const ids = (j: Json, key = 'id') => j.items.map((x) => x[key]);
  /** What POST /v1/checks answers (asked by the institution admin, who may view every user). */
  const checks = async (list: { user: string; action: string; resource: string; context?: object }[]) =>
    ((await call('root', 'POST', '/v1/checks', { checks: list })).json() as { results: { allow: boolean }[] }).results.map((r) => r.allow);

  it('manages terms: create, list with abilities, update, delete; refusals name the field', async () => {
    const made = await call('sch', 'POST', '/v1/terms', { id: 't2', start: '2026-09-01', end: '2026-12-20', unit: 'science' });
    expect(made.statusCode).toBe(201);
    expect(made.json().result).toMatchObject({ id: 't2', unitId: 'science', startDate: '2026-09-01' });
    const schTerms = await get('sch', '/v1/terms');
    expect(schTerms.items.find((t) => t.id === 't2')).toMatchObject({ start: '2026-09-01', end: '2026-12-20', abilities: { update: true, delete: true } });
    // A student sees the term of their section, and may not change it.
    // Terms are not private (term.view): every user sees them all, and may change none.
    expect((await get('stu', '/v1/terms')).items).toEqual([expect.objectContaining({ id: 't1', abilities: { update: false, delete: false } }), expect.objectContaining({ id: 't2', abilities: { update: false, delete: false } })]);
    expect(ids(await get('root', '/v1/terms?unit=science'))).toEqual(['t2']);
    expect((await call('sch', 'PATCH', '/v1/terms/t2', { name: 'Autumn 2026' })).json().result.name).toBe('Autumn 2026');

    expect((await call('sch', 'PATCH', '/v1/terms/t2', { end: '2026-08-01' })).json()).toMatchObject({ code: 'range', field: 'end' });
    expect((await call('sch', 'POST', '/v1/terms', { id: 't3', start: '2026-02-30', end: '2026-03-01' })).json()).toMatchObject({ code: 'format', field: 'start' });
    expect((await call('sch', 'POST', '/v1/terms', { id: 't3', end: '2026-03-01' })).json()).toMatchObject({ code: 'required', field: 'start' });
    expect((await call('ins', 'POST', '/v1/terms', { id: 't3', start: '2026-01-01', end: '2026-03-01' })).statusCode).toBe(403);
    expect((await call('sch', 'POST', '/v1/terms', { id: 't2', start: '2026-01-01', end: '2026-03-01', unit: 'science' })).json()).toMatchObject({ code: 'duplicateId', field: 'id' });
    expect((await call('sch', 'PATCH', '/v1/terms/t9', { name: 'x' })).json()).toMatchObject({ code: 'notFound', field: 'term' });
    expect((await call('root', 'GET', '/v1/terms?unit=atlantis')).statusCode).toBe(404);
    expect((await call('root', 'DELETE', '/v1/terms/t1')).json()).toMatchObject({ code: 'inUse' });
    expect((await call('sch', 'DELETE', '/v1/terms/t2')).statusCode).toBe(200);
  });

  it('manages courses, listed by unit', async () => {
    expect((await call('sch', 'POST', '/v1/courses', { id: 'chem1', unit: 'science', name: 'Chemistry' })).statusCode).toBe(201);
    expect(ids(await get('sch', '/v1/courses?unit=science'))).toEqual(['chem1', 'phys101']);
    expect(ids(await get('root', '/v1/courses'))).toEqual(['art1', 'chem1', 'phys101']);
    expect((await get('stu', '/v1/courses')).items).toEqual([{ id: 'phys101', name: 'Mechanics', unit: 'physics', abilities: { update: false, delete: false, sectionCreate: false } }]);
    expect((await call('sch', 'PATCH', '/v1/courses/chem1', { name: 'Chemistry I' })).json().result.name).toBe('Chemistry I');
    expect((await call('sch', 'PATCH', '/v1/courses/chem1', { unit: 'arts' })).statusCode).toBe(403);
    expect((await call('sch', 'POST', '/v1/courses', { id: 'bad id!' })).json()).toMatchObject({ code: 'format', field: 'id' });
    expect((await call('sch', 'POST', '/v1/courses', { id: 'chem2', unit: 'nowhere' })).json()).toMatchObject({ code: 'notFound', field: 'unit' });
    expect((await call('sch', 'DELETE', '/v1/courses/phys101')).statusCode).toBe(409);
    expect((await call('sch', 'DELETE', '/v1/courses/chem1')).statusCode).toBe(200);
  });

  it('lists sections by course, term and unit, and shows one with enrollments, classes and capabilities', async () => {
    expect(ids(await get('root', '/v1/sections?course=phys101'))).toEqual(['sec1', 'sec2']);
    expect(ids(await get('root', '/v1/sections?unit=arts&term=t1'))).toEqual(['draw1']);
    expect(ids(await get('sch', '/v1/sections'))).toEqual(['sec1', 'sec2']);
    expect((await get('stu', '/v1/sections')).items).toEqual([expect.objectContaining({ id: 'sec1', role: 'student', abilities: { update: false, delete: false } })]);
    expect((await call('root', 'GET', '/v1/sections?course=nope')).json()).toMatchObject({ code: 'notFound', field: 'course' });

    const mine = await get('ins', '/v1/sections/sec1');
    expect(mine).toMatchObject({ section: { id: 'sec1', course: 'phys101', term: 't1', unit: 'physics', termName: 'Spring 2026' }, role: 'instructor' });
    expect((mine.enrollments as { user: string; role: string }[]).map((e) => `${e.user}:${e.role}`)).toEqual(['ins:instructor', 'stu:student', 'ta:teaching_assistant']);
    expect(mine.classes).toEqual([
      { id: 'c1', name: 'Week 1', kind: 'manual', media: 1, abilities: { delete: true } },
      { id: 'sys1', name: 'sys1', kind: 'system', media: 1, abilities: { delete: false } },
    ]);
    expect(mine.abilities).toEqual({
      update: false, delete: false, settings: true, analytics: true, polling: true, accessLinks: true, captureStart: true,
      enroll: true, classCreate: true, qaPost: true, qaModerate: true, scheduleCreate: false, enrollInstructors: true,
    });
    const ta = await get('ta', '/v1/sections/sec1');
    expect(ta.abilities).toMatchObject({ settings: false, analytics: false, captureStart: false, enroll: false, classCreate: true, qaModerate: true });
    // A student sees the section and only their own enrollment.
    const stu = await get('stu', '/v1/sections/sec1');
    expect(stu.enrollments).toEqual([expect.objectContaining({ user: 'stu', role: 'student', abilities: { unenroll: false } })]);
    expect(stu.abilities).toMatchObject({ qaPost: true, qaModerate: false, classCreate: false });
    const sch = await get('sch', '/v1/sections/sec1');
    expect(sch.abilities).toMatchObject({ update: true, enroll: false, enrollInstructors: true, scheduleCreate: true, settings: false });
    // The capabilities are policy's: the same as /v1/check.
    expect(await checks(['section.settings', 'section.captureStart', 'class.create', 'qa.moderate'].map((action) => ({ user: 'ta', action, resource: 'section:sec1' })))).toEqual([false, false, true, true]);

    expect((await call('out', 'GET', '/v1/sections/sec1')).statusCode).toBe(403);
    expect((await call('ins', 'GET', '/v1/sections/draw1')).statusCode).toBe(403);
    expect((await call('root', 'GET', '/v1/sections/nope')).statusCode).toBe(404);
  });

  it('creates, updates and deletes sections', async () => {
    expect((await call('sch', 'POST', '/v1/sections', { id: 'sec3', course: 'phys101', term: 't1', name: 'Lab' })).statusCode).toBe(201);
    expect((await call('sch', 'PATCH', '/v1/sections/sec3', { name: 'Lab B' })).json().result.name).toBe('Lab B');
    expect((await call('sch', 'POST', '/v1/sections', { id: 'sec3', course: 'phys101', term: 't1' })).statusCode).toBe(409);
    expect((await call('sch', 'POST', '/v1/sections', { id: 'sec4', course: 'phys101' })).json()).toMatchObject({ code: 'required', field: 'term' });
    expect((await call('sch', 'POST', '/v1/sections', { id: 'sec4', course: 'art1', term: 't1' })).statusCode).toBe(403);
    expect((await call('sch', 'DELETE', '/v1/sections/sec3')).statusCode).toBe(200);
    expect((await call('sch', 'DELETE', '/v1/sections/sec3')).statusCode).toBe(404);
  });

  it('enrolls and unenrolls (section.enroll / section.unenroll) with the §13 outcomes', async () => {
    const put = await call('ins', 'PUT', '/v1/sections/sec1/enrollments/out', { role: 'student' });
    expect(put.statusCode).toBe(201);
    expect(put.json()).toMatchObject({ changed: true, result: { sectionId: 'sec1', userId: 'out', role: 'student' } });
    expect((await call('ins', 'PUT', '/v1/sections/sec1/enrollments/out', { role: 'student' })).json()).toMatchObject({ changed: false });
    const roster = await get('ins', '/v1/sections/sec1/enrollments');
    expect(ids(roster, 'user')).toEqual(['ins', 'out', 'stu', 'ta']);
    expect(roster.items.find((e) => e.user === 'out')).toMatchObject({ abilities: { unenroll: true } });

    // Staff section roles need academic staff within the section's unit: 409.
    expect((await call('ins', 'PUT', '/v1/sections/sec1/enrollments/out', { role: 'teaching_assistant' })).json()).toMatchObject({ code: 'notAcademicStaff', field: 'user' });
    expect((await call('ins', 'PUT', '/v1/sections/sec1/enrollments/out', { role: 'dean' })).json()).toMatchObject({ code: 'enum', field: 'role' });
    expect((await call('ins', 'PUT', '/v1/sections/sec1/enrollments/ghost', { role: 'student' })).json()).toMatchObject({ code: 'notFound', field: 'user' });
    expect((await call('ta', 'PUT', '/v1/sections/sec1/enrollments/sam', { role: 'student' })).statusCode).toBe(403);
    // Schedulers enroll instructors only.
    expect((await call('sch', 'PUT', '/v1/sections/sec2/enrollments/ta', { role: 'instructor' })).statusCode).toBe(201);
    expect((await call('sch', 'PUT', '/v1/sections/sec2/enrollments/stu', { role: 'student' })).statusCode).toBe(403);
    expect((await call('sch', 'DELETE', '/v1/sections/sec2/enrollments/ta')).statusCode).toBe(200);

    expect((await call('ins', 'DELETE', '/v1/sections/sec1/enrollments/out')).statusCode).toBe(200);
    expect((await call('ins', 'DELETE', '/v1/sections/sec1/enrollments/out')).statusCode).toBe(404);
    expect((await call('out', 'GET', '/v1/sections/sec1/enrollments')).statusCode).toBe(403);
  });

  it('manages classes', async () => {
    expect((await call('ta', 'POST', '/v1/classes', { id: 'c3', section: 'sec1', name: 'Extra' })).statusCode).toBe(201);
    expect((await call('ta', 'DELETE', '/v1/classes/c3')).statusCode).toBe(403);
    expect((await call('ins', 'POST', '/v1/classes', { id: 'c4', section: 'sec1', kind: 'system' })).json()).toMatchObject({ code: 'enum', field: 'kind' });
    expect((await call('ins', 'POST', '/v1/classes', { id: 'c4', section: 'nope' })).statusCode).toBe(404);
    expect((await call('ins', 'POST', '/v1/classes', { id: 'c1', section: 'sec1' })).statusCode).toBe(409);
    expect((await call('ins', 'DELETE', '/v1/classes/c3')).statusCode).toBe(200);
  });

  it('lists only the schedules the caller may update; a schedule with no section only for admins with rights', async () => {
    expect((await call('sch', 'POST', '/v1/schedules', { id: 'sc1', section: 'sec1', presenter: 'ins', room: 'r1' })).statusCode).toBe(201);
    expect((await call('root', 'POST', '/v1/schedules', { id: 'loose', unit: 'science' })).statusCode).toBe(201);
    expect(ids(await get('sch', '/v1/schedules'))).toEqual(['sc1']);
    expect(ids(await get('ada', '/v1/schedules'))).toEqual(['loose', 'sc1']);
    expect(ids(await get('ada', '/v1/schedules?section=sec1'))).toEqual(['sc1']);
    expect((await get('ins', '/v1/schedules')).items).toEqual([]);
    expect((await get('sch', '/v1/schedules')).items[0]).toMatchObject({ section: 'sec1', presenter: 'ins', room: 'r1', abilities: { update: true, delete: true } });
    expect(await checks([{ user: 'sch', action: 'schedule.update', resource: 'schedule:loose' }, { user: 'ada', action: 'schedule.update', resource: 'schedule:loose' }])).toEqual([false, true]);

    expect((await call('sch', 'PATCH', '/v1/schedules/sc1', { presenter: 'ta' })).json()).toMatchObject({ code: 'presenterNotInstructor', field: 'presenter' });
    expect((await call('sch', 'PATCH', '/v1/schedules/sc1', { name: 'Mon 9am' })).json().result.name).toBe('Mon 9am');
    expect((await call('sch', 'PATCH', '/v1/schedules/loose', { name: 'x' })).statusCode).toBe(403);
    expect((await call('sch', 'POST', '/v1/schedules', { id: 'sc2', section: 'sec1', room: 'r9' })).json()).toMatchObject({ code: 'notFound', field: 'room' });
    expect((await call('sch', 'POST', '/v1/schedules', { id: 'sc2', section: 'sec1', when: 'monday' })).json()).toMatchObject({ code: 'unknownField', field: 'when' });
    expect((await call('ada', 'DELETE', '/v1/schedules/loose')).statusCode).toBe(200);
  });

  it('shows every toggle with its effective value, source and lock, and refuses a change below a lock', async () => {
    const before = await get('ins', '/v1/settings?scope=section:sec1');
    expect(before).toMatchObject({ scope: 'section:sec1', levels: [`unit:${inst}`, 'unit:science', 'unit:physics', 'section:sec1'], abilities: { change: true } });
    expect(before.items.map((i) => i.key)).toEqual(['qa', 'studentCopy', 'downloads', 'downloadsTermActiveOnly', 'coInstructorEditing', 'instructorEnrollment', 'instructorDeleteSystemCaptures', 'instructorUnpublishSystemCaptures']);
    expect(before.items[0]).toMatchObject({ key: 'qa', value: 'on', source: 'default', locked: false, lockedAt: null, mayChange: true });

    // The root locks Q&A off: the deep section shows it at once, and its instructor may not change it.
    const lock = await call('root', 'PUT', '/v1/settings', { scope: inst, key: 'qa', value: false, allowsOverride: false });
    expect(lock.json()).toMatchObject({ changed: true, result: { scopeType: 'unit', scopeId: inst, value: 'off', allowsOverride: false } });
    const qa = (await get('ins', '/v1/settings?scope=section:sec1')).items.find((i) => i.key === 'qa');
    expect(qa).toMatchObject({ value: 'off', source: `unit:${inst}`, locked: true, lockedAt: `unit:${inst}`, lockedAbove: true, mayChange: false });
    expect(qa!.why).toMatch(/locked at the institution/);
    const refused = await call('ins', 'PUT', '/v1/settings', { scope: 'section:sec1', key: 'qa', value: 'on' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'lockedAbove', field: 'key' });
    expect((await call('ada', 'PUT', '/v1/settings', { scope: 'science', key: 'qa', value: 'on' })).statusCode).toBe(409);
    expect(await checks([{ user: 'stu', action: 'qa.post', resource: 'section:sec1' }])).toEqual([false]);
    expect((await get('stu', '/v1/sections/sec1')).abilities).toMatchObject({ qaPost: false });
    // At the root itself the lock is its own, and the root's admin may change it.
    expect((await get('root', `/v1/settings?scope=institution:${inst}`)).items[0]).toMatchObject({ locked: true, lockedAbove: false, mayChange: true, setHere: { value: 'off', allowsOverride: false } });
    expect((await call('root', 'DELETE', `/v1/settings?scope=${inst}&key=qa`)).statusCode).toBe(200);
    expect((await get('stu', '/v1/settings?scope=section:sec1')).items[0]).toMatchObject({ value: 'on', source: 'default', mayChange: false });

    // A unit value, then a section value under it.
    expect((await call('ada', 'PUT', '/v1/settings', { scope: 'unit:science', key: 'downloads', value: 'audioOnly' })).statusCode).toBe(200);
    expect((await get('ins', '/v1/settings?scope=section:sec1')).items.find((i) => i.key === 'downloads')).toMatchObject({ value: 'audioOnly', source: 'unit:science', locked: false });
    expect((await call('ins', 'PUT', '/v1/settings', { scope: 'section:sec1', key: 'downloads', value: 'off' })).statusCode).toBe(200);
    expect((await get('ins', '/v1/settings?scope=section:sec1')).items.find((i) => i.key === 'downloads')).toMatchObject({ value: 'off', source: 'section:sec1', setHere: { value: 'off', allowsOverride: true } });
    expect((await call('ins', 'DELETE', '/v1/settings?scope=section:sec1&key=downloads')).statusCode).toBe(200);
    expect((await call('ins', 'DELETE', '/v1/settings?scope=section:sec1&key=downloads')).statusCode).toBe(404);

    expect((await call('ins', 'PUT', '/v1/settings', { scope: 'section:sec1', key: 'coffee', value: 'on' })).json()).toMatchObject({ code: 'enum', field: 'key' });
    expect((await call('ins', 'PUT', '/v1/settings', { scope: 'section:sec1', key: 'downloads', value: 'maybe' })).json()).toMatchObject({ code: 'enum', field: 'value' });
    expect((await call('ins', 'PUT', '/v1/settings', { scope: 'section:sec1', key: 'qa' })).json()).toMatchObject({ code: 'required', field: 'value' });
    expect((await call('ta', 'PUT', '/v1/settings', { scope: 'section:sec1', key: 'qa', value: 'off' })).statusCode).toBe(403);
    expect((await call('ins', 'PUT', '/v1/settings', { scope: 'physics', key: 'qa', value: 'off' })).statusCode).toBe(403);
    expect((await call('ins', 'GET', '/v1/settings?scope=section:nope')).json()).toMatchObject({ code: 'notFound', field: 'scope' });
    expect((await call('ins', 'GET', '/v1/settings?scope=room:r1')).json()).toMatchObject({ code: 'format', field: 'scope' });
    expect((await call('ins', 'GET', '/v1/settings?scope=physics')).statusCode).toBe(403);
    expect((await call('out', 'GET', '/v1/settings?scope=section:sec1')).statusCode).toBe(403);
  });

  it('shows a media item with publications and abilities that match /v1/check', async () => {
    for (const who of ['ins', 'ta', 'stu', 'ada', 'av']) {
      const res = await call(who, 'GET', '/v1/media/m1');
      expect(res.statusCode, who).toBe(200);
      const body = res.json() as { abilities: Record<string, boolean>; publications: { class: string; abilities: { unpublish: boolean } }[] };
      const expected = await checks([
        ...MEDIA_ACTIONS.map((a) => ({ user: who, action: `media.${a}`, resource: 'media:m1' })),
        { user: who, action: 'media.download', resource: 'media:m1', context: { format: 'audio' } },
        { user: who, action: 'media.unpublish', resource: 'media:m1', context: { class: 'c1' } },
      ]);
      expect([...MEDIA_ACTIONS.map((a) => body.abilities[a]), body.abilities.downloadAudio, body.publications[0]!.abilities.unpublish], who).toEqual(expected);
    }
    const ins = await get('ins', '/v1/media/m1');
    expect(ins).toMatchObject({ media: { id: 'm1', title: 'Lecture 1', owner: 'ins', origin: 'upload', locked: false }, publications: [{ class: 'c1', section: 'sec1', kind: 'manual', publishedBy: 'ins' }], sharedWith: [] });
    expect((ins.abilities as Record<string, boolean>).publish).toBe(true);
    expect((await get('stu', '/v1/media/m1')).abilities).toMatchObject({ view: true, edit: false, share: false, publish: false });
    expect((await get('stu', '/v1/media/m1')).sharedWith).toBeUndefined();
    expect((await call('out', 'GET', '/v1/media/m1')).statusCode).toBe(403);
    expect((await call('root', 'GET', '/v1/media/nope')).statusCode).toBe(404);
  });

  it('creates, edits, publishes, unpublishes, shares, posts and deletes media', async () => {
    const made = await call('ins', 'POST', '/v1/media', { id: 'm3', title: 'Lecture 3' });
    expect(made.statusCode).toBe(201);
    expect(made.json().result).toMatchObject({ id: 'm3', ownerId: 'ins', origin: 'upload' });
    expect((await call('ins', 'POST', '/v1/media', { id: 'm3' })).json()).toMatchObject({ code: 'duplicateId', field: 'id' });
    expect((await call('ins', 'POST', '/v1/media', { id: 'm4', origin: 'live' })).json()).toMatchObject({ field: 'origin' });
    expect((await call('ins', 'POST', '/v1/media', { id: 'm4', locked: true })).json()).toMatchObject({ code: 'unknownField', field: 'locked' });
    expect((await call('stu', 'POST', '/v1/media', { id: 'm4', owner: 'ins' })).statusCode).toBe(403);
    expect((await call('ins', 'PATCH', '/v1/media/m3', { title: 'Lecture 3 (rev)' })).json().result.title).toBe('Lecture 3 (rev)');
    expect((await call('ta', 'PATCH', '/v1/media/m3', { title: 'x' })).statusCode).toBe(403);
    // Edit details covers the description and the tags too (SPEC §7, issue 20); what is left out stays.
    const detailed = await call('ins', 'PATCH', '/v1/media/m3', { description: 'Kinematics in one dimension.\r\nSlides on the wiki.', tags: ['mechanics', ' Kinematics ', 'MECHANICS'] });
    expect(detailed.statusCode).toBe(200);
    expect(detailed.json().result).toMatchObject({ title: 'Lecture 3 (rev)', description: 'Kinematics in one dimension.\nSlides on the wiki.', tags: ['mechanics', 'Kinematics'] });
    expect((await get('ins', '/v1/media/m3')).media).toMatchObject({ title: 'Lecture 3 (rev)', description: 'Kinematics in one dimension.\nSlides on the wiki.', tags: ['mechanics', 'Kinematics'] });
    expect((await call('ins', 'PATCH', '/v1/media/m3', { tags: ['mechanics', 'Kinematics'] })).json().changed).toBe(false);
    // Bad input names the field and changes nothing.
    const before = await get('ins', '/v1/media/m3');
    expect((await call('ins', 'PATCH', '/v1/media/m3', { title: 'New', tags: ['ok', '   '] })).json()).toMatchObject({ code: 'required', field: 'tags[1]' });
    expect((await call('ins', 'PATCH', '/v1/media/m3', { description: 'bell\u0007' })).json()).toMatchObject({ field: 'description' });
    expect((await call('ins', 'PATCH', '/v1/media/m3', { tags: Array.from({ length: 51 }, (_, i) => `t${i}`) })).statusCode).toBe(400);
    expect((await call('ta', 'PATCH', '/v1/media/m3', { description: 'not mine' })).statusCode).toBe(403);
    expect(await get('ins', '/v1/media/m3')).toEqual(before);
    // Empty clears.
    expect((await call('ins', 'PATCH', '/v1/media/m3', { description: '', tags: [] })).json().result).toMatchObject({ description: '', tags: [] });

    expect((await call('ins', 'POST', '/v1/media/m3/publish', { class: 'c1' })).statusCode).toBe(201);
    expect((await call('ins', 'POST', '/v1/media/m3/publish', { class: 'c1' })).json()).toMatchObject({ code: 'alreadyPublished', field: 'class' });
    expect((await call('ins', 'POST', '/v1/media/m3/publish', { class: 'nope' })).json()).toMatchObject({ code: 'notFound', field: 'class' });
    expect((await call('stu', 'POST', '/v1/media/m2/publish', { class: 'c1' })).statusCode).toBe(403);
    expect((await get('ta', '/v1/media/m3')).abilities).toMatchObject({ view: true, editDetails: true, share: true });
    expect((await call('ta', 'POST', '/v1/media/m3/unpublish', { class: 'c1' })).statusCode).toBe(403);
    expect((await call('ins', 'POST', '/v1/media/m3/unpublish', { class: 'c1' })).statusCode).toBe(200);
    expect((await call('ins', 'POST', '/v1/media/m3/unpublish', { class: 'c1' })).statusCode).toBe(404);

    expect((await call('ins', 'POST', '/v1/media/m3/share', { user: 'out' })).statusCode).toBe(201);
    expect((await get('out', '/v1/media/m3')).abilities).toMatchObject({ view: true, share: false, download: false });
    expect((await call('out', 'POST', '/v1/media/m3/share', { user: 'stu' })).statusCode).toBe(403);
    expect((await get('ins', '/v1/media/m3')).sharedWith).toEqual(['out']);

    expect((await call('ins', 'POST', '/v1/media/m3/post', { to: 'fax' })).json()).toMatchObject({ field: 'to' });
    expect((await call('ins', 'POST', '/v1/media/m3/post', { to: 'lmsHomework' })).json().result.locked).toBe(true);
    expect((await get('ins', '/v1/media/m3')).abilities).toMatchObject({ edit: false, editDetails: true, delete: false });
    expect((await call('ins', 'DELETE', '/v1/media/m3')).json()).toMatchObject({ code: 'locked' });
    expect((await call('ins', 'DELETE', '/v1/media/m3')).statusCode).toBe(409);
    expect((await call('root', 'DELETE', '/v1/media/m3')).statusCode).toBe(200);
  });

  it('answers the lookups as POST /v1/check does', async () => {
    const all = ['m1', 'm2', 'cap1'];
    for (const who of ['stu', 'ta', 'out', 'av']) {
      const listed = ids(await get(who === 'av' ? 'root' : who, `/v1/users/${who}/viewable-media`));
      const allowed = await checks(all.map((m) => ({ user: who, action: 'media.view', resource: `media:${m}` })));
      expect(listed, who).toEqual(all.filter((_, i) => allowed[i]).sort());
    }
    expect(ids(await get('stu', '/v1/users/stu/viewable-media'))).toEqual(['cap1', 'm1', 'm2']);
    const first = await get('stu', '/v1/users/stu/viewable-media?limit=2');
    expect(first).toMatchObject({ total: 3, next: 'm1' });
    expect(ids(await get('stu', `/v1/users/stu/viewable-media?limit=2&after=${first.next as string}`))).toEqual(['m2']);
    expect((await call('stu', 'GET', '/v1/users/ins/viewable-media')).statusCode).toBe(403);
    expect((await call('root', 'GET', '/v1/users/ghost/viewable-media')).statusCode).toBe(404);
    expect((await call('stu', 'GET', '/v1/users/stu/viewable-media?limit=0')).json()).toMatchObject({ field: 'limit' });

    expect((await get('ins', '/v1/users/ins/publishable-sections')).items).toEqual([
      { id: 'sec1', name: 'sec1', classes: ['c1', 'sys1'] },
      { id: 'sec2', name: 'sec2', classes: ['c2'] },
    ]);
    expect((await get('stu', '/v1/users/stu/publishable-sections')).items).toEqual([]);

    const classes = ['c1', 'sys1', 'c2'];
    for (const [who, media] of [['ins', 'm1'], ['ta', 'm1'], ['stu', 'm2'], ['ada', 'm1']] as const) {
      const listed = ids(await get('root', `/v1/media/${media}/publish-targets?user=${who}`), 'class');
      const allowed = await checks(classes.map((k) => ({ user: who, action: 'media.publish', resource: `media:${media}`, context: { class: k } })));
      expect(listed, `${who} ${media}`).toEqual(classes.filter((_, i) => allowed[i]).sort());
    }
    expect(ids(await get('ins', '/v1/media/m1/publish-targets'), 'class')).toEqual(['c2', 'sys1']); // m1 is already published in c1: publishing there again is a conflict (SPEC §11)
    expect((await call('stu', 'GET', '/v1/media/m1/publish-targets?user=ins')).statusCode).toBe(403);

    const viewers = (await get('ins', '/v1/media/m1/viewers')).items as unknown as string[];
    const users = ['root', 'ada', 'sam', 'stu', 'ins', 'ta', 'sch', 'out', 'av'];
    const mayView = await checks(users.map((u) => ({ user: u, action: 'media.view', resource: 'media:m1' })));
    expect(viewers).toEqual(users.filter((_, i) => mayView[i]).sort());
    expect(viewers).toContain('stu');
    expect(viewers).not.toContain('out');
    // The gate is media.share: the owner, the section's teachers, admins — not its students.
    expect((await call('ta', 'GET', '/v1/media/m1/viewers')).statusCode).toBe(200);
    expect((await call('stu', 'GET', '/v1/media/m1/viewers')).statusCode).toBe(403);
    expect((await call('stu', 'GET', '/v1/media/nope/viewers')).statusCode).toBe(404);
  });

  it('manages rooms and devices (admins and AV technicians)', async () => {
    expect((await call('av', 'POST', '/v1/rooms', { id: 'r2', name: 'Hall B' })).statusCode).toBe(201);
    expect((await call('av', 'POST', '/v1/rooms', { id: 'r2' })).statusCode).toBe(409);
    expect((await call('stu', 'POST', '/v1/rooms', { id: 'r3' })).statusCode).toBe(403);
    expect((await call('av', 'PATCH', '/v1/rooms/r2', { name: 'Hall B (east)' })).json().result.name).toBe('Hall B (east)');
    expect((await call('av', 'POST', '/v1/devices', { id: 'd1', room: 'r2' })).statusCode).toBe(201);
    expect((await call('av', 'POST', '/v1/devices', { id: 'd2', room: 'r9' })).json()).toMatchObject({ code: 'notFound', field: 'room' });
    const rooms = await get('ada', '/v1/rooms');
    expect(rooms.items.find((r) => r.id === 'r2')).toEqual({ id: 'r2', name: 'Hall B (east)', devices: ['d1'], abilities: { configure: true, delete: true } });
    expect(rooms.abilities).toEqual({ create: true, registerDevice: true });
    expect((await get('stu', '/v1/rooms')).items).toEqual([]);

    expect((await call('av', 'PATCH', '/v1/devices/d1', { configuration: { resolution: '1080p' }, name: 'Cam 1' })).json().result).toMatchObject({ name: 'Cam 1' });
    expect((await call('av', 'PATCH', '/v1/devices/d1', { room: 'r1' })).json().result.roomId).toBe('r1');
    expect((await call('av', 'PATCH', '/v1/devices/d1', { room: 'r2', name: 'x' })).json()).toMatchObject({ code: 'invalid', field: 'room' });
    expect((await call('stu', 'PATCH', '/v1/devices/d1', { name: 'mine' })).statusCode).toBe(403);
    expect((await call('av', 'PATCH', '/v1/devices/d9', { name: 'x' })).statusCode).toBe(404);
    expect((await get('av', '/v1/devices?room=r1')).items).toEqual([
      { id: 'd1', name: 'Cam 1', room: 'r1', configuration: { resolution: '1080p' }, abilities: { configure: true, assign: true, delete: true } },
    ]);
    expect((await call('av', 'DELETE', '/v1/rooms/r1')).json()).toMatchObject({ code: 'inUse' });
    expect((await call('av', 'PATCH', '/v1/devices/d1', { room: null })).json().result.roomId).toBeNull();
    expect((await call('av', 'DELETE', '/v1/devices/d1')).statusCode).toBe(200);
    expect((await call('av', 'DELETE', '/v1/rooms/r2')).statusCode).toBe(200);
  });

  it('documents every route in the OpenAPI document', async () => {
    const doc = (await app.inject({ url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    for (const [path, methods] of Object.entries({
      '/v1/terms': ['get', 'post'], '/v1/terms/{id}': ['patch', 'delete'], '/v1/courses': ['get', 'post'], '/v1/courses/{id}': ['patch', 'delete'],
      '/v1/sections': ['get', 'post'], '/v1/sections/{id}': ['get', 'patch', 'delete'], '/v1/sections/{id}/enrollments': ['get'],
      '/v1/sections/{id}/enrollments/{user}': ['put', 'delete'], '/v1/schedules': ['get', 'post'], '/v1/schedules/{id}': ['patch', 'delete'],
      '/v1/classes': ['post'], '/v1/classes/{id}': ['delete'], '/v1/settings': ['get', 'put', 'delete'],
      '/v1/media': ['post'], '/v1/media/{id}': ['get', 'patch', 'delete'], '/v1/media/{id}/publish': ['post'], '/v1/media/{id}/unpublish': ['post'],
      '/v1/media/{id}/share': ['post'], '/v1/media/{id}/post': ['post'], '/v1/media/{id}/publish-targets': ['get'], '/v1/media/{id}/viewers': ['get'],
      '/v1/users/{id}/viewable-media': ['get'], '/v1/users/{id}/publishable-sections': ['get'],
      '/v1/rooms': ['get', 'post'], '/v1/rooms/{id}': ['patch', 'delete'], '/v1/devices': ['get', 'post'], '/v1/devices/{id}': ['patch', 'delete'],
    })) {
      for (const m of methods) expect(doc.paths[path]?.[m], `${m} ${path}`).toBeDefined();
    }
  });
});
