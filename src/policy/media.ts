/**
 * Media rules (SPEC §7): owners, the roles of the sections where a media item is published,
 * sharing, admins, the LMS homework lock, system-capture limits and the student toggles.
 *
 * The facts about one (actor, media) pair are gathered once; each action's rule is then a short
 * walk over them.
 */
import { DOWNLOAD_FORMATS, type CollectionPermission, type LibraryRole, type SectionRole } from '../domain/catalog.js';
import { memberPermissions } from './collection.js';
import { libraryRoleAtLeast } from './library.js';
import { allow, deny, type Decision } from '../domain/outcome.js';
import type { MediaRow, PublicationRow } from '../domain/rows.js';
import type { World } from '../world/world.js';
import type { Actor } from './actor.js';
import { isStaff } from './role.js';
import { roleWords, sectionRole, toggle } from './teaching.js';
import { describeEffective, effective } from './settings.js';
import type { Query, RuleTable } from './types.js';

interface Facts {
  w: World;
  actor: Actor;
  m: MediaRow;
  owner: boolean;
  /** Why the actor has admin rights over this media, if they do. */
  admin: Decision | undefined;
  /** Sections where the media is published, with the actor's role there (if any). */
  sections: { sectionId: string; role: SectionRole | undefined }[];
  systemCapture: boolean;
  /** Collections holding the media where the actor is a member, with their effective permissions. */
  collections: { collectionId: string; perms: ReadonlySet<CollectionPermission> }[];
  /** The actor's role in the media's library, if any. */
  libraryRole: LibraryRole | undefined;
}

const isTeacher = (r: SectionRole | undefined): boolean => r === 'instructor' || r === 'teaching_assistant';
const isLearner = (r: SectionRole | undefined): boolean => r === 'student' || r === 'student_presenter';

export function sectionsOfMedia(w: World, mediaId: string): string[] {
  const out: string[] = [];
  for (const p of w.publicationsOf(mediaId)) {
    const s = w.class(p.classId)?.sectionId;
    if (s !== undefined && !out.includes(s)) out.push(s);
  }
  return out;
}

/**
 * Admin rights over a media item: an institution-level admin over all media of the institution,
 * a unit admin over media published in a section within their units.
 */
export function mediaAdmin(actor: Actor, mediaId: string, sections: readonly string[]): Decision | undefined {
  const w = actor.world;
  if (actor.isInstitutionAdmin) return allow(`${actor.name} is an institution-level admin, with every right on the institution's media`);
  const lib = w.media(mediaId)?.libraryId;
  const libUnit = lib ? w.library(lib)?.unitId : undefined;
  const la = libUnit === undefined ? undefined : actor.adminUnitOver(libUnit);
  if (la !== undefined) return allow(`${actor.name} is admin of ${w.tree.name(la)}, which holds library ${lib}, where ${mediaId} lives`);
  for (const s of sections) {
    const unit = w.sectionUnit(s);
    const a = unit === undefined ? undefined : actor.adminUnitOver(unit);
    if (a !== undefined) return allow(`${actor.name} is admin of ${w.tree.name(a)}, where ${mediaId} is published (section ${s})`);
  }
  return undefined;
}

function facts(q: Query): Facts | Decision {
  const { world: w, actor, resource } = q;
  const m = resource.type === 'media' ? w.media(resource.id) : undefined;
  if (!m) return deny(`${resource.type} '${resource.id}' is not a media item that exists`);
  const ids = sectionsOfMedia(w, m.id);
  const collections: Facts['collections'] = [];
  if (actor.principal.kind === 'user' && !actor.foreign) {
    for (const c of w.collectionsHolding(m.id)) {
      const member = w.collectionMember(c, actor.principal.userId);
      if (member) collections.push({ collectionId: c, perms: memberPermissions(w, member).perms });
    }
  }
  return {
    collections,
    libraryRole: m.libraryId && actor.principal.kind === 'user' ? w.libraryRole(actor.principal.userId, m.libraryId) : undefined,
    w,
    actor,
    m,
    owner: actor.principal.kind === 'user' && !actor.foreign && actor.principal.userId === m.ownerId,
    admin: mediaAdmin(actor, m.id, ids),
    sections: ids.map((sectionId) => ({ sectionId, role: sectionRole(actor, sectionId) })),
    systemCapture: m.origin !== 'upload',
  };
}

function withFacts(rule: (f: Facts, q: Query) => Decision): (q: Query) => Decision {
  return (q) => {
    const f = facts(q);
    return 'allow' in f ? f : rule(f, q);
  };
}

const first = <T>(xs: T[], p: (x: T) => boolean): T | undefined => xs.find(p);

/** The first collection holding the media that gives the actor `perm`, as a reason. */
function viaCollection(f: Facts, perm?: CollectionPermission): Decision | undefined {
  const c = f.collections.find((x) => perm === undefined || x.perms.has(perm));
  if (!c) return undefined;
  return allow(perm ? `${f.actor.name} has the ${perm} permission in collection ${c.collectionId}, which holds ${f.m.id}` : `${f.actor.name} is a member of collection ${c.collectionId}, which holds ${f.m.id}, and all members view its media`);
}

function viaLibrary(f: Facts, least: LibraryRole, doing: string): Decision | undefined {
  return libraryRoleAtLeast(f.libraryRole, least) ? allow(`${f.actor.name} is a ${f.libraryRole} of library ${f.m.libraryId}, where ${f.m.id} lives, and may ${doing}`) : undefined;
}

/** The lock binds only those the rule would otherwise allow, so their refusal is a conflict. */
function underLock(rule: (f: Facts, q: Query) => Decision, lockedFor: (f: Facts) => boolean, words: string): (f: Facts, q: Query) => Decision {
  return (f, q) => {
    if (!f.m.locked) return rule(f, q);
    const d = rule({ ...f, m: { ...f.m, locked: false } }, q);
    if (!d.allow || !lockedFor(f)) return d;
    return { allow: false, conflict: 'locked', reasons: [`${f.m.id} is locked: it is embedded in an LMS homework assignment, and ${words}`, ...d.reasons] };
  };
}

/** Student and guest presenters never edit media, their own published media included. */
function presenterBar(f: Facts): Decision | undefined {
  const s = first(f.sections, (x) => x.role === 'student_presenter' || x.role === 'guest_presenter');
  if (!s || f.sections.some((x) => isTeacher(x.role))) return undefined;
  return deny(`${f.actor.name} is ${roleWords(s.role!)} in section ${s.sectionId}, and ${s.role === 'student_presenter' ? 'student presenters never edit media, even their own published media' : 'guest presenters never edit, reprocess or change the state of media'}`);
}

function view(f: Facts): Decision {
  const { actor, m, w } = f;
  if (f.admin) return f.admin;
  if (f.owner) return allow(`${actor.name} owns ${m.id}`);
  for (const s of f.sections) {
    if (s.role && s.role !== 'guest_presenter') return allow(`${actor.name} is ${roleWords(s.role)} in section ${s.sectionId}, where ${m.id} is published`);
  }
  const guest = first(f.sections, (s) => s.role === 'guest_presenter');
  if (guest && (m.presenterId ?? m.ownerId) === actor.id) return allow(`${actor.name} is a guest presenter in section ${guest.sectionId} and presented ${m.id}`);
  if (actor.principal.kind === 'user' && w.isSharedWith(m.id, actor.id)) return allow(`${m.id} was shared with ${actor.name}`);
  const via = viaCollection(f) ?? viaLibrary(f, 'viewer', 'view it');
  if (via) return via;
  const av = avOver(f);
  if (av) return av;
  if (guest) return deny(`${actor.name} is a guest presenter in section ${guest.sectionId}, and guest presenters view only media they presented`);
  return deny(`${actor.name} does not own ${m.id}, is not enrolled in a section where it is published, and it was not shared with them`);
}

/** AV technicians view (not edit) media in every format, within their units. */
function avOver(f: Facts): Decision | undefined {
  const units = f.actor.listed('av_technician');
  if (units.length === 0) return undefined;
  const w = f.w;
  if (units.includes(w.rootId)) return allow(`${f.actor.name} is an AV technician for the institution and views media in every format`);
  for (const s of f.sections) {
    const unit = w.sectionUnit(s.sectionId);
    const u = unit === undefined ? undefined : units.find((x) => w.tree.within(unit, x));
    if (u !== undefined) return allow(`${f.actor.name} is an AV technician at ${w.tree.name(u)}, where ${f.m.id} is published`);
  }
  return undefined;
}

function editDetails(f: Facts): Decision {
  const { actor, m } = f;
  if (f.admin) return f.admin;
  if (f.owner) return presenterBar(f) ?? allow(`${actor.name} owns ${m.id}`);
  const t = first(f.sections, (s) => isTeacher(s.role));
  if (t) return allow(`${actor.name} is ${roleWords(t.role!)} in section ${t.sectionId}, where ${m.id} is published`);
  const via = viaCollection(f, 'edit') ?? viaLibrary(f, 'editor', 'edit existing titles');
  if (via) return via;
  return deny(`${actor.name} neither owns ${m.id} nor teaches a section where it is published`);
}

/** Editing the media itself (and its transcripts): the lock binds everyone, admins too. */
function edit(f: Facts, _q?: Query, perm: 'edit' | 'editTranscripts' = 'edit'): Decision {
  const { actor, m, w } = f;
  if (f.admin) return f.admin;
  if (f.owner) return presenterBar(f) ?? allow(`${actor.name} owns ${m.id}`);
  const via = viaCollection(f, perm) ?? viaLibrary(f, 'editor', 'edit existing titles');
  if (via) return via;
  let why: string | undefined;
  for (const s of f.sections) {
    if (!isTeacher(s.role)) continue;
    const t = toggle(w, s.sectionId, 'coInstructorEditing');
    if (t.on) return allow(`${actor.name} is ${roleWords(s.role!)} in section ${s.sectionId}, where ${m.id} is published`, t.why);
    why ??= t.why;
  }
  if (why) return deny(`${actor.name} does not own ${m.id}; editing it needs coInstructorEditing`, why);
  return deny(`${actor.name} neither owns ${m.id} nor teaches a section where it is published`);
}

/** The system-capture limit for `key` across the sections where the media is published. */
function systemLimit(f: Facts, key: 'instructorDeleteSystemCaptures' | 'instructorUnpublishSystemCaptures', sections: string[]) {
  const w = f.w;
  if (sections.length === 0) {
    const e = effective(w, { scopeType: 'unit', scopeId: w.rootId }, key);
    return { on: e.value === 'on', why: describeEffective(w, key, e) };
  }
  for (const s of sections) {
    const t = toggle(w, s, key);
    if (!t.on) return { on: false, why: t.why };
  }
  const t = toggle(w, sections[0]!, key);
  return { on: true, why: t.why };
}

function del(f: Facts): Decision {
  const { actor, m } = f;
  if (f.admin) return f.admin;
  const ids = f.sections.map((s) => s.sectionId);
  if (f.owner) {
    const guest = first(f.sections, (s) => s.role === 'guest_presenter');
    if (guest && !f.sections.some((s) => isTeacher(s.role))) return deny(`${actor.name} is a guest presenter in section ${guest.sectionId}, and guest presenters never change the state of media`);
    if (!f.systemCapture) return allow(`${actor.name} owns ${m.id}`);
    const lim = systemLimit(f, 'instructorDeleteSystemCaptures', ids);
    return lim.on
      ? allow(`${actor.name} owns ${m.id}, a system-generated capture`, lim.why)
      : deny(`${m.id} is a system-generated capture; deleting it needs instructorDeleteSystemCaptures, which binds its owner too`, lim.why);
  }
  const inst = first(f.sections, (s) => s.role === 'instructor');
  if (inst && f.systemCapture) {
    const lim = systemLimit(f, 'instructorDeleteSystemCaptures', ids);
    return lim.on
      ? allow(`${actor.name} is an instructor in section ${inst.sectionId}, where the system-generated capture ${m.id} is published`, lim.why)
      : deny(`${m.id} is a system-generated capture; deleting it needs instructorDeleteSystemCaptures`, lim.why);
  }
  const lib = viaLibrary(f, 'contributor', 'delete media there');
  if (lib) return lib;
  if (first(f.sections, (s) => s.role === 'teaching_assistant')) return deny(`${actor.name} is a teaching assistant, and teaching assistants never delete media they do not own`);
  return deny(`only the owner of ${m.id} (or an admin) deletes it`);
}

function parseAt(v: unknown): Date | string {
  if (v === undefined || v === null) return new Date();
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? `'${String(v)}' is not a time` : d;
}

function download(f: Facts, q: Query): Decision {
  const { actor, m, w } = f;
  const format = q.context.format ?? 'video';
  if (!(DOWNLOAD_FORMATS as readonly unknown[]).includes(format)) return deny(`format must be audio or video, not '${String(format)}'`);
  if (f.admin) return f.admin;
  if (f.owner) return allow(`${actor.name} owns ${m.id}; the download toggles limit students only`);
  const t = first(f.sections, (s) => isTeacher(s.role));
  if (t) return allow(`${actor.name} is ${roleWords(t.role!)} in section ${t.sectionId}; the download toggles limit students only`);
  const av = avOver(f) ?? viaCollection(f, 'download');
  if (av) return av;
  const at = parseAt(q.context.at);
  if (typeof at === 'string') return deny(`at: ${at}`);
  const day = at.toISOString().slice(0, 10);
  let refusal: Decision | undefined;
  for (const s of f.sections) {
    if (!isLearner(s.role)) continue;
    const d = toggle(w, s.sectionId, 'downloads');
    if (d.value === 'off') {
      refusal ??= deny(`downloads are off: ${d.why}`);
      continue;
    }
    if (d.value === 'audioOnly' && format !== 'audio') {
      refusal ??= deny(`downloads are audio-only: ${d.why}`);
      continue;
    }
    const active = toggle(w, s.sectionId, 'downloadsTermActiveOnly');
    if (active.on) {
      const term = w.term(w.section(s.sectionId)!.termId);
      if (!term || day < term.startDate || day > term.endDate) {
        refusal ??= deny(`downloads are allowed only while the term is active (${term ? `${term.startDate} to ${term.endDate}` : 'no term'}), and ${day} is outside it`, active.why);
        continue;
      }
    }
    return allow(`${actor.name} is ${roleWords(s.role!)} in section ${s.sectionId}, where ${m.id} is published`, d.why);
  }
  if (refusal) return refusal;
  if (actor.principal.kind === 'user' && w.isSharedWith(m.id, actor.id)) return deny(`${m.id} was shared with ${actor.name}, and sharing gives view access only`);
  return deny(`${actor.name} neither owns ${m.id} nor is enrolled where it is published with a right to download`);
}

/** When studentLibrary is off, students (users with no staff role) have no library: no upload, no copy. */
function noStudentLibrary(f: Pick<Facts, 'w' | 'actor'>, doing: string): Decision | undefined {
  const { w, actor } = f;
  if (w.institution.studentLibrary || actor.principal.kind !== 'user' || actor.isSystemAdmin) return undefined;
  if (isStaff(w, actor.id)) return undefined;
  return deny(`the student library is off in ${w.institutionId}, so students cannot ${doing}`);
}

function copy(f: Facts): Decision {
  const { actor, m, w } = f;
  if (f.admin) return f.admin;
  const lib = noStudentLibrary(f, 'copy media');
  if (lib) return lib;
  if (f.owner) return allow(`${actor.name} owns ${m.id}`);
  const t = first(f.sections, (s) => isTeacher(s.role));
  if (t) return allow(`${actor.name} is ${roleWords(t.role!)} in section ${t.sectionId}, where ${m.id} is published`);
  const via = viaCollection(f, 'copy');
  if (via) return via;
  let refusal: Decision | undefined;
  for (const s of f.sections) {
    if (!isLearner(s.role)) continue;
    const c = toggle(w, s.sectionId, 'studentCopy');
    if (c.on) return allow(`${actor.name} is ${roleWords(s.role!)} in section ${s.sectionId}`, c.why);
    refusal ??= deny(`students may not copy: ${c.why}`);
  }
  return refusal ?? deny(`${actor.name} neither owns ${m.id} nor is enrolled where it is published`);
}

function share(f: Facts, q: Query): Decision {
  const { actor, m, w } = f;
  if (typeof q.context.user === 'string' && !w.user(q.context.user)) return deny(`user '${q.context.user}' does not exist in ${w.institutionId}`);
  if (f.admin) return f.admin;
  if (f.owner) return allow(`${actor.name} owns ${m.id}`);
  const t = first(f.sections, (s) => isTeacher(s.role));
  if (t) return allow(`${actor.name} is ${roleWords(t.role!)} in section ${t.sectionId}, where ${m.id} is published`);
  if (actor.principal.kind === 'user' && w.isSharedWith(m.id, actor.id)) return deny(`${m.id} was merely shared with ${actor.name}, and shared media is never re-shared`);
  return deny(`only the owner of ${m.id}, or an instructor or TA of a section where it is published, shares it`);
}

function classOf(f: Facts, q: Query): { classId: string; sectionId: string } | Decision {
  const classId = q.context.class;
  if (typeof classId !== 'string') return deny('which class? the context names no class');
  const c = f.w.class(classId);
  if (!c) return deny(`class '${classId}' does not exist`);
  return { classId, sectionId: c.sectionId };
}

function publish(f: Facts, q: Query): Decision {
  const { actor, m } = f;
  const target = classOf(f, q);
  if ('allow' in target) return target;
  const { sectionId } = target;
  const role = sectionRole(actor, sectionId);
  const sectionAdminUnit = (() => {
    const u = f.w.sectionUnit(sectionId);
    return u === undefined ? undefined : actor.adminUnitOver(u);
  })();
  if (sectionAdminUnit !== undefined && (f.admin || f.owner)) {
    return allow(`${actor.name} is admin of ${f.w.tree.name(sectionAdminUnit)}, which contains section ${sectionId}`, ...(f.admin ? f.admin.reasons : [`${actor.name} owns ${m.id}`]));
  }
  if (role === 'student') return deny(`${actor.name} is a student in section ${sectionId}, and nobody publishes to a section where they are a student`);
  if (f.owner) {
    if (isTeacher(role)) return allow(`${actor.name} owns ${m.id} and is ${roleWords(role!)} in section ${sectionId}`);
    if (role === 'student_presenter') return allow(`${actor.name} is a student presenter in section ${sectionId} and publishes their own recordings`);
    return deny(`${actor.name} owns ${m.id} but is not an instructor or TA in section ${sectionId}`);
  }
  if (!isTeacher(role)) return deny(`${actor.name} does not own ${m.id} and is not an instructor or TA in section ${sectionId}`);
  const from = first(f.sections, (s) => s.sectionId !== sectionId && isTeacher(s.role));
  if (from) return allow(`${actor.name} is ${roleWords(from.role!)} in section ${from.sectionId}, where ${m.id} is published, and ${roleWords(role!)} in section ${sectionId}`);
  return deny(`${actor.name} does not own ${m.id} and does not teach a section where it is already published`);
}

function unpublish(f: Facts, q: Query): Decision {
  const { actor, m, w } = f;
  const target = classOf(f, q);
  if ('allow' in target) return target;
  const { classId, sectionId } = target;
  const pub: PublicationRow | undefined = w.publicationsOf(m.id).find((p) => p.classId === classId);
  if (!pub) return deny(`${m.id} is not published in class ${classId}`);
  const u = w.sectionUnit(sectionId);
  const a = u === undefined ? undefined : actor.adminUnitOver(u);
  if (a !== undefined) return allow(`${actor.name} is admin of ${w.tree.name(a)}, which contains section ${sectionId}`);
  if (f.admin) return f.admin;
  const role = sectionRole(actor, sectionId);
  const systemInSystemClass = f.systemCapture && w.class(classId)!.kind === 'system';
  if (systemInSystemClass && (f.owner || isTeacher(role))) {
    const t = toggle(w, sectionId, 'instructorUnpublishSystemCaptures');
    if (!t.on) return deny(`${m.id} is a system-generated capture in the system class ${classId}; unpublishing it needs instructorUnpublishSystemCaptures, which binds its owner and TAs too`, t.why);
    if (f.owner || role === 'instructor') return allow(`${actor.name} ${f.owner ? `owns ${m.id}` : `is an instructor in section ${sectionId}`}`, t.why);
  }
  if (f.owner) return allow(`${actor.name} owns ${m.id}`);
  if (role === 'teaching_assistant') return deny(`${actor.name} is a teaching assistant, and teaching assistants never remove media they do not own from a class (even media they published)`);
  if (role !== 'instructor') return deny(`${actor.name} neither owns ${m.id} nor is an instructor in section ${sectionId}`);
  if (pub.publishedBy === actor.id) return allow(`${actor.name} published ${m.id} to ${classId}, and instructors may always unpublish what they published`);
  if (w.sectionRole(pub.publishedBy, sectionId) === 'instructor') {
    return deny(`${m.id} was published to ${classId} by ${pub.publishedBy}, another instructor, and instructors never remove media another instructor published`);
  }
  return allow(`${actor.name} is an instructor in section ${sectionId}`, `${m.id} was published by ${pub.publishedBy}, who is not an instructor there`);
}

function post(f: Facts, q: Query): Decision {
  const { actor, m } = f;
  const to = q.context.to;
  if (to !== undefined && !['publicLink', 'lmsEmbed', 'lmsHomework'].includes(String(to))) return deny(`to must be publicLink, lmsEmbed or lmsHomework, not '${String(to)}'`);
  if (f.admin) return f.admin;
  if (f.owner) return allow(`${actor.name} owns ${m.id}`);
  const t = first(f.sections, (s) => isTeacher(s.role));
  if (t) return allow(`${actor.name} is ${roleWords(t.role!)} in section ${t.sectionId}, where ${m.id} is published`);
  const via = viaCollection(f, 'post');
  if (via) return via;
  return deny(`${actor.name} neither owns ${m.id}, teaches a section where it is published, nor has the post permission in a collection holding it`);
}

/** Creating media: one's own uploads (not for students without a library); captures and others' media by admins. */
function create(q: Query): Decision {
  const { actor, world: w, context } = q;
  const owner = typeof context.owner === 'string' ? context.owner : actor.id;
  const origin = context.origin ?? 'upload';
  if (actor.isSystem) return allow('Lectern records captures');
  if (typeof context.library === 'string') {
    const lib = w.library(context.library);
    if (!lib) return deny(`library '${context.library}' does not exist`);
    const a = actor.adminUnitOver(lib.unitId);
    if (a !== undefined) return allow(`${actor.name} is admin of ${w.tree.name(a)}, which holds library ${lib.id}`);
    if (!libraryRoleAtLeast(w.libraryRole(actor.id, lib.id), 'contributor')) return deny(`${actor.name} is not a contributor of library ${lib.id}, and only contributors upload there`);
  }
  if (owner !== actor.id) {
    return actor.isAnyAdmin ? allow(`${actor.name} is an admin and may create media for others`) : deny(`only admins create media owned by someone else`);
  }
  if (origin === 'upload') return noStudentLibrary({ w, actor }, 'upload media') ?? allow(`${actor.name} uploads their own media`);
  if (actor.isAnyAdmin) return allow(`${actor.name} is an admin`);
  for (const [sectionId, role] of w.enrollmentsOf(actor.id)) {
    if (role === 'instructor') return allow(`${actor.name} is an instructor in section ${sectionId} and may start ad hoc captures`);
  }
  return deny(`captures are recorded for instructors and admins; ${actor.name} is neither`);
}

export const mediaRules: RuleTable = {
  'media.create': create,
  'media.view': withFacts(view),
  'media.editDetails': withFacts(editDetails),
  'media.edit': withFacts(underLock(edit, () => true, 'locked media cannot be edited by anyone, admins included')),
  'media.editTranscripts': withFacts(underLock((f, q) => edit(f, q, 'editTranscripts'), () => true, 'locked media cannot be edited by anyone, admins included')),
  'media.delete': withFacts(underLock(del, (f) => !f.admin, 'only admins may delete locked media')),
  'media.download': withFacts(download),
  'media.copy': withFacts(copy),
  'media.share': withFacts(share),
  'media.publish': withFacts(publish),
  'media.unpublish': withFacts(unpublish),
  'media.post': withFacts(post),
};
