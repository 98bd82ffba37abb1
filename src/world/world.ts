/**
 * world/: the in-memory index of one institution that every decision reads.
 * Built by applying the store's rows as puts, then kept current by applying changelog entries in
 * revision order. It never touches the database and holds no rules: policy/ reads it.
 *
 * Every row lives once in its table's map (by key); the indexes below point at the same objects.
 */
import type { LibraryRole, SectionRole, StaffRole } from '../domain/catalog.js';
import {
  TABLE_KEYS,
  type Change,
  type ClassRow,
  type CollectionMemberRow,
  type CustomRoleGrantRow,
  type CustomRoleRow,
  type EnrollmentRow,
  type InstitutionRow,
  type MediaShareRow,
  type PublicationRow,
  type RoleGrantRow,
  type SettingRow,
  type TableName,
  type TableRows,
  type UserRow,
} from '../domain/rows.js';
import { UnitTree } from './tree.js';
import { type Capability, parseCapabilities } from '../domain/capability.js';

type Tables = { [T in TableName]: Map<string, TableRows[T]> };

const TABLE_NAMES = Object.keys(TABLE_KEYS) as TableName[];

export function keyOf(table: TableName, row: object): string {
  const r = row as Record<string, unknown>;
  const keys = TABLE_KEYS[table];
  let k = String(r[keys[1] ?? keys[0]]);
  for (let i = 2; i < keys.length; i++) k += '\u0000' + String(r[keys[i]!]);
  return k;
}

function multiAdd<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}
function multiDel<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (s && s.delete(v) && s.size === 0) m.delete(k);
}

export class World {
  revision = 0;
  readonly tables = Object.fromEntries(TABLE_NAMES.map((t) => [t, new Map()])) as Tables;
  readonly tree = new UnitTree();
  private readonly byUsername = new Map<string, string>();
  private readonly byEmail = new Map<string, string>();
  /** SPEC §2 "One name, one user": every id, username and email, lowercased, to the user it names. */
  private readonly byName = new Map<string, { userId: string; field: UserNameField }>();
  private readonly grants = new Map<string, RoleGrantRow[]>();
  private readonly enrollBySection = new Map<string, Map<string, SectionRole>>();
  private readonly enrollByUser = new Map<string, Map<string, SectionRole>>();
  private readonly classesBySection = new Map<string, Set<string>>();
  private readonly pubsByMedia = new Map<string, PublicationRow[]>();
  private readonly sectionsByMedia = new Map<string, readonly string[]>();
  /**
   * A user's admin units, derived from role grants and the institution's settings: cached by
   * policy for the hot path and dropped whenever a grant, a unit or the institution changes.
   */
  readonly adminUnitsCache = new Map<string, string[]>();
  private readonly sectionUnitCache = new Map<string, string>();
  /** Effective toggle values, by key then level: filled by policy, dropped when any level changes. */
  readonly effectiveCache = new Map<string, Map<string, unknown>>();
  private readonly mediaByClass = new Map<string, Set<string>>();
  private readonly mediaByOwner = new Map<string, Set<string>>();
  private readonly sharesByUser = new Map<string, Set<string>>();
  private readonly sharesByMedia = new Map<string, Set<string>>();
  private readonly settingsByScope = new Map<string, Map<string, SettingRow>>();
  private readonly seatsByPack = new Map<string, Set<string>>();
  private readonly seatsByUser = new Map<string, Set<string>>();
  private readonly membersByCollection = new Map<string, Map<string, CollectionMemberRow>>();
  private readonly collectionsByUser = new Map<string, Set<string>>();
  private readonly mediaByCollection = new Map<string, Set<string>>();
  private readonly collectionsByMedia = new Map<string, Set<string>>();
  private readonly membersByLibrary = new Map<string, Map<string, LibraryRole>>();
  private readonly librariesByUser = new Map<string, Map<string, LibraryRole>>();
  private readonly customGrantsByUser = new Map<string, CustomRoleGrantRow[]>();
  private readonly customGrantsByRole = new Map<string, Set<CustomRoleGrantRow>>();
  private readonly capabilitiesByRole = new Map<string, readonly Capability[]>();
  private labels: Map<string, string> | undefined;

  constructor(readonly institutionId: string) {}

  static build(institutionId: string, revision: number, rows: readonly Change[]): World {
    const w = new World(institutionId);
    for (const c of rows) w.apply(c);
    w.revision = revision;
    return w;
  }

  /** Applies one committed revision's changes. Revisions must arrive in order. */
  applyRevision(revision: number, changes: readonly Change[]): void {
    if (revision <= this.revision) return;
    for (const c of changes) this.apply(c);
    this.revision = revision;
  }

  apply(change: Change): void {
    const map = this.tables[change.table] as Map<string, object>;
    const key = keyOf(change.table, change.row);
    const old = map.get(key);
    if (change.op === 'del' && old === undefined) return; // nothing to delete: nothing to reindex
    const next = change.op === 'put' ? { ...change.row } : undefined;
    if (next) map.set(key, next);
    else map.delete(key);
    if (change.table === 'roleGrant' || change.table === 'institution' || change.table === 'unit') this.adminUnitsCache.clear();
    if (change.table === 'section' || change.table === 'course') this.sectionUnitCache.clear();
    if (change.table === 'setting' || change.table === 'unit' || change.table === 'section' || change.table === 'course') this.effectiveCache.clear();
    this.reindex(change.table, old, next);
  }

  /** The row a change would replace, looked up by the change's key. */
  current(change: Change): unknown {
    return (this.tables[change.table] as Map<string, object>).get(keyOf(change.table, change.row));
  }

  private reindex(table: TableName, old: object | undefined, next: object | undefined): void {
    switch (table) {
      case 'unit': {
        const n = next as TableRows['unit'] | undefined;
        if (n) this.tree.put(n);
        else this.tree.delete((old as TableRows['unit']).id);
        return;
      }
      case 'user': {
        const o = old as UserRow | undefined;
        const n = next as UserRow | undefined;
        if (o) {
          this.byUsername.delete(o.username);
          this.byEmail.delete(o.email.toLowerCase());
          for (const [name] of namesOf(o)) if (this.byName.get(name)?.userId === o.id) this.byName.delete(name);
        }
        if (n) {
          this.byUsername.set(n.username, n.id);
          this.byEmail.set(n.email.toLowerCase(), n.id);
          for (const [name, field] of namesOf(n)) if (!this.byName.has(name)) this.byName.set(name, { userId: n.id, field });
        }
        return;
      }
      case 'customRoleGrant': {
        const g = (next ?? old) as CustomRoleGrantRow;
        const same = (x: CustomRoleGrantRow) => x.roleId === g.roleId && x.scopeType === g.scopeType && x.scopeId === g.scopeId;
        const list = (this.customGrantsByUser.get(g.userId) ?? []).filter((x) => !same(x));
        const byRole = this.customGrantsByRole.get(g.roleId);
        if (byRole) for (const x of byRole) if (x.userId === g.userId && same(x)) byRole.delete(x);
        if (next) {
          list.push(next as CustomRoleGrantRow);
          multiAdd(this.customGrantsByRole, g.roleId, next as CustomRoleGrantRow);
        } else if (byRole?.size === 0) this.customGrantsByRole.delete(g.roleId);
        if (list.length > 0) this.customGrantsByUser.set(g.userId, list);
        else this.customGrantsByUser.delete(g.userId);
        return;
      }
      case 'customRole': {
        const r = (next ?? old) as CustomRoleRow;
        if (next) this.capabilitiesByRole.set(r.id, parseCapabilities((next as CustomRoleRow).capabilities));
        else this.capabilitiesByRole.delete(r.id);
        return;
      }
      case 'roleName': {
        const r = (next ?? old) as TableRows['roleName'];
        if (next) (this.labels ??= new Map()).set(r.role, (next as TableRows['roleName']).label);
        else this.labels?.delete(r.role);
        if (this.labels?.size === 0) this.labels = undefined;
        return;
      }
      case 'roleGrant': {
        const g = (next ?? old) as RoleGrantRow;
        const list = (this.grants.get(g.userId) ?? []).filter((x) => !(x.role === g.role && x.scopeType === g.scopeType && x.scopeId === g.scopeId));
        if (next) list.push(next as RoleGrantRow);
        if (list.length > 0) this.grants.set(g.userId, list);
        else this.grants.delete(g.userId);
        return;
      }
      case 'enrollment': {
        const e = (next ?? old) as EnrollmentRow;
        if (next) {
          const role = (next as EnrollmentRow).role;
          let bs = this.enrollBySection.get(e.sectionId);
          if (!bs) this.enrollBySection.set(e.sectionId, (bs = new Map()));
          bs.set(e.userId, role);
          let bu = this.enrollByUser.get(e.userId);
          if (!bu) this.enrollByUser.set(e.userId, (bu = new Map()));
          bu.set(e.sectionId, role);
        } else {
          this.enrollBySection.get(e.sectionId)?.delete(e.userId);
          this.enrollByUser.get(e.userId)?.delete(e.sectionId);
        }
        return;
      }
      case 'class': {
        const o = old as ClassRow | undefined;
        const n = next as ClassRow | undefined;
        if (o) multiDel(this.classesBySection, o.sectionId, o.id);
        if (n) multiAdd(this.classesBySection, n.sectionId, n.id);
        // A class moving to another section moves what is published in it.
        if (o && n && o.sectionId !== n.sectionId) for (const m of this.mediaInClass(n.id)) this.recomputeSections(m);
        return;
      }
      case 'media': {
        const o = old as TableRows['media'] | undefined;
        const n = next as TableRows['media'] | undefined;
        if (o) multiDel(this.mediaByOwner, o.ownerId, o.id);
        if (n) multiAdd(this.mediaByOwner, n.ownerId, n.id);
        return;
      }
      case 'publication': {
        const p = (next ?? old) as PublicationRow;
        const list = (this.pubsByMedia.get(p.mediaId) ?? []).filter((x) => x.classId !== p.classId);
        if (next) list.push(next as PublicationRow);
        if (list.length > 0) this.pubsByMedia.set(p.mediaId, list);
        else this.pubsByMedia.delete(p.mediaId);
        this.recomputeSections(p.mediaId);
        if (next) multiAdd(this.mediaByClass, p.classId, p.mediaId);
        else multiDel(this.mediaByClass, p.classId, p.mediaId);
        return;
      }
      case 'mediaShare': {
        const s = (next ?? old) as MediaShareRow;
        if (next) {
          multiAdd(this.sharesByUser, s.userId, s.mediaId);
          multiAdd(this.sharesByMedia, s.mediaId, s.userId);
        } else {
          multiDel(this.sharesByUser, s.userId, s.mediaId);
          multiDel(this.sharesByMedia, s.mediaId, s.userId);
        }
        return;
      }
      case 'setting': {
        const s = (next ?? old) as SettingRow;
        const scope = `${s.scopeType}:${s.scopeId}`;
        let m = this.settingsByScope.get(scope);
        if (!m) this.settingsByScope.set(scope, (m = new Map()));
        if (next) m.set(s.key, next as SettingRow);
        else m.delete(s.key);
        return;
      }
      case 'licenseAssignment': {
        const a = (next ?? old) as TableRows['licenseAssignment'];
        if (next) {
          multiAdd(this.seatsByPack, a.packId, a.userId);
          multiAdd(this.seatsByUser, a.userId, a.packId);
        } else {
          multiDel(this.seatsByPack, a.packId, a.userId);
          multiDel(this.seatsByUser, a.userId, a.packId);
        }
        return;
      }
      case 'collectionMember': {
        const m = (next ?? old) as CollectionMemberRow;
        let byC = this.membersByCollection.get(m.collectionId);
        if (!byC) this.membersByCollection.set(m.collectionId, (byC = new Map()));
        if (next) {
          byC.set(m.userId, next as CollectionMemberRow);
          multiAdd(this.collectionsByUser, m.userId, m.collectionId);
        } else {
          byC.delete(m.userId);
          if (byC.size === 0) this.membersByCollection.delete(m.collectionId);
          multiDel(this.collectionsByUser, m.userId, m.collectionId);
        }
        return;
      }
      case 'collectionMedia': {
        const m = (next ?? old) as TableRows['collectionMedia'];
        if (next) {
          multiAdd(this.mediaByCollection, m.collectionId, m.mediaId);
          multiAdd(this.collectionsByMedia, m.mediaId, m.collectionId);
        } else {
          multiDel(this.mediaByCollection, m.collectionId, m.mediaId);
          multiDel(this.collectionsByMedia, m.mediaId, m.collectionId);
        }
        return;
      }
      case 'libraryMember': {
        const m = (next ?? old) as TableRows['libraryMember'];
        let byL = this.membersByLibrary.get(m.libraryId);
        if (!byL) this.membersByLibrary.set(m.libraryId, (byL = new Map()));
        let byU = this.librariesByUser.get(m.userId);
        if (!byU) this.librariesByUser.set(m.userId, (byU = new Map()));
        if (next) {
          byL.set(m.userId, (next as TableRows['libraryMember']).role);
          byU.set(m.libraryId, (next as TableRows['libraryMember']).role);
        } else {
          byL.delete(m.userId);
          byU.delete(m.libraryId);
        }
        return;
      }
      default:
        return;
    }
  }

  private recomputeSections(mediaId: string): void {
    const sections: string[] = [];
    for (const x of this.pubsByMedia.get(mediaId) ?? []) {
      const sid = this.tables.class.get(x.classId)?.sectionId;
      if (sid !== undefined && !sections.includes(sid)) sections.push(sid);
    }
    if (sections.length > 0) this.sectionsByMedia.set(mediaId, sections);
    else this.sectionsByMedia.delete(mediaId);
  }

  // --- the read interface policy uses ---

  get institution(): InstitutionRow {
    return (
      this.tables.institution.get(this.institutionId) ?? {
        institutionId: this.institutionId,
        name: this.institutionId,
        delegatedAdministration: false,
        studentLibrary: true,
        personalCaptureLicensing: 'packs',
      }
    );
  }

  get rootId(): string {
    return this.tree.rootId ?? this.institutionId;
  }

  get users(): Map<string, UserRow> {
    return this.tables.user;
  }

  user(id: string): UserRow | undefined {
    return this.tables.user.get(id);
  }

  /**
   * Finds the one user an id, username or email names (case-insensitive): id, username and email
   * share one namespace (SPEC §2), so a name never resolves to two people.
   */
  findUser(key: string): UserRow | undefined {
    const exact = this.tables.user.get(key);
    if (exact) return exact;
    const named = this.byName.get(key.toLowerCase());
    return named === undefined ? undefined : this.tables.user.get(named.userId);
  }

  /** The user a name (id, username or email, any case) belongs to, and in which field. */
  userNamed(name: string): { userId: string; field: UserNameField } | undefined {
    return this.byName.get(name.toLowerCase());
  }

  userIdByUsername(username: string): string | undefined {
    return this.byUsername.get(username);
  }

  userIdByEmail(email: string): string | undefined {
    return this.byEmail.get(email.toLowerCase());
  }

  customRole(id: string): CustomRoleRow | undefined {
    return this.tables.customRole.get(id);
  }

  /** A custom role's capabilities, parsed once when the role is put. */
  capabilitiesOf(roleId: string): readonly Capability[] {
    return this.capabilitiesByRole.get(roleId) ?? [];
  }

  customGrantsOf(userId: string): readonly CustomRoleGrantRow[] | undefined {
    return this.customGrantsByUser.get(userId);
  }

  holdersOf(roleId: string): ReadonlySet<CustomRoleGrantRow> {
    return this.customGrantsByRole.get(roleId) ?? new Set();
  }

  /** The institution's display names for roles and access levels (undefined when it renamed none). */
  roleLabels(): ReadonlyMap<string, string> | undefined {
    return this.labels;
  }

  grantsOf(userId: string): readonly RoleGrantRow[] {
    return this.grants.get(userId) ?? [];
  }

  holds(userId: string, role: StaffRole): boolean {
    return this.grantsOf(userId).some((g) => g.role === role);
  }

  /** Units where the user holds `role` with an explicit unit scope. */
  listedUnits(userId: string, role: StaffRole): string[] {
    const grants = this.grants.get(userId);
    if (!grants) return [];
    return grants
      .filter((g) => g.role === role && g.scopeType === 'unit')
      .map((g) => g.scopeId);
  }

  /** Every user holding at least one grant (the staff), in no particular order. */
  usersWithGrants(): IterableIterator<string> {
    return this.grants.keys();
  }

  term(id: string) {
    return this.tables.term.get(id);
  }
  course(id: string) {
    return this.tables.course.get(id);
  }
  section(id: string) {
    return this.tables.section.get(id);
  }
  schedule(id: string) {
    return this.tables.schedule.get(id);
  }
  class(id: string) {
    return this.tables.class.get(id);
  }
  media(id: string) {
    return this.tables.media.get(id);
  }
  room(id: string) {
    return this.tables.room.get(id);
  }
  device(id: string) {
    return this.tables.device.get(id);
  }

  /** The unit a section belongs to (its course's unit). */
  sectionUnit(sectionId: string): string | undefined {
    const cached = this.sectionUnitCache.get(sectionId);
    if (cached !== undefined) return cached;
    const s = this.tables.section.get(sectionId);
    const unit = s ? this.tables.course.get(s.courseId)?.unitId : undefined;
    if (unit !== undefined) this.sectionUnitCache.set(sectionId, unit);
    return unit;
  }

  sectionRole(userId: string, sectionId: string): SectionRole | undefined {
    return this.enrollByUser.get(userId)?.get(sectionId);
  }

  enrollmentsOf(userId: string): ReadonlyMap<string, SectionRole> {
    return this.enrollByUser.get(userId) ?? EMPTY_MAP;
  }

  enrolled(sectionId: string): ReadonlyMap<string, SectionRole> {
    return this.enrollBySection.get(sectionId) ?? EMPTY_MAP;
  }

  classesOf(sectionId: string): ReadonlySet<string> {
    return this.classesBySection.get(sectionId) ?? EMPTY_SET;
  }

  publicationsOf(mediaId: string): readonly PublicationRow[] {
    return this.pubsByMedia.get(mediaId) ?? [];
  }

  /** The sections a media item is published in (through its classes). */
  sectionsOfMedia(mediaId: string): readonly string[] {
    return this.sectionsByMedia.get(mediaId) ?? EMPTY_LIST;
  }

  mediaInClass(classId: string): ReadonlySet<string> {
    return this.mediaByClass.get(classId) ?? EMPTY_SET;
  }

  mediaOwnedBy(userId: string): ReadonlySet<string> {
    return this.mediaByOwner.get(userId) ?? EMPTY_SET;
  }

  sharedWith(userId: string): ReadonlySet<string> {
    return this.sharesByUser.get(userId) ?? EMPTY_SET;
  }

  sharedTo(mediaId: string): ReadonlySet<string> {
    return this.sharesByMedia.get(mediaId) ?? EMPTY_SET;
  }

  isSharedWith(mediaId: string, userId: string): boolean {
    return this.sharesByUser.get(userId)?.has(mediaId) ?? false;
  }

  licensePack(id: string) {
    return this.tables.licensePack.get(id);
  }

  /** Users holding a seat of a pack. */
  seatHolders(packId: string): ReadonlySet<string> {
    return this.seatsByPack.get(packId) ?? EMPTY_SET;
  }

  /** Packs a user holds a seat of. */
  seatsOf(userId: string): ReadonlySet<string> {
    return this.seatsByUser.get(userId) ?? EMPTY_SET;
  }

  collection(id: string) {
    return this.tables.collection.get(id);
  }

  collectionMember(collectionId: string, userId: string): CollectionMemberRow | undefined {
    return this.membersByCollection.get(collectionId)?.get(userId);
  }

  collectionMembers(collectionId: string): ReadonlyMap<string, CollectionMemberRow> {
    return this.membersByCollection.get(collectionId) ?? EMPTY_MEMBERS;
  }

  collectionsOf(userId: string): ReadonlySet<string> {
    return this.collectionsByUser.get(userId) ?? EMPTY_SET;
  }

  mediaInCollection(collectionId: string): ReadonlySet<string> {
    return this.mediaByCollection.get(collectionId) ?? EMPTY_SET;
  }

  collectionsHolding(mediaId: string): ReadonlySet<string> {
    return this.collectionsByMedia.get(mediaId) ?? EMPTY_SET;
  }

  library(id: string) {
    return this.tables.library.get(id);
  }

  libraryRole(userId: string, libraryId: string): LibraryRole | undefined {
    return this.librariesByUser.get(userId)?.get(libraryId);
  }

  librariesOf(userId: string): ReadonlyMap<string, LibraryRole> {
    return this.librariesByUser.get(userId) ?? EMPTY_LIBS;
  }

  libraryMembers(libraryId: string): ReadonlyMap<string, LibraryRole> {
    return this.membersByLibrary.get(libraryId) ?? EMPTY_LIBS;
  }

  defaultLibraryOf(userId: string): string | undefined {
    return this.tables.defaultLibrary.get(userId)?.libraryId;
  }

  hasFeature(userId: string, feature: string): boolean {
    return this.tables.featureGrant.has(`${userId}\u0000${feature}`);
  }

  /** The settings set at one level: `unit:<id>` or `section:<id>`. */
  settingsAt(scopeType: 'unit' | 'section', scopeId: string): ReadonlyMap<string, SettingRow> | undefined {
    return this.settingsByScope.get(`${scopeType}:${scopeId}`);
  }

  /** All rows, as puts, in a stable order: what the store would load. */
  snapshot(): Change[] {
    const out: Change[] = [];
    for (const table of TABLE_NAMES) {
      const entries = [...(this.tables[table] as Map<string, TableRows[TableName]>).entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (const [, row] of entries) out.push({ table, op: 'put', row } as Change);
    }
    return out;
  }
}

export type UserNameField = 'id' | 'username' | 'email';

/** The names a user row claims in the namespace, lowercased, each once (the first field wins). */
export function namesOf(u: Pick<UserRow, 'id' | 'username' | 'email'>): [string, UserNameField][] {
  const out: [string, UserNameField][] = [[u.id.toLowerCase(), 'id']];
  const username = u.username.toLowerCase();
  if (username !== out[0]![0]) out.push([username, 'username']);
  const email = u.email.toLowerCase();
  if (out.every(([n]) => n !== email)) out.push([email, 'email']);
  return out;
}

const EMPTY_MAP: ReadonlyMap<string, SectionRole> = new Map<string, SectionRole>();
const EMPTY_SET: ReadonlySet<string> = new Set();
const EMPTY_LIST: readonly string[] = [];
const EMPTY_MEMBERS: ReadonlyMap<string, CollectionMemberRow> = new Map();
const EMPTY_LIBS: ReadonlyMap<string, LibraryRole> = new Map();
