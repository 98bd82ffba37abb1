/**
 * Teaching objects and section capabilities (SPEC §6–7): who creates, edits and deletes terms,
 * courses, sections and capture schedules (admins with rights, listed schedulers); what each
 * section role may do in a section; monitoring, capture logs, rooms and devices.
 */
import type { SectionRole, ToggleKey } from '../domain/catalog.js';
import { allow, because, type Decision, deny } from '../domain/outcome.js';
import { isExplaining } from '../domain/outcome.js';
import type { World } from '../world/world.js';
import type { Actor } from './actor.js';
import { describeEffective, effective } from './settings.js';
import type { Query, RuleTable } from './types.js';
import { labelOf, withArticle } from '../domain/labels.js';

const ROLE_WORDS: Record<SectionRole, string> = {
  instructor: 'an instructor',
  teaching_assistant: 'a teaching assistant',
  student: 'a student',
  guest_presenter: 'a guest presenter',
  student_presenter: 'a student presenter',
};
export const roleWords = (r: SectionRole): string => {
  const renamed = labelOf(r, '');
  return renamed ? withArticle(renamed) : ROLE_WORDS[r];
};

export function sectionRole(actor: Actor, sectionId: string): SectionRole | undefined {
  return actor.principal.kind === 'user' && !actor.foreign ? actor.world.sectionRole(actor.principal.userId, sectionId) : undefined;
}

/** Admin rights over the unit of a section, with the reason. */
export function adminOverSection(actor: Actor, sectionId: string): Decision | undefined {
  const unit = actor.world.sectionUnit(sectionId);
  if (unit === undefined) return undefined;
  const a = actor.adminUnitOver(unit);
  return a === undefined ? undefined : allow(because`${actor.name} is admin of ${actor.world.tree.name(a)}, which contains section ${sectionId}`);
}

/** Admin or listed scheduler over a unit (terms, courses, sections, schedules). */
export function manageInUnit(actor: Actor, unitId: string, what: string, schedulers = true): Decision {
  const w = actor.world;
  const a = actor.adminUnitOver(unitId);
  if (a !== undefined) return allow(because`${actor.name} is admin of ${w.tree.name(a)}, which contains ${w.tree.name(unitId)}`);
  if (schedulers) {
    const s = actor.listed('scheduler').find((u) => w.tree.within(unitId, u));
    if (s !== undefined) return allow(because`${actor.name} is a scheduler listed at ${w.tree.name(s)}, which contains ${w.tree.name(unitId)}`);
    if (actor.holds('scheduler') && actor.listed('scheduler').length === 0) {
      return deny(because`${actor.name} is a scheduler with no listed unit, and such a scheduler sees nothing`);
    }
  }
  return deny(because`${actor.name} is neither admin${schedulers ? ' nor a listed scheduler' : ''} over ${w.tree.name(unitId)} to ${what}`);
}

export function toggle(w: World, sectionId: string, key: ToggleKey): { on: boolean; value: string; why: string } {
  const e = effective(w, { scopeType: 'section', scopeId: sectionId }, key);
  return {
    on: e.value === 'on',
    value: e.value,
    // Worded only when someone will read it.
    get why() {
      return isExplaining() ? `in section ${sectionId}, ${describeEffective(w, key, e)}` : '';
    },
  };
}

function unitOf(q: Query): string | undefined {
  const { world: w, resource } = q;
  switch (resource.type) {
    case 'unit':
      return w.tree.units.has(resource.id) ? resource.id : undefined;
    case 'institution':
      return resource.id === w.institutionId ? w.rootId : undefined;
    case 'term':
      return w.term(resource.id)?.unitId;
    case 'course':
      return w.course(resource.id)?.unitId;
    case 'section':
      return w.sectionUnit(resource.id);
    default:
      return undefined;
  }
}

const missing = (q: Query): Decision => deny(because`${q.resource.type} '${q.resource.id}' does not exist`);

/** Terms, courses and sections: admins and listed schedulers within the object's unit. */
function crud(what: string): (q: Query) => Decision {
  return (q) => {
    const unit = unitOf(q);
    return unit === undefined ? missing(q) : manageInUnit(q.actor, unit, what);
  };
}

function scheduleRule(q: Query): Decision {
  const { world: w, actor, resource } = q;
  if (resource.type === 'schedule') {
    const s = w.schedule(resource.id);
    if (!s) return missing(q);
    // A schedule that targets no section is seen later only by admins with rights (SPEC §6).
    if (s.sectionId === null) {
      const d = manageInUnit(actor, s.unitId, 'manage a schedule', false);
      return d.allow ? d : deny(because`schedule ${s.id} targets no section, so only admins with rights over ${w.tree.name(s.unitId)} see it`, ...d.reasons);
    }
    const unit = w.sectionUnit(s.sectionId);
    return unit === undefined ? missing(q) : manageInUnit(actor, unit, 'manage its schedules');
  }
  const unit = unitOf(q);
  return unit === undefined ? missing(q) : manageInUnit(actor, unit, 'schedule captures');
}

/** A section capability held by admins and by the listed section roles (optionally behind a toggle). */
function capability(roles: readonly SectionRole[], opts: { toggle?: ToggleKey; never?: string } = {}): (q: Query) => Decision {
  return (q) => {
    const { world: w, actor, resource, action } = q;
    const sectionId = resource.type === 'section' ? resource.id : resource.type === 'class' ? w.class(resource.id)?.sectionId : undefined;
    if (sectionId === undefined || !w.section(sectionId)) return missing(q);
    const admin = adminOverSection(actor, sectionId);
    if (admin) return admin;
    const role = sectionRole(actor, sectionId);
    if (!role) return deny(because`${actor.name} is not enrolled in section ${sectionId} and has no admin rights over it`);
    if (!roles.includes(role)) {
      return deny(because`${actor.name} is ${roleWords(role)} in section ${sectionId}, and ${opts.never ?? `${action} is not for ${roleWords(role)}s`}`);
    }
    if (opts.toggle) {
      const t = toggle(w, sectionId, opts.toggle);
      if (!t.on) return deny(t.why, because`${actor.name} is ${roleWords(role)} in section ${sectionId}`);
      return allow(because`${actor.name} is ${roleWords(role)} in section ${sectionId}`, t.why);
    }
    return allow(because`${actor.name} is ${roleWords(role)} in section ${sectionId}`);
  };
}

const TEACHERS = ['instructor', 'teaching_assistant'] as const;
const EVERYONE = ['instructor', 'teaching_assistant', 'student', 'guest_presenter', 'student_presenter'] as const;
const TA_NEVER = 'teaching assistants never see analytics, polling, settings, enrollment, access links or ad hoc capture';

function enrollRule(q: Query): Decision {
  const { world: w, actor, resource, context } = q;
  if (resource.type !== 'section' || !w.section(resource.id)) return missing(q);
  const admin = adminOverSection(actor, resource.id);
  if (admin) return admin;
  const unit = w.sectionUnit(resource.id)!;
  // Schedulers enroll instructors (SPEC §3: "section instructor enrollment").
  const sched = actor.listed('scheduler').find((u) => w.tree.within(unit, u));
  const role = q.action === 'section.unenroll' && typeof context.user === 'string' ? w.sectionRole(context.user, resource.id) : context.role;
  if (sched !== undefined && role === 'instructor') return allow(because`${actor.name} is a scheduler listed at ${w.tree.name(sched)} and enrolls instructors`);
  return capability(['instructor'], { toggle: 'instructorEnrollment', never: TA_NEVER })(q);
}

function classDelete(q: Query): Decision {
  const { world: w, actor, resource } = q;
  const c = w.class(resource.id);
  if (!c) return missing(q);
  const admin = adminOverSection(actor, c.sectionId);
  if (admin) return admin;
  const role = sectionRole(actor, c.sectionId);
  if (role !== 'instructor') {
    return deny(role ? because`${actor.name} is ${roleWords(role)} in section ${c.sectionId}; only instructors delete classes` : because`${actor.name} is not an instructor in section ${c.sectionId}`);
  }
  if (c.kind === 'manual') return allow(because`${actor.name} is an instructor in section ${c.sectionId}`, because`instructors may always delete manual classes`);
  const t = toggle(w, c.sectionId, 'instructorUnpublishSystemCaptures');
  return t.on
    ? allow(because`${actor.name} is an instructor in section ${c.sectionId}`, because`${c.id} is a system class`, t.why)
    : deny(because`${c.id} is a system class; deleting it needs instructorUnpublishSystemCaptures`, t.why);
}

/** Monitoring and capture logs: admins, schedulers (monitor only) and AV technicians over the unit. */
function oversight(roles: readonly ('scheduler' | 'av_technician')[]): (q: Query) => Decision {
  return (q) => {
    const { world: w, actor } = q;
    const unit = unitOf(q);
    if (unit === undefined) return missing(q);
    const a = actor.adminUnitOver(unit);
    if (a !== undefined) return allow(because`${actor.name} is admin of ${w.tree.name(a)}, which contains ${w.tree.name(unit)}`);
    for (const r of roles) {
      const u = actor.listed(r).find((x) => w.tree.within(unit, x));
      if (u !== undefined) return allow(because`${actor.name} is ${r === 'scheduler' ? 'a scheduler' : 'an AV technician'} at ${w.tree.name(u)}, which contains ${w.tree.name(unit)}`);
    }
    return deny(because`${actor.name} is not an admin${roles.map((r) => (r === 'scheduler' ? ', scheduler' : ' or AV technician')).join('')} over ${w.tree.name(unit)}`);
  };
}

/** Rooms and devices sit outside the hierarchy: any admin, and any AV technician, manages them. */
function facility(q: Query): Decision {
  const { actor, world: w } = q;
  if (actor.isAnyAdmin) return allow(because`${actor.name} is an admin, and rooms and devices are outside the hierarchy`);
  if (actor.listed('av_technician').length > 0) return allow(because`${actor.name} is an AV technician`);
  return deny(because`${actor.name} is neither an admin nor an AV technician in ${w.institutionId}`);
}

/** Unit-level toggles: an admin over the unit (a child organisation's admin sets its defaults). */
function unitSettings(q: Query): Decision {
  const unit = unitOf(q);
  if (unit === undefined) return missing(q);
  const { actor, world: w } = q;
  const a = actor.adminUnitOver(unit);
  return a !== undefined ? allow(because`${actor.name} is admin of ${w.tree.name(a)}, which contains ${w.tree.name(unit)}`) : deny(because`${actor.name} has no admin rights over ${w.tree.name(unit)} to change its settings`);
}

/** Seeing a section: those who manage it (admins, schedulers), AV technicians over it, and its members. */
function sectionView(q: Query): Decision {
  const { world: w, actor, resource } = q;
  if (resource.type !== 'section' || !w.section(resource.id)) return missing(q);
  const role = sectionRole(actor, resource.id);
  if (role) return allow(because`${actor.name} is ${roleWords(role)} in section ${resource.id}`);
  const unit = w.sectionUnit(resource.id)!;
  const av = actor.listed('av_technician').find((u) => w.tree.within(unit, u));
  if (av !== undefined) return allow(because`${actor.name} is an AV technician at ${w.tree.name(av)}, which contains section ${resource.id}`);
  return manageInUnit(actor, unit, 'see the section');
}

/**
 * A section's full roster (everyone enrolled and their roles): those who manage the section
 * (admins, schedulers), who may enroll in it, and its instructors. Other members see only
 * themselves.
 */
function sectionRoster(q: Query): Decision {
  const { world: w, resource } = q;
  if (resource.type !== 'section' || !w.section(resource.id)) return missing(q);
  const manage = crud('manage the section')(q);
  if (manage.allow) return manage;
  const enroll = enrollRule({ ...q, action: 'section.enroll' });
  if (enroll.allow) return enroll;
  const teach = capability(['instructor'], { never: TA_NEVER })(q);
  return teach.allow ? teach : deny(because`only those who manage section ${resource.id}, enroll in it or teach it as instructors see its roster`, ...teach.reasons);
}

/** Seeing a course: those who manage its unit, and members of any of its sections. */
function courseView(q: Query): Decision {
  const { world: w, actor, resource } = q;
  const c = resource.type === 'course' ? w.course(resource.id) : undefined;
  if (!c) return missing(q);
  for (const [sid, role] of w.enrollmentsOf(actor.id)) {
    if (w.section(sid)?.courseId === c.id) return allow(because`${actor.name} is ${roleWords(role)} in section ${sid} of course ${c.id}`);
  }
  return manageInUnit(actor, c.unitId, 'see the course');
}

/** Terms, rooms and devices are not private: any active user sees terms; any staff member sees rooms and devices. */
function anyone(q: Query): Decision {
  const { world: w, resource } = q;
  if (resource.type !== 'term' && resource.type !== 'institution') return missing(q);
  if (resource.type === 'term' && !w.term(resource.id)) return missing(q);
  return allow(because`terms are visible to every user of ${w.institutionId}`);
}

function staffSees(q: Query): Decision {
  const { world: w, actor, resource } = q;
  const exists = resource.type === 'room' ? w.room(resource.id) : resource.type === 'device' ? w.device(resource.id) : resource.type === 'institution' ? true : undefined;
  if (!exists) return missing(q);
  if (actor.isSystemAdmin || w.grantsOf(actor.id).length > 0) return allow(because`${actor.name} is staff, and rooms and devices are visible to staff`);
  return deny(because`${actor.name} is not staff; rooms and devices are visible to staff`);
}

export const teachingRules: RuleTable = {
  'term.view': anyone,
  'course.view': courseView,
  'section.view': sectionView,
  'section.roster': sectionRoster,
  'schedule.view': scheduleRule,
  'room.view': staffSees,
  'device.view': staffSees,
  'term.create': crud('create terms'),
  'term.update': crud('edit terms'),
  'term.delete': crud('delete terms'),
  'course.create': crud('create courses'),
  'course.update': crud('edit courses'),
  'course.delete': crud('delete courses'),
  'section.create': crud('create sections'),
  'section.update': crud('edit sections'),
  'section.delete': crud('delete sections'),
  'schedule.create': scheduleRule,
  'schedule.update': scheduleRule,
  'schedule.delete': scheduleRule,
  'section.enroll': enrollRule,
  'section.unenroll': enrollRule,
  'section.settings': capability(['instructor'], { never: TA_NEVER }),
  'section.analytics': capability(['instructor'], { never: TA_NEVER }),
  'section.polling': capability(['instructor'], { never: TA_NEVER }),
  'section.accessLinks': capability(['instructor'], { never: TA_NEVER }),
  'class.create': capability(TEACHERS, { never: 'only instructors and teaching assistants add classes' }),
  'class.delete': classDelete,
  'classGroup.create': capability(TEACHERS, { never: 'only instructors and teaching assistants group classes' }),
  'classGroup.delete': capability(['instructor'], { never: 'only instructors delete class groups' }),
  'qa.post': capability(EVERYONE, { toggle: 'qa' }),
  'qa.moderate': capability(TEACHERS, { never: 'only instructors and teaching assistants moderate Q&A' }),
  'monitor.view': oversight(['scheduler', 'av_technician']),
  'captureLogs.view': oversight(['av_technician']),
  'device.register': facility,
  'device.assign': facility,
  'device.configure': facility,
  'device.delete': facility,
  'room.create': facility,
  'room.configure': facility,
  'room.delete': facility,
  'unit.settings': unitSettings,
};
