/**
 * Users: create, update, deactivate, reactivate, delete (SPEC §2).
 */
import { conflict } from '../../domain/outcome.js';
import type { Change, UserRow } from '../../domain/rows.js';
import type { Principal } from '../../policy/index.js';
import { keyOf, type World } from '../../world/world.js';
import { at, defineOp, find, inInstitution, type Operation } from '../operation.js';
import { seatRelease } from './license.js';
import { nameConflict } from '../../policy/index.js';
import { USER_STATUSES } from '../../domain/catalog.js';
import { email, id, oneOf, optional, text } from '../validate.js';

const NAMES = { username: optional(text(128)), firstName: optional(text()), lastName: optional(text()), identityProvider: optional(text(64)) };
/** The arguments of the operations on one existing user. */
const ONE = { user: id() };
const loadUser = ({ world, args }: { world: World; args: { user: string } }) => find(world, 'user', args.user);

function assertUnique(w: World, row: UserRow): void {
  const c = nameConflict(w, row);
  if (c) throw conflict(c.code, c.message, c.field);
}

function notSelf(ctx: { world: World; principal: Principal }, userId: string, what: string): void {
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
  for (const g of w.customGrantsOf(u.id) ?? []) changes.push({ table: 'customRoleGrant', op: 'del', row: g });
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
  'user.create': defineOp({
    action: 'user.create',
    args: { id: id(), email: email(), ...NAMES, firstName: text(), lastName: text(), status: optional(oneOf(USER_STATUSES)) },
    on: inInstitution(),
    plan({ world: w, args }) {
      const row: UserRow = {
        institutionId: w.institutionId,
        id: args.id,
        username: args.username ?? args.id,
        email: args.email,
        firstName: args.firstName,
        lastName: args.lastName,
        identityProvider: args.identityProvider ?? 'local',
        status: args.status ?? 'active',
      };
      if (w.user(args.id)) throw conflict('duplicateId', `a user '${args.id}' already exists`, 'id');
      assertUnique(w, row);
      return { changes: [{ table: 'user', op: 'put', row }], target: `user:${args.id}`, result: row };
    },
  }),
  'user.update': defineOp({
    action: 'user.update',
    args: { ...ONE, ...NAMES, email: optional(email()) },
    load: loadUser,
    on: at('user', 'user'),
    plan({ world: w, args, loaded: cur }) {
      const row: UserRow = {
        ...cur,
        username: args.username ?? cur.username,
        email: args.email ?? cur.email,
        firstName: args.firstName ?? cur.firstName,
        lastName: args.lastName ?? cur.lastName,
        identityProvider: args.identityProvider ?? cur.identityProvider,
      };
      assertUnique(w, row);
      const same = JSON.stringify(row) === JSON.stringify(cur);
      return { changes: same ? [] : [{ table: 'user', op: 'put', row }], target: `user:${cur.id}`, result: row };
    },
  }),
  'user.deactivate': defineOp({
    action: 'user.deactivate',
    args: ONE,
    load: loadUser,
    on: at('user', 'user'),
    plan(ctx) {
      const { world: w, loaded: cur } = ctx;
      notSelf(ctx, cur.id, 'deactivate');
      if (cur.status === 'deactivated') return { changes: [], target: `user:${cur.id}`, result: cur };
      const row: UserRow = { ...cur, status: 'deactivated' };
      // Deactivating a user frees their license seats (SPEC §5).
      return { changes: [...seatRelease(w, cur.id), { table: 'user', op: 'put', row }], target: `user:${cur.id}`, result: row };
    },
  }),
  'user.reactivate': defineOp({
    action: 'user.update',
    args: ONE,
    load: loadUser,
    on: at('user', 'user'),
    plan({ loaded: cur }) {
      if (cur.status === 'active') return { changes: [], target: `user:${cur.id}`, result: cur };
      const row: UserRow = { ...cur, status: 'active' };
      return { changes: [{ table: 'user', op: 'put', row }], target: `user:${cur.id}`, result: row };
    },
  }),
  'user.delete': defineOp({
    action: 'user.delete',
    args: ONE,
    load: loadUser,
    on: at('user', 'user'),
    plan(ctx) {
      notSelf(ctx, ctx.loaded.id, 'delete');
      return { changes: userRemoval(ctx.world, ctx.loaded), target: `user:${ctx.loaded.id}` };
    },
  }),
};
