/**
 * What the rules read, for the impact preview (services/preview.ts, docs/PREVIEW.md). The preview
 * asks `decide` (through the checks' entry, services/agree.ts) for every answer it reports; this
 * module only tells it where an answer can have moved and which people must answer alike, so one
 * decision can stand for many:
 *
 * - the capabilities watched: the actions on media, sections and units that need no further
 *   context (a download is asked in both formats);
 * - an object's *state*: everything about a media item, section or unit that its rules read and
 *   that is not about the person asking (its sections and their units, the effective toggles there,
 *   its term's dates, the media row). Two worlds where an object's state is the same answer alike
 *   for everyone whose standing is also the same; when only toggles differ, only the capabilities
 *   that read those toggles can move;
 * - a person's *standing* towards an object: their base (exists, active, a student without a
 *   library), their staff reach over the object's units (a bit per unit and per staff role that
 *   reaches it, and the few flags the rules read), and their relation to the object (owner,
 *   presenter, shared with, roles in its sections, collection and library memberships).
 *
 * Everyone with the same standing towards an object in a world gets the same answer there: that is
 * the claim test/property/preview.test.ts checks against a brute-force enumeration.
 */
import { TOGGLES, type Action, type SectionRole, type ToggleKey } from '../domain/catalog.js';
import type { Change } from '../domain/rows.js';
import type { World } from '../world/world.js';
import { adminUnits, type Principal } from './actor.js';
import { memberPermissions } from './collection.js';
import { isStaff } from './role.js';
import { effective } from './settings.js';

export type WatchedType = 'unit' | 'section' | 'media';
export const WATCHED_TYPES: readonly WatchedType[] = ['unit', 'section', 'media'];

export interface Capability {
  /** `media.download:video`; the action alone when it takes no variant. */
  id: string;
  action: Action;
  type: WatchedType;
  context: Record<string, unknown>;
  /** Asked at a time (downloads while the term is active): the preview passes one `at`. */
  timed?: boolean;
}

const cap = (action: Action, type: WatchedType, variant?: { key: string; value: string }, timed = false): Capability => ({
  id: variant ? `${action}:${variant.value}` : action,
  action,
  type,
  context: variant ? { [variant.key]: variant.value } : {},
  ...(timed ? { timed } : {}),
});

/** The capabilities a preview reports, in the order it lists them. */
export const CAPABILITIES: readonly Capability[] = [
  cap('media.view', 'media'),
  cap('media.download', 'media', { key: 'format', value: 'video' }, true),
  cap('media.download', 'media', { key: 'format', value: 'audio' }, true),
  cap('media.copy', 'media'),
  cap('media.edit', 'media'),
  cap('media.editDetails', 'media'),
  cap('media.editTranscripts', 'media'),
  cap('media.delete', 'media'),
  cap('media.share', 'media'),
  cap('media.post', 'media'),
  cap('section.view', 'section'),
  cap('section.roster', 'section'),
  cap('section.settings', 'section'),
  cap('section.enroll', 'section', { key: 'role', value: 'student' }),
  cap('section.analytics', 'section'),
  cap('qa.post', 'section'),
  cap('qa.moderate', 'section'),
  cap('class.create', 'section'),
  cap('unit.settings', 'unit'),
  cap('course.create', 'unit'),
  cap('monitor.view', 'unit'),
];

/** The watched capabilities whose rules read each toggle (policy/media.ts, policy/teaching.ts). */
export const TOGGLE_READERS: Record<ToggleKey, readonly string[]> = {
  qa: ['qa.post'],
  studentCopy: ['media.copy'],
  downloads: ['media.download:video', 'media.download:audio'],
  downloadsTermActiveOnly: ['media.download:video', 'media.download:audio'],
  coInstructorEditing: ['media.edit', 'media.editTranscripts'],
  instructorEnrollment: ['section.enroll:student', 'section.roster'],
  instructorDeleteSystemCaptures: ['media.delete'],
  instructorUnpublishSystemCaptures: [],
};

const TOGGLE_KEYS = Object.keys(TOGGLES) as ToggleKey[];

/** An object's state as its rules read it: `base` (all capabilities) and a value per toggle. */
export interface ObjectState {
  base: string;
  toggles: readonly string[];
}

export function objectExists(w: World, type: WatchedType, id: string): boolean {
  return type === 'unit' ? w.tree.units.has(id) : type === 'section' ? w.section(id) !== undefined : w.media(id) !== undefined;
}

export function objectIds(w: World, type: WatchedType): Iterable<string> {
  return type === 'unit' ? w.tree.units.keys() : type === 'section' ? w.tables.section.keys() : w.tables.media.keys();
}

const togglesAt = (w: World, sectionId: string): string[] => TOGGLE_KEYS.map((k) => effective(w, { scopeType: 'section', scopeId: sectionId }, k).value);

/** A section's term and toggles, once per section per world when the caller keeps a cache. */
function sectionFacts(w: World, sectionId: string, cache?: Map<string, string>): string {
  let f = cache?.get(sectionId);
  if (f === undefined) {
    f = `${termOf(w, sectionId)}:${togglesAt(w, sectionId).join(',')}`;
    cache?.set(sectionId, f);
  }
  return f;
}

function termOf(w: World, sectionId: string): string {
  const s = w.section(sectionId);
  const t = s ? w.term(s.termId) : undefined;
  return t ? `${t.startDate}..${t.endDate}` : '-';
}

/** The object's state, or undefined when it does not exist in this world. */
export function stateOf(w: World, type: WatchedType, id: string, cache?: Map<string, string[]>): ObjectState | undefined {
  if (type === 'unit') return w.tree.units.has(id) ? { base: 'unit', toggles: [] } : undefined;
  if (type === 'section') {
    if (!w.section(id)) return undefined;
    return { base: `${w.sectionUnit(id) ?? '-'}|${termOf(w, id)}`, toggles: togglesAt(w, id) };
  }
  const m = w.media(id);
  if (!m) return undefined;
  const sections = w.sectionsOfMedia(id);
  const toggles = TOGGLE_KEYS.map(() => '');
  for (const s of sections) {
    let t = cache?.get(s);
    if (!t) {
      t = togglesAt(w, s);
      cache?.set(s, t);
    }
    for (let k = 0; k < t.length; k++) toggles[k] += t[k] + ',';
  }
  // A capture published nowhere is held to the root's system-capture limit (policy/media.ts).
  if (sections.length === 0) {
    const k = TOGGLE_KEYS.indexOf('instructorDeleteSystemCaptures');
    toggles[k] = effective(w, { scopeType: 'unit', scopeId: w.rootId }, 'instructorDeleteSystemCaptures').value;
  }
  const terms = sections.map((s) => termOf(w, s)).join(',');
  const lib = m.libraryId ?? '-';
  return { base: `${m.origin}|${m.locked}|${m.ownerId}|${m.presenterId ?? '-'}|${lib}|${sections.join(',')}|${terms}`, toggles };
}

/**
 * An object's state with every id left out: what the rules read about it once the person's
 * standing is known (their roles in its sections by position, their reach over its units by
 * position). Two objects with the same abstract state answer the same person-standing alike, so
 * one decision stands for both.
 */
export function abstractStateOf(w: World, type: WatchedType, id: string, cache?: Map<string, string>): string {
  if (type === 'unit') return w.tree.units.has(id) ? 'unit' : 'none';
  if (type === 'section') return w.section(id) ? `section|${sectionFacts(w, id, cache)}` : 'none';
  const m = w.media(id);
  if (!m) return 'none';
  const sections = w.sectionsOfMedia(id);
  let out = `media|${m.origin}|${m.locked}|${m.libraryId ? (w.library(m.libraryId) ? 'L' : 'l') : '-'}|`;
  for (const s of sections) out += sectionFacts(w, s, cache) + ';';
  if (sections.length === 0) out += effective(w, { scopeType: 'unit', scopeId: w.rootId }, 'instructorDeleteSystemCaptures').value;
  return out;
}

/** The capabilities two states of one object can answer differently on: all, some, or none. */
export function capabilitiesMoved(before: ObjectState | undefined, after: ObjectState | undefined): 'all' | ReadonlySet<string> {
  if (!before || !after || before.base !== after.base) return 'all';
  const out = new Set<string>();
  for (let k = 0; k < TOGGLE_KEYS.length; k++) if (before.toggles[k] !== after.toggles[k]) for (const c of TOGGLE_READERS[TOGGLE_KEYS[k]!]) out.add(c);
  return out;
}

/** The sections whose members hold section roles over the object (in this world). */
export function sectionsOf(w: World, type: WatchedType, id: string): readonly string[] {
  return type === 'media' ? w.sectionsOfMedia(id) : type === 'section' ? (w.section(id) ? [id] : []) : [];
}

/** The units a staff member's reach over the object is measured against, tagged (`L:` library, `S:` section, `U:` unit). */
export function reachUnits(w: World, type: WatchedType, id: string): string[] {
  if (type === 'unit') return w.tree.units.has(id) ? [`U:${id}`] : [];
  if (type === 'section') {
    const u = w.sectionUnit(id);
    return u === undefined ? [] : [`S:${u}`];
  }
  const m = w.media(id);
  if (!m) return [];
  const out: string[] = [];
  const lib = m.libraryId ? w.library(m.libraryId)?.unitId : undefined;
  if (lib !== undefined) out.push(`L:${lib}`);
  for (const s of w.sectionsOfMedia(id)) {
    const u = w.sectionUnit(s);
    if (u !== undefined) out.push(`S:${u}`);
  }
  return out;
}

/** People with a relation to the object beyond their section roles: owner, presenter, shared with, collection and library members. */
export function specialUsers(w: World, type: WatchedType, id: string): string[] {
  if (type !== 'media') return [];
  const m = w.media(id);
  if (!m) return [];
  const out = new Set<string>([m.ownerId]);
  if (m.presenterId) out.add(m.presenterId);
  for (const u of w.sharedTo(id)) out.add(u);
  for (const c of w.collectionsHolding(id)) for (const u of w.collectionMembers(c).keys()) out.add(u);
  if (m.libraryId) for (const u of w.libraryMembers(m.libraryId).keys()) out.add(u);
  return [...out];
}

/** A student (no staff role) while the student library is off: no library of their own (policy/media.ts). */
function libraryless(w: World, userId: string): boolean {
  return !w.institution.studentLibrary && !w.holds(userId, 'system_admin') && !isStaff(w, userId);
}

/** `x` (no such user), `0` (deactivated), or `1` then `L` for a student without a library. */
export function baseOf(w: World, userId: string): string {
  const u = w.user(userId);
  if (!u) return 'x';
  if (u.status !== 'active') return '0';
  // A custom role's holder stands apart: what the role gives is theirs alone (docs/ROLES.md).
  if (w.customGrantsOf(userId)?.length) return `c:${userId}`;
  return libraryless(w, userId) ? '1L' : '1';
}

/** The principal a person of this world acts as (a system admin when they hold the role and are active). */
export function principalOf(w: World, userId: string): Principal {
  return { kind: 'user', institutionId: w.institutionId, userId, systemAdmin: w.holds(userId, 'system_admin') && w.user(userId)?.status === 'active' };
}

/**
 * A staff member's reach over the given units: per unit, whether their admin units, listed
 * scheduler units and listed AV technician units contain it; then the flags the watched rules
 * read beyond those units (admin of the root, AV technician of the root, system admin). Reach
 * that contains none of the units and sets no flag is `-`, as for someone with no staff role:
 * the watched rules answer such a person as if they held none (being staff at all only matters to
 * their base, where the student library is concerned).
 */
export function reachOf(w: World, userId: string, units: readonly string[]): string {
  const grants = w.grantsOf(userId);
  if (grants.length === 0) return '-';
  if (w.holds(userId, 'system_admin') && w.user(userId)?.status === 'active') return 'sys';
  const admin = adminUnits(w, userId);
  const sched = w.listedUnits(userId, 'scheduler');
  const av = w.listedUnits(userId, 'av_technician');
  if (admin.length === 0 && sched.length === 0 && av.length === 0) return '-';
  const root = w.rootId;
  let out = '';
  let any = false;
  for (const tagged of units) {
    const u = tagged.slice(2);
    for (const xs of [admin, sched, av]) {
      const inside = xs.some((x) => w.tree.within(u, x));
      any ||= inside;
      out += inside ? '1' : '0';
    }
  }
  const flags = (admin.includes(root) ? 'A' : '') + (av.includes(root) ? 'V' : '');
  return any || flags ? `${out}/${flags}` : '-';
}

/** A person's relation to one object: owner, presenter, shared, section roles (in `sections` order), collections, library role. */
export function relationOf(w: World, userId: string, type: WatchedType, id: string, sections: readonly string[]): string {
  let out = '';
  for (const s of sections) out += (w.sectionRole(userId, s) ?? '-') + ',';
  if (type !== 'media') return out;
  const m = w.media(id);
  if (!m) return out;
  out += `|${m.ownerId === userId ? 'o' : ''}${m.presenterId === userId ? 'p' : ''}${w.isSharedWith(id, userId) ? 's' : ''}|`;
  const perms: string[] = [];
  for (const c of w.collectionsHolding(id)) {
    const member = w.collectionMember(c, userId);
    if (member) perms.push([...memberPermissions(w, member).perms].sort().join('+') || 'member');
  }
  out += perms.sort().join(';');
  out += '|' + (m.libraryId ? (w.libraryRole(userId, m.libraryId) ?? '-') : '-');
  return out;
}

/** A section role, or `-` (the section-pool key of policy/impact's callers). */
export function sectionRoleOf(w: World, userId: string, sectionId: string): SectionRole | '-' {
  return w.sectionRole(userId, sectionId) ?? '-';
}

/** What one row change can move, as the preview gathers it in each world. */
export interface Reach {
  /** An object whose state or relations the change bears on. */
  object(type: WatchedType, id: string): void;
  /** Every object of the institution (a change to people's standing everywhere). */
  everything(): void;
  /** A person whose base or staff reach the change bears on. */
  user(id: string): void;
  /** Every person's base may move (the student library). */
  everyone(): void;
  /** A section whose enrollments the change bears on. */
  enrollments(sectionId: string): void;
  /** Staff reach may move for anyone on the objects named (the tree or delegated administration changed). */
  reachMoves(): void;
}

function sectionWithMedia(w: World, sectionId: string, r: Reach): void {
  r.object('section', sectionId);
  for (const c of w.classesOf(sectionId)) for (const m of w.mediaInClass(c)) r.object('media', m);
}

function subtree(w: World, unitId: string, r: Reach): void {
  for (const u of w.tree.units.keys()) if (w.tree.within(u, unitId)) r.object('unit', u);
  for (const s of w.tables.section.keys()) {
    const u = w.sectionUnit(s);
    if (u !== undefined && w.tree.within(u, unitId)) sectionWithMedia(w, s, r);
  }
  for (const l of w.tables.library.values()) if (w.tree.within(l.unitId, unitId)) libraryMedia(w, l.id, r);
}

/** Everything a person is related to: their sections and what is published there, their media, what was shared with them, their collections' and libraries' media. */
function related(w: World, userId: string, r: Reach): void {
  for (const s of w.enrollmentsOf(userId).keys()) sectionWithMedia(w, s, r);
  for (const m of w.mediaOwnedBy(userId)) r.object('media', m);
  for (const m of w.sharedWith(userId)) r.object('media', m);
  for (const c of w.collectionsOf(userId)) for (const m of w.mediaInCollection(c)) r.object('media', m);
  for (const l of w.librariesOf(userId).keys()) libraryMedia(w, l, r);
}

function libraryMedia(w: World, libraryId: string, r: Reach): void {
  for (const m of w.tables.media.values()) if (m.libraryId === libraryId) r.object('media', m.id);
}

/**
 * Tells `r` what a change can move, read in one world (the preview calls it before and after, so a
 * move is seen from both places). Tables no watched rule reads move nothing.
 */
export function reachOfChange(w: World, c: Change, r: Reach): void {
  switch (c.table) {
    case 'institution':
      // Delegated administration moves admins' reach; the student library moves students' base.
      r.everything();
      r.everyone();
      r.reachMoves();
      return;
    case 'unit': {
      const cur = w.tree.units.get(c.row.id);
      if (cur && c.op === 'put' && cur.parentId === c.row.parentId) return; // a rename: only reasons change
      // A move changes which grants reach the moved subtree, and nothing outside it (both worlds are asked).
      if (cur) subtree(w, c.row.id, r);
      r.object('unit', c.row.id);
      r.reachMoves();
      return;
    }
    case 'user':
      // A person's base (active or not) bears on every answer they get.
      r.user(c.row.id);
      r.everything();
      return;
    case 'roleGrant': {
      // A grant moves its holder's reach: over what they reach in this world (the preview reads both),
      // and, with the student library off, their base (a student without a library or staff).
      const u = c.row.userId;
      r.user(u);
      if (!w.institution.studentLibrary) return r.everything();
      if (w.holds(u, 'system_admin')) return r.everything();
      for (const unit of new Set([...adminUnits(w, u), ...w.listedUnits(u, 'scheduler'), ...w.listedUnits(u, 'av_technician')])) {
        if (unit === w.rootId) return r.everything();
        if (w.tree.units.has(unit)) subtree(w, unit, r);
      }
      related(w, u, r);
      return;
    }
    case 'setting': {
      const { scopeType, scopeId } = c.row;
      if (scopeType === 'section') {
        if (w.section(scopeId)) sectionWithMedia(w, scopeId, r);
        return;
      }
      if (!w.tree.units.has(scopeId)) return;
      for (const s of w.tables.section.keys()) {
        const u = w.sectionUnit(s);
        if (u !== undefined && w.tree.within(u, scopeId)) sectionWithMedia(w, s, r);
      }
      // Captures published nowhere follow the root's system-capture limit.
      if (scopeId === w.rootId && c.row.key === 'instructorDeleteSystemCaptures') for (const m of w.tables.media.keys()) if (w.sectionsOfMedia(m).length === 0) r.object('media', m);
      return;
    }
    case 'term':
      for (const s of w.tables.section.values()) if (s.termId === c.row.id) sectionWithMedia(w, s.id, r);
      return;
    case 'course':
      for (const s of w.tables.section.values()) if (s.courseId === c.row.id) sectionWithMedia(w, s.id, r);
      return;
    case 'section':
      r.enrollments(c.row.id);
      if (w.section(c.row.id)) sectionWithMedia(w, c.row.id, r);
      r.object('section', c.row.id);
      return;
    case 'enrollment':
      r.enrollments(c.row.sectionId);
      r.user(c.row.userId);
      if (w.section(c.row.sectionId)) sectionWithMedia(w, c.row.sectionId, r);
      return;
    case 'class': {
      const cur = w.class(c.row.id);
      for (const m of w.mediaInClass(c.row.id)) r.object('media', m);
      if (cur) r.object('section', cur.sectionId);
      return;
    }
    case 'media':
      r.object('media', c.row.id);
      return;
    case 'publication':
    case 'mediaShare':
      r.object('media', c.row.mediaId);
      return;
    case 'collection':
    case 'collectionMember':
      for (const m of w.mediaInCollection('collectionId' in c.row ? c.row.collectionId : c.row.id)) r.object('media', m);
      return;
    case 'collectionMedia':
      r.object('media', c.row.mediaId);
      return;
    case 'library':
      libraryMedia(w, c.row.id, r);
      return;
    case 'libraryMember':
      libraryMedia(w, c.row.libraryId, r);
      return;
    case 'customRoleGrant':
      // A custom grant gives its holder admin-like reach for some actions: ask them about everything.
      r.user(c.row.userId);
      r.everything();
      return;
    case 'customRole':
      // A definition change moves every holder of the role, wherever they hold it.
      r.everything();
      r.everyone();
      return;
    case 'roleName':
      return; // names for display only; no decision reads them
    case 'schedule':
    case 'room':
    case 'device':
    case 'licensePack':
    case 'licenseAssignment':
    case 'defaultLibrary':
    case 'featureGrant':
    case 'scimToken':
    case 'scimUser':
    case 'scimGroup':
    case 'onerosterLink':
    case 'ltiPlatform':
    case 'ltiContext':
    case 'ltiAccount':
    case 'ltiEnrollment':
    case 'identityProvider':
      return; // no watched capability reads these
    default: {
      // A table added later that nobody classified here: assume it moves everything.
      const never: never = c;
      void never;
      r.everything();
      r.everyone();
      r.reachMoves();
    }
  }
}
