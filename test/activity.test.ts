/**
 * The student activity record (issue 20) over HTTP: the platform's events are taken all or none
 * with a token of an admin of the root, the first bad one named; usage reports per section follow
 * who sees analytics (instructors yes, teaching assistants no) and per person only the sections the
 * caller may see; retention per institution deletes what is older. Both drivers.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { SYSTEM } from '../src/policy/index.js';
import { activityStore } from '../src/services/activity.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, ok, openTestStore, smallInstitution } from './helpers.js';

const DAY = 86_400_000;

describe.each(DRIVERS)('student activity record (%s)', (driver) => {
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
    for (const u of ['ins', 'ta', 's1', 's2']) await run('user.create', { id: u, email: `${u}@example.edu`, firstName: u, lastName: 'Test' });
    await run('role.grant', { user: 'ins', role: 'academic_staff', scope: 'physics' });
    await run('role.grant', { user: 'ta', role: 'academic_staff', scope: 'physics' });
    await run('term.create', { id: 't1', start: '2026-01-05', end: '2026-12-30' });
    await run('course.create', { id: 'phys101', unit: 'physics' });
    await run('section.create', { id: 'sec1', course: 'phys101', term: 't1' });
    await run('section.create', { id: 'sec2', course: 'phys101', term: 't1' });
    await run('section.enroll', { section: 'sec1', user: 'ins', role: 'instructor' });
    await run('section.enroll', { section: 'sec1', user: 'ta', role: 'teaching_assistant' });
    for (const s of ['s1', 's2']) await run('section.enroll', { section: 'sec1', user: s, role: 'student' });
    await run('section.enroll', { section: 'sec2', user: 's1', role: 'student' });
    await run('media.create', { id: 'm1', owner: 'ins', title: 'Lecture 1' });
    await run('media.create', { id: 'm2', owner: 'ins', title: 'Lecture 2' });
    app = buildApp({ lectern, auth });
    for (const u of ['root', 'ada', 'ins', 'ta', 's1']) as[u] = { authorization: `Bearer ${(await auth.createToken(inst, u, 'test')).token}` };
  });

  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const call = (who: string, method: 'GET' | 'POST', url: string, payload?: object) => app.inject({ method, url, headers: as[who], ...(payload ? { payload } : {}) });
  const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

  it('takes a batch with a token of an admin of the root, and nobody else’s', async () => {
    const events = [
      { at: ago(1), user: 's1', media: 'm1', section: 'sec1', kind: 'view' },
      { at: ago(1), user: 's1', media: 'm1', section: 'sec1', kind: 'play', seconds: 600 },
      { at: ago(2), user: 's2', media: 'm1', section: 'sec1', kind: 'play', seconds: 120 },
      { at: ago(2), user: 's2', media: 'm2', section: 'sec1', kind: 'download' },
      { at: ago(3), user: 's1', media: 'm2', section: 'sec2', kind: 'play', seconds: 60 },
      { at: Date.now() - 4 * DAY, user: 'S1@example.edu', media: 'm2', kind: 'view' },
    ];
    const r = await call('root', 'POST', '/v1/activity/events', { events });
    expect(r.json()).toEqual({ accepted: 6 });
    expect(r.statusCode).toBe(200);
    const refused = await call('ins', 'POST', '/v1/activity/events', { events: events.slice(0, 1) });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().reasons.join(' ')).toMatch(/admin of the root/);
    // A science admin is not an admin of the root either.
    expect((await call('ada', 'POST', '/v1/activity/events', { events: events.slice(0, 1) })).statusCode).toBe(403);
    expect(await activityStore(lectern).count(inst)).toBe(6);
  });

  it('refuses a batch with a bad event, naming it, and writes none of it', async () => {
    const good = { at: ago(1), user: 's1', media: 'm1', section: 'sec1', kind: 'view' };
    const cases: [object, string, number][] = [
      [{ ...good, user: 'nobody' }, 'events[1].user', 404],
      [{ ...good, media: 'nope' }, 'events[1].media', 404],
      [{ ...good, section: 'sec9' }, 'events[1].section', 404],
      [{ ...good, at: 'yesterday' }, 'events[1].at', 400],
      [{ ...good, at: new Date(Date.now() + DAY).toISOString() }, 'events[1].at', 400],
    ];
    for (const [bad, field, status] of cases) {
      const r = await call('root', 'POST', '/v1/activity/events', { events: [good, bad] });
      expect(r.statusCode, field).toBe(status);
      expect(r.json().field, JSON.stringify(bad)).toBe(field);
    }
    const schema = await call('root', 'POST', '/v1/activity/events', { events: [{ ...good, kind: 'like' }] });
    expect(schema.statusCode).toBe(400);
    expect(schema.json().field).toMatch(/^events\.0\.kind|events\[0\]\.kind$/);
    expect(await activityStore(lectern).count(inst)).toBe(6);
  });

  it('reports a section to its instructor and admins, never to its teaching assistant', async () => {
    const r = await call('ins', 'GET', `/v1/activity/sections/sec1?from=${ago(10).slice(0, 10)}`);
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.media).toEqual([
      expect.objectContaining({ media: 'm1', title: 'Lecture 1', views: 1, plays: 2, downloads: 0, seconds: 720, people: 2 }),
      expect.objectContaining({ media: 'm2', views: 0, plays: 0, downloads: 1, seconds: 0, people: 1 }),
    ]);
    expect(body.people).toEqual([expect.objectContaining({ user: 's1', views: 1, plays: 1, seconds: 600, media: 1 }), expect.objectContaining({ user: 's2', plays: 1, downloads: 1, media: 2 })]);
    const ta = await call('ta', 'GET', '/v1/activity/sections/sec1');
    expect(ta.statusCode).toBe(403);
    expect(ta.json().reasons.join(' ')).toMatch(/teaching assistant/i);
    expect((await call('s1', 'GET', '/v1/activity/sections/sec1')).statusCode).toBe(403);
    expect((await call('ada', 'GET', '/v1/activity/sections/sec1')).statusCode).toBe(200);
    expect((await call('ins', 'GET', '/v1/activity/sections/nope')).statusCode).toBe(404);
    expect((await call('ins', 'GET', '/v1/activity/sections/sec1?from=soon')).json()).toMatchObject({ field: 'from' });
  });

  it('reports a person per section, holding only what the caller may see', async () => {
    const own = (await call('s1', 'GET', `/v1/activity/users/s1?from=${ago(10)}`)).json();
    expect(own.sections.map((s: { section: string | null }) => s.section)).toEqual([null, 'sec1', 'sec2']);
    // The instructor of sec1 sees s1's usage there, not in sec2 (not theirs) nor outside sections.
    const ins = (await call('ins', 'GET', `/v1/activity/users/s1?from=${ago(10)}`)).json();
    expect(ins.sections).toEqual([expect.objectContaining({ section: 'sec1', views: 1, plays: 1, seconds: 600 })]);
    const root = (await call('root', 'GET', `/v1/activity/users/s1?from=${ago(10)}`)).json();
    expect(root.sections).toHaveLength(3);
    // The TA sees no analytics in sec1: refused, as is the instructor about someone not in their sections.
    expect((await call('ta', 'GET', `/v1/activity/users/s1?from=${ago(10)}`)).statusCode).toBe(403);
    expect((await call('ins', 'GET', `/v1/activity/users/root`)).statusCode).toBe(403);
  });

  it('keeps events for the institution’s retention: older ones are deleted, 0 keeps everything', async () => {
    ok(await lectern.run(SYSTEM, inst, 'institution.configure', { activityRetentionDays: 0 }));
    expect((await call('root', 'POST', '/v1/activity/events', { events: [{ at: ago(400), user: 's2', media: 'm1', section: 'sec1', kind: 'view' }] })).statusCode).toBe(200);
    expect((await call('root', 'POST', '/v1/activity/purge')).json()).toMatchObject({ retentionDays: 0, deleted: 0 });
    expect(await activityStore(lectern).count(inst)).toBe(7);
    expect((await lectern.run(SYSTEM, inst, 'institution.configure', { activityRetentionDays: 5000 })).status).toBe('invalid');
    ok(await lectern.run(SYSTEM, inst, 'institution.configure', { activityRetentionDays: 3 }));
    expect((await call('ins', 'POST', '/v1/activity/purge')).statusCode).toBe(403);
    const purged = await call('root', 'POST', '/v1/activity/purge');
    // The 400-day-old event, the 3- and 4-day-old ones go; the last two days stay.
    expect(purged.json()).toMatchObject({ retentionDays: 3, deleted: 3 });
    expect(await activityStore(lectern).count(inst)).toBe(4);
  });
});
