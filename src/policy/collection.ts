/**
 * Collections (SPEC §8): members with an access level (or a custom set of the seven media
 * permissions); managers manage membership but never remove or demote another manager; any member
 * may leave; admins — institution-level admins, who always have admin access to collections — are
 * added only as managers. With the student library off, a student member has no add and no copy.
 */
import { COLLECTION_PERMISSIONS, LEVEL_PERMISSIONS, type CollectionLevel, type CollectionPermission } from '../domain/catalog.js';
import { allow, because, type Decision, deny } from '../domain/outcome.js';
import type { CollectionMemberRow } from '../domain/rows.js';
import type { World } from '../world/world.js';
import type { Actor } from './actor.js';
import { adminUnits } from './actor.js';
import { isStaff } from './role.js';
import type { Query, RuleTable } from './types.js';

/** The permissions a level (or a custom list) stands for. */
export function levelPermissions(level: CollectionLevel, custom: string): CollectionPermission[] {
  if (level === 'custom') return COLLECTION_PERMISSIONS.filter((p) => custom.split(',').includes(p));
  return [...LEVEL_PERMISSIONS[level]];
}

/** A member's effective media permissions, after the student-library rule. */
export function memberPermissions(w: World, m: CollectionMemberRow): { perms: Set<CollectionPermission>; limited: boolean } {
  const perms = new Set(levelPermissions(m.level, m.permissions));
  if (!w.institution.studentLibrary && !isStaff(w, m.userId) && (perms.has('add') || perms.has('copy'))) {
    perms.delete('add');
    perms.delete('copy');
    return { perms, limited: true };
  }
  return { perms, limited: false };
}

/** An institution-level admin (or system admin): always admin access to collections. */
export function isCollectionAdmin(w: World, userId: string, systemAdmin = false): boolean {
  return systemAdmin || w.holds(userId, 'system_admin') || adminUnits(w, userId).includes(w.rootId);
}

function admin(actor: Actor): Decision | undefined {
  if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
  if (actor.isInstitutionAdmin) return allow(because`${actor.name} is an institution-level admin, with admin access to every collection`);
  return undefined;
}

function membership(q: Query): { id: string; member: CollectionMemberRow | undefined } | Decision {
  const { world: w, actor, resource } = q;
  if (resource.type !== 'collection' || !w.collection(resource.id)) return deny(because`collection '${resource.id}' does not exist`);
  return { id: resource.id, member: actor.principal.kind === 'user' && !actor.foreign ? w.collectionMember(resource.id, actor.principal.userId) : undefined };
}

/** A media permission inside a collection (add, remove). */
function permission(perm: CollectionPermission, doing: string): (q: Query) => Decision {
  return (q) => {
    const m = membership(q);
    if ('allow' in m) return m;
    const a = admin(q.actor);
    if (a) return a;
    if (!m.member) return deny(because`${q.actor.name} is not a member of collection ${m.id}`);
    const { perms, limited } = memberPermissions(q.world, m.member);
    if (perms.has(perm)) return allow(because`${q.actor.name} is ${describeMember(m.member)} of collection ${m.id}, with the ${perm} permission`);
    if (limited && (perm === 'add' || perm === 'copy')) {
      return deny(because`the student library is off, so ${q.actor.name}, a student, cannot ${doing} whatever their access level in collection ${m.id}`);
    }
    return deny(because`${q.actor.name} is ${describeMember(m.member)} of collection ${m.id}, without the ${perm} permission`);
  };
}

export function describeMember(m: CollectionMemberRow): string {
  return m.level === 'custom' ? `a custom member (${m.permissions || 'no permissions'})` : `${m.level === 'editor' ? 'an' : 'a'} ${m.level}`;
}

function manage(q: Query): Decision {
  const m = membership(q);
  if ('allow' in m) return m;
  const a = admin(q.actor);
  if (a) return a;
  const target = typeof q.context.user === 'string' ? q.context.user : undefined;
  // Any member may leave (remove themselves).
  if (q.action === 'collection.removeMember' && m.member && target === q.actor.id) return allow(because`${q.actor.name} is a member of collection ${m.id} and may always leave it`);
  if (m.member?.level === 'manager') return allow(because`${q.actor.name} is a manager of collection ${m.id}`);
  return deny(m.member ? because`${q.actor.name} is ${describeMember(m.member)} of collection ${m.id}; only managers manage membership` : because`${q.actor.name} is not a member of collection ${m.id}`);
}

function view(q: Query): Decision {
  const m = membership(q);
  if ('allow' in m) return m;
  const a = admin(q.actor);
  if (a) return a;
  return m.member ? allow(because`${q.actor.name} is ${describeMember(m.member)} of collection ${m.id}, and all members view it`) : deny(because`${q.actor.name} is not a member of collection ${m.id}`);
}

function del(q: Query): Decision {
  const m = membership(q);
  if ('allow' in m) return m;
  const a = admin(q.actor);
  if (a) return a;
  return m.member?.level === 'manager' ? allow(because`${q.actor.name} is a manager of collection ${m.id}`) : deny(because`only managers (or admins) delete collection ${m.id}`);
}

/**
 * The refusals that come from the collection's state rather than the actor's rights (SPEC §13:
 * conflict): a manager removing or demoting another manager; removing or demoting the last manager;
 * an admin added below manager.
 */
export function membershipConflict(w: World, actor: Actor, collectionId: string, targetId: string, next: CollectionLevel | 'removed'): string | undefined {
  const cur = w.collectionMember(collectionId, targetId);
  const actorIsAdmin = actor.isSystemAdmin || actor.isInstitutionAdmin;
  if (cur?.level === 'manager' && next !== 'manager' && !actorIsAdmin && targetId !== actor.id) {
    return `${targetId} is a manager of collection ${collectionId}, and only an admin removes or demotes a manager (they may also leave)`;
  }
  // SPEC §8: a collection keeps a manager. Nobody (an admin neither, nor the manager leaving)
  // removes or demotes the last one; deleting the collection is the way to be rid of it.
  if (cur?.level === 'manager' && next !== 'manager' && ![...w.collectionMembers(collectionId).values()].some((o) => o.userId !== targetId && o.level === 'manager')) {
    const u = w.user(targetId);
    const who = u && (u.firstName || u.lastName) ? `${u.firstName} ${u.lastName}`.trim() : targetId;
    const col = w.collection(collectionId)?.name ?? collectionId;
    return `${who} is the last manager of collection ${col}, and a collection keeps a manager: make another member a manager first, or delete the collection`;
  }
  if (next !== 'removed' && next !== 'manager' && isCollectionAdmin(w, targetId)) {
    return `${targetId} is an admin, with admin access to every collection, so can only be added as a manager`;
  }
  return undefined;
}

export const collectionRules: RuleTable = {
  'collection.create': ({ actor }) => allow(because`${actor.name} is an active user, and anyone may create a collection (becoming its manager)`),
  'collection.view': view,
  'collection.delete': del,
  'collection.addMedia': permission('add', 'add media'),
  'collection.removeMedia': permission('remove', 'remove media'),
  'collection.addMember': manage,
  'collection.updateMember': manage,
  'collection.removeMember': manage,
};
