/**
 * A reference model of Lectern's decision rules, written straight from SPEC.md and DECISIONS.md,
 * to check src/policy against. Deliberately plain and slow: plain arrays of rows, every question
 * answered by a linear scan, "is within" by walking parents, toggles walked level by level. It
 * shares nothing with src/policy (only the domain's row types and catalogue constants).
 */
import { LEVEL_PERMISSIONS, TOGGLES, type CollectionPermission, type ToggleKey } from '../../src/domain/catalog.js';
import type { Change, TableName, TableRows } from '../../src/domain/rows.js';

export type Rows = { [T in TableName]: TableRows[T][] };

export function rowsOf(changes: readonly Change[]): Rows {
  const out = {} as Record<string, unknown[]>;
  for (const c of changes) {
    if (c.op !== 'put') throw new Error('rowsOf takes puts only');
    (out[c.table] ??= []).push(c.row);
  }
  const names: TableName[] = [
    'institution', 'unit', 'user', 'roleGrant', 'term', 'course', 'section', 'enrollment', 'schedule', 'class', 'media',
    'publication', 'mediaShare', 'setting', 'room', 'device', 'licensePack', 'licenseAssignment', 'collection',
    'collectionMember', 'collectionMedia', 'library', 'libraryMember', 'defaultLibrary', 'featureGrant',
  ];
  for (const n of names) out[n] ??= [];
  return out as unknown as Rows;
}

export interface Who {
  institutionId: string;
  userId: string;
  systemAdmin: boolean;
}

/** The actions the model answers; anything else is not compared. */
export const MODEL_ACTIONS = [
  'platform.configure', 'institution.create', 'institution.configure', 'licensePack.create',
  'unit.create', 'unit.update', 'unit.delete',
  'user.view', 'user.create', 'user.update', 'user.deactivate', 'user.delete', 'console.signIn',
  'role.grant', 'role.revoke',
  'license.view', 'license.export', 'license.assign', 'license.revoke', 'license.import',
  'term.create', 'term.update', 'term.delete', 'course.create', 'course.update', 'course.delete',
  'section.create', 'section.update', 'section.delete',
  'section.enroll', 'section.unenroll', 'section.settings', 'section.analytics', 'section.polling', 'section.accessLinks',
  'section.captureStart', 'class.create', 'class.delete', 'classGroup.create', 'classGroup.delete', 'qa.post', 'qa.moderate',
  'monitor.view', 'captureLogs.view', 'device.register', 'device.assign', 'device.configure', 'room.configure',
  'media.view', 'media.edit', 'media.editDetails', 'media.editTranscripts', 'media.delete', 'media.download', 'media.copy',
  'media.share', 'media.publish', 'media.unpublish', 'media.post',
  'collection.create', 'collection.view', 'collection.delete', 'collection.addMedia', 'collection.removeMedia',
  'collection.addMember', 'collection.updateMember', 'collection.removeMember',
] as const;

const LISTED_ONLY = 'listedOnly';

/** One question, answered over the rows. */
class Ask {
  constructor(
    readonly r: Rows,
    readonly who: Who,
  ) {}

  get inst() {
    return this.r.institution[0]!;
  }
  get root(): string {
    return this.r.unit.find((u) => u.parentId === null)?.id ?? this.inst.institutionId;
  }
  get local(): boolean {
    return this.who.institutionId === this.inst.institutionId;
  }
  get me(): string {
    return this.who.userId;
  }
  get sys(): boolean {
    return this.who.systemAdmin;
  }

  unitExists(id: string): boolean {
    return this.r.unit.some((u) => u.id === id);
  }
  parentOf(id: string): string | null | undefined {
    const u = this.r.unit.find((x) => x.id === id);
    return u === undefined ? undefined : u.parentId;
  }
  /** x is y or below y: walk x's parents. */
  within(x: string, y: string): boolean {
    if (!this.unitExists(x) || !this.unitExists(y)) return false;
    let cur: string | null | undefined = x;
    for (let i = 0; cur != null && i < 10_000; i++) {
      if (cur === y) return true;
      cur = this.parentOf(cur);
    }
    return false;
  }

  grants(userId: string) {
    return this.r.roleGrant.filter((g) => g.userId === userId);
  }
  holds(userId: string, role: string): boolean {
    return this.grants(userId).some((g) => g.role === role);
  }
  listed(userId: string, role: string): string[] {
    return this.grants(userId).filter((g) => g.role === role && g.scopeType === 'unit').map((g) => g.scopeId);
  }
  myListed(role: string): string[] {
    return this.local ? this.listed(this.me, role) : [];
  }
  iHold(role: string): boolean {
    return this.local && this.holds(this.me, role);
  }

  /** SPEC §4: rights where listed; with none listed, the root while DA is off (not for admins created under DA). */
  adminUnitsOf(userId: string): string[] {
    const admin = this.grants(userId).filter((g) => g.role === 'admin');
    const listed = admin.filter((g) => g.scopeType === 'unit').map((g) => g.scopeId);
    if (listed.length > 0) return listed;
    const defaultHolding = admin.some((g) => g.scopeType === 'none' && g.scopeId !== LISTED_ONLY);
    return defaultHolding && !this.inst.delegatedAdministration ? [this.root] : [];
  }
  get myAdminUnits(): string[] {
    if (this.sys) return [this.root];
    if (!this.local) return [];
    return this.adminUnitsOf(this.me);
  }
  adminOver(unit: string): boolean {
    return this.myAdminUnits.some((a) => this.within(unit, a));
  }
  get instAdmin(): boolean {
    return this.myAdminUnits.includes(this.root);
  }
  get anyAdmin(): boolean {
    return this.myAdminUnits.length > 0;
  }

  user(id: string) {
    return this.r.user.find((u) => u.id === id);
  }
  sectionUnit(sectionId: string): string | undefined {
    const s = this.r.section.find((x) => x.id === sectionId);
    return s ? this.r.course.find((c) => c.id === s.courseId)?.unitId : undefined;
  }
  roleIn(sectionId: string, userId = this.me): string | undefined {
    if (userId === this.me && !this.local) return undefined;
    return this.r.enrollment.find((e) => e.sectionId === sectionId && e.userId === userId)?.role;
  }

  /** SPEC §7 toggles: root first, then each unit down to the section's, then the section. */
  toggle(sectionId: string | undefined, key: ToggleKey): string {
    const levels: { t: 'unit' | 'section'; id: string }[] = [];
    const unit = sectionId === undefined ? this.root : this.sectionUnit(sectionId);
    const path: string[] = [];
    for (let cur: string | null | undefined = unit ?? this.root; cur != null; cur = this.parentOf(cur)) path.unshift(cur);
    for (const u of path) levels.push({ t: 'unit', id: u });
    if (sectionId !== undefined) levels.push({ t: 'section', id: sectionId });
    let lowest: string | undefined;
    for (const l of levels) {
      const s = this.r.setting.find((x) => x.scopeType === l.t && x.scopeId === l.id && x.key === key);
      if (!s) continue;
      if (!s.allowsOverride) return s.value;
      lowest = s.value;
    }
    return lowest ?? TOGGLES[key].default;
  }

  isStaffUser(userId: string): boolean {
    return this.grants(userId).length > 0;
  }
}

type Ctx = Readonly<Record<string, unknown>>;

/** The reference answer: may `who` do `action` on `resource` (type:id) with `ctx`? */
export function referenceDecide(r: Rows, who: Who, action: string, resource: string, ctx: Ctx = {}): boolean {
  const i = resource.indexOf(':');
  if (i <= 0 || i === resource.length - 1) return false;
  const type = resource.slice(0, i);
  const id = resource.slice(i + 1);
  const q = new Ask(r, who);
  // Nothing crosses institutions except system admins; deactivated and unknown users have nothing.
  if (!q.local && !who.systemAdmin) return false;
  if (q.local && q.user(who.userId)?.status !== 'active') return false;
  // A check on a thing that does not exist, or lives in another institution, is denied (SPEC §11).
  if (!exists(r, type, id)) return false;
  const rule = RULES[action];
  if (!rule) return false;
  return rule(q, type, id, ctx);
}

type RuleFn = (q: Ask, type: string, id: string, ctx: Ctx) => boolean;

/** Does the resource name something of this institution (by a scan of its rows)? */
function exists(r: Rows, type: string, id: string): boolean {
  const has = (rows: readonly { id: string }[]) => rows.some((x) => x.id === id);
  switch (type) {
    case 'platform':
      return id === 'main';
    case 'institution':
      return r.institution.some((x) => x.institutionId === id);
    case 'unit':
      return has(r.unit);
    case 'user':
      return has(r.user);
    case 'licensePack':
      return has(r.licensePack);
    case 'term':
      return has(r.term);
    case 'course':
      return has(r.course);
    case 'section':
      return has(r.section);
    case 'schedule':
      return has(r.schedule);
    case 'class':
      return has(r.class);
    case 'media':
      return has(r.media);
    case 'collection':
      return has(r.collection);
    case 'library':
      return has(r.library);
    case 'room':
      return has(r.room);
    case 'device':
      return has(r.device);
    case 'classGroup':
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------- roles (§3, DECISIONS)

type Scope = { kind: 'platform' } | { kind: 'unit'; id: string } | { kind: 'none'; listedOnly: boolean };

function parseScope(raw: string): Scope | undefined {
  if (raw === 'platform' || raw === 'platform:main') return { kind: 'platform' };
  const i = raw.indexOf(':');
  if (i < 0) return raw ? { kind: 'unit', id: raw } : undefined;
  const t = raw.slice(0, i);
  const rest = raw.slice(i + 1);
  if (!rest) return raw ? { kind: 'unit', id: raw } : undefined;
  if (t === 'unit' || t === 'institution') return { kind: 'unit', id: rest };
  return undefined;
}

const STAFF = ['system_admin', 'admin', 'license_manager', 'scheduler', 'av_technician', 'academic_staff'];

/** May the actor grant (or revoke) this role at this stored scope? */
function couldGrant(q: Ask, role: string, scope: Scope): boolean {
  if (q.sys) return true;
  if (role === 'system_admin') return false;
  if (role === 'license_manager') return q.instAdmin;
  if (scope.kind === 'unit') return q.adminOver(scope.id);
  if (scope.kind === 'platform') return false;
  // DECISIONS: an unscoped admin grant needs admin rights at the root, whether or not DA is on.
  if (role === 'admin') return q.instAdmin;
  // An unscoped scheduler reaches nothing: any admin.
  return q.anyAdmin;
}

function storedScope(g: { scopeType: string; scopeId: string }): Scope {
  if (g.scopeType === 'unit') return { kind: 'unit', id: g.scopeId };
  if (g.scopeType === 'platform') return { kind: 'platform' };
  return { kind: 'none', listedOnly: g.scopeId === LISTED_ONLY };
}

/**
 * "A role above the actor's" (SPEC §3): system admin; admin rights at a unit the actor does not
 * administer (a default admin with no listed unit counts as the root); license manager, unless
 * the actor administers the root. For role changes, scheduler, AV technician and academic-staff
 * grants are below every admin (the scope rule limits where); changing the account itself follows
 * `reach` below. The holding row of an admin with rights only where listed confers nothing by itself.
 */
function above(q: Ask, g: { role: string; scopeType: string; scopeId: string }): boolean {
  if (q.sys) return false;
  if (g.role === 'system_admin') return true;
  if (g.role === 'license_manager') return !q.instAdmin;
  if (g.role !== 'admin') return false;
  if (g.scopeType === 'none') return g.scopeId !== LISTED_ONLY && !q.instAdmin;
  return !q.adminOver(g.scopeId);
}

function mayTouch(q: Ask, target: string): boolean {
  if (q.sys) return true;
  if (!q.anyAdmin) return false;
  if (target === q.me) return true;
  return !q.grants(target).some((g) => above(q, g));
}

/**
 * SPEC §3 "Reach over an account": changing, deactivating or deleting an account needs every staff
 * grant the target holds to sit within the actor's admin rights. A unit grant: the actor
 * administers it. License manager sits at the root. A default admin with no listed unit counts as
 * the root (DECISIONS); a scheduler with no listed unit and the holding row of an admin with rights
 * only where listed reach nothing, so any admin reaches them. System admin: no institution admin.
 */
function withinRights(q: Ask, g: { role: string; scopeType: string; scopeId: string }): boolean {
  if (q.sys) return true;
  if (g.role === 'system_admin' || g.scopeType === 'platform') return false;
  if (g.scopeType === 'unit') return q.adminOver(g.scopeId);
  if (g.role === 'admin' && g.scopeId !== LISTED_ONLY) return q.instAdmin;
  return true;
}

function reach(q: Ask, target: string): boolean {
  if (q.sys) return true;
  if (!q.anyAdmin) return false;
  if (target === q.me) return true;
  return q.grants(target).every((g) => withinRights(q, g));
}

function roleChange(revoke: boolean): RuleFn {
  return (q, type, id, ctx) => {
    const target = typeof ctx.user === 'string' ? ctx.user : type === 'user' ? id : undefined;
    if (!target) return false;
    const role = ctx.role;
    if (typeof role !== 'string' || !STAFF.includes(role)) return false;
    let scope: Scope | undefined;
    const raw = typeof ctx.scope === 'string' ? ctx.scope : type === 'unit' ? id : undefined;
    if (raw !== undefined) {
      scope = parseScope(raw);
      if (!scope) return false;
    }
    // Where the grant lands (DECISIONS "Unscoped grants").
    if (role === 'system_admin') {
      if (scope?.kind === 'unit') return false;
      scope = { kind: 'platform' };
    } else if (scope?.kind === 'platform') return false;
    else if (role === 'license_manager') {
      if (scope?.kind === 'unit' && scope.id !== q.root) return false;
      scope = { kind: 'unit', id: q.root };
    } else if (scope === undefined) {
      if (role === 'admin' || role === 'scheduler') scope = { kind: 'none', listedOnly: false };
      else scope = { kind: 'unit', id: q.root };
    }
    if (revoke && scope.kind === 'none') {
      // Revoking with no scope removes every grant of the role: each listed one must be grantable.
      // An admin's holding "with rights only where listed" reaches nothing by itself (DECISIONS).
      const held = q.grants(target).filter((x) => x.role === role && !(x.scopeType === 'none' && x.scopeId === LISTED_ONLY));
      if (held.length === 0 && role === 'admin' && q.grants(target).some((x) => x.role === 'admin')) return q.anyAdmin && mayTouch(q, target);
      for (const g of held) if (!couldGrant(q, role, storedScope(g))) return false;
      if (held.length > 0) return mayTouch(q, target);
    }
    return couldGrant(q, role, scope) && mayTouch(q, target);
  };
}

// ---------------------------------------------------------------- units, users, institution

function unitAbove(q: Ask, unit: string): boolean {
  if (unit === q.root) return q.sys;
  return q.myAdminUnits.some((a) => a !== unit && q.within(unit, a));
}

const sysOnly: RuleFn = (q) => q.sys;

// ---------------------------------------------------------------- licenses (§5)

function mayLicense(q: Ask, target: string | undefined): boolean {
  if (q.sys) return true;
  if (!q.iHold('license_manager') || !q.anyAdmin) return false;
  if (target === undefined) return true;
  return q.listed(target, 'academic_staff').some((u) => q.adminOver(u));
}

// ---------------------------------------------------------------- teaching (§6–7)

function unitOfResource(q: Ask, type: string, id: string): string | undefined {
  if (type === 'unit') return q.unitExists(id) ? id : undefined;
  if (type === 'institution') return id === q.inst.institutionId ? q.root : undefined;
  if (type === 'term') return q.r.term.find((t) => t.id === id)?.unitId;
  if (type === 'course') return q.r.course.find((t) => t.id === id)?.unitId;
  if (type === 'section') return q.sectionUnit(id);
  return undefined;
}

function manage(q: Ask, unit: string | undefined): boolean {
  if (unit === undefined) return false;
  return q.adminOver(unit) || q.myListed('scheduler').some((s) => q.within(unit, s));
}

function sectionCapability(roles: string[], toggle?: ToggleKey): RuleFn {
  return (q, type, id) => {
    if (type !== 'section') return false;
    const unit = q.sectionUnit(id);
    if (unit === undefined) return false;
    if (q.adminOver(unit)) return true;
    const role = q.roleIn(id);
    if (!role || !roles.includes(role)) return false;
    return toggle === undefined || q.toggle(id, toggle) === 'on';
  };
}

const enroll: RuleFn = (q, type, id, ctx) => {
  if (type !== 'section') return false;
  const unit = q.sectionUnit(id);
  if (unit === undefined) return false;
  if (q.adminOver(unit)) return true;
  // DECISIONS: schedulers enroll instructors only; instructors anyone while instructorEnrollment is on.
  const targetRole = ctx.role;
  if (targetRole === 'instructor' && q.myListed('scheduler').some((s) => q.within(unit, s))) return true;
  return q.roleIn(id) === 'instructor' && q.toggle(id, 'instructorEnrollment') === 'on';
};

const unenroll: RuleFn = (q, type, id, ctx) => {
  if (type !== 'section') return false;
  const current = typeof ctx.user === 'string' ? q.roleIn(id, ctx.user) : undefined;
  return enroll(q, type, id, { ...ctx, role: current });
};

function oversight(roles: string[]): RuleFn {
  return (q, type, id) => {
    const unit = unitOfResource(q, type, id);
    if (unit === undefined) return false;
    if (q.adminOver(unit)) return true;
    return roles.some((r) => q.myListed(r).some((u) => q.within(unit, u)));
  };
}

const facility: RuleFn = (q) => q.anyAdmin || q.myListed('av_technician').length > 0;

// ---------------------------------------------------------------- media (§7)

interface M {
  q: Ask;
  m: TableRows['media'];
  owner: boolean;
  /** Sections where the media is published. */
  sections: string[];
  system: boolean;
}

function mediaOf(q: Ask, type: string, id: string): M | undefined {
  if (type !== 'media') return undefined;
  const m = q.r.media.find((x) => x.id === id);
  if (!m) return undefined;
  const sections: string[] = [];
  for (const p of q.r.publication) {
    if (p.mediaId !== id) continue;
    const c = q.r.class.find((x) => x.id === p.classId);
    if (c && !sections.includes(c.sectionId)) sections.push(c.sectionId);
  }
  // SPEC §7, DECISIONS: with the student library off, a student's own media gives them nothing.
  return { q, m, owner: q.local && m.ownerId === q.me && !libraryless(q), sections, system: m.origin !== 'upload' };
}

/** A student (no staff role) while the student library is off: reaches media only through sections and collections. */
function libraryless(q: Ask): boolean {
  return !q.inst.studentLibrary && !q.sys && !(q.local && q.isStaffUser(q.me));
}

function roles(x: M): string[] {
  return x.sections.map((s) => x.q.roleIn(x.sections.find((y) => y === s)!)).filter((r): r is string => r !== undefined);
}
const teaches = (r: string | undefined) => r === 'instructor' || r === 'teaching_assistant';
const learns = (r: string | undefined) => r === 'student' || r === 'student_presenter';

/** SPEC §7: institution-level admins over all media; unit admins over media published (or kept) within. */
function mediaAdmin(x: M): boolean {
  const { q, m } = x;
  if (q.instAdmin) return true;
  if (m.libraryId) {
    const lib = q.r.library.find((l) => l.id === m.libraryId);
    if (lib && q.adminOver(lib.unitId)) return true;
  }
  return x.sections.some((s) => {
    const u = q.sectionUnit(s);
    return u !== undefined && q.adminOver(u);
  });
}

function collectionPerms(x: M): Set<CollectionPermission>[] {
  const { q } = x;
  if (!q.local) return [];
  const out: Set<CollectionPermission>[] = [];
  for (const cm of q.r.collectionMedia) {
    if (cm.mediaId !== x.m.id) continue;
    const mem = q.r.collectionMember.find((y) => y.collectionId === cm.collectionId && y.userId === q.me);
    if (mem) out.push(memberPerms(q, mem));
  }
  return out;
}

function memberPerms(q: Ask, mem: TableRows['collectionMember']): Set<CollectionPermission> {
  const perms = new Set<CollectionPermission>(
    mem.level === 'custom' ? (mem.permissions.split(',').filter(Boolean) as CollectionPermission[]) : LEVEL_PERMISSIONS[mem.level],
  );
  // SPEC §8: with the student library off, a student member has no add and no copy.
  if (!q.inst.studentLibrary && !q.isStaffUser(mem.userId)) {
    perms.delete('add');
    perms.delete('copy');
  }
  return perms;
}

const viaCollection = (x: M, p?: CollectionPermission) => collectionPerms(x).some((s) => p === undefined || s.has(p));

function libraryRank(x: M): number {
  const { q, m } = x;
  if (!m.libraryId || !q.local) return 0;
  const role = q.r.libraryMember.find((l) => l.libraryId === m.libraryId && l.userId === q.me)?.role;
  return role === 'contributor' ? 3 : role === 'editor' ? 2 : role === 'viewer' ? 1 : 0;
}

function avOver(x: M): boolean {
  const { q } = x;
  const units = q.myListed('av_technician');
  if (units.includes(q.root)) return true;
  return x.sections.some((s) => {
    const u = q.sectionUnit(s);
    return u !== undefined && units.some((a) => q.within(u, a));
  });
}

/** DECISIONS: student and guest presenters never edit media published where they hold that role, even if they teach elsewhere. */
function presenterBarred(x: M): boolean {
  return roles(x).some((r) => r === 'student_presenter' || r === 'guest_presenter');
}

function mediaRule(f: (x: M, ctx: Ctx) => boolean): RuleFn {
  return (q, type, id, ctx) => {
    const x = mediaOf(q, type, id);
    return x !== undefined && f(x, ctx);
  };
}

const view = mediaRule((x) => {
  const { q, m } = x;
  if (x.owner) return true;
  const rs = roles(x);
  if (rs.some((r) => r !== 'guest_presenter')) return true;
  if (mediaAdmin(x)) return true;
  if (rs.includes('guest_presenter') && (m.presenterId ?? m.ownerId) === q.me) return true;
  if (q.local && !libraryless(q) && q.r.mediaShare.some((s) => s.mediaId === m.id && s.userId === q.me)) return true;
  if (viaCollection(x) || libraryRank(x) >= 1) return true;
  return avOver(x);
});

const editDetails = mediaRule((x) => {
  if (mediaAdmin(x)) return true;
  if (x.owner) return !presenterBarred(x);
  if (roles(x).some(teaches)) return true;
  return viaCollection(x, 'edit') || libraryRank(x) >= 2;
});

function editRule(perm: 'edit' | 'editTranscripts'): RuleFn {
  return mediaRule((x) => {
    if (x.m.locked) return false; // DECISIONS: the lock binds everyone, admins included.
    if (mediaAdmin(x)) return true;
    if (x.owner) return !presenterBarred(x);
    if (viaCollection(x, perm) || libraryRank(x) >= 2) return true;
    return x.sections.some((s) => teaches(x.q.roleIn(s)) && x.q.toggle(s, 'coInstructorEditing') === 'on');
  });
}

/** DECISIONS: the delete limit holds in every section where the capture is published (the root when none). */
function systemDeleteAllowed(x: M): boolean {
  if (x.sections.length === 0) return x.q.toggle(undefined, 'instructorDeleteSystemCaptures') === 'on';
  return x.sections.every((s) => x.q.toggle(s, 'instructorDeleteSystemCaptures') === 'on');
}

const del = mediaRule((x) => {
  const admin = mediaAdmin(x);
  if (admin) return true;
  if (x.m.locked) return false;
  const rs = roles(x);
  if (x.owner) {
    if (rs.includes('guest_presenter')) return false; // DECISIONS: guest presenters never delete it.
    return !x.system || systemDeleteAllowed(x);
  }
  if (x.system && rs.includes('instructor')) return systemDeleteAllowed(x);
  return libraryRank(x) >= 3;
});

function dayOf(at: unknown): string | undefined {
  if (at === undefined || at === null) return new Date().toISOString().slice(0, 10);
  const d = new Date(String(at));
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().slice(0, 10);
}

const download = mediaRule((x, ctx) => {
  const { q } = x;
  const format = ctx.format ?? 'video';
  if (format !== 'audio' && format !== 'video') return false;
  if (mediaAdmin(x) || x.owner) return true;
  if (roles(x).some(teaches)) return true;
  if (avOver(x) || viaCollection(x, 'download')) return true;
  const day = dayOf(ctx.at);
  if (day === undefined) return false;
  return x.sections.some((s) => {
    if (!learns(q.roleIn(s))) return false;
    const d = q.toggle(s, 'downloads');
    if (d === 'off' || (d === 'audioOnly' && format !== 'audio')) return false;
    if (q.toggle(s, 'downloadsTermActiveOnly') === 'on') {
      const sec = q.r.section.find((y) => y.id === s)!;
      const term = q.r.term.find((t) => t.id === sec.termId);
      if (!term || day < term.startDate || day > term.endDate) return false;
    }
    return true;
  });
});

const copy = mediaRule((x) => {
  const { q } = x;
  if (mediaAdmin(x)) return true;
  if (!q.inst.studentLibrary && !q.sys && !(q.local && q.isStaffUser(q.me))) return false;
  if (x.owner || roles(x).some(teaches) || viaCollection(x, 'copy')) return true;
  return x.sections.some((s) => learns(q.roleIn(s)) && q.toggle(s, 'studentCopy') === 'on');
});

const share = mediaRule((x, ctx) => {
  if (typeof ctx.user === 'string' && !x.q.user(ctx.user)) return false;
  return mediaAdmin(x) || x.owner || roles(x).some(teaches);
});

function targetSection(x: M, ctx: Ctx): string | undefined {
  if (typeof ctx.class !== 'string') return undefined;
  return x.q.r.class.find((c) => c.id === ctx.class)?.sectionId;
}

const publish = mediaRule((x, ctx) => {
  const { q } = x;
  const s = targetSection(x, ctx);
  if (s === undefined) return false;
  const unit = q.sectionUnit(s);
  if (unit !== undefined && q.adminOver(unit) && (mediaAdmin(x) || x.owner)) return true;
  const role = q.roleIn(s);
  if (role === 'student') return false;
  if (x.owner) return teaches(role) || role === 'student_presenter';
  if (!teaches(role)) return false;
  return x.sections.some((o) => o !== s && teaches(q.roleIn(o)));
});

const unpublish = mediaRule((x, ctx) => {
  const { q, m } = x;
  const s = targetSection(x, ctx);
  if (s === undefined) return false;
  const pub = q.r.publication.find((p) => p.mediaId === m.id && p.classId === ctx.class);
  if (!pub) return false;
  const unit = q.sectionUnit(s);
  if ((unit !== undefined && q.adminOver(unit)) || mediaAdmin(x)) return true;
  const role = q.roleIn(s);
  const cls = q.r.class.find((c) => c.id === ctx.class)!;
  if (x.system && cls.kind === 'system' && (x.owner || teaches(role))) {
    // The limit binds first; when lifted, the ordinary rules below still apply (DECISIONS).
    if (q.toggle(s, 'instructorUnpublishSystemCaptures') !== 'on') return false;
  }
  // Guest presenters never unpublish it from a section where they are guest presenters (read: the
  // target section; unpublishing elsewhere does not touch their section).
  if (x.owner) return role !== 'guest_presenter';
  if (role !== 'instructor') return false;
  if (pub.publishedBy === q.me) return true;
  return q.roleIn(s, pub.publishedBy) !== 'instructor';
});

const post = mediaRule((x, ctx) => {
  if (ctx.to !== undefined && !['publicLink', 'lmsEmbed', 'lmsHomework'].includes(String(ctx.to))) return false;
  return mediaAdmin(x) || x.owner || roles(x).some(teaches) || viaCollection(x, 'post');
});

// ---------------------------------------------------------------- collections (§8)

function collectionRule(f: (q: Ask, collectionId: string, member: TableRows['collectionMember'] | undefined, ctx: Ctx) => boolean): RuleFn {
  return (q, type, id, ctx) => {
    if (type !== 'collection' || !q.r.collection.some((c) => c.id === id)) return false;
    // Institution-level admins (and system admins) have admin access to every collection.
    if (q.sys || q.instAdmin) return true;
    const member = q.local ? q.r.collectionMember.find((m) => m.collectionId === id && m.userId === q.me) : undefined;
    return f(q, id, member, ctx);
  };
}

const collPerm = (p: CollectionPermission) => collectionRule((q, _id, member) => member !== undefined && memberPerms(q, member).has(p));
const collManage = collectionRule((_q, _id, member) => member?.level === 'manager');
const collRemoveMember = collectionRule((q, _id, member, ctx) => member?.level === 'manager' || (member !== undefined && ctx.user === q.me));

// ---------------------------------------------------------------- the table

const RULES: Record<string, RuleFn> = {
  'platform.configure': sysOnly,
  'institution.create': sysOnly,
  'licensePack.create': sysOnly,
  'institution.configure': (q) => q.sys || q.instAdmin,
  'unit.create': (q, _t, id) => q.unitExists(id) && q.adminOver(id),
  'unit.update': (q, _t, id, ctx) => q.unitExists(id) && unitAbove(q, id) && (typeof ctx.parent !== 'string' || (q.unitExists(ctx.parent) && q.adminOver(ctx.parent))),
  'unit.delete': (q, _t, id) => q.unitExists(id) && unitAbove(q, id),
  'user.view': (q, _t, id) => q.sys || (q.local && id === q.me) || q.anyAdmin || q.iHold('license_manager') || q.myListed('scheduler').length > 0,
  'user.create': (q) => q.sys || q.anyAdmin,
  'user.update': (q, _t, id) => reach(q, id),
  'user.deactivate': (q, _t, id) => reach(q, id),
  'user.delete': (q, _t, id) => reach(q, id),
  'console.signIn': (q) => q.sys || (q.local && q.isStaffUser(q.me)),
  'role.grant': roleChange(false),
  'role.revoke': roleChange(true),
  'license.view': (q, _t, _id, ctx) => q.sys || q.iHold('license_manager') || (q.local && ctx.user === q.me),
  'license.export': (q, _t, _id, ctx) => q.sys || q.iHold('license_manager') || (q.local && ctx.user === q.me),
  'license.assign': (q, _t, _id, ctx) => mayLicense(q, typeof ctx.user === 'string' ? ctx.user : undefined),
  'license.revoke': (q, _t, _id, ctx) => mayLicense(q, typeof ctx.user === 'string' ? ctx.user : undefined),
  'license.import': (q, _t, _id, ctx) => mayLicense(q, typeof ctx.user === 'string' ? ctx.user : undefined),
  'term.create': (q, t, id) => manage(q, unitOfResource(q, t, id)),
  'term.update': (q, t, id) => manage(q, unitOfResource(q, t, id)),
  'term.delete': (q, t, id) => manage(q, unitOfResource(q, t, id)),
  'course.create': (q, t, id) => manage(q, unitOfResource(q, t, id)),
  'course.update': (q, t, id) => manage(q, unitOfResource(q, t, id)),
  'course.delete': (q, t, id) => manage(q, unitOfResource(q, t, id)),
  'section.create': (q, t, id) => manage(q, unitOfResource(q, t, id)),
  'section.update': (q, t, id) => manage(q, unitOfResource(q, t, id)),
  'section.delete': (q, t, id) => manage(q, unitOfResource(q, t, id)),
  'section.enroll': enroll,
  'section.unenroll': unenroll,
  'section.settings': sectionCapability(['instructor']),
  'section.analytics': sectionCapability(['instructor']),
  'section.polling': sectionCapability(['instructor']),
  'section.accessLinks': sectionCapability(['instructor']),
  // Ad hoc capture (issue 20, ESS seed): instructors, guest and student presenters; never TAs.
  'section.captureStart': sectionCapability(['instructor', 'guest_presenter', 'student_presenter']),
  'class.create': sectionCapability(['instructor', 'teaching_assistant']),
  'classGroup.create': sectionCapability(['instructor', 'teaching_assistant']),
  'classGroup.delete': sectionCapability(['instructor']),
  'qa.post': sectionCapability(['instructor', 'teaching_assistant', 'student', 'guest_presenter', 'student_presenter'], 'qa'),
  'qa.moderate': sectionCapability(['instructor', 'teaching_assistant']),
  'class.delete': (q, type, id) => {
    if (type !== 'class') return false;
    const c = q.r.class.find((x) => x.id === id);
    if (!c) return false;
    const unit = q.sectionUnit(c.sectionId);
    if (unit !== undefined && q.adminOver(unit)) return true;
    if (q.roleIn(c.sectionId) !== 'instructor') return false;
    return c.kind === 'manual' || q.toggle(c.sectionId, 'instructorUnpublishSystemCaptures') === 'on';
  },
  'monitor.view': oversight(['scheduler', 'av_technician']),
  'captureLogs.view': oversight(['av_technician']),
  'device.register': facility,
  'device.assign': facility,
  'device.configure': facility,
  'room.configure': facility,
  'media.view': view,
  'media.editDetails': editDetails,
  'media.edit': editRule('edit'),
  'media.editTranscripts': editRule('editTranscripts'),
  'media.delete': del,
  'media.download': download,
  'media.copy': copy,
  'media.share': share,
  'media.publish': publish,
  'media.unpublish': unpublish,
  'media.post': post,
  'collection.create': () => true,
  'collection.view': collectionRule((_q, _id, member) => member !== undefined),
  'collection.delete': collManage,
  'collection.addMedia': collPerm('add'),
  'collection.removeMedia': collPerm('remove'),
  'collection.addMember': collManage,
  'collection.updateMember': collManage,
  'collection.removeMember': collRemoveMember,
};
