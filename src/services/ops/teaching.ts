/**
 * Teaching operations (SPEC §6–7): terms, courses, sections, enrollments, capture schedules,
 * settings (toggles), classes, rooms and devices.
 */
import { CLASS_KINDS, isToggleKey, SECTION_ROLES, TOGGLES, type SectionRole, type ToggleKey } from '../../domain/catalog.js';
import { conflict, invalid, notFound } from '../../domain/outcome.js';
import type { Change, ClassRow, CourseRow, DeviceRow, RoomRow, ScheduleRow, SectionRow, SettingRow, TermRow } from '../../domain/rows.js';
import { describeLevel, lockAbove, refuseMoveUnderLock, type Level } from '../../policy/index.js';
import type { World } from '../../world/world.js';
import { at, custom, defineOp, find, findOpt, given, inInstitution, type Operation, put } from '../operation.js';
import { bool, date, id, mapping, oneOf, optional, passed, text } from '../validate.js';

/** The rows that go with a section when it is deleted: enrollments, classes and what is published in them, settings, schedules. */
function sectionRemoval(w: World, s: SectionRow): Change[] {
  const changes: Change[] = [];
  for (const [userId, role] of w.enrolled(s.id)) changes.push({ table: 'enrollment', op: 'del', row: { institutionId: w.institutionId, sectionId: s.id, userId, role } });
  for (const classId of w.classesOf(s.id)) changes.push(...classRemoval(w, find(w, 'class', classId)));
  for (const setting of w.settingsAt('section', s.id)?.values() ?? []) changes.push({ table: 'setting', op: 'del', row: setting });
  for (const sch of w.tables.schedule.values()) if (sch.sectionId === s.id) changes.push({ table: 'schedule', op: 'del', row: sch });
  changes.push({ table: 'section', op: 'del', row: s });
  return changes;
}

export function classRemoval(w: World, c: ClassRow): Change[] {
  const changes: Change[] = [];
  for (const mediaId of w.mediaInClass(c.id)) {
    const p = w.publicationsOf(mediaId).find((x) => x.classId === c.id);
    if (p) changes.push({ table: 'publication', op: 'del', row: p });
  }
  changes.push({ table: 'class', op: 'del', row: c });
  return changes;
}

/** A setting scope as callers write it: a bare id or unit:<id> is a unit, section:<id> a section. */
function levelOf(w: World, raw: string): Level {
  const i = raw.indexOf(':');
  const type = i < 0 ? 'unit' : raw.slice(0, i);
  const key = i < 0 ? raw : raw.slice(i + 1);
  if (type === 'section') return { scopeType: 'section', scopeId: find(w, 'section', key, 'scope').id };
  if (type === 'institution') {
    if (key !== w.institutionId) throw notFound('scope', 'institution', key);
    return { scopeType: 'unit', scopeId: w.rootId };
  }
  if (type !== 'unit') throw invalid('scope', `'${raw}' is not a unit or a section`, 'format');
  return { scopeType: 'unit', scopeId: find(w, 'unit', key, 'scope').id };
}

/** A setting is checked as `section.settings` on its section or `unit.settings` on its unit. */
const onLevel = custom<{ scope: string }, unknown>(({ world, args }) => {
  const level = levelOf(world, args.scope);
  return level.scopeType === 'section' ? { action: 'section.settings', resource: `section:${level.scopeId}`, context: {} } : { action: 'unit.settings', resource: `unit:${level.scopeId}`, context: {} };
});

function toggleKey(raw: string): ToggleKey {
  if (!isToggleKey(raw)) throw invalid('key', `must be one of ${Object.keys(TOGGLES).join(', ')}, not '${raw}'`, 'enum');
  return raw;
}

/** A toggle's value: on/off (or true/false) for the two-valued ones, else one of its values. */
function toggleValue(key: ToggleKey, raw: unknown): string {
  const spec = TOGGLES[key];
  if (spec.values.length === 2 && spec.values.includes('on')) return bool().read(raw, 'value') ? 'on' : 'off';
  return oneOf(spec.values).read(raw, 'value');
}

const range = (start: string, end: string): void => {
  if (end < start) throw invalid('end', `${end} is before the start ${start}`, 'range');
};

const duplicate = (what: string, key: string) => conflict('duplicateId', `a ${what} '${key}' already exists`, 'id');

function inUse(using: string[], what: string, field: string, then = ''): void {
  if (using.length) throw conflict('inUse', `${what} (${using.slice(0, 5).join(', ')}${using.length > 5 ? ', …' : ''})${then}`, field);
}

function termWithin(w: World, courseUnit: string, term: TermRow): void {
  if (!w.tree.within(courseUnit, term.unitId)) {
    throw invalid('term', `term ${term.id} belongs to ${w.tree.name(term.unitId)}, which does not contain the course's unit ${w.tree.name(courseUnit)}`, 'scope');
  }
}

function presenting(w: World, sectionId: string, userId: string): string[] {
  return [...w.tables.schedule.values()].filter((x) => x.sectionId === sectionId && x.presenterId === userId).map((x) => x.id);
}

const ROOT = (w: World) => w.rootId;

const TERM_DATES = { start: optional(date()), end: optional(date()), name: optional(text()) };

export const teachingOps: Record<string, Operation> = {
  'term.create': defineOp({
    action: 'term.create',
    args: { id: id(), start: date(), end: date(), unit: optional(id()), name: optional(text()) },
    load: ({ world: w, args }) => {
      range(args.start, args.end);
      return find(w, 'unit', args.unit ?? w.rootId);
    },
    on: at('unit', 'unit', ROOT),
    plan({ world: w, args, loaded: unit }) {
      if (w.term(args.id)) throw duplicate('term', args.id);
      const row: TermRow = { institutionId: w.institutionId, id: args.id, unitId: unit.id, name: args.name ?? args.id, startDate: args.start, endDate: args.end };
      return { changes: [{ table: 'term', op: 'put', row }], target: `term:${args.id}`, result: row };
    },
  }),
  'term.update': defineOp({
    action: 'term.update',
    args: { term: id(), ...TERM_DATES },
    load: ({ world: w, args }) => {
      const cur = find(w, 'term', args.term);
      const row: TermRow = { ...cur, name: args.name ?? cur.name, startDate: args.start ?? cur.startDate, endDate: args.end ?? cur.endDate };
      range(row.startDate, row.endDate);
      return { cur, row };
    },
    on: at('term', 'term'),
    plan: ({ loaded: { cur, row } }) => ({ changes: put('term', row, cur), target: `term:${cur.id}`, result: row }),
  }),
  'term.delete': defineOp({
    action: 'term.delete',
    args: { term: id() },
    load: ({ world: w, args }) => find(w, 'term', args.term),
    on: at('term', 'term'),
    plan({ world: w, loaded: cur }) {
      inUse([...w.tables.section.values()].filter((s) => s.termId === cur.id).map((s) => s.id), `term ${cur.id} still has sections`, 'term');
      return { changes: [{ table: 'term', op: 'del', row: cur }], target: `term:${cur.id}` };
    },
  }),
  'course.create': defineOp({
    action: 'course.create',
    args: { id: id(), unit: optional(id()), name: optional(text()) },
    load: ({ world: w, args }) => find(w, 'unit', args.unit ?? w.rootId),
    on: at('unit', 'unit', ROOT),
    plan({ world: w, args, loaded: unit }) {
      if (w.course(args.id)) throw duplicate('course', args.id);
      const row: CourseRow = { institutionId: w.institutionId, id: args.id, unitId: unit.id, name: args.name ?? args.id };
      return { changes: [{ table: 'course', op: 'put', row }], target: `course:${args.id}`, result: row };
    },
  }),
  'course.update': defineOp({
    action: 'course.update',
    args: { course: id(), name: optional(text()), unit: optional(id()) },
    load: ({ world: w, args }) => ({ cur: find(w, 'course', args.course), unit: findOpt(w, 'unit', args.unit)?.id }),
    on: at('course', 'course'),
    plan({ world: w, actor, args, loaded: { cur, unit }, authorize }) {
      if (unit !== undefined && unit !== cur.unitId) {
        authorize('course.create', `unit:${unit}`);
        // Every section's term must still belong to a unit containing the course's new unit.
        for (const sec of w.tables.section.values()) {
          if (sec.courseId !== cur.id) continue;
          const t = find(w, 'term', sec.termId);
          if (!w.tree.within(unit, t.unitId)) {
            throw conflict('termOutOfScope', `section ${sec.id} runs in term ${t.id} of ${w.tree.name(t.unitId)}, which does not contain ${w.tree.name(unit)}`, 'unit');
          }
        }
      }
      refuseMoveUnderLock(actor, { type: 'course', id: cur.id }, unit, 'unit');
      const row: CourseRow = { ...cur, name: args.name ?? cur.name, unitId: unit ?? cur.unitId };
      return { changes: put('course', row, cur), target: `course:${cur.id}`, result: row };
    },
  }),
  'course.delete': defineOp({
    action: 'course.delete',
    args: { course: id() },
    load: ({ world: w, args }) => find(w, 'course', args.course),
    on: at('course', 'course'),
    plan({ world: w, loaded: cur }) {
      inUse([...w.tables.section.values()].filter((s) => s.courseId === cur.id).map((s) => s.id), `course ${cur.id} still has sections`, 'course', '; delete them first');
      return { changes: [{ table: 'course', op: 'del', row: cur }], target: `course:${cur.id}` };
    },
  }),
  'section.create': defineOp({
    action: 'section.create',
    args: { id: id(), course: id(), term: id(), name: optional(text()) },
    load: ({ world: w, args }) => ({ course: find(w, 'course', args.course), term: find(w, 'term', args.term) }),
    on: at('course', 'course'),
    plan({ world: w, args, loaded: { course, term } }) {
      termWithin(w, course.unitId, term);
      if (w.section(args.id)) throw duplicate('section', args.id);
      const row: SectionRow = { institutionId: w.institutionId, id: args.id, courseId: course.id, termId: term.id, name: args.name ?? args.id };
      return { changes: [{ table: 'section', op: 'put', row }], target: `section:${args.id}`, result: row };
    },
  }),
  'section.update': defineOp({
    action: 'section.update',
    args: { section: id(), name: optional(text()), term: optional(id()) },
    load: ({ world: w, args }) => ({ cur: find(w, 'section', args.section), term: findOpt(w, 'term', args.term) }),
    on: at('section', 'section'),
    plan({ world: w, args, loaded: { cur, term } }) {
      if (term) termWithin(w, find(w, 'course', cur.courseId).unitId, term);
      const row: SectionRow = { ...cur, name: args.name ?? cur.name, termId: term?.id ?? cur.termId };
      return { changes: put('section', row, cur), target: `section:${cur.id}`, result: row };
    },
  }),
  'section.delete': defineOp({
    action: 'section.delete',
    args: { section: id() },
    load: ({ world: w, args }) => find(w, 'section', args.section),
    on: at('section', 'section'),
    plan: ({ world: w, loaded: cur }) => ({ changes: sectionRemoval(w, cur), target: `section:${cur.id}` }),
  }),
  'section.enroll': defineOp({
    action: 'section.enroll',
    args: { section: id(), user: id(), role: oneOf(SECTION_ROLES) },
    load: ({ world: w, args }) => {
      const section = find(w, 'section', args.section);
      find(w, 'user', args.user);
      return section;
    },
    on: at('section', 'section'),
    plan({ world: w, args: { user, role }, loaded: section }) {
      assertMayHold(w, user, section.id, role);
      const cur = w.sectionRole(user, section.id);
      const presents = (r: string | undefined) => r === 'instructor' || r === 'guest_presenter';
      if (presents(cur) && !presents(role)) {
        const p = presenting(w, section.id, user);
        if (p.length) throw conflict('inUse', `${user} presents schedules of this section (${p.join(', ')}), and a presenter is an instructor or guest presenter; change their presenter first`, 'role');
      }
      const row = { institutionId: w.institutionId, sectionId: section.id, userId: user, role };
      return { changes: cur === role ? [] : [{ table: 'enrollment', op: 'put', row }], target: `section:${section.id}`, result: row };
    },
  }),
  'section.unenroll': defineOp({
    action: 'section.unenroll',
    args: { section: id(), user: id() },
    load: ({ world: w, args }) => {
      const section = find(w, 'section', args.section);
      find(w, 'user', args.user);
      const role = w.sectionRole(args.user, section.id);
      if (!role) throw notFound('user', `enrollment in section ${section.id} of user`, args.user);
      return { institutionId: w.institutionId, sectionId: section.id, userId: args.user, role };
    },
    on: at('section', 'section'),
    plan({ world: w, loaded: row }) {
      const p = presenting(w, row.sectionId, row.userId);
      if (p.length) throw conflict('inUse', `${row.userId} presents schedules of this section (${p.join(', ')}); change their presenter first`, 'user');
      return { changes: [{ table: 'enrollment', op: 'del', row }], target: `section:${row.sectionId}` };
    },
  }),
  'schedule.create': defineOp({
    action: 'schedule.create',
    args: { id: id(), section: optional(id()), presenter: optional(id()), unit: optional(id()), room: optional(id()), name: optional(text()) },
    load: ({ world: w, args }) => {
      const section = findOpt(w, 'section', args.section);
      const unit = findOpt(w, 'unit', args.unit)?.id;
      findOpt(w, 'room', args.room);
      findOpt(w, 'user', args.presenter, 'presenter');
      return { unit: section ? (w.sectionUnit(section.id) ?? w.rootId) : (unit ?? w.rootId) };
    },
    // On its section when it has one, else on its unit.
    on: custom<{ section: string | undefined; unit: string | undefined }, unknown>(
      ({ args, world }) => {
        const { section, unit, ...rest } = args;
        return { resource: section !== undefined ? `section:${section}` : `unit:${unit ?? world.rootId}`, context: given(rest) };
      },
      (ref, context) => (ref.type === 'section' ? { ...context, section: ref.id } : ref.type === 'unit' ? { ...context, unit: ref.id } : undefined),
    ),
    plan({ world: w, args, loaded: { unit } }) {
      if (w.schedule(args.id)) throw duplicate('schedule', args.id);
      if (args.presenter !== undefined) assertPresenter(w, args.presenter, args.section);
      const row: ScheduleRow = { institutionId: w.institutionId, id: args.id, sectionId: args.section ?? null, unitId: unit, presenterId: args.presenter ?? null, roomId: args.room ?? null, name: args.name ?? args.id };
      return { changes: [{ table: 'schedule', op: 'put', row }], target: `schedule:${args.id}`, result: row };
    },
  }),
  'schedule.update': defineOp({
    action: 'schedule.update',
    args: { schedule: id(), presenter: optional(id()), room: optional(id()), name: optional(text()) },
    load: ({ world: w, args }) => {
      findOpt(w, 'user', args.presenter, 'presenter');
      findOpt(w, 'room', args.room);
      return find(w, 'schedule', args.schedule);
    },
    on: at('schedule', 'schedule'),
    plan({ world: w, args, loaded: cur }) {
      if (args.presenter !== undefined) assertPresenter(w, args.presenter, cur.sectionId ?? undefined);
      const row: ScheduleRow = { ...cur, presenterId: args.presenter ?? cur.presenterId, roomId: args.room ?? cur.roomId, name: args.name ?? cur.name };
      return { changes: put('schedule', row, cur), target: `schedule:${cur.id}`, result: row };
    },
  }),
  'schedule.delete': defineOp({
    action: 'schedule.delete',
    args: { schedule: id() },
    load: ({ world: w, args }) => find(w, 'schedule', args.schedule),
    on: at('schedule', 'schedule'),
    plan: ({ loaded: cur }) => ({ changes: [{ table: 'schedule', op: 'del', row: cur }], target: `schedule:${cur.id}` }),
  }),
  'settings.set': defineOp({
    action: 'unit.settings',
    args: { scope: text(140), key: text(64), value: passed(), allowsOverride: optional(bool()) },
    load: ({ world: w, args }) => {
      const level = levelOf(w, args.scope);
      const key = toggleKey(args.key);
      return { level, key, value: toggleValue(key, args.value) };
    },
    on: onLevel,
    plan({ world: w, args, loaded: { level, key, value } }) {
      const lock = lockAbove(w, level, key);
      if (lock) throw conflict('lockedAbove', `${key} is locked at ${describeLevel(w, lock)} (allowsOverride is off there), so it cannot be changed at ${describeLevel(w, level)}`, 'key');
      const row: SettingRow = { institutionId: w.institutionId, scopeType: level.scopeType, scopeId: level.scopeId, key, value, allowsOverride: args.allowsOverride ?? true };
      return { changes: put('setting', row, w.settingsAt(level.scopeType, level.scopeId)?.get(key)), target: `${level.scopeType}:${level.scopeId}`, result: row };
    },
  }),
  'settings.clear': defineOp({
    action: 'unit.settings',
    args: { scope: text(140), key: text(64) },
    load: ({ world: w, args }) => ({ level: levelOf(w, args.scope), key: toggleKey(args.key) }),
    on: onLevel,
    plan({ world: w, loaded: { level, key } }) {
      const cur = w.settingsAt(level.scopeType, level.scopeId)?.get(key);
      if (!cur) throw notFound('key', `setting at ${describeLevel(w, level)}`, key);
      const lock = lockAbove(w, level, key);
      if (lock) throw conflict('lockedAbove', `${key} is locked at ${describeLevel(w, lock)}`, 'key');
      return { changes: [{ table: 'setting', op: 'del', row: cur }], target: `${level.scopeType}:${level.scopeId}` };
    },
  }),
  'class.create': defineOp({
    action: 'class.create',
    args: { id: id(), section: id(), kind: optional(oneOf(CLASS_KINDS)), name: optional(text()) },
    load: ({ world: w, args }) => find(w, 'section', args.section),
    on: at('section', 'section'),
    plan({ world: w, args, actor, loaded: section }) {
      const kind = args.kind ?? 'manual';
      // System classes hold captures; people create manual ones (admins may create either).
      const unit = w.sectionUnit(section.id);
      if (kind === 'system' && !actor.isSystem && !(unit !== undefined && actor.adminUnitOver(unit))) {
        throw invalid('kind', 'system classes are created by Lectern for captures (or by an admin); create a manual class', 'enum');
      }
      if (w.class(args.id)) throw duplicate('class', args.id);
      const row: ClassRow = { institutionId: w.institutionId, id: args.id, sectionId: section.id, kind, name: args.name ?? args.id };
      return { changes: [{ table: 'class', op: 'put', row }], target: `class:${args.id}`, result: row };
    },
  }),
  'class.delete': defineOp({
    action: 'class.delete',
    args: { class: id() },
    load: ({ world: w, args }) => find(w, 'class', args.class),
    on: at('class', 'class'),
    plan: ({ world: w, loaded: cur }) => ({ changes: classRemoval(w, cur), target: `class:${cur.id}` }),
  }),
  'room.create': defineOp({
    action: 'room.create',
    args: { id: id(), name: optional(text()) },
    on: inInstitution(),
    plan({ world: w, args }) {
      if (w.room(args.id)) throw duplicate('room', args.id);
      const row: RoomRow = { institutionId: w.institutionId, id: args.id, name: args.name ?? args.id };
      return { changes: [{ table: 'room', op: 'put', row }], target: `room:${args.id}`, result: row };
    },
  }),
  'room.configure': defineOp({
    action: 'room.configure',
    args: { room: id(), name: optional(text()) },
    load: ({ world: w, args }) => find(w, 'room', args.room),
    on: at('room', 'room'),
    plan({ args, loaded: cur }) {
      const row: RoomRow = { ...cur, name: args.name ?? cur.name };
      return { changes: put('room', row, cur), target: `room:${cur.id}`, result: row };
    },
  }),
  'room.delete': defineOp({
    action: 'room.delete',
    args: { room: id() },
    load: ({ world: w, args }) => find(w, 'room', args.room),
    on: at('room', 'room'),
    plan({ world: w, loaded: cur }) {
      const devices = [...w.tables.device.values()].filter((d) => d.roomId === cur.id).map((d) => d.id);
      if (devices.length) throw conflict('inUse', `room ${cur.id} still has devices (${devices.join(', ')})`, 'room');
      const schedules = [...w.tables.schedule.values()].filter((s) => s.roomId === cur.id).map((s) => s.id);
      if (schedules.length) throw conflict('inUse', `room ${cur.id} is used by schedules (${schedules.join(', ')})`, 'room');
      return { changes: [{ table: 'room', op: 'del', row: cur }], target: `room:${cur.id}` };
    },
  }),
  'device.register': defineOp({
    action: 'device.register',
    args: { id: id(), room: optional(id()), name: optional(text()) },
    load: ({ world: w, args }) => findOpt(w, 'room', args.room),
    on: inInstitution(),
    plan({ world: w, args }) {
      if (w.device(args.id)) throw duplicate('device', args.id);
      const row: DeviceRow = { institutionId: w.institutionId, id: args.id, roomId: args.room ?? null, name: args.name ?? args.id, configuration: '{}' };
      return { changes: [{ table: 'device', op: 'put', row }], target: `device:${args.id}`, result: row };
    },
  }),
  'device.assign': defineOp({
    action: 'device.assign',
    // With no room (or room: null), the device is taken out of its room.
    args: { device: id(), room: optional(id()) },
    load: ({ world: w, args }) => {
      findOpt(w, 'room', args.room);
      return find(w, 'device', args.device);
    },
    on: at('device', 'device'),
    plan({ args, loaded: cur }) {
      const row: DeviceRow = { ...cur, roomId: args.room ?? null };
      return { changes: put('device', row, cur), target: `device:${cur.id}`, result: row };
    },
  }),
  'device.configure': defineOp({
    action: 'device.configure',
    args: { device: id(), name: optional(text()), configuration: optional(mapping(10_000)) },
    load: ({ world: w, args }) => find(w, 'device', args.device),
    on: at('device', 'device'),
    plan({ args, loaded: cur }) {
      const row: DeviceRow = { ...cur, name: args.name ?? cur.name, configuration: args.configuration ?? cur.configuration };
      return { changes: put('device', row, cur), target: `device:${cur.id}`, result: row };
    },
  }),
  'device.delete': defineOp({
    action: 'device.delete',
    args: { device: id() },
    load: ({ world: w, args }) => find(w, 'device', args.device),
    on: at('device', 'device'),
    plan: ({ loaded: cur }) => ({ changes: [{ table: 'device', op: 'del', row: cur }], target: `device:${cur.id}` }),
  }),
};

/** Staff section roles need academic staff within the section's unit (SPEC §3). */
function assertMayHold(w: World, userId: string, sectionId: string, role: SectionRole): void {
  if (role === 'student' || role === 'student_presenter') return;
  const unit = w.sectionUnit(sectionId) ?? w.rootId;
  const ok = w.listedUnits(userId, 'academic_staff').some((u) => w.tree.within(unit, u));
  if (!ok) {
    throw conflict('notAcademicStaff', `${userId} is not academic staff within ${w.tree.name(unit)}, and ${role.replace('_', ' ')} is a staff section role`, 'user');
  }
}

/**
 * A schedule's presenter is an instructor or a guest presenter of its section (issue 20: a TA
 * presents only as a guest presenter; student presenters never appear in schedules).
 */
function assertPresenter(w: World, presenter: string, sectionId: string | undefined): void {
  if (sectionId === undefined) return;
  const role = w.sectionRole(presenter, sectionId);
  if (role !== 'instructor' && role !== 'guest_presenter') {
    throw conflict('presenterNotInstructor', `${presenter} is ${role ? `a ${role.replace('_', ' ')}` : 'not enrolled'} in section ${sectionId}; a schedule's presenter is an instructor or a guest presenter of the section`, 'presenter');
  }
}
