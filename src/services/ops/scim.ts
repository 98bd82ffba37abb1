/**
 * SCIM provisioning operations (docs/PROVISIONING.md). Tokens and group definitions are set up by
 * an admin of the root (`scim.configure`). Changes to users and group members are the ordinary
 * operations (user.create, user.update, user.deactivate, role.grant, …) planned one after the
 * other in one transaction, each asked as the token's owner, so SCIM can do nothing the owner could
 * not do in the console. A version (the SCIM ETag) is a digest of everything SCIM shows of a user or
 * group: it changes with every change to them, whoever makes it, and an expected version that no
 * longer matches refuses the change inside the write lock (no lost update).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Type } from 'typebox';
import { ORG_ROLES } from '../../domain/catalog.js';
import { conflict, invalid, notFound } from '../../domain/outcome.js';
import type { Change, ScimGroupRow, ScimUserRow, UserRow } from '../../domain/rows.js';
import { keyOf, type World } from '../../world/world.js';
import { defineComposite, type CompositeContext } from '../composite.js';
import { custom, defineOp, type Operation } from '../operation.js';
import { roleOps } from './role.js';
import { userOps } from './user.js';
import { type Field, id, oneOf, optional, passed, text } from '../validate.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

const digest = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('base64url').slice(0, 22);

export function scimUserRow(w: World, userId: string): ScimUserRow | undefined {
  return w.tables.scimUser.get(keyOf('scimUser', { institutionId: w.institutionId, userId }));
}

/** The provisioning groups a user belongs to: those whose role they hold at the group's unit. */
export function scimGroupsOf(w: World, userId: string): ScimGroupRow[] {
  const grants = w.grantsOf(userId);
  return [...w.tables.scimGroup.values()].filter((g) => grants.some((r) => r.role === g.role && r.scopeType === 'unit' && r.scopeId === g.unitId));
}

/** The users a provisioning group holds, sorted by id. */
export function scimMembers(w: World, g: ScimGroupRow): string[] {
  const out: string[] = [];
  for (const userId of w.usersWithGrants()) {
    if (w.grantsOf(userId).some((r) => r.role === g.role && r.scopeType === 'unit' && r.scopeId === g.unitId)) out.push(userId);
  }
  return out.sort();
}

/** A user's SCIM version: changes whenever the user, their external id or their groups change. */
export function scimUserVersion(w: World, userId: string): string {
  return digest([w.user(userId), scimUserRow(w, userId) ?? null, scimGroupsOf(w, userId).map((g) => [g.id, g.displayName])]);
}

export function scimGroupVersion(w: World, g: ScimGroupRow): string {
  return digest([g, scimMembers(w, g)]);
}

function expect(expected: unknown, actual: string, what: string): void {
  if (expected === undefined || expected === null || expected === '*') return;
  if (expected !== actual) throw conflict('preconditionFailed', `${what} changed since version ${String(expected)} (now ${actual}); read it again`, 'version');
}

/** SCIM's `active`: a boolean, or the text "True"/"False" in any case (as Entra ID sends it). */
const activeFlag = (): Field<boolean> => ({
  schema: Type.Union([Type.Boolean(), Type.String({ maxLength: 5 })]),
  required: true,
  read(v, field) {
    if (v === true || (typeof v === 'string' && v.toLowerCase() === 'true')) return true;
    if (v === false || (typeof v === 'string' && v.toLowerCase() === 'false')) return false;
    throw invalid(field, `must be true or false, not '${String(v)}'`, 'type');
  },
});

/** Lists of user ids (group members), each an id. */
const userIds = (): Field<string[]> => ({
  schema: Type.Array(Type.String({ maxLength: 128 })),
  required: true,
  read(v, field) {
    if (!Array.isArray(v)) throw invalid(field, 'must be a list of user ids', 'type');
    return [...new Set(v.map((m, i) => id().read(m, `${field}[${i}]`)))];
  },
});

interface ScimMeta {
  externalId?: string | undefined;
  employeeNumber?: string | undefined;
  department?: string | undefined;
}

/** The change that sets what SCIM keeps of a user besides the user row, if any. */
function metaChange(w: World, userId: string, args: ScimMeta): Change | undefined {
  const cur = scimUserRow(w, userId);
  const row: ScimUserRow = {
    institutionId: w.institutionId,
    userId,
    externalId: args.externalId ?? '',
    employeeNumber: args.employeeNumber ?? '',
    department: args.department ?? '',
  };
  const empty = !row.externalId && !row.employeeNumber && !row.department;
  if (empty) return cur ? { table: 'scimUser', op: 'del', row: cur } : undefined;
  if (cur && cur.externalId === row.externalId && cur.employeeNumber === row.employeeNumber && cur.department === row.department) return undefined;
  return { table: 'scimUser', op: 'put', row };
}

/** What SCIM sets of a user. Names and email pass to user.create/user.update, which read them. */
const USER_FIELDS = {
  userName: text(128),
  givenName: optional(passed()),
  familyName: optional(passed()),
  email: optional(passed()),
  active: optional(activeFlag()),
  externalId: optional(text(200)),
  employeeNumber: optional(text(200)),
  department: optional(text(200)),
};

function userTarget(w: World, userId: string): UserRow {
  const u = w.user(userId);
  if (!u) throw notFound('user', 'user', userId);
  return u;
}

function groupTarget(w: World, groupId: string): ScimGroupRow {
  const g = w.tables.scimGroup.get(keyOf('scimGroup', { institutionId: w.institutionId, id: groupId }));
  if (!g) throw notFound('group', 'group', groupId);
  return g;
}

/** Grants the group's role to those added and revokes it from those removed, each as its own step. */
function membership<A>(ctx: CompositeContext<A>, g: ScimGroupRow, add: readonly string[], remove: readonly string[]): void {
  for (const u of add) if (!ctx.world.user(u)) throw notFound('members', 'user', u);
  for (const user of add) ctx.step(roleOps['role.grant']!, { user, role: g.role, scope: g.unitId });
  for (const user of remove) ctx.step(roleOps['role.revoke']!, { user, role: g.role, scope: g.unitId });
}

function displayName(w: World, name: string, self?: string): string {
  for (const g of w.tables.scimGroup.values()) {
    if (g.id !== self && g.displayName.toLowerCase() === name.toLowerCase()) throw conflict('duplicateDisplayName', `a group named '${name}' already exists`, 'displayName');
  }
  return name;
}

const inInstitutionConfig = custom<unknown, undefined>(({ world }) => ({ action: 'scim.configure', resource: `institution:${world.institutionId}`, context: {} }));

export const scimOps: Record<string, Operation> = {
  'scim.token.create': defineOp({
    action: 'scim.configure',
    args: { id: id(), name: text(120), tokenHash: text(128), owner: optional(id()) },
    on: inInstitutionConfig,
    plan({ world: w, args, principal }) {
      const owner = principal.kind === 'user' && principal.institutionId === w.institutionId ? principal.userId : args.owner;
      if (owner === undefined) throw invalid('owner', 'is required when Lectern itself creates the token', 'required');
      if (args.owner !== undefined && args.owner !== owner) throw invalid('owner', 'a token acts as the admin who creates it', 'owner');
      if (!w.user(owner)) throw notFound('owner', 'user', owner);
      if (w.tables.scimToken.has(keyOf('scimToken', { institutionId: w.institutionId, id: args.id }))) throw conflict('duplicateId', `a token '${args.id}' already exists`, 'id');
      const row = { institutionId: w.institutionId, id: args.id, ownerId: owner, name: args.name, tokenHash: args.tokenHash, createdAt: new Date().toISOString() };
      return { changes: [{ table: 'scimToken', op: 'put', row }], target: `institution:${w.institutionId}`, result: { id: row.id, name: row.name, ownerId: owner, createdAt: row.createdAt } };
    },
  }),
  'scim.token.revoke': defineOp({
    action: 'scim.configure',
    args: { token: id() },
    on: inInstitutionConfig,
    plan({ world: w, args }) {
      const row = w.tables.scimToken.get(keyOf('scimToken', { institutionId: w.institutionId, id: args.token }));
      if (!row) throw notFound('token', 'SCIM token', args.token);
      return { changes: [{ table: 'scimToken', op: 'del', row }], target: `institution:${w.institutionId}` };
    },
  }),

  /** Creates a user (its id is the userName when that is a valid id, else generated). */
  'scim.user.create': defineComposite({
    action: 'user.create',
    args: USER_FIELDS,
    plan(ctx) {
      const { world: w, args } = ctx;
      const userId = ID.test(args.userName) ? args.userName : `u-${randomBytes(6).toString('hex')}`;
      ctx.step(userOps['user.create']!, { id: userId, username: args.userName, email: args.email, firstName: args.givenName, lastName: args.familyName });
      const c = metaChange(w, userId, args);
      if (c) ctx.add(c);
      if (args.active === false) ctx.step(userOps['user.deactivate']!, { user: userId });
      return { target: `user:${userId}`, result: { id: userId } };
    },
  }),

  /**
   * Sets a user to the state given (a PUT, or a PATCH already applied to what the caller read).
   * `version`: refuse unless the user is still at that version.
   */
  'scim.user.replace': defineComposite({
    action: 'user.update',
    args: { user: id(), version: optional(text(64)), ...USER_FIELDS },
    plan(ctx) {
      const { world: w, args } = ctx;
      const cur = userTarget(w, args.user);
      expect(args.version, scimUserVersion(w, cur.id), `user ${cur.id}`);
      // No `active` keeps the status as it is (a PUT that leaves it out neither disables nor enables).
      const active = args.active ?? cur.status === 'active';
      // Reactivate first and deactivate last, so that a deactivated user's details can be set too.
      if (active && cur.status !== 'active') ctx.step(userOps['user.reactivate']!, { user: cur.id });
      ctx.step(userOps['user.update']!, { user: cur.id, username: args.userName, email: args.email, firstName: args.givenName, lastName: args.familyName });
      const c = metaChange(w, cur.id, args);
      if (c) {
        ctx.authorize('user.update', `user:${cur.id}`);
        ctx.add(c);
      }
      if (!active && cur.status === 'active') ctx.step(userOps['user.deactivate']!, { user: cur.id });
      return { target: `user:${cur.id}`, result: { id: cur.id } };
    },
  }),

  'scim.user.delete': defineComposite({
    action: 'user.delete',
    args: { user: id(), version: optional(text(64)) },
    plan(ctx) {
      const { world: w, args } = ctx;
      const cur = userTarget(w, args.user);
      expect(args.version, scimUserVersion(w, cur.id), `user ${cur.id}`);
      const meta = scimUserRow(w, cur.id);
      if (meta) ctx.add({ table: 'scimUser', op: 'del', row: meta });
      ctx.step(userOps['user.delete']!, { user: cur.id });
      return { target: `user:${cur.id}` };
    },
  }),

  /** Defines a group binding `role` at the unit `scope`, and grants it to the members given. */
  'scim.group.create': defineComposite({
    action: 'scim.configure',
    args: { id: optional(id()), displayName: text(200), role: oneOf(ORG_ROLES), scope: id(), externalId: optional(text(200)), members: optional(userIds()) },
    plan(ctx) {
      const { world: w, args } = ctx;
      const groupId = args.id ?? `g-${randomBytes(6).toString('hex')}`;
      const name = displayName(w, args.displayName);
      if (!w.tree.units.has(args.scope)) throw notFound('scope', 'unit', args.scope);
      ctx.authorize('scim.configure', `institution:${w.institutionId}`);
      if (w.tables.scimGroup.has(keyOf('scimGroup', { institutionId: w.institutionId, id: groupId }))) throw conflict('duplicateId', `a group '${groupId}' already exists`, 'id');
      const row: ScimGroupRow = { institutionId: w.institutionId, id: groupId, displayName: name, role: args.role, unitId: args.scope, externalId: args.externalId ?? '' };
      const have = new Set(scimMembers(w, row));
      ctx.add({ table: 'scimGroup', op: 'put', row });
      membership(ctx, row, (args.members ?? []).filter((m) => !have.has(m)), []);
      return { target: `group:${groupId}`, result: { id: groupId } };
    },
  }),

  /** Renames a group and adds or removes members (granting or revoking its role). */
  'scim.group.update': defineComposite({
    action: 'scim.configure',
    args: { group: id(), version: optional(text(64)), displayName: optional(text(200)), externalId: optional(passed()), add: optional(userIds()), remove: optional(userIds()), members: optional(userIds()) },
    plan(ctx) {
      const { world: w, args } = ctx;
      const g = groupTarget(w, args.group);
      expect(args.version, scimGroupVersion(w, g), `group ${g.id}`);
      const externalId = args.externalId === undefined ? g.externalId : args.externalId === '' ? '' : text(200).read(args.externalId, 'externalId');
      const row: ScimGroupRow = { ...g, displayName: args.displayName === undefined ? g.displayName : displayName(w, args.displayName, g.id), externalId };
      const have = new Set(scimMembers(w, g));
      let add = (args.add ?? []).filter((m) => !have.has(m));
      let remove = (args.remove ?? []).filter((m) => have.has(m));
      if (args.members !== undefined) {
        const want = new Set(args.members);
        add = [...want].filter((m) => !have.has(m));
        remove = [...have].filter((m) => !want.has(m));
      }
      if (row.displayName !== g.displayName || row.externalId !== g.externalId) {
        ctx.authorize('scim.configure', `institution:${w.institutionId}`);
        ctx.add({ table: 'scimGroup', op: 'put', row });
      }
      membership(ctx, g, add, remove);
      return { target: `group:${g.id}`, result: { id: g.id } };
    },
  }),

  /** Deletes a group: its role is revoked from every member, then the definition goes. */
  'scim.group.delete': defineComposite({
    action: 'scim.configure',
    args: { group: id(), version: optional(text(64)) },
    plan(ctx) {
      const { world: w, args } = ctx;
      const g = groupTarget(w, args.group);
      expect(args.version, scimGroupVersion(w, g), `group ${g.id}`);
      ctx.authorize('scim.configure', `institution:${w.institutionId}`);
      membership(ctx, g, [], scimMembers(w, g));
      ctx.add({ table: 'scimGroup', op: 'del', row: g });
      return { target: `group:${g.id}` };
    },
  }),
};
