/**
 * Teaching operations (SPEC §6–7): terms, courses, sections, enrollments, capture schedules,
 * settings (toggles), classes, rooms and devices.
 */
import { CLASS_KINDS, isSectionRole, isToggleKey, SECTION_ROLES, TOGGLES, type SectionRole } from '../../domain/catalog.js';
import { conflict, invalid, notFound } from '../../domain/outcome.js';
import type { Change, ClassRow, CourseRow, DeviceRow, RoomRow, ScheduleRow, SectionRow, SettingRow, TermRow } from '../../domain/rows.js';
import { describeLevel, lockAbove, refuseMoveUnderLock, type Level } from '../../policy/index.js';
import type { World } from '../../world/world.js';
import { authorize, type OpContext, type Operation } from '../operation.js';
import { type Args, id, only, optBool, optEnum, optId, optStr, str } from '../validate.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isoDate(args: Args, field: string, required: boolean): string | undefined {
  const raw = args[field];
  if (raw === undefined || raw === null) {
    if (required) throw invalid(field, 'is required', 'required');
    return undefined;
  }
  const v = raw instanceof Date ? raw.toISOString().slice(0, 10) : String(raw).trim();
  const d = new Date(`${v}T00:00:00Z`);
  if (!DATE.test(v) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) {
    throw invalid(field, `'${v}' is not a calendar date (yyyy-mm-dd)`, 'format');
  }
  return v;
}

function must<T>(v: T | undefined, field: string, what: string, key: string): T {
  if (v === undefined) throw notFound(field, what, key);
  return v;
}

function unitArg(w: World, args: Args, field: string): string | undefined {
  const u = optId(args, field);
  if (u !== undefined && !w.tree.units.has(u)) throw notFound(field, 'unit', u);
  return u;
}

/** The rows that go with a section when it is deleted: enrollments, classes and what is published in them, settings, schedules. */
function sectionRemoval(w: World, s: SectionRow): Change[] {
  const changes: Change[] = [];
  for (const [userId, role] of w.enrolled(s.id)) changes.push({ table: 'enrollment', op: 'del', row: { institutionId: w.institutionId, sectionId: s.id, userId, role } });
  for (const classId of w.classesOf(s.id)) changes.push(...classRemoval(w, w.class(classId)!));
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

function put<T extends Change['table']>(table: T, row: Extract<Change, { table: T }>['row'], cur: unknown): Change[] {
  return JSON.stringify(row) === JSON.stringify(cur) ? [] : [{ table, op: 'put', row } as Change];
}

/** A setting scope as callers write it: a bare id or unit:<id> is a unit, section:<id> a section. */
function levelArg(ctx: OpContext, field: string): Level {
  const w = ctx.world;
  const raw = str(ctx.args, field, { max: 140 });
  const i = raw.indexOf(':');
  const type = i < 0 ? 'unit' : raw.slice(0, i);
  const key = i < 0 ? raw : raw.slice(i + 1);
  if (type === 'section') {
    must(w.section(key), field, 'section', key);
    return { scopeType: 'section', scopeId: key };
  }
  if (type === 'institution') {
    if (key !== w.institutionId) throw notFound(field, 'institution', key);
    return { scopeType: 'unit', scopeId: w.rootId };
  }
  if (type !== 'unit') throw invalid(field, `'${raw}' is not a unit or a section`, 'format');
  must(w.tree.units.get(key), field, 'unit', key);
  return { scopeType: 'unit', scopeId: key };
}

function authorizeLevel(ctx: OpContext, l: Level): void {
  if (l.scopeType === 'section') authorize(ctx, 'section.settings', `section:${l.scopeId}`);
  else authorize(ctx, 'unit.settings', `unit:${l.scopeId}`);
}

export const teachingOps: Record<string, Operation> = {
  'term.create': {
    fields: ['id', 'start', 'end', 'unit', 'name'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const termId = id(args, 'id');
      const start = isoDate(args, 'start', true)!;
      const end = isoDate(args, 'end', true)!;
      if (end < start) throw invalid('end', `${end} is before the start ${start}`, 'range');
      const unit = unitArg(w, args, 'unit') ?? w.rootId;
      authorize(ctx, 'term.create', `unit:${unit}`);
      if (w.term(termId)) throw conflict('duplicateId', `a term '${termId}' already exists`, 'id');
      const row: TermRow = { institutionId: w.institutionId, id: termId, unitId: unit, name: optStr(args, 'name') ?? termId, startDate: start, endDate: end };
      return { changes: [{ table: 'term', op: 'put', row }], target: `term:${termId}`, result: row };
    },
  },
  'term.update': {
    fields: ['term', 'start', 'end', 'name'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = must(w.term(id(args, 'term')), 'term', 'term', String(args.term));
      const row: TermRow = { ...cur, name: optStr(args, 'name') ?? cur.name, startDate: isoDate(args, 'start', false) ?? cur.startDate, endDate: isoDate(args, 'end', false) ?? cur.endDate };
      if (row.endDate < row.startDate) throw invalid('end', `${row.endDate} is before the start ${row.startDate}`, 'range');
      authorize(ctx, 'term.update', `term:${cur.id}`);
      return { changes: put('term', row, cur), target: `term:${cur.id}`, result: row };
    },
  },
  'term.delete': {
    fields: ['term'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = must(w.term(id(args, 'term')), 'term', 'term', String(args.term));
      authorize(ctx, 'term.delete', `term:${cur.id}`);
      const using = [...w.tables.section.values()].filter((s) => s.termId === cur.id).map((s) => s.id);
      if (using.length) throw conflict('inUse', `term ${cur.id} still has sections (${using.slice(0, 5).join(', ')}${using.length > 5 ? ', …' : ''})`, 'term');
      return { changes: [{ table: 'term', op: 'del', row: cur }], target: `term:${cur.id}` };
    },
  },
  'course.create': {
    fields: ['id', 'unit', 'name'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const courseId = id(args, 'id');
      const unit = unitArg(w, args, 'unit') ?? w.rootId;
      authorize(ctx, 'course.create', `unit:${unit}`);
      if (w.course(courseId)) throw conflict('duplicateId', `a course '${courseId}' already exists`, 'id');
      const row: CourseRow = { institutionId: w.institutionId, id: courseId, unitId: unit, name: optStr(args, 'name') ?? courseId };
      return { changes: [{ table: 'course', op: 'put', row }], target: `course:${courseId}`, result: row };
    },
  },
  'course.update': {
    fields: ['course', 'name', 'unit'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = must(w.course(id(args, 'course')), 'course', 'course', String(args.course));
      const unit = unitArg(w, args, 'unit');
      authorize(ctx, 'course.update', `course:${cur.id}`);
      if (unit !== undefined && unit !== cur.unitId) {
        authorize(ctx, 'course.create', `unit:${unit}`);
        // Every section's term must still belong to a unit containing the course's new unit.
        for (const sec of w.tables.section.values()) {
          if (sec.courseId !== cur.id) continue;
          const t = w.term(sec.termId)!;
          if (!w.tree.within(unit, t.unitId)) {
            throw conflict('termOutOfScope', `section ${sec.id} runs in term ${t.id} of ${w.tree.name(t.unitId)}, which does not contain ${w.tree.name(unit)}`, 'unit');
          }
        }
      }
      refuseMoveUnderLock(ctx.actor, { type: 'course', id: cur.id }, unit, 'unit');
      const row: CourseRow = { ...cur, name: optStr(args, 'name') ?? cur.name, unitId: unit ?? cur.unitId };
      return { changes: put('course', row, cur), target: `course:${cur.id}`, result: row };
    },
  },
  'course.delete': {
    fields: ['course'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = must(w.course(id(args, 'course')), 'course', 'course', String(args.course));
      authorize(ctx, 'course.delete', `course:${cur.id}`);
      const using = [...w.tables.section.values()].filter((s) => s.courseId === cur.id).map((s) => s.id);
      if (using.length) throw conflict('inUse', `course ${cur.id} still has sections (${using.slice(0, 5).join(', ')}${using.length > 5 ? ', …' : ''}); delete them first`, 'course');
      return { changes: [{ table: 'course', op: 'del', row: cur }], target: `course:${cur.id}` };
    },
  },
  'section.create': {
    fields: ['id', 'course', 'term', 'name'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const sectionId = id(args, 'id');
      const course = must(w.course(id(args, 'course')), 'course', 'course', String(args.course));
      const term = must(w.term(id(args, 'term')), 'term', 'term', String(args.term));
      authorize(ctx, 'section.create', `course:${course.id}`);
      if (!w.tree.within(course.unitId, term.unitId)) {
        throw invalid('term', `term ${term.id} belongs to ${w.tree.name(term.unitId)}, which does not contain the course's unit ${w.tree.name(course.unitId)}`, 'scope');
      }
      if (w.section(sectionId)) throw conflict('duplicateId', `a section '${sectionId}' already exists`, 'id');
      const row: SectionRow = { institutionId: w.institutionId, id: sectionId, courseId: course.id, termId: term.id, name: optStr(args, 'name') ?? sectionId };
      return { changes: [{ table: 'section', op: 'put', row }], target: `section:${sectionId}`, result: row };
    },
  },
  'section.update': {
    fields: ['section', 'name', 'term'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = must(w.section(id(args, 'section')), 'section', 'section', String(args.section));
      const termId = optId(args, 'term');
      const term = termId === undefined ? undefined : must(w.term(termId), 'term', 'term', termId);
      authorize(ctx, 'section.update', `section:${cur.id}`);
      const courseUnit = w.course(cur.courseId)!.unitId;
      if (term && !w.tree.within(courseUnit, term.unitId)) {
        throw invalid('term', `term ${term.id} belongs to ${w.tree.name(term.unitId)}, which does not contain the course's unit ${w.tree.name(courseUnit)}`, 'scope');
      }
      const row: SectionRow = { ...cur, name: optStr(args, 'name') ?? cur.name, termId: termId ?? cur.termId };
      return { changes: put('section', row, cur), target: `section:${cur.id}`, result: row };
    },
  },
  'section.delete': {
    fields: ['section'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = must(w.section(id(args, 'section')), 'section', 'section', String(args.section));
      authorize(ctx, 'section.delete', `section:${cur.id}`);
      return { changes: sectionRemoval(w, cur), target: `section:${cur.id}` };
    },
  },
  'section.enroll': {
    fields: ['section', 'user', 'role'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const section = must(w.section(id(args, 'section')), 'section', 'section', String(args.section));
      const userId = id(args, 'user');
      const role = str(args, 'role', { max: 64 });
      if (!isSectionRole(role)) throw invalid('role', `must be one of ${SECTION_ROLES.join(', ')}, not '${role}'`, 'enum');
      must(w.user(userId), 'user', 'user', userId);
      authorize(ctx, 'section.enroll', `section:${section.id}`, { user: userId, role });
      assertMayHold(w, userId, section.id, role);
      const cur = w.sectionRole(userId, section.id);
      if (cur === 'instructor' && role !== 'instructor') {
        const presenting = [...w.tables.schedule.values()].filter((x) => x.sectionId === section.id && x.presenterId === userId).map((x) => x.id);
        if (presenting.length) throw conflict('inUse', `${userId} presents schedules of this section (${presenting.join(', ')}), and a presenter is an instructor; change their presenter first`, 'role');
      }
      const row = { institutionId: w.institutionId, sectionId: section.id, userId, role };
      return { changes: cur === role ? [] : [{ table: 'enrollment', op: 'put', row }], target: `section:${section.id}`, result: row };
    },
  },
  'section.unenroll': {
    fields: ['section', 'user'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const section = must(w.section(id(args, 'section')), 'section', 'section', String(args.section));
      const userId = id(args, 'user');
      must(w.user(userId), 'user', 'user', userId);
      const role = w.sectionRole(userId, section.id);
      if (!role) throw notFound('user', `enrollment in section ${section.id} of user`, userId);
      authorize(ctx, 'section.unenroll', `section:${section.id}`, { user: userId });
      const presenting = [...w.tables.schedule.values()].filter((s) => s.sectionId === section.id && s.presenterId === userId).map((s) => s.id);
      if (presenting.length) throw conflict('inUse', `${userId} presents schedules of this section (${presenting.join(', ')}); change their presenter first`, 'user');
      return { changes: [{ table: 'enrollment', op: 'del', row: { institutionId: w.institutionId, sectionId: section.id, userId, role } }], target: `section:${section.id}` };
    },
  },
  'schedule.create': {
    fields: ['id', 'section', 'presenter', 'unit', 'room', 'name'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const scheduleId = id(args, 'id');
      const sectionId = optId(args, 'section');
      if (sectionId !== undefined) must(w.section(sectionId), 'section', 'section', sectionId);
      const unitGiven = unitArg(w, args, 'unit');
      const unit = sectionId !== undefined ? w.sectionUnit(sectionId)! : (unitGiven ?? w.rootId);
      const room = optId(args, 'room');
      if (room !== undefined) must(w.room(room), 'room', 'room', room);
      const presenter = optId(args, 'presenter');
      if (presenter !== undefined) must(w.user(presenter), 'presenter', 'user', presenter);
      authorize(ctx, 'schedule.create', sectionId !== undefined ? `section:${sectionId}` : `unit:${unit}`);
      if (w.schedule(scheduleId)) throw conflict('duplicateId', `a schedule '${scheduleId}' already exists`, 'id');
      if (presenter !== undefined) assertPresenter(w, presenter, sectionId);
      const row: ScheduleRow = { institutionId: w.institutionId, id: scheduleId, sectionId: sectionId ?? null, unitId: unit, presenterId: presenter ?? null, roomId: room ?? null, name: optStr(args, 'name') ?? scheduleId };
      return { changes: [{ table: 'schedule', op: 'put', row }], target: `schedule:${scheduleId}`, result: row };
    },
  },
  'schedule.update': {
    fields: ['schedule', 'presenter', 'room', 'name'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = must(w.schedule(id(args, 'schedule')), 'schedule', 'schedule', String(args.schedule));
      const presenter = optId(args, 'presenter');
      if (presenter !== undefined) must(w.user(presenter), 'presenter', 'user', presenter);
      const room = optId(args, 'room');
      if (room !== undefined) must(w.room(room), 'room', 'room', room);
      authorize(ctx, 'schedule.update', `schedule:${cur.id}`);
      if (presenter !== undefined) assertPresenter(w, presenter, cur.sectionId ?? undefined);
      const row: ScheduleRow = { ...cur, presenterId: presenter ?? cur.presenterId, roomId: room ?? cur.roomId, name: optStr(args, 'name') ?? cur.name };
      return { changes: put('schedule', row, cur), target: `schedule:${cur.id}`, result: row };
    },
  },
  'schedule.delete': {
    fields: ['schedule'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = must(w.schedule(id(args, 'schedule')), 'schedule', 'schedule', String(args.schedule));
      authorize(ctx, 'schedule.delete', `schedule:${cur.id}`);
      return { changes: [{ table: 'schedule', op: 'del', row: cur }], target: `schedule:${cur.id}` };
    },
  },
  'settings.set': {
    fields: ['scope', 'key', 'value', 'allowsOverride'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const level = levelArg(ctx, 'scope');
      const key = str(args, 'key', { max: 64 });
      if (!isToggleKey(key)) throw invalid('key', `must be one of ${Object.keys(TOGGLES).join(', ')}, not '${key}'`, 'enum');
      const spec = TOGGLES[key];
      let value: string;
      if (spec.values.length === 2 && spec.values.includes('on')) {
        const b = optBool(args, 'value');
        if (b === undefined) throw invalid('value', 'is required', 'required');
        value = b ? 'on' : 'off';
      } else {
        value = optEnum(args, 'value', spec.values) ?? '';
        if (!value) throw invalid('value', 'is required', 'required');
      }
      const allowsOverride = optBool(args, 'allowsOverride') ?? true;
      authorizeLevel(ctx, level);
      const lock = lockAbove(w, level, key);
      if (lock) throw conflict('lockedAbove', `${key} is locked at ${describeLevel(w, lock)} (allowsOverride is off there), so it cannot be changed at ${describeLevel(w, level)}`, 'key');
      const row: SettingRow = { institutionId: w.institutionId, scopeType: level.scopeType, scopeId: level.scopeId, key, value, allowsOverride };
      return { changes: put('setting', row, w.settingsAt(level.scopeType, level.scopeId)?.get(key)), target: `${level.scopeType}:${level.scopeId}`, result: row };
    },
  },
  'settings.clear': {
    fields: ['scope', 'key'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const level = levelArg(ctx, 'scope');
      const key = str(args, 'key', { max: 64 });
      if (!isToggleKey(key)) throw invalid('key', `must be one of ${Object.keys(TOGGLES).join(', ')}, not '${key}'`, 'enum');
      authorizeLevel(ctx, level);
      const cur = w.settingsAt(level.scopeType, level.scopeId)?.get(key);
      if (!cur) throw notFound('key', `setting at ${describeLevel(w, level)}`, key);
      const lock = lockAbove(w, level, key);
      if (lock) throw conflict('lockedAbove', `${key} is locked at ${describeLevel(w, lock)}`, 'key');
      return { changes: [{ table: 'setting', op: 'del', row: cur }], target: `${level.scopeType}:${level.scopeId}` };
    },
  },
  'class.create': {
    fields: ['id', 'section', 'kind', 'name'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const classId = id(args, 'id');
      const section = must(w.section(id(args, 'section')), 'section', 'section', String(args.section));
      const kind = optEnum(args, 'kind', CLASS_KINDS) ?? 'manual';
      authorize(ctx, 'class.create', `section:${section.id}`);
      // System classes hold captures; people create manual ones (admins may create either).
      if (kind === 'system' && !ctx.actor.isSystem && !ctx.actor.adminUnitOver(w.sectionUnit(section.id)!)) {
        throw invalid('kind', 'system classes are created by Lectern for captures (or by an admin); create a manual class', 'enum');
      }
      if (w.class(classId)) throw conflict('duplicateId', `a class '${classId}' already exists`, 'id');
      const row: ClassRow = { institutionId: w.institutionId, id: classId, sectionId: section.id, kind, name: optStr(args, 'name') ?? classId };
      return { changes: [{ table: 'class', op: 'put', row }], target: `class:${classId}`, result: row };
    },
  },
  'class.delete': {
    fields: ['class'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = must(w.class(id(args, 'class')), 'class', 'class', String(args.class));
      authorize(ctx, 'class.delete', `class:${cur.id}`);
      return { changes: classRemoval(w, cur), target: `class:${cur.id}` };
    },
  },
  'room.create': {
    fields: ['id', 'name'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const roomId = id(args, 'id');
      authorize(ctx, 'room.create', `institution:${w.institutionId}`);
      if (w.room(roomId)) throw conflict('duplicateId', `a room '${roomId}' already exists`, 'id');
      const row: RoomRow = { institutionId: w.institutionId, id: roomId, name: optStr(args, 'name') ?? roomId };
      return { changes: [{ table: 'room', op: 'put', row }], target: `room:${roomId}`, result: row };
    },
  },
  'room.configure': {
    fields: ['room', 'name'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = must(w.room(id(args, 'room')), 'room', 'room', String(args.room));
      authorize(ctx, 'room.configure', `room:${cur.id}`);
      const row: RoomRow = { ...cur, name: optStr(args, 'name') ?? cur.name };
      return { changes: put('room', row, cur), target: `room:${cur.id}`, result: row };
    },
  },
  'room.delete': {
    fields: ['room'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = must(w.room(id(args, 'room')), 'room', 'room', String(args.room));
      authorize(ctx, 'room.delete', `room:${cur.id}`);
      const devices = [...w.tables.device.values()].filter((d) => d.roomId === cur.id).map((d) => d.id);
      if (devices.length) throw conflict('inUse', `room ${cur.id} still has devices (${devices.join(', ')})`, 'room');
      const schedules = [...w.tables.schedule.values()].filter((s) => s.roomId === cur.id).map((s) => s.id);
      if (schedules.length) throw conflict('inUse', `room ${cur.id} is used by schedules (${schedules.join(', ')})`, 'room');
      return { changes: [{ table: 'room', op: 'del', row: cur }], target: `room:${cur.id}` };
    },
  },
  'device.register': {
    fields: ['id', 'room', 'name'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const deviceId = id(args, 'id');
      const room = optId(args, 'room');
      if (room !== undefined) must(w.room(room), 'room', 'room', room);
      authorize(ctx, 'device.register', `institution:${w.institutionId}`);
      if (w.device(deviceId)) throw conflict('duplicateId', `a device '${deviceId}' already exists`, 'id');
      const row: DeviceRow = { institutionId: w.institutionId, id: deviceId, roomId: room ?? null, name: optStr(args, 'name') ?? deviceId, configuration: '{}' };
      return { changes: [{ table: 'device', op: 'put', row }], target: `device:${deviceId}`, result: row };
    },
  },
  'device.assign': {
    fields: ['device', 'room'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = must(w.device(id(args, 'device')), 'device', 'device', String(args.device));
      const room = args.room === null ? null : id(args, 'room');
      if (room !== null) must(w.room(room), 'room', 'room', room);
      authorize(ctx, 'device.assign', `device:${cur.id}`);
      const row: DeviceRow = { ...cur, roomId: room };
      return { changes: put('device', row, cur), target: `device:${cur.id}`, result: row };
    },
  },
  'device.configure': {
    fields: ['device', 'name', 'configuration'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = must(w.device(id(args, 'device')), 'device', 'device', String(args.device));
      const conf = args.configuration;
      if (conf !== undefined && (typeof conf !== 'object' || conf === null || Array.isArray(conf))) throw invalid('configuration', 'must be a mapping of device properties', 'type');
      const text = conf === undefined ? cur.configuration : JSON.stringify(conf);
      if (text.length > 10_000) throw invalid('configuration', 'is larger than 10,000 characters', 'tooLong');
      authorize(ctx, 'device.configure', `device:${cur.id}`);
      const row: DeviceRow = { ...cur, name: optStr(args, 'name') ?? cur.name, configuration: text };
      return { changes: put('device', row, cur), target: `device:${cur.id}`, result: row };
    },
  },
  'device.delete': {
    fields: ['device'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = must(w.device(id(args, 'device')), 'device', 'device', String(args.device));
      authorize(ctx, 'device.delete', `device:${cur.id}`);
      return { changes: [{ table: 'device', op: 'del', row: cur }], target: `device:${cur.id}` };
    },
  },
};

/** Staff section roles need academic staff within the section's unit (SPEC §3). */
function assertMayHold(w: World, userId: string, sectionId: string, role: SectionRole): void {
  if (role === 'student' || role === 'student_presenter') return;
  const unit = w.sectionUnit(sectionId)!;
  const ok = w.listedUnits(userId, 'academic_staff').some((u) => w.tree.within(unit, u));
  if (!ok) {
    throw conflict('notAcademicStaff', `${userId} is not academic staff within ${w.tree.name(unit)}, and ${role.replace('_', ' ')} is a staff section role`, 'user');
  }
}

/** A schedule's presenter is an instructor of its section (student presenters are never listed). */
function assertPresenter(w: World, presenter: string, sectionId: string | undefined): void {
  if (sectionId === undefined) return;
  const role = w.sectionRole(presenter, sectionId);
  if (role !== 'instructor') {
    throw conflict('presenterNotInstructor', `${presenter} is ${role ? `a ${role.replace('_', ' ')}` : 'not enrolled'} in section ${sectionId}; a schedule's presenter is an instructor of the section`, 'presenter');
  }
}
