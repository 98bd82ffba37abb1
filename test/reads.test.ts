/**
 * Reads that used to bypass `*.view` (issue 12.6, SPEC §11 "every read of the API shows only what
 * `*.view` allows"), over HTTP on every driver: the user typeahead (who may use it, what it shows,
 * its bounds), another user's viewable media and publishable sections, and the term, course and
 * section routes, which answer as policy's `*.view` does — each list item is one the check allows,
 * and every item the check allows is listed.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { decide, SYSTEM } from '../src/policy/index.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, ok, openTestStore, smallInstitution } from './helpers.js';

describe.each(DRIVERS)('reads ask policy (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  let app: FastifyInstance;
  let inst: string;
  const as: Record<string, Record<string, string>> = {};
  const USERS = ['root', 'ada', 'stu', 'phil', 'tina', 'avi', 'cara', 'sky', 'mo', 'lena'] as const;

  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
    const auth = new Auth(lectern);
    // root (admin of the root), ada (admin of science), stu (student): see smallInstitution
    inst = await smallInstitution(lectern);
    const run = async (op: string, args: Record<string, unknown>) => ok(await lectern.run(SYSTEM, inst, op, args));
    const people: [string, string, string][] = [
      ['phil', 'Phil', 'Physics'], // academic staff of physics, teaching nothing
      ['tina', 'Tina', 'Teacher'], // academic staff of physics, instructor of sec1
      ['avi', 'Avi', 'Visual'], // AV technician of science
      ['cara', 'Cara', 'Arts'], // academic staff of arts, instructor of draw1
      ['sky', 'Sky', 'Sched'], // scheduler of arts
      ['mo', 'Mo', 'Manager'], // student who manages a collection
      ['lena', 'Lena', 'Licenses'], // license manager alone
    ];
    for (const [id, first, last] of people) await run('user.create', { id, email: `${id}@example.edu`, firstName: first, lastName: last });
    await run('role.grant', { user: 'phil', role: 'academic_staff', scope: 'physics' });
    await run('role.grant', { user: 'tina', role: 'academic_staff', scope: 'physics' });
    await run('role.grant', { user: 'avi', role: 'av_technician', scope: 'science' });
    await run('role.grant', { user: 'cara', role: 'academic_staff', scope: 'arts' });
    await run('role.grant', { user: 'sky', role: 'scheduler', scope: 'arts' });
    await run('role.grant', { user: 'lena', role: 'license_manager' });
    await run('term.create', { id: 'spring', start: '2026-01-05', end: '2026-06-30' });
    await run('term.create', { id: 'autumn', start: '2026-09-01', end: '2026-12-20', unit: 'arts' });
    await run('course.create', { id: 'phys101', unit: 'physics' });
    await run('course.create', { id: 'art1', unit: 'arts' });
    await run('section.create', { id: 'sec1', course: 'phys101', term: 'spring' });
    await run('section.create', { id: 'draw1', course: 'art1', term: 'autumn' });
    await run('section.enroll', { section: 'sec1', user: 'tina', role: 'instructor' });
    await run('section.enroll', { section: 'sec1', user: 'stu', role: 'student' });
    await run('section.enroll', { section: 'draw1', user: 'cara', role: 'instructor' });
    await run('section.enroll', { section: 'draw1', user: 'stu', role: 'student_presenter' });
    await run('class.create', { id: 'k1', section: 'sec1' });
    await run('class.create', { id: 'k2', section: 'draw1' });
    await run('media.create', { id: 'physlec', owner: 'tina' });
    ok(await lectern.run(lectern.principal(inst, 'tina'), inst, 'media.publish', { media: 'physlec', class: 'k1' }));
    await run('media.create', { id: 'artlec', owner: 'cara' });
    ok(await lectern.run(lectern.principal(inst, 'cara'), inst, 'media.publish', { media: 'artlec', class: 'k2' }));
    await run('media.create', { id: 'stuown', owner: 'stu' });
    ok(await lectern.run(lectern.principal(inst, 'mo'), inst, 'collection.create', { id: 'col', name: 'Col' })); // its manager
    for (const u of USERS) as[u] = { authorization: `Bearer ${(await auth.createToken(inst, u, 'test')).token}` };
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const get = (who: string, url: string) => app.inject({ method: 'GET', url, headers: as[who] });
  const ids = (r: { json(): { items: { id: string }[] } }) => r.json().items.map((x) => x.id);
  const principal = (u: string) => lectern.principal(inst, u);

  it('serves the typeahead only to callers who pick people, with the least that identifies one, bounded', async () => {
    // academic staff who teach nothing, students and AV technicians have no one to pick
    for (const u of ['phil', 'stu', 'avi']) {
      const r = await get(u, '/v1/user-search?q=ti');
      expect(r.statusCode, u).toBe(403);
      expect(r.json().code).toBe('denied');
    }
    // admins, license managers, schedulers, collection managers and instructors do
    for (const u of ['root', 'ada', 'lena', 'sky', 'mo', 'tina', 'cara']) expect((await get(u, '/v1/user-search?q=ti')).statusCode, u).toBe(200);
    // id and name; the email only where the caller may view the user (an admin may, an instructor may not)
    expect((await get('tina', '/v1/user-search?q=phil')).json().items).toEqual([{ id: 'phil', firstName: 'Phil', lastName: 'Physics' }]);
    expect((await get('ada', '/v1/user-search?q=phil')).json().items).toEqual([{ id: 'phil', firstName: 'Phil', lastName: 'Physics', email: 'phil@example.edu', username: 'phil' }]);
    // an email nobody lets the caller see does not match at all
    expect((await get('tina', '/v1/user-search?q=phil@')).json().items).toEqual([]);
    expect(ids(await get('ada', '/v1/user-search?q=phil@'))).toEqual(['phil']);
    // bounded: at least two characters, at most 20 answers
    expect((await get('root', '/v1/user-search?q=t')).json().items).toEqual([]);
    expect((await get('root', '/v1/user-search?q=ti&limit=21')).statusCode).toBe(400);
    // and the check agrees with the route
    for (const u of USERS) {
      const allowed = decide((await lectern.world(inst))!, principal(u), 'user.search', `institution:${inst}`).allow;
      expect((await get(u, '/v1/user-search?q=ti')).statusCode === 200, u).toBe(allowed);
    }
  });

  it("lists another user's viewable media and publishable sections only as far as the caller may see them", async () => {
    const w = (await lectern.world(inst))!;
    // stu views physlec (physics) and artlec (arts) and their own upload
    expect(ids(await get('stu', '/v1/users/stu/viewable-media'))).toEqual(['artlec', 'physlec', 'stuown']);
    // ada, admin of science, may view users, but sees only what she may open herself
    const asAda = await get('ada', '/v1/users/stu/viewable-media');
    expect(asAda.statusCode).toBe(200);
    const adaItems: string[] = ids(asAda);
    expect(adaItems).toEqual(['physlec']);
    for (const m of adaItems) expect(decide(w, principal('ada'), 'media.view', `media:${m}`).allow).toBe(true);
    expect(decide(w, principal('ada'), 'media.view', 'media:artlec').allow).toBe(false);
    expect((await get('ada', '/v1/media/artlec')).statusCode).toBe(403);
    expect(asAda.json().total).toBe(1);
    // the root admin sees them all
    expect(ids(await get('root', '/v1/users/stu/viewable-media'))).toEqual(['artlec', 'physlec', 'stuown']);
    // publishable sections: stu presents in draw1; ada does not see draw1 (arts)
    expect(ids(await get('stu', '/v1/users/stu/publishable-sections'))).toEqual(['draw1']);
    expect(ids(await get('ada', '/v1/users/stu/publishable-sections'))).toEqual([]);
    expect(ids(await get('sky', '/v1/users/stu/publishable-sections'))).toEqual(['draw1']); // a scheduler of arts sees it
    expect(ids(await get('ada', '/v1/users/tina/publishable-sections'))).toEqual(['sec1']);
    // callers who may not view the user get nothing at all
    expect((await get('phil', '/v1/users/stu/viewable-media')).statusCode).toBe(403);
  });

  it('lists and opens terms, courses and sections exactly as term.view, course.view and section.view allow', async () => {
    const w = (await lectern.world(inst))!;
    const kinds = [
      ['terms', 'term', [...w.tables.term.keys()]],
      ['courses', 'course', [...w.tables.course.keys()]],
      ['sections', 'section', [...w.tables.section.keys()]],
    ] as const;
    for (const u of USERS) {
      for (const [route, type, all] of kinds) {
        const listed: string[] = ids(await get(u, `/v1/${route}`));
        const allowed = all.filter((id) => decide(w, principal(u), `${type}.view`, `${type}:${id}`).allow).sort();
        expect([...listed].sort(), `${u} ${route}`).toEqual(allowed);
      }
      for (const id of w.tables.section.keys()) {
        const open = (await get(u, `/v1/sections/${id}`)).statusCode;
        expect(open, `${u} section ${id}`).toBe(decide(w, principal(u), 'section.view', `section:${id}`).allow ? 200 : 403);
      }
    }
    // the case the review found: an AV technician of science sees the physics section through both
    expect(ids(await get('avi', '/v1/sections'))).toEqual(['sec1']);
    expect((await get('avi', '/v1/sections/sec1')).statusCode).toBe(200);
    // but not its roster: that is section.roster's (who manage it, enroll in it or teach it)
    expect((await get('avi', '/v1/sections/sec1/enrollments')).json().items).toEqual([]);
    expect((await get('tina', '/v1/sections/sec1/enrollments')).json().items.map((e: { user: string }) => e.user)).toEqual(['stu', 'tina']);
    expect((await get('stu', '/v1/sections/sec1/enrollments')).json().items.map((e: { user: string }) => e.user)).toEqual(['stu']);
  });
});
