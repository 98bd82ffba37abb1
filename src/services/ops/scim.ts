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
import { ORG_ROLES, type OrgRole } from '../../domain/catalog.js';
import { conflict, invalid, notFound } from '../../domain/outcome.js';
import type { Change, ScimGroupRow, ScimUserRow, UserRow } from '../../domain/rows.js';
import { Actor } from '../../policy/index.js';
import { keyOf, type World } from '../../world/world.js';
import { authorize, type OpContext, type Operation } from '../operation.js';
import { roleOps } from './role.js';
import { userOps } from './user.js';
import { id, only, optStr, str, type Args } from '../validate.js';

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

/**
 * Plans operations one after the other: each sees the world as the ones before left it (applied,
 * then undone before anyone else looks), and each is authorized on its own.
 */
function compose(ctx: OpContext, steps: (() => { op: Operation; args: Args } | { changes: Change[] } | undefined)[]): Change[] {
  const w = ctx.world;
  const all: Change[] = [];
  const undo: Change[] = [];
  try {
    for (const step of steps) {
      const s = step();
      if (!s) continue;
      const changes = 'changes' in s ? s.changes : s.op.plan({ world: w, actor: new Actor(w, ctx.principal), principal: ctx.principal, args: s.args }).changes;
      for (const c of changes) {
        const before = w.current(c);
        undo.push(before ? ({ table: c.table, op: 'put', row: before } as Change) : { ...c, op: 'del' });
        w.apply(c);
        all.push(c);
      }
    }
  } finally {
    for (let i = undo.length - 1; i >= 0; i--) w.apply(undo[i]!);
  }
  return all;
}

function expect(expected: unknown, actual: string, what: string): void {
  if (expected === undefined || expected === null || expected === '*') return;
  if (expected !== actual) throw conflict('preconditionFailed', `${what} changed since version ${String(expected)} (now ${actual}); read it again`, 'version');
}

function optBoolText(args: Args, field: string): boolean | undefined {
  const v = args[field];
  if (v === undefined || v === null) return undefined;
  if (v === true || (typeof v === 'string' && v.toLowerCase() === 'true')) return true;
  if (v === false || (typeof v === 'string' && v.toLowerCase() === 'false')) return false;
  throw invalid(field, `must be true or false, not '${String(v)}'`, 'type');
}

/** The change that sets what SCIM keeps of a user besides the user row, if any. */
function metaChange(w: World, userId: string, args: Args): Change | undefined {
  const cur = scimUserRow(w, userId);
  const row: ScimUserRow = {
    institutionId: w.institutionId,
    userId,
    externalId: optStr(args, 'externalId', { max: 200 }) ?? '',
    employeeNumber: optStr(args, 'employeeNumber', { max: 200 }) ?? '',
    department: optStr(args, 'department', { max: 200 }) ?? '',
  };
  const empty = !row.externalId && !row.employeeNumber && !row.department;
  if (empty) return cur ? { table: 'scimUser', op: 'del', row: cur } : undefined;
  if (cur && cur.externalId === row.externalId && cur.employeeNumber === row.employeeNumber && cur.department === row.department) return undefined;
  return { table: 'scimUser', op: 'put', row };
}

const USER_FIELDS = ['userName', 'givenName', 'familyName', 'email', 'active', 'externalId', 'employeeNumber', 'department'] as const;

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

function memberList(args: Args, field: string): string[] {
  const v = args[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(field, 'must be a list of user ids', 'type');
  return [...new Set(v.map((m, i) => id({ [`${field}[${i}]`]: m }, `${field}[${i}]`)))];
}

function membershipSteps(w: World, g: ScimGroupRow, add: readonly string[], remove: readonly string[]) {
  const grant = (user: string) => () => ({ op: roleOps['role.grant']!, args: { user, role: g.role, scope: g.unitId } });
  const revoke = (user: string) => () => ({ op: roleOps['role.revoke']!, args: { user, role: g.role, scope: g.unitId } });
  for (const u of add) if (!w.user(u)) throw notFound('members', 'user', u);
  return [...add.map(grant), ...remove.map(revoke)];
}

function displayName(w: World, args: Args, self?: string): string {
  const name = str(args, 'displayName', { max: 200 });
  for (const g of w.tables.scimGroup.values()) {
    if (g.id !== self && g.displayName.toLowerCase() === name.toLowerCase()) throw conflict('duplicateDisplayName', `a group named '${name}' already exists`, 'displayName');
  }
  return name;
}

export const scimOps: Record<string, Operation> = {
  'scim.token.create': {
    fields: ['id', 'name', 'tokenHash', 'owner'],
    plan(ctx) {
      const { world: w, args, principal } = ctx;
      only(args, this.fields);
      const tokenId = id(args, 'id');
      const owner = principal.kind === 'user' && principal.institutionId === w.institutionId ? principal.userId : id(args, 'owner');
      if (args.owner !== undefined && args.owner !== owner) throw invalid('owner', 'a token acts as the admin who creates it', 'owner');
      if (!w.user(owner)) throw notFound('owner', 'user', owner);
      const tokenHash = str(args, 'tokenHash', { max: 128 });
      authorize(ctx, 'scim.configure', `institution:${w.institutionId}`);
      if (w.tables.scimToken.has(keyOf('scimToken', { institutionId: w.institutionId, id: tokenId }))) throw conflict('duplicateId', `a token '${tokenId}' already exists`, 'id');
      const row = { institutionId: w.institutionId, id: tokenId, ownerId: owner, name: str(args, 'name', { max: 120 }), tokenHash, createdAt: new Date().toISOString() };
      return { changes: [{ table: 'scimToken', op: 'put', row }], target: `institution:${w.institutionId}`, result: { id: row.id, name: row.name, ownerId: owner, createdAt: row.createdAt } };
    },
  },
  'scim.token.revoke': {
    fields: ['token'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const tokenId = id(args, 'token');
      authorize(ctx, 'scim.configure', `institution:${w.institutionId}`);
      const row = w.tables.scimToken.get(keyOf('scimToken', { institutionId: w.institutionId, id: tokenId }));
      if (!row) throw notFound('token', 'SCIM token', tokenId);
      return { changes: [{ table: 'scimToken', op: 'del', row }], target: `institution:${w.institutionId}` };
    },
  },

  /** Creates a user (its id is the userName when that is a valid id, else generated). */
  'scim.user.create': {
    fields: USER_FIELDS,
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const userName = str(args, 'userName', { max: 128 });
      const userId = ID.test(userName) ? userName : `u-${randomBytes(6).toString('hex')}`;
      const active = optBoolText(args, 'active') ?? true;
      const changes = compose(ctx, [
        () => ({ op: userOps['user.create']!, args: { id: userId, username: userName, email: args.email, firstName: args.givenName, lastName: args.familyName } }),
        () => {
          const c = metaChange(w, userId, args);
          return c ? { changes: [c] } : undefined;
        },
        () => (active ? undefined : { op: userOps['user.deactivate']!, args: { user: userId } }),
      ]);
      return { changes, target: `user:${userId}`, result: { id: userId } };
    },
  },

  /**
   * Sets a user to the state given (a PUT, or a PATCH already applied to what the caller read).
   * `version`: refuse unless the user is still at that version.
   */
  'scim.user.replace': {
    fields: ['user', 'version', ...USER_FIELDS],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = userTarget(w, id(args, 'user'));
      expect(args.version, scimUserVersion(w, cur.id), `user ${cur.id}`);
      // No `active` keeps the status as it is (a PUT that leaves it out neither disables nor enables).
      const active = optBoolText(args, 'active') ?? cur.status === 'active';
      const update = { username: str(args, 'userName', { max: 128 }), email: args.email, firstName: args.givenName, lastName: args.familyName };
      const changes = compose(ctx, [
        // Reactivate first and deactivate last, so that a deactivated user's details can be set too.
        () => (active && cur.status !== 'active' ? { op: userOps['user.reactivate']!, args: { user: cur.id } } : undefined),
        () => ({ op: userOps['user.update']!, args: { user: cur.id, ...update } }),
        () => {
          const c = metaChange(w, cur.id, args);
          if (c) authorize({ ...ctx, actor: new Actor(w, ctx.principal) }, 'user.update', `user:${cur.id}`);
          return c ? { changes: [c] } : undefined;
        },
        () => (!active && cur.status === 'active' ? { op: userOps['user.deactivate']!, args: { user: cur.id } } : undefined),
      ]);
      return { changes, target: `user:${cur.id}`, result: { id: cur.id } };
    },
  },

  'scim.user.delete': {
    fields: ['user', 'version'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const cur = userTarget(w, id(args, 'user'));
      expect(args.version, scimUserVersion(w, cur.id), `user ${cur.id}`);
      const meta = scimUserRow(w, cur.id);
      const changes = compose(ctx, [
        () => (meta ? { changes: [{ table: 'scimUser', op: 'del', row: meta }] } : undefined),
        () => ({ op: userOps['user.delete']!, args: { user: cur.id } }),
      ]);
      return { changes, target: `user:${cur.id}` };
    },
  },

  /** Defines a group binding `role` at the unit `scope`, and grants it to the members given. */
  'scim.group.create': {
    fields: ['id', 'displayName', 'role', 'scope', 'externalId', 'members'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const groupId = args.id === undefined ? `g-${randomBytes(6).toString('hex')}` : id(args, 'id');
      const name = displayName(w, args);
      const role = str(args, 'role', { max: 64 });
      if (!(ORG_ROLES as readonly string[]).includes(role)) {
        throw invalid('role', `a provisioning group binds one of ${ORG_ROLES.join(', ')}, not '${role}'`, 'enum');
      }
      const scope = str(args, 'scope', { max: 128 });
      if (!w.tree.units.has(scope)) throw notFound('scope', 'unit', scope);
      const members = memberList(args, 'members');
      authorize(ctx, 'scim.configure', `institution:${w.institutionId}`);
      if (w.tables.scimGroup.has(keyOf('scimGroup', { institutionId: w.institutionId, id: groupId }))) throw conflict('duplicateId', `a group '${groupId}' already exists`, 'id');
      const row: ScimGroupRow = { institutionId: w.institutionId, id: groupId, displayName: name, role: role as OrgRole, unitId: scope, externalId: optStr(args, 'externalId', { max: 200 }) ?? '' };
      const have = new Set(scimMembers(w, row));
      const changes = compose(ctx, [() => ({ changes: [{ table: 'scimGroup', op: 'put', row }] }), ...membershipSteps(w, row, members.filter((m) => !have.has(m)), [])]);
      return { changes, target: `group:${groupId}`, result: { id: groupId } };
    },
  },

  /** Renames a group and adds or removes members (granting or revoking its role). */
  'scim.group.update': {
    fields: ['group', 'version', 'displayName', 'externalId', 'add', 'remove', 'members'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const g = groupTarget(w, id(args, 'group'));
      expect(args.version, scimGroupVersion(w, g), `group ${g.id}`);
      const row: ScimGroupRow = {
        ...g,
        displayName: args.displayName === undefined ? g.displayName : displayName(w, args, g.id),
        externalId: args.externalId === undefined ? g.externalId : args.externalId === '' ? '' : (optStr(args, 'externalId', { max: 200 }) ?? ''),
      };
      const have = new Set(scimMembers(w, g));
      let add = memberList(args, 'add').filter((m) => !have.has(m));
      let remove = memberList(args, 'remove').filter((m) => have.has(m));
      if (args.members !== undefined) {
        const want = new Set(memberList(args, 'members'));
        add = [...want].filter((m) => !have.has(m));
        remove = [...have].filter((m) => !want.has(m));
      }
      const renamed = row.displayName !== g.displayName || row.externalId !== g.externalId;
      if (renamed) authorize(ctx, 'scim.configure', `institution:${w.institutionId}`);
      const changes = compose(ctx, [() => (renamed ? { changes: [{ table: 'scimGroup', op: 'put', row }] } : undefined), ...membershipSteps(w, g, add, remove)]);
      return { changes, target: `group:${g.id}`, result: { id: g.id } };
    },
  },

  /** Deletes a group: its role is revoked from every member, then the definition goes. */
  'scim.group.delete': {
    fields: ['group', 'version'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const g = groupTarget(w, id(args, 'group'));
      expect(args.version, scimGroupVersion(w, g), `group ${g.id}`);
      authorize(ctx, 'scim.configure', `institution:${w.institutionId}`);
      const changes = compose(ctx, [...membershipSteps(w, g, [], scimMembers(w, g)), () => ({ changes: [{ table: 'scimGroup', op: 'del', row: g }] })]);
      return { changes, target: `group:${g.id}` };
    },
  },
};
