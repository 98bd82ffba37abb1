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
import { allow, because, type Decision, deny } from '../domain/outcome.js';
import { isExplaining } from '../domain/outcome.js';
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

export function sectionsOfMedia(w: World, mediaId: string): readonly string[] {
  return w.sectionsOfMedia(mediaId);
}

/**
 * Admin rights over a media item: an institution-level admin over all media of the institution,
 * a unit admin over media published in a section within their units.
 */
export function mediaAdmin(actor: Actor, mediaId: string, sections: readonly string[]): Decision | undefined {
  const w = actor.world;
  if (actor.adminUnits.length === 0) return undefined;
  if (actor.isInstitutionAdmin) return allow(because`${actor.name} is an institution-level admin, with every right on the institution's media`);
  const lib = w.media(mediaId)?.libraryId;
  const libUnit = lib ? w.library(lib)?.unitId : undefined;
  const la = libUnit === undefined ? undefined : actor.adminUnitOver(libUnit);
  if (la !== undefined) return allow(because`${actor.name} is admin of ${w.tree.name(la)}, which holds library ${lib}, where ${mediaId} lives`);
  for (const s of sections) {
    const unit = w.sectionUnit(s);
    const a = unit === undefined ? undefined : actor.adminUnitOver(unit);
    if (a !== undefined) return allow(because`${actor.name} is admin of ${w.tree.name(a)}, where ${mediaId} is published (section ${s})`);
  }
  return undefined;
}

/** The facts, each computed on first use: most decisions need only two or three of them. */
class LazyFacts implements Facts {
  private _admin: Decision | undefined | null = null;
  private _sections: Facts['sections'] | undefined;
  private _collections: Facts['collections'] | undefined;
  readonly owner: boolean;
  readonly systemCapture: boolean;
  constructor(
    readonly w: World,
    readonly actor: Actor,
    readonly m: MediaRow,
  ) {
    // With the student library off, a student has no library of their own: owning media gives them
    // nothing, and they reach media only through sections and collections (SPEC §7).
    this.owner = actor.principal.kind === 'user' && !actor.foreign && actor.principal.userId === m.ownerId && !libraryless(w, actor);
    this.systemCapture = m.origin !== 'upload';
  }
  get admin(): Decision | undefined {
    if (this._admin === null) this._admin = mediaAdmin(this.actor, this.m.id, this.w.sectionsOfMedia(this.m.id));
    return this._admin;
  }
  get sections(): Facts['sections'] {
    return (this._sections ??= this.w.sectionsOfMedia(this.m.id).map((sectionId) => ({ sectionId, role: sectionRole(this.actor, sectionId) })));
  }
  get collections(): Facts['collections'] {
    if (this._collections) return this._collections;
    const out: Facts['collections'] = [];
    const { w, actor } = this;
    if (actor.principal.kind === 'user' && !actor.foreign) {
      for (const c of w.collectionsHolding(this.m.id)) {
        const member = w.collectionMember(c, actor.principal.userId);
        if (member) out.push({ collectionId: c, perms: memberPermissions(w, member).perms });
      }
    }
    return (this._collections = out);
  }
  get libraryRole(): LibraryRole | undefined {
    const { m, actor } = this;
    return m.libraryId && actor.principal.kind === 'user' ? this.w.libraryRole(actor.principal.userId, m.libraryId) : undefined;
  }
  /** The same facts about a copy of the media (the lock lifted, to ask what the rule would say). */
  with(m: MediaRow): LazyFacts {
    return new LazyFacts(this.w, this.actor, m);
  }
}

function facts(q: Query): LazyFacts | Decision {
  const { world: w, actor, resource } = q;
  // The existence check before the rule found the row already (policy/index.ts).
  const m = resource.type === 'media' ? ((q.found as MediaRow | undefined) ?? w.media(resource.id)) : undefined;
  if (!m) return deny(because`${resource.type} '${resource.id}' is not a media item that exists`);
  return new LazyFacts(w, actor, m);
}

function withFacts(rule: (f: LazyFacts, q: Query) => Decision): (q: Query) => Decision {
  return (q) => {
    const f = facts(q);
    return f instanceof LazyFacts ? rule(f, q) : f;
  };
}

const first = <T>(xs: T[], p: (x: T) => boolean): T | undefined => xs.find(p);

/** The first collection holding the media that gives the actor `perm`, as a reason. */
function viaCollection(f: Facts, perm?: CollectionPermission): Decision | undefined {
  const c = f.collections.find((x) => perm === undefined || x.perms.has(perm));
  if (!c) return undefined;
  return allow(perm ? because`${f.actor.name} has the ${perm} permission in collection ${c.collectionId}, which holds ${f.m.id}` : because`${f.actor.name} is a member of collection ${c.collectionId}, which holds ${f.m.id}, and all members view its media`);
}

function viaLibrary(f: Facts, least: LibraryRole, doing: string): Decision | undefined {
  return libraryRoleAtLeast(f.libraryRole, least) ? allow(because`${f.actor.name} is a ${f.libraryRole} of library ${f.m.libraryId}, where ${f.m.id} lives, and may ${doing}`) : undefined;
}

/** The lock binds only those the rule would otherwise allow, so their refusal is a conflict. */
function underLock(rule: (f: LazyFacts, q: Query) => Decision, lockedFor: (f: LazyFacts) => boolean, words: string): (f: LazyFacts, q: Query) => Decision {
  return (f, q) => {
    if (!f.m.locked) return rule(f, q);
    const d = rule(f.with({ ...f.m, locked: false }), q);
    if (!d.allow || !lockedFor(f)) return d;
    return { allow: false, conflict: 'locked', reasons: [because`${f.m.id} is locked: it is embedded in an LMS homework assignment, and ${words}`, ...d.reasons] };
  };
}

/** Student and guest presenters never edit media, their own published media included. */
function presenterBar(f: Facts): Decision | undefined {
  const s = first(f.sections, (x) => x.role === 'student_presenter' || x.role === 'guest_presenter');
  if (!s) return undefined;
  return deny(because`${f.actor.name} is ${roleWords(s.role!)} in section ${s.sectionId}, and ${s.role === 'student_presenter' ? 'student presenters never edit media, even their own published media' : 'guest presenters never edit, reprocess or change the state of media'}`);
}

function view(f: Facts): Decision {
  const { actor, m, w } = f;
  // The commonest reasons first: the owner, a member of a section where it is published.
  if (f.owner) return allow(because`${actor.name} owns ${m.id}`);
  // The first section where the actor is a guest presenter (a local user's role, as f.sections has it).
  let guest: { sectionId: string } | undefined;
  if (actor.principal.kind === 'user') {
    for (const sid of w.sectionsOfMedia(m.id)) {
      const role = w.sectionRole(actor.principal.userId, sid);
      if (role === 'guest_presenter') guest ??= actor.foreign ? undefined : { sectionId: sid };
      else if (role) return allow(because`${actor.name} is ${roleWords(role)} in section ${sid}, where ${m.id} is published`);
    }
  }
  if (f.admin) return f.admin;
  if (guest && (m.presenterId ?? m.ownerId) === actor.id) return allow(because`${actor.name} is a guest presenter in section ${guest.sectionId} and presented ${m.id}`);
  if (actor.principal.kind === 'user' && w.isSharedWith(m.id, actor.id)) {
    if (!libraryless(w, actor)) return allow(because`${m.id} was shared with ${actor.name}`);
  }
  const via = viaCollection(f) ?? viaLibrary(f, 'viewer', 'view it');
  if (via) return via;
  const av = avOver(f);
  if (av) return av;
  if (guest) return deny(because`${actor.name} is a guest presenter in section ${guest.sectionId}, and guest presenters view only media they presented`);
  return deny(because`${actor.name} does not own ${m.id}, is not enrolled in a section where it is published, and it was not shared with them`);
}

/** AV technicians view (not edit) media in every format, within their units. */
function avOver(f: Facts): Decision | undefined {
  const units = f.actor.listed('av_technician');
  if (units.length === 0) return undefined;
  const w = f.w;
  if (units.includes(w.rootId)) return allow(because`${f.actor.name} is an AV technician for the institution and views media in every format`);
  for (const s of f.sections) {
    const unit = w.sectionUnit(s.sectionId);
    const u = unit === undefined ? undefined : units.find((x) => w.tree.within(unit, x));
    if (u !== undefined) return allow(because`${f.actor.name} is an AV technician at ${w.tree.name(u)}, where ${f.m.id} is published`);
  }
  return undefined;
}

function editDetails(f: Facts): Decision {
  const { actor, m } = f;
  if (f.admin) return f.admin;
  if (f.owner) return presenterBar(f) ?? allow(because`${actor.name} owns ${m.id}`);
  const t = first(f.sections, (s) => isTeacher(s.role));
  if (t) return allow(because`${actor.name} is ${roleWords(t.role!)} in section ${t.sectionId}, where ${m.id} is published`);
  const via = viaCollection(f, 'edit') ?? viaLibrary(f, 'editor', 'edit existing titles');
  if (via) return via;
  return deny(because`${actor.name} neither owns ${m.id} nor teaches a section where it is published`);
}

/** Editing the media itself (and its transcripts): the lock binds everyone, admins too. */
function edit(f: Facts, _q?: Query, perm: 'edit' | 'editTranscripts' = 'edit'): Decision {
  const { actor, m, w } = f;
  if (f.admin) return f.admin;
  if (f.owner) return presenterBar(f) ?? allow(because`${actor.name} owns ${m.id}`);
  const via = viaCollection(f, perm) ?? viaLibrary(f, 'editor', 'edit existing titles');
  if (via) return via;
  let why: string | undefined;
  for (const s of f.sections) {
    if (!isTeacher(s.role)) continue;
    const t = toggle(w, s.sectionId, 'coInstructorEditing');
    if (t.on) return allow(because`${actor.name} is ${roleWords(s.role!)} in section ${s.sectionId}, where ${m.id} is published`, t.why);
    why ??= t.why;
  }
  if (why) return deny(because`${actor.name} does not own ${m.id}; editing it needs coInstructorEditing`, why);
  return deny(because`${actor.name} neither owns ${m.id} nor teaches a section where it is published`);
}

/** The system-capture limit for `key` across the sections where the media is published. */
function systemLimit(f: Facts, key: 'instructorDeleteSystemCaptures' | 'instructorUnpublishSystemCaptures', sections: string[]) {
  const w = f.w;
  if (sections.length === 0) {
    const e = effective(w, { scopeType: 'unit', scopeId: w.rootId }, key);
    return { on: e.value === 'on', why: isExplaining() ? describeEffective(w, key, e) : '' };
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
    if (guest && !f.sections.some((s) => isTeacher(s.role))) return deny(because`${actor.name} is a guest presenter in section ${guest.sectionId}, and guest presenters never change the state of media`);
    if (!f.systemCapture) return allow(because`${actor.name} owns ${m.id}`);
    const lim = systemLimit(f, 'instructorDeleteSystemCaptures', ids);
    return lim.on
      ? allow(because`${actor.name} owns ${m.id}, a system-generated capture`, lim.why)
      : deny(because`${m.id} is a system-generated capture; deleting it needs instructorDeleteSystemCaptures, which binds its owner too`, lim.why);
  }
  const inst = first(f.sections, (s) => s.role === 'instructor');
  if (inst && f.systemCapture) {
    const lim = systemLimit(f, 'instructorDeleteSystemCaptures', ids);
    return lim.on
      ? allow(because`${actor.name} is an instructor in section ${inst.sectionId}, where the system-generated capture ${m.id} is published`, lim.why)
      : deny(because`${m.id} is a system-generated capture; deleting it needs instructorDeleteSystemCaptures`, lim.why);
  }
  const lib = viaLibrary(f, 'contributor', 'delete media there');
  if (lib) return lib;
  if (first(f.sections, (s) => s.role === 'teaching_assistant')) return deny(because`${actor.name} is a teaching assistant, and teaching assistants never delete media they do not own`);
  return deny(because`only the owner of ${m.id} (or an admin) deletes it`);
}

const UTC_DAY = /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z)?$/;

/** The UTC calendar day of the check's time (`at`, default now), or why it is not a time. */
function dayOf(v: unknown): string {
  if (typeof v === 'string' && UTC_DAY.test(v) && !Number.isNaN(Date.parse(v))) return v.slice(0, 10);
  const d = parseAt(v);
  return typeof d === 'string' ? d : d.toISOString().slice(0, 10);
}

function parseAt(v: unknown): Date | string {
  if (v === undefined || v === null) return new Date();
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? `'${String(v)}' is not a time` : d;
}

function download(f: Facts, q: Query): Decision {
  const { actor, m, w } = f;
  const format = q.context.format ?? 'video';
  if (!(DOWNLOAD_FORMATS as readonly unknown[]).includes(format)) return deny(because`format must be audio or video, not '${String(format)}'`);
  if (f.admin) return f.admin;
  if (f.owner) return allow(because`${actor.name} owns ${m.id}; the download toggles limit students only`);
  const t = first(f.sections, (s) => isTeacher(s.role));
  if (t) return allow(because`${actor.name} is ${roleWords(t.role!)} in section ${t.sectionId}; the download toggles limit students only`);
  const av = avOver(f) ?? viaCollection(f, 'download');
  if (av) return av;
  const day = dayOf(q.context.at);
  if (day.length !== 10) return deny(because`at: ${day}`);
  let refusal: Decision | undefined;
  for (const s of f.sections) {
    if (!isLearner(s.role)) continue;
    const d = toggle(w, s.sectionId, 'downloads');
    if (d.value === 'off') {
      refusal ??= deny(because`downloads are off: ${d.why}`);
      continue;
    }
    if (d.value === 'audioOnly' && format !== 'audio') {
      refusal ??= deny(because`downloads are audio-only: ${d.why}`);
      continue;
    }
    const active = toggle(w, s.sectionId, 'downloadsTermActiveOnly');
    if (active.on) {
      const term = w.term(w.section(s.sectionId)!.termId);
      if (!term || day < term.startDate || day > term.endDate) {
        refusal ??= deny(because`downloads are allowed only while the term is active (${term ? `${term.startDate} to ${term.endDate}` : 'no term'}), and ${day} is outside it`, active.why);
        continue;
      }
    }
    return allow(because`${actor.name} is ${roleWords(s.role!)} in section ${s.sectionId}, where ${m.id} is published`, d.why);
  }
  if (refusal) return refusal;
  if (actor.principal.kind === 'user' && w.isSharedWith(m.id, actor.id)) return deny(because`${m.id} was shared with ${actor.name}, and sharing gives view access only`);
  return deny(because`${actor.name} neither owns ${m.id} nor is enrolled where it is published with a right to download`);
}

/** A student (no staff role) while the student library is off. */
function libraryless(w: World, actor: Actor): boolean {
  return !w.institution.studentLibrary && actor.principal.kind === 'user' && !actor.isSystemAdmin && !isStaff(w, actor.id);
}

/** When studentLibrary is off, students (users with no staff role) have no library: no upload, no copy. */
function noStudentLibrary(f: Pick<Facts, 'w' | 'actor'>, doing: string): Decision | undefined {
  const { w, actor } = f;
  if (w.institution.studentLibrary || actor.principal.kind !== 'user' || actor.isSystemAdmin) return undefined;
  if (isStaff(w, actor.id)) return undefined;
  return deny(because`the student library is off in ${w.institutionId}, so students cannot ${doing}`);
}

function copy(f: Facts): Decision {
  const { actor, m, w } = f;
  if (f.admin) return f.admin;
  const lib = noStudentLibrary(f, 'copy media');
  if (lib) return lib;
  if (f.owner) return allow(because`${actor.name} owns ${m.id}`);
  const t = first(f.sections, (s) => isTeacher(s.role));
  if (t) return allow(because`${actor.name} is ${roleWords(t.role!)} in section ${t.sectionId}, where ${m.id} is published`);
  const via = viaCollection(f, 'copy');
  if (via) return via;
  let refusal: Decision | undefined;
  for (const s of f.sections) {
    if (!isLearner(s.role)) continue;
    const c = toggle(w, s.sectionId, 'studentCopy');
    if (c.on) return allow(because`${actor.name} is ${roleWords(s.role!)} in section ${s.sectionId}`, c.why);
    refusal ??= deny(because`students may not copy: ${c.why}`);
  }
  return refusal ?? deny(because`${actor.name} neither owns ${m.id} nor is enrolled where it is published`);
}

function share(f: Facts, q: Query): Decision {
  const { actor, m, w } = f;
  if (typeof q.context.user === 'string' && !w.user(q.context.user)) return deny(because`user '${q.context.user}' does not exist in ${w.institutionId}`);
  if (f.admin) return f.admin;
  if (f.owner) return allow(because`${actor.name} owns ${m.id}`);
  const t = first(f.sections, (s) => isTeacher(s.role));
  if (t) return allow(because`${actor.name} is ${roleWords(t.role!)} in section ${t.sectionId}, where ${m.id} is published`);
  if (actor.principal.kind === 'user' && w.isSharedWith(m.id, actor.id)) return deny(because`${m.id} was merely shared with ${actor.name}, and shared media is never re-shared`);
  return deny(because`only the owner of ${m.id}, or an instructor or TA of a section where it is published, shares it`);
}

function classOf(f: Facts, q: Query): { classId: string; sectionId: string } | Decision {
  const classId = q.context.class;
  if (typeof classId !== 'string') return deny('which class? the context names no class');
  const c = f.w.class(classId);
  if (!c) return deny(because`class '${classId}' does not exist`);
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
    return allow(because`${actor.name} is admin of ${f.w.tree.name(sectionAdminUnit)}, which contains section ${sectionId}`, ...(f.admin ? f.admin.reasons : [because`${actor.name} owns ${m.id}`]));
  }
  if (role === 'student') return deny(because`${actor.name} is a student in section ${sectionId}, and nobody publishes to a section where they are a student`);
  if (f.owner) {
    if (isTeacher(role)) return allow(because`${actor.name} owns ${m.id} and is ${roleWords(role!)} in section ${sectionId}`);
    if (role === 'student_presenter') return allow(because`${actor.name} is a student presenter in section ${sectionId} and publishes their own recordings`);
    return deny(because`${actor.name} owns ${m.id} but is not an instructor or TA in section ${sectionId}`);
  }
  if (!isTeacher(role)) return deny(because`${actor.name} does not own ${m.id} and is not an instructor or TA in section ${sectionId}`);
  const from = first(f.sections, (s) => s.sectionId !== sectionId && isTeacher(s.role));
  if (from) return allow(because`${actor.name} is ${roleWords(from.role!)} in section ${from.sectionId}, where ${m.id} is published, and ${roleWords(role!)} in section ${sectionId}`);
  return deny(because`${actor.name} does not own ${m.id} and does not teach a section where it is already published`);
}

function unpublish(f: Facts, q: Query): Decision {
  const { actor, m, w } = f;
  const target = classOf(f, q);
  if ('allow' in target) return target;
  const { classId, sectionId } = target;
  const pub: PublicationRow | undefined = w.publicationsOf(m.id).find((p) => p.classId === classId);
  if (!pub) return deny(because`${m.id} is not published in class ${classId}`);
  const u = w.sectionUnit(sectionId);
  const a = u === undefined ? undefined : actor.adminUnitOver(u);
  if (a !== undefined) return allow(because`${actor.name} is admin of ${w.tree.name(a)}, which contains section ${sectionId}`);
  if (f.admin) return f.admin;
  const role = sectionRole(actor, sectionId);
  const systemInSystemClass = f.systemCapture && w.class(classId)!.kind === 'system';
  if (systemInSystemClass && (f.owner || isTeacher(role))) {
    // The limit comes first and binds everyone it names; when it is lifted, the rules below still apply.
    const t = toggle(w, sectionId, 'instructorUnpublishSystemCaptures');
    if (!t.on) return deny(because`${m.id} is a system-generated capture in the system class ${classId}; unpublishing it needs instructorUnpublishSystemCaptures, which binds its owner and TAs too`, t.why);
  }
  if (f.owner) {
    const bar = role === 'guest_presenter' ? deny(because`${actor.name} is a guest presenter in section ${sectionId}, and guest presenters never change the state of media`) : undefined;
    return bar ?? allow(because`${actor.name} owns ${m.id}`);
  }
  if (role === 'teaching_assistant') return deny(because`${actor.name} is a teaching assistant, and teaching assistants never remove media they do not own from a class (even media they published)`);
  if (role !== 'instructor') return deny(because`${actor.name} neither owns ${m.id} nor is an instructor in section ${sectionId}`);
  if (pub.publishedBy === actor.id) return allow(because`${actor.name} published ${m.id} to ${classId}, and instructors may always unpublish what they published`);
  if (w.sectionRole(pub.publishedBy, sectionId) === 'instructor') {
    return deny(because`${m.id} was published to ${classId} by ${pub.publishedBy}, another instructor, and instructors never remove media another instructor published`);
  }
  return allow(because`${actor.name} is an instructor in section ${sectionId}`, because`${m.id} was published by ${pub.publishedBy}, who is not an instructor there`);
}

function post(f: Facts, q: Query): Decision {
  const { actor, m } = f;
  const to = q.context.to;
  if (to !== undefined && !['publicLink', 'lmsEmbed', 'lmsHomework'].includes(String(to))) return deny(because`to must be publicLink, lmsEmbed or lmsHomework, not '${String(to)}'`);
  if (f.admin) return f.admin;
  if (f.owner) return allow(because`${actor.name} owns ${m.id}`);
  const t = first(f.sections, (s) => isTeacher(s.role));
  if (t) return allow(because`${actor.name} is ${roleWords(t.role!)} in section ${t.sectionId}, where ${m.id} is published`);
  const via = viaCollection(f, 'post');
  if (via) return via;
  return deny(because`${actor.name} neither owns ${m.id}, teaches a section where it is published, nor has the post permission in a collection holding it`);
}

/** Sharing into the Shared Library (Ensemble seed): admins over the media, contributors of its library. */
function addToShared(q: Query): Decision {
  const { world: w, actor, resource } = q;
  const m = resource.type === 'media' ? w.media(resource.id) : undefined;
  if (!m) return deny(because`${resource.type} '${resource.id}' is not a media item that exists`);
  const admin = mediaAdmin(actor, m.id, w.sectionsOfMedia(m.id));
  if (admin) return admin;
  if (!m.libraryId) return deny(because`${m.id} lives in no library, so only an admin over it shares it to the Shared Library`);
  const role = w.libraryRole(actor.id, m.libraryId);
  return libraryRoleAtLeast(role, 'contributor')
    ? allow(because`${actor.name} is a contributor of library ${m.libraryId}, where ${m.id} lives`)
    : deny(because`only contributors of library ${m.libraryId} (and admins) share its media to the Shared Library; ${actor.name} is ${role ? `a ${role}` : 'not a member'}`);
}

/**
 * Reprocessing a capture and changing its state (available, unavailable): the ESS seed gives both to
 * instructors, and to TAs, who differ only in never deleting permanently (media.delete). Owners
 * may; admins over the media may; guest and student presenters never do, even on their own media.
 */
function maintain(doing: string): (f: LazyFacts) => Decision {
  return (f) => {
    const { actor, m } = f;
    if (f.admin) return f.admin;
    const bar = presenterBar(f);
    if (f.owner) return bar ?? allow(because`${actor.name} owns ${m.id}`);
    const t = first(f.sections, (s) => isTeacher(s.role));
    if (t) return allow(because`${actor.name} is ${roleWords(t.role!)} in section ${t.sectionId}, where ${m.id} is published, and may ${doing}`);
    if (bar) return bar;
    return deny(because`${actor.name} neither owns ${m.id} nor teaches a section where it is published, to ${doing}`);
  };
}

/** Creating media: one's own uploads (not for students without a library); captures and others' media by admins. */
function create(q: Query): Decision {
  const { actor, world: w, context } = q;
  const owner = typeof context.owner === 'string' ? context.owner : actor.id;
  const origin = context.origin ?? 'upload';
  if (actor.isSystem) return allow('Lectern records captures');
  if (typeof context.library === 'string') {
    const lib = w.library(context.library);
    if (!lib) return deny(because`library '${context.library}' does not exist`);
    const a = actor.adminUnitOver(lib.unitId);
    if (a !== undefined) return allow(because`${actor.name} is admin of ${w.tree.name(a)}, which holds library ${lib.id}`);
    if (!libraryRoleAtLeast(w.libraryRole(actor.id, lib.id), 'contributor')) return deny(because`${actor.name} is not a contributor of library ${lib.id}, and only contributors upload there`);
  }
  if (owner !== actor.id) {
    return actor.isAnyAdmin ? allow(because`${actor.name} is an admin and may create media for others`) : deny(because`only admins create media owned by someone else`);
  }
  if (origin === 'upload') return noStudentLibrary({ w, actor }, 'upload media') ?? allow(because`${actor.name} uploads their own media`);
  if (actor.isAnyAdmin) return allow(because`${actor.name} is an admin`);
  for (const [sectionId, role] of w.enrollmentsOf(actor.id)) {
    if (role === 'instructor') return allow(because`${actor.name} is an instructor in section ${sectionId} and may start ad hoc captures`);
  }
  return deny(because`captures are recorded for instructors and admins; ${actor.name} is neither`);
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
  'media.reprocess': withFacts(maintain('reprocess it')),
  'media.changeState': withFacts(maintain('change its state')),
  'media.addToSharedLibrary': addToShared,
};
