/**
 * Users: create, update, deactivate, reactivate, delete (SPEC §2).
 */
import { conflict, notFound } from '../../domain/outcome.js';
import type { Change, UserRow } from '../../domain/rows.js';
import { keyOf, type World } from '../../world/world.js';
import { authorize, type OpContext, type Operation } from '../operation.js';
import { seatRelease } from './license.js';
import { nameConflict } from '../../policy/index.js';
import { USER_STATUSES } from '../../domain/catalog.js';
import { email, id, only, optEnum, optStr, str } from '../validate.js';

function target(w: World, userId: string): UserRow {
  const u = w.user(userId);
  if (!u) throw notFound('user', 'user', userId);
  return u;
}

function assertUnique(w: World, row: UserRow): void {
  const c = nameConflict(w, row);
  if (c) throw conflict(c.code, c.message, c.field);
}

function notSelf(ctx: OpContext, userId: string, what: string): void {
  if (ctx.principal.kind === 'user' && ctx.principal.institutionId === ctx.world.institutionId && ctx.principal.userId === userId) {
    throw conflict('selfLockout', `you cannot ${what} your own account`, 'user');
  }
}

/**
 * The changes that remove a user and what only describes them (roles, enrollments, media shared
 * with them). Media they own and schedules they present are refused, not silently deleted.
 */
export function userRemoval(w: World, u: UserRow): Change[] {
  const owned = w.mediaOwnedBy(u.id);
  if (owned.size > 0) throw conflict('inUse', `${u.id} owns ${owned.size} media item(s) (${[...owned].slice(0, 3).join(', ')}); delete or reassign them first, or deactivate the user`, 'user');
  const presents = [...w.tables.schedule.values()].filter((s) => s.presenterId === u.id).map((s) => s.id);
  if (presents.length) throw conflict('inUse', `${u.id} presents schedules (${presents.join(', ')}); change their presenter first`, 'user');
  const changes: Change[] = seatRelease(w, u.id);
  for (const g of w.grantsOf(u.id)) changes.push({ table: 'roleGrant', op: 'del', row: g });
  for (const [sectionId, role] of w.enrollmentsOf(u.id)) changes.push({ table: 'enrollment', op: 'del', row: { institutionId: w.institutionId, sectionId, userId: u.id, role } });
  for (const mediaId of w.sharedWith(u.id)) {
    const share = w.tables.mediaShare.get(keyOf('mediaShare', { institutionId: w.institutionId, mediaId, userId: u.id }));
    if (share) changes.push({ table: 'mediaShare', op: 'del', row: share });
  }
  for (const [libraryId, role] of w.librariesOf(u.id)) changes.push({ table: 'libraryMember', op: 'del', row: { institutionId: w.institutionId, libraryId, userId: u.id, role } });
  const def = w.tables.defaultLibrary.get(u.id);
  if (def) changes.push({ table: 'defaultLibrary', op: 'del', row: def });
  for (const g of w.tables.featureGrant.values()) if (g.userId === u.id) changes.push({ table: 'featureGrant', op: 'del', row: g });
  for (const c of w.collectionsOf(u.id)) changes.push({ table: 'collectionMember', op: 'del', row: w.collectionMember(c, u.id)! });
  changes.push({ table: 'user', op: 'del', row: u });
  return changes;
}

export const userOps: Record<string, Operation> = {
  'user.create': {
    fields: ['id', 'username', 'email', 'firstName', 'lastName', 'identityProvider', 'status'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const userId = id(args, 'id');
      const row: UserRow = {
        institutionId: w.institutionId,
        id: userId,
        username: optStr(args, 'username', { max: 128 }) ?? userId,
        email: email(args, 'email', true)!,
        firstName: str(args, 'firstName'),
        lastName: str(args, 'lastName'),
        identityProvider: optStr(args, 'identityProvider', { max: 64 }) ?? 'local',
        status: optEnum(args, 'status', USER_STATUSES) ?? 'active',
      };
      authorize(ctx, 'user.create', `institution:${w.institutionId}`);
      if (w.user(userId)) throw conflict('duplicateId', `a user '${userId}' already exists`, 'id');
      assertUnique(w, row);
      return { changes: [{ table: 'user', op: 'put', row }], target: `user:${userId}`, result: row };
    },
  },
  'user.update': {
    fields: ['user', 'username', 'email', 'firstName', 'lastName', 'identityProvider'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = target(w, id(args, 'user'));
      const row: UserRow = {
        ...cur,
        username: optStr(args, 'username', { max: 128 }) ?? cur.username,
        email: email(args, 'email', false) ?? cur.email,
        firstName: optStr(args, 'firstName') ?? cur.firstName,
        lastName: optStr(args, 'lastName') ?? cur.lastName,
        identityProvider: optStr(args, 'identityProvider', { max: 64 }) ?? cur.identityProvider,
      };
      authorize(ctx, 'user.update', `user:${cur.id}`);
      assertUnique(w, row);
      const same = JSON.stringify(row) === JSON.stringify(cur);
      return { changes: same ? [] : [{ table: 'user', op: 'put', row }], target: `user:${cur.id}`, result: row };
    },
  },
  'user.deactivate': {
    fields: ['user'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = target(w, id(args, 'user'));
      authorize(ctx, 'user.deactivate', `user:${cur.id}`);
      notSelf(ctx, cur.id, 'deactivate');
      if (cur.status === 'deactivated') return { changes: [], target: `user:${cur.id}`, result: cur };
      const row: UserRow = { ...cur, status: 'deactivated' };
      // Deactivating a user frees their license seats (SPEC §5).
      return { changes: [...seatRelease(w, cur.id), { table: 'user', op: 'put', row }], target: `user:${cur.id}`, result: row };
    },
  },
  'user.reactivate': {
    fields: ['user'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = target(w, id(args, 'user'));
      authorize(ctx, 'user.update', `user:${cur.id}`);
      if (cur.status === 'active') return { changes: [], target: `user:${cur.id}`, result: cur };
      const row: UserRow = { ...cur, status: 'active' };
      return { changes: [{ table: 'user', op: 'put', row }], target: `user:${cur.id}`, result: row };
    },
  },
  'user.delete': {
    fields: ['user'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = target(w, id(args, 'user'));
      authorize(ctx, 'user.delete', `user:${cur.id}`);
      notSelf(ctx, cur.id, 'delete');
      return { changes: userRemoval(w, cur), target: `user:${cur.id}` };
    },
  },
};
