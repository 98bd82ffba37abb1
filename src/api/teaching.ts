/**
 * Teaching over HTTP (SPEC §6–7): terms, courses, sections with their enrollments and classes,
 * capture schedules, section toggles (settings), rooms and devices. Writes are operations through
 * Lectern.run; reads come from the world and every "may" in them is policy's decision, attached to
 * each resource as `abilities`.
 *
 * Every read asks policy (SPEC §11): terms, courses and sections are listed and opened through
 * `term.view`, `course.view` and `section.view`, a section's full roster through `section.roster`
 * (others see only their own enrollment). See docs/API.md.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { SECTION_ROLES, TOGGLES, type ToggleKey } from '../domain/catalog.js';
import type { SectionRow } from '../domain/rows.js';
import { decide, describeEffective, describeLevel, effective, type Level, levelsOf, lockAbove } from '../policy/index.js';
import type { World } from '../world/world.js';
import { abilities, authorize, type Caller, caller, decideAs, HttpError, runOp } from './http.js';

const Id = Type.Object({ id: Type.String({ minLength: 1 }) });
const Name = Type.Optional(Type.String({ minLength: 1, maxLength: 200 }));
const Ref = (description: string) => Type.Optional(Type.String({ minLength: 1, description }));
const Day = (description: string) => Type.String({ minLength: 1, description: `${description} (yyyy-mm-dd)` });
const Body = <T extends Record<string, Parameters<typeof Type.Object>[0][string]>>(fields: T) => Type.Object(fields, { additionalProperties: false });

const SECTION_ABILITIES = {
  update: 'section.update',
  delete: 'section.delete',
  settings: 'section.settings',
  analytics: 'section.analytics',
  polling: 'section.polling',
  accessLinks: 'section.accessLinks',
  captureStart: 'section.captureStart',
  enroll: 'section.enroll',
  classCreate: 'class.create',
  qaPost: 'qa.post',
  qaModerate: 'qa.moderate',
  scheduleCreate: 'schedule.create',
};

export const notFound = (field: string, what: string, id: string) => new HttpError(404, { code: 'notFound', field, message: `${what} '${id}' does not exist` });

/** The caller's world, caught up with what other server processes committed. */
export async function current(req: FastifyRequest): Promise<Caller> {
  const c = caller(req);
  await req.server.lectern.refresh(c.institutionId);
  return c;
}

/** The caller's own section role (none for Lectern itself or a system admin from elsewhere). */
function roleIn(c: Caller, sectionId: string) {
  const p = c.principal;
  return p.kind === 'user' && p.institutionId === c.world.institutionId ? c.world.sectionRole(p.userId, sectionId) : undefined;
}

const sees = (c: Caller, action: 'term.view' | 'course.view' | 'section.view' | 'section.roster', id: string): boolean =>
  decide(c.world, c.principal, action, `${action.slice(0, action.indexOf('.'))}:${id}`, {}, { explain: false }).allow;

function sectionFound(c: Caller, id: string): SectionRow {
  const s = c.world.section(id);
  if (!s) throw notFound('id', 'section', id);
  authorize(c, 'section.view', `section:${id}`);
  return s;
}

function unitFilter(w: World, unit: string | undefined): (u: string | undefined) => boolean {
  if (unit === undefined) return () => true;
  if (!w.tree.units.has(unit)) throw notFound('unit', 'unit', unit);
  return (u) => u !== undefined && w.tree.within(u, unit);
}

function sectionView(w: World, s: SectionRow) {
  return { id: s.id, name: s.name, course: s.courseId, term: s.termId, unit: w.sectionUnit(s.id) ?? null };
}

function enrollmentsOf(c: Caller, sectionId: string) {
  const w = c.world;
  const all = sees(c, 'section.roster', sectionId);
  return [...w.enrolled(sectionId)]
    .filter(([u]) => all || (c.principal.kind === 'user' && u === c.principal.userId))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([user, role]) => {
      const u = w.user(user);
      return { user, role, firstName: u?.firstName ?? '', lastName: u?.lastName ?? '', abilities: abilities(c, `section:${sectionId}`, { unenroll: 'section.unenroll' }, { user }) };
    });
}

/** A settings scope as callers write it: a bare unit id, unit:<id>, institution:<id> (its root) or section:<id>. */
function levelOf(w: World, raw: string): Level {
  const i = raw.indexOf(':');
  const type = i < 0 ? 'unit' : raw.slice(0, i);
  const id = i < 0 ? raw : raw.slice(i + 1);
  if (type === 'section') {
    if (!w.section(id)) throw notFound('scope', 'section', id);
    return { scopeType: 'section', scopeId: id };
  }
  if (type === 'institution') {
    if (id !== w.institutionId) throw notFound('scope', 'institution', id);
    return { scopeType: 'unit', scopeId: w.rootId };
  }
  if (type !== 'unit') throw new HttpError(400, { code: 'format', field: 'scope', message: `scope: '${raw}' is not a unit or a section` });
  if (!w.tree.units.has(id)) throw notFound('scope', 'unit', id);
  return { scopeType: 'unit', scopeId: id };
}

const scopeName = (l: Level) => `${l.scopeType}:${l.scopeId}`;
const settingsAction = (l: Level) => (l.scopeType === 'section' ? 'section.settings' : 'unit.settings');

/** Every toggle at one level: its effective value, where it comes from, its lock, and whether the caller may change it here. */
function settingsView(c: Caller, level: Level) {
  const w = c.world;
  const change = decideAs(c, settingsAction(level), scopeName(level));
  const here = w.settingsAt(level.scopeType, level.scopeId);
  const items = (Object.keys(TOGGLES) as ToggleKey[]).map((key) => {
    const e = effective(w, level, key);
    const lock = lockAbove(w, level, key);
    const set = here?.get(key);
    return {
      key,
      value: e.value,
      values: TOGGLES[key].values,
      default: TOGGLES[key].default,
      source: e.source ? scopeName(e.source) : 'default',
      locked: e.locked,
      lockedAt: e.locked && e.source ? scopeName(e.source) : null,
      lockedAbove: lock !== undefined,
      setHere: set ? { value: set.value, allowsOverride: set.allowsOverride } : null,
      mayChange: change.allow && lock === undefined,
      why: lock ? `${describeEffective(w, key, e)}, so it cannot be changed at ${describeLevel(w, level)}` : describeEffective(w, key, e),
    };
  });
  return { scope: scopeName(level), levels: levelsOf(w, level).map(scopeName), abilities: { change: change.allow }, ...(change.allow ? {} : { reasons: change.reasons }), items };
}

export const teachingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // --- terms ---
  app.get(
    '/terms',
    { schema: { summary: 'the terms the caller may see (term.view; unit: within this unit)', tags: ['teaching'], querystring: Body({ unit: Ref('terms of units within this one') }) } },
    async (req) => {
      const c = await current(req);
      const w = c.world;
      const inUnit = unitFilter(w, req.query.unit);
      const items = [...w.tables.term.values()]
        .filter((t) => inUnit(t.unitId) && sees(c, 'term.view', t.id))
        .sort((a, b) => a.startDate.localeCompare(b.startDate) || a.id.localeCompare(b.id))
        .map((t) => ({ id: t.id, name: t.name, unit: t.unitId, start: t.startDate, end: t.endDate, abilities: abilities(c, `term:${t.id}`, { update: 'term.update', delete: 'term.delete' }) }));
      return { revision: w.revision, items };
    },
  );
  app.post(
    '/terms',
    { schema: { summary: 'create a term (in the root unless unit is given)', tags: ['teaching'], body: Body({ id: Type.String({ minLength: 1 }), start: Day('first day'), end: Day('last day'), unit: Ref('unit'), name: Name }) } },
    async (req, reply) => runOp(req, reply, 'term.create', req.body, { created: true }),
  );
  app.patch(
    '/terms/:id',
    { schema: { summary: 'rename a term or change its dates', tags: ['teaching'], params: Id, body: Body({ start: Type.Optional(Day('first day')), end: Type.Optional(Day('last day')), name: Name }) } },
    async (req, reply) => runOp(req, reply, 'term.update', { term: req.params.id, ...req.body }),
  );
  app.delete('/terms/:id', { schema: { summary: 'delete a term with no sections', tags: ['teaching'], params: Id } }, async (req, reply) => runOp(req, reply, 'term.delete', { term: req.params.id }));

  // --- courses ---
  app.get(
    '/courses',
    { schema: { summary: 'the courses the caller may see (course.view; unit: within this unit)', tags: ['teaching'], querystring: Body({ unit: Ref('courses of units within this one') }) } },
    async (req) => {
      const c = await current(req);
      const w = c.world;
      const inUnit = unitFilter(w, req.query.unit);
      const items = [...w.tables.course.values()]
        .filter((x) => inUnit(x.unitId) && sees(c, 'course.view', x.id))
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((x) => ({ id: x.id, name: x.name, unit: x.unitId, abilities: abilities(c, `course:${x.id}`, { update: 'course.update', delete: 'course.delete', sectionCreate: 'section.create' }) }));
      return { revision: w.revision, items };
    },
  );
  app.post(
    '/courses',
    { schema: { summary: 'create a course (in the root unless unit is given)', tags: ['teaching'], body: Body({ id: Type.String({ minLength: 1 }), unit: Ref('unit'), name: Name }) } },
    async (req, reply) => runOp(req, reply, 'course.create', req.body, { created: true }),
  );
  app.patch(
    '/courses/:id',
    { schema: { summary: 'rename a course or move it to another unit', tags: ['teaching'], params: Id, body: Body({ name: Name, unit: Ref('unit') }) } },
    async (req, reply) => runOp(req, reply, 'course.update', { course: req.params.id, ...req.body }),
  );
  app.delete('/courses/:id', { schema: { summary: 'delete a course with no sections', tags: ['teaching'], params: Id } }, async (req, reply) => runOp(req, reply, 'course.delete', { course: req.params.id }));

  // --- sections, their enrollments and classes ---
  app.get(
    '/sections',
    {
      schema: {
        summary: 'the sections the caller may see (section.view), filtered by course, term and unit',
        tags: ['teaching'],
        querystring: Body({ course: Ref('course id'), term: Ref('term id'), unit: Ref('sections of units within this one') }),
      },
    },
    async (req) => {
      const c = await current(req);
      const w = c.world;
      const { course, term } = req.query;
      if (course !== undefined && !w.course(course)) throw notFound('course', 'course', course);
      if (term !== undefined && !w.term(term)) throw notFound('term', 'term', term);
      const inUnit = unitFilter(w, req.query.unit);
      const items = [...w.tables.section.values()]
        .filter((s) => (course === undefined || s.courseId === course) && (term === undefined || s.termId === term) && inUnit(w.sectionUnit(s.id)) && sees(c, 'section.view', s.id))
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((s) => ({ ...sectionView(w, s), role: roleIn(c, s.id) ?? null, abilities: abilities(c, `section:${s.id}`, { update: 'section.update', delete: 'section.delete' }) }));
      return { revision: w.revision, items };
    },
  );
  app.get('/sections/:id', { schema: { summary: 'one section with its enrollments, classes and the caller’s capabilities there', tags: ['teaching'], params: Id } }, async (req) => {
    const c = await current(req);
    const w = c.world;
    const s = sectionFound(c, req.params.id);
    const classes = [...w.classesOf(s.id)].sort().map((id) => {
      const k = w.class(id)!;
      return { id, name: k.name, kind: k.kind, media: w.mediaInClass(id).size, abilities: abilities(c, `class:${id}`, { delete: 'class.delete' }) };
    });
    return {
      revision: w.revision,
      section: { ...sectionView(w, s), courseName: w.course(s.courseId)?.name ?? null, termName: w.term(s.termId)?.name ?? null },
      role: roleIn(c, s.id) ?? null,
      enrollments: enrollmentsOf(c, s.id),
      classes,
      abilities: { ...abilities(c, `section:${s.id}`, SECTION_ABILITIES), enrollInstructors: decideAs(c, 'section.enroll', `section:${s.id}`, { role: 'instructor' }).allow },
    };
  });
  app.post(
    '/sections',
    { schema: { summary: 'create a section of a course in a term', tags: ['teaching'], body: Body({ id: Type.String({ minLength: 1 }), course: Type.String({ minLength: 1 }), term: Type.String({ minLength: 1 }), name: Name }) } },
    async (req, reply) => runOp(req, reply, 'section.create', req.body, { created: true }),
  );
  app.patch(
    '/sections/:id',
    { schema: { summary: 'rename a section or move it to another term', tags: ['teaching'], params: Id, body: Body({ name: Name, term: Ref('term id') }) } },
    async (req, reply) => runOp(req, reply, 'section.update', { section: req.params.id, ...req.body }),
  );
  app.delete('/sections/:id', { schema: { summary: 'delete a section with its enrollments, classes, settings and schedules', tags: ['teaching'], params: Id } }, async (req, reply) =>
    runOp(req, reply, 'section.delete', { section: req.params.id }),
  );

  const Enrollment = Type.Object({ id: Type.String({ minLength: 1 }), user: Type.String({ minLength: 1 }) });
  app.get('/sections/:id/enrollments', { schema: { summary: 'who holds which role in a section (only oneself, for its students)', tags: ['teaching'], params: Id } }, async (req) => {
    const c = await current(req);
    const s = sectionFound(c, req.params.id);
    return { revision: c.world.revision, items: enrollmentsOf(c, s.id) };
  });
  app.put(
    '/sections/:id/enrollments/:user',
    {
      schema: {
        summary: 'enroll a user with a section role, or change their role (section.enroll)',
        tags: ['teaching'],
        params: Enrollment,
        body: Body({ role: Type.String({ minLength: 1, description: SECTION_ROLES.join(', ') }) }),
      },
    },
    async (req, reply) => runOp(req, reply, 'section.enroll', { section: req.params.id, user: req.params.user, role: req.body.role }, { created: true }),
  );
  app.delete('/sections/:id/enrollments/:user', { schema: { summary: 'unenroll a user (section.unenroll)', tags: ['teaching'], params: Enrollment } }, async (req, reply) =>
    runOp(req, reply, 'section.unenroll', { section: req.params.id, user: req.params.user }),
  );

  app.post(
    '/classes',
    {
      schema: {
        summary: 'create a class in a section (manual; system classes are Lectern’s or an admin’s)',
        tags: ['teaching'],
        body: Body({ id: Type.String({ minLength: 1 }), section: Type.String({ minLength: 1 }), kind: Type.Optional(Type.Union([Type.Literal('manual'), Type.Literal('system')])), name: Name }),
      },
    },
    async (req, reply) => runOp(req, reply, 'class.create', req.body, { created: true }),
  );
  app.delete('/classes/:id', { schema: { summary: 'delete a class and what is published in it', tags: ['teaching'], params: Id } }, async (req, reply) =>
    runOp(req, reply, 'class.delete', { class: req.params.id }),
  );

  // --- capture schedules ---
  app.get(
    '/schedules',
    { schema: { summary: 'the capture schedules the caller may update (schedules with no section: admins with rights only)', tags: ['teaching'], querystring: Body({ section: Ref('section id'), unit: Ref('schedules of units within this one') }) } },
    async (req) => {
      const c = await current(req);
      const w = c.world;
      const { section } = req.query;
      if (section !== undefined && !w.section(section)) throw notFound('section', 'section', section);
      const inUnit = unitFilter(w, req.query.unit);
      const items = [...w.tables.schedule.values()]
        .filter((s) => (section === undefined || s.sectionId === section) && inUnit(s.unitId) && decideAs(c, 'schedule.update', `schedule:${s.id}`).allow)
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((s) => ({ id: s.id, name: s.name, section: s.sectionId, unit: s.unitId, presenter: s.presenterId, room: s.roomId, abilities: abilities(c, `schedule:${s.id}`, { update: 'schedule.update', delete: 'schedule.delete' }) }));
      return { revision: w.revision, items };
    },
  );
  app.post(
    '/schedules',
    {
      schema: {
        summary: 'create a capture schedule (for a section, or with no section in a unit)',
        tags: ['teaching'],
        body: Body({ id: Type.String({ minLength: 1 }), section: Ref('section id'), presenter: Ref('an instructor or guest presenter of the section'), unit: Ref('for a schedule with no section'), room: Ref('room id'), name: Name }),
      },
    },
    async (req, reply) => runOp(req, reply, 'schedule.create', req.body, { created: true }),
  );
  app.patch(
    '/schedules/:id',
    { schema: { summary: 'change a schedule’s presenter, room or name', tags: ['teaching'], params: Id, body: Body({ presenter: Ref('an instructor or guest presenter of the section'), room: Ref('room id'), name: Name }) } },
    async (req, reply) => runOp(req, reply, 'schedule.update', { schedule: req.params.id, ...req.body }),
  );
  app.delete('/schedules/:id', { schema: { summary: 'delete a capture schedule', tags: ['teaching'], params: Id } }, async (req, reply) => runOp(req, reply, 'schedule.delete', { schedule: req.params.id }));
  app.post(
    '/schedules/:id/captures',
    {
      schema: {
        summary: 'register a capture the schedule produced: owned by its presenter, published in a system class of its section (capture.register)',
        tags: ['teaching'],
        params: Id,
        body: Body({ media: Type.String({ minLength: 1, description: 'the capture’s media id' }), title: Name, class: Ref('a system class of the section; default: a new one named after the capture') }),
      },
    },
    async (req, reply) => runOp(req, reply, 'capture.register', { schedule: req.params.id, ...req.body }, { created: true }),
  );

  // --- toggles ---
  const Scope = Type.String({ minLength: 1, description: 'a unit id (or unit:<id>, institution:<id>) or section:<id>' });
  const Key = Type.String({ minLength: 1, description: Object.keys(TOGGLES).join(', ') });
  app.get('/settings', { schema: { summary: 'every toggle at a unit or section: effective value, source, lock, and whether the caller may change it', tags: ['settings'], querystring: Body({ scope: Scope }) } }, async (req) => {
    const c = await current(req);
    const level = levelOf(c.world, req.query.scope);
    // A section's settings are seen by whoever sees the section; a unit's by whoever may change them.
    if (level.scopeType === 'section') sectionFound(c, level.scopeId);
    else authorize(c, 'unit.settings', scopeName(level));
    return { revision: c.world.revision, ...settingsView(c, level) };
  });
  app.put(
    '/settings',
    {
      schema: {
        summary: 'set a toggle at a unit or section (settings.set); refused below a lock',
        tags: ['settings'],
        body: Body({ scope: Scope, key: Key, value: Type.Union([Type.String({ minLength: 1 }), Type.Boolean()]), allowsOverride: Type.Optional(Type.Union([Type.Boolean(), Type.String({ minLength: 1 })])) }),
      },
    },
    async (req, reply) => runOp(req, reply, 'settings.set', req.body),
  );
  app.delete('/settings', { schema: { summary: 'clear a toggle at a unit or section (settings.clear); ?scope=&key=', tags: ['settings'], querystring: Body({ scope: Scope, key: Key }) } }, async (req, reply) =>
    runOp(req, reply, 'settings.clear', req.query),
  );

  // --- rooms and devices (outside the hierarchy) ---
  app.get('/rooms', { schema: { summary: 'rooms the caller may configure, with their devices', tags: ['facilities'] } }, async (req) => {
    const c = await current(req);
    const w = c.world;
    const devices = [...w.tables.device.values()];
    const items = [...w.tables.room.values()]
      .filter((r) => decideAs(c, 'room.view', `room:${r.id}`).allow)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((r) => ({ id: r.id, name: r.name, devices: devices.filter((d) => d.roomId === r.id).map((d) => d.id).sort(), abilities: abilities(c, `room:${r.id}`, { configure: 'room.configure', delete: 'room.delete' }) }));
    return { revision: w.revision, items, abilities: abilities(c, `institution:${c.institutionId}`, { create: 'room.create', registerDevice: 'device.register' }) };
  });
  app.post('/rooms', { schema: { summary: 'add a room', tags: ['facilities'], body: Body({ id: Type.String({ minLength: 1 }), name: Name }) } }, async (req, reply) =>
    runOp(req, reply, 'room.create', req.body, { created: true }),
  );
  app.patch('/rooms/:id', { schema: { summary: 'rename a room (room.configure)', tags: ['facilities'], params: Id, body: Body({ name: Name }) } }, async (req, reply) =>
    runOp(req, reply, 'room.configure', { room: req.params.id, ...req.body }),
  );
  app.delete('/rooms/:id', { schema: { summary: 'delete a room with no devices or schedules', tags: ['facilities'], params: Id } }, async (req, reply) => runOp(req, reply, 'room.delete', { room: req.params.id }));

  app.get('/devices', { schema: { summary: 'capture devices the caller may configure', tags: ['facilities'], querystring: Body({ room: Ref('devices in this room') }) } }, async (req) => {
    const c = await current(req);
    const w = c.world;
    const { room } = req.query;
    if (room !== undefined && !w.room(room)) throw notFound('room', 'room', room);
    const items = [...w.tables.device.values()]
      .filter((d) => (room === undefined || d.roomId === room) && decideAs(c, 'device.view', `device:${d.id}`).allow)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((d) => ({
        id: d.id,
        name: d.name,
        room: d.roomId,
        configuration: JSON.parse(d.configuration) as unknown,
        abilities: abilities(c, `device:${d.id}`, { configure: 'device.configure', assign: 'device.assign', delete: 'device.delete' }),
      }));
    return { revision: w.revision, items };
  });
  app.post('/devices', { schema: { summary: 'register a device, optionally in a room', tags: ['facilities'], body: Body({ id: Type.String({ minLength: 1 }), room: Ref('room id'), name: Name }) } }, async (req, reply) =>
    runOp(req, reply, 'device.register', req.body, { created: true }),
  );
  app.patch(
    '/devices/:id',
    {
      schema: {
        summary: 'assign a device to a room ({room}, null to unassign) or configure it ({name, configuration}); one of the two per request',
        tags: ['facilities'],
        params: Id,
        body: Body({ room: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])), name: Name, configuration: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }),
      },
    },
    async (req, reply) => {
      const { room, ...conf } = req.body;
      if (room === undefined) return runOp(req, reply, 'device.configure', { device: req.params.id, ...conf });
      // Two operations in one request could half-apply; assigning and configuring are separate requests.
      if (Object.keys(conf).length > 0) throw new HttpError(400, { code: 'invalid', field: 'room', message: 'room: send room alone (device.assign), or name/configuration without it (device.configure)' });
      return runOp(req, reply, 'device.assign', { device: req.params.id, room });
    },
  );
  app.delete('/devices/:id', { schema: { summary: 'remove a device', tags: ['facilities'], params: Id } }, async (req, reply) => runOp(req, reply, 'device.delete', { device: req.params.id }));
};
