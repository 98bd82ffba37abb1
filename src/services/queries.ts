/**
 * Read-side queries the console and API need: collection membership (sorted by one column,
 * searched, paged), the "add member" typeahead, and a user's permissions page. They read the world;
 * every "may" in them comes from policy.
 */
import { FEATURES, LEVEL_PERMISSIONS, ROLE_LABEL, type CollectionPermission } from '../domain/catalog.js';
import { Actor, decide, describeMember, levelPermissions, memberPermissions, membershipConflict, type Principal, scopeOf } from '../policy/index.js';
import type { World } from '../world/world.js';

export const MEMBER_SORTS = ['name', 'lastName', 'email', 'access'] as const;
export type MemberSort = (typeof MEMBER_SORTS)[number];

export interface MemberView {
  user: string;
  firstName: string;
  lastName: string;
  email: string;
  level: string;
  /** The level's permissions (custom: the chosen ones), before the student-library rule. */
  permissions: CollectionPermission[];
  /** What the member can actually do, after the student-library rule. */
  effective: CollectionPermission[];
  abilities: { update: boolean; remove: boolean };
}

const LEVEL_ORDER: Record<string, number> = { reviewer: 0, collaborator: 1, contributor: 2, editor: 3, custom: 4, manager: 5 };

function matches(q: string, ...fields: string[]): boolean {
  const needle = q.trim().toLowerCase();
  return needle === '' || fields.some((f) => f.toLowerCase().includes(needle));
}

/**
 * A collection's members. Sort by one column at a time (name sorts by first name), ascending or
 * descending; search by first name, last name and email; paged by offset.
 */
export function collectionMembers(
  w: World,
  principal: Principal,
  collectionId: string,
  opts: { sort?: MemberSort; desc?: boolean; q?: string; offset?: number; limit?: number } = {},
): { total: number; members: MemberView[] } {
  const rows: MemberView[] = [];
  const actor = new Actor(w, principal);
  for (const m of w.collectionMembers(collectionId).values()) {
    const u = w.user(m.userId);
    if (!u || !matches(opts.q ?? '', u.firstName, u.lastName, u.email)) continue;
    const ctx = { user: m.userId };
    rows.push({
      user: u.id,
      firstName: u.firstName,
      lastName: u.lastName,
      email: u.email,
      level: m.level,
      permissions: levelPermissions(m.level, m.permissions),
      effective: [...memberPermissions(w, m).perms],
      abilities: {
        update: decide(w, principal, 'collection.updateMember', `collection:${collectionId}`, ctx).allow && !membershipConflict(w, actor, collectionId, m.userId, 'removed'),
        remove: decide(w, principal, 'collection.removeMember', `collection:${collectionId}`, ctx).allow && !membershipConflict(w, actor, collectionId, m.userId, 'removed'),
      },
    });
  }
  const key = opts.sort ?? 'name';
  const get = (r: MemberView): string | number =>
    key === 'name' ? r.firstName.toLowerCase() : key === 'lastName' ? r.lastName.toLowerCase() : key === 'email' ? r.email.toLowerCase() : (LEVEL_ORDER[r.level] ?? 0);
  rows.sort((a, b) => {
    const x = get(a);
    const y = get(b);
    const c = x < y ? -1 : x > y ? 1 : a.user < b.user ? -1 : a.user > b.user ? 1 : 0;
    return opts.desc ? -c : c;
  });
  const offset = Math.max(0, opts.offset ?? 0);
  const limit = Math.min(Math.max(1, opts.limit ?? 50), 500);
  return { total: rows.length, members: rows.slice(offset, offset + limit) };
}

/** The fewest characters the typeahead answers to, and the most people it returns. */
export const SEARCH_MIN_CHARS = 2;
export const SEARCH_MAX = 20;

export interface SearchUserView {
  id: string;
  firstName: string;
  lastName: string;
  /** Only for callers who may view the user (`user.view`). */
  email?: string;
  /** Likewise. */
  username?: string;
}

/**
 * The user typeahead (for picking a person: a member, a license holder, an instructor, a share):
 * active users of the institution matching by first or last name — and by email only where the
 * caller may view the user, who then also sees it. The least that identifies someone (id and
 * name), at most SEARCH_MAX, and nothing for fewer than SEARCH_MIN_CHARS characters. Whether the
 * caller may search at all is policy's `user.search`, asked by the route.
 */
export function searchUsers(w: World, viewer: Principal, q: string, limit = 10, opts: { role?: string } = {}): SearchUserView[] {
  const needle = q.trim().toLowerCase();
  if (needle.length < SEARCH_MIN_CHARS) return [];
  const out: (SearchUserView & { rank: number })[] = [];
  for (const u of w.users.values()) {
    if (u.status !== 'active') continue;
    // Only holders of a role (e.g. academic staff, for a license's presenter picker).
    if (opts.role && !w.grantsOf(u.id).some((g) => g.role === opts.role)) continue;
    const f = u.firstName.toLowerCase();
    const l = u.lastName.toLowerCase();
    const e = u.email.toLowerCase();
    const n = u.username.toLowerCase();
    // Prefix matches first, then matches anywhere; the email and username only where the caller may see the user.
    let rank = f.startsWith(needle) || l.startsWith(needle) ? 0 : f.includes(needle) || l.includes(needle) ? 1 : -1;
    let seesEmail: boolean | undefined;
    if (rank !== 0 && (e.includes(needle) || n.includes(needle))) {
      seesEmail = decide(w, viewer, 'user.view', { type: 'user', id: u.id }, {}, { explain: false }).allow;
      if (seesEmail) rank = e.startsWith(needle) || n.startsWith(needle) ? 0 : 1;
    }
    if (rank < 0) continue;
    seesEmail ??= decide(w, viewer, 'user.view', { type: 'user', id: u.id }, {}, { explain: false }).allow;
    out.push({ id: u.id, firstName: u.firstName, lastName: u.lastName, ...(seesEmail ? { email: u.email, username: u.username } : {}), rank });
  }
  out.sort((a, b) => a.rank - b.rank || a.firstName.localeCompare(b.firstName) || a.lastName.localeCompare(b.lastName) || a.id.localeCompare(b.id));
  return out.slice(0, Math.min(Math.max(1, limit), SEARCH_MAX)).map(({ rank: _r, ...u }) => u);
}

export interface PermissionEntry {
  type: 'library' | 'unitAdmin' | 'institutionAdmin' | 'feature' | 'role';
  id: string;
  label: string;
  role?: string;
  isDefault?: boolean;
  editable: boolean;
  removable: boolean;
  /** Why it cannot be removed, when it cannot. */
  note?: string;
}

/**
 * Everything a user can reach (SPEC §9): libraries with their role, units where they are admin,
 * institution admin, other staff roles, feature grants — each editable and removable per the rules,
 * as seen by `viewer`.
 */
export function permissionsPage(w: World, viewer: Principal, userId: string): PermissionEntry[] {
  const out: PermissionEntry[] = [];
  const def = w.defaultLibraryOf(userId);
  for (const [libraryId, role] of [...w.librariesOf(userId)].sort()) {
    const ctx = { user: userId };
    const may = decide(w, viewer, 'library.revoke', `library:${libraryId}`, ctx).allow;
    out.push({
      type: 'library',
      id: libraryId,
      label: w.library(libraryId)?.name ?? libraryId,
      role,
      isDefault: def === libraryId,
      editable: decide(w, viewer, 'library.grant', `library:${libraryId}`, ctx).allow,
      removable: may && def !== libraryId,
      ...(def === libraryId ? { note: 'the default library: set another default before removing access' } : {}),
    });
  }
  for (const g of w.grantsOf(userId)) {
    const s = scopeOf(g);
    const revoke = decide(w, viewer, 'role.revoke', `user:${userId}`, { role: g.role, ...(s.type === 'unit' ? { scope: s.id } : {}) }).allow;
    if (g.role === 'admin' && s.type === 'unit') {
      const root = s.id === w.rootId;
      out.push({ type: root ? 'institutionAdmin' : 'unitAdmin', id: s.id, label: root ? `Institution admin (${w.tree.name(s.id)})` : `Admin of ${w.tree.name(s.id)}`, role: 'admin', editable: false, removable: revoke });
    } else if (g.role === 'admin') {
      const inst = s.type === 'none' && !s.listedOnly && !w.institution.delegatedAdministration;
      out.push({ type: inst ? 'institutionAdmin' : 'role', id: w.rootId, label: inst ? 'Institution admin (no listed unit)' : 'Admin, rights only where listed', role: 'admin', editable: false, removable: revoke });
    } else {
      out.push({ type: 'role', id: s.type === 'unit' ? s.id : '', label: `${ROLE_LABEL[g.role]}${s.type === 'unit' ? ` at ${w.tree.name(s.id)}` : ''}`, role: g.role, editable: false, removable: revoke });
    }
  }
  for (const f of FEATURES) {
    if (!w.hasFeature(userId, f)) continue;
    out.push({ type: 'feature', id: f, label: f, editable: false, removable: decide(w, viewer, 'feature.revoke', `user:${userId}`, { user: userId, feature: f }).allow });
  }
  return out;
}

/** Each level with its permissions, for the console's access-level drop-down. */
export function accessLevels(): { level: string; permissions: readonly CollectionPermission[]; membership: boolean }[] {
  return [
    ...Object.entries(LEVEL_PERMISSIONS).map(([level, permissions]) => ({ level, permissions, membership: level === 'manager' })),
    { level: 'custom', permissions: [], membership: false },
  ];
}

export { describeMember };
