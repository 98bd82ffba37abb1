/**
 * role.grant / role.revoke for staff roles (SPEC §3–4). Section, library and collection roles
 * have operations of their own.
 */
import { isSectionRole, isStaffRole, STAFF_ROLES, type StaffRole } from '../../domain/catalog.js';
import { invalid, notFound } from '../../domain/outcome.js';
import type { Change, CustomRoleGrantRow, RoleGrantRow } from '../../domain/rows.js';
import { customScopeProblem, parseCustomScope } from '../../policy/customRules.js';
import { describeGrant, LISTED_ONLY, normaliseScope, parseScope, type Scope } from '../../policy/index.js';
import type { World } from '../../world/world.js';
import { at, defineOp, find, type Operation } from '../operation.js';
import { seatRelease } from './license.js';
import { type ArgsOf, id, optional, text } from '../validate.js';

const ARGS = { user: id(), role: text(64), scope: optional(text(140)) };

/** A custom role and where it is held (docs/ROLES.md), read from role.grant / role.revoke's arguments. */
interface CustomLoaded {
  userId: string;
  custom: CustomRoleGrantRow;
  all: boolean;
}

/** The user, the staff role and its scope, normalised (SPEC §4); or a custom role and its scope. */
function load({ world: w, args }: { world: World; args: ArgsOf<typeof ARGS> }, revoking = false): { userId: string; role: StaffRole; scope: Scope; custom?: undefined } | CustomLoaded {
  const { role } = args;
  const customRole = isStaffRole(role) ? undefined : w.customRole(role);
  if (customRole) {
    find(w, 'user', args.user);
    // No scope: for a revoke, every grant of it; for a grant, a unit role's home unit.
    if (args.scope === undefined && revoking) {
      return { userId: args.user, custom: { institutionId: w.institutionId, userId: args.user, roleId: role, scopeType: customRole.scopeKind, scopeId: '' }, all: true };
    }
    const scope = args.scope === undefined ? (customRole.scopeKind === 'unit' ? { type: 'unit' as const, id: customRole.unitId } : undefined) : parseCustomScope(w, args.scope);
    if (!scope) throw invalid('scope', args.scope === undefined ? `${customRole.name} is a section role: name the section (section:<id>)` : `'${args.scope}' is not an org unit or a section`, 'format');
    const problem = customScopeProblem(w, customRole, scope);
    if (problem) throw invalid('scope', problem, 'scope');
    const custom: CustomRoleGrantRow = { institutionId: w.institutionId, userId: args.user, roleId: role, scopeType: scope.type, scopeId: scope.id };
    return { userId: args.user, custom, all: args.scope === undefined };
  }
  if (!isStaffRole(role)) {
    if (isSectionRole(role)) throw invalid('role', `${role} is a section role; enroll the user in a section instead (section.enroll)`, 'enum');
    throw invalid('role', `must be one of ${STAFF_ROLES.join(', ')} or a custom role of ${w.institutionId}, not '${role}'`, 'enum');
  }
  let scope: Scope = { type: 'none' };
  if (args.scope !== undefined) {
    const parsed = parseScope(args.scope);
    if (!parsed) throw invalid('scope', `'${args.scope}' is not an org unit or the platform`, 'format');
    if (parsed.type === 'unit') find(w, 'unit', parsed.id, 'scope');
    scope = parsed;
  }
  const n = normaliseScope(w, role, scope);
  if ('error' in n) throw invalid('scope', n.error, 'scope');
  find(w, 'user', args.user);
  return { userId: args.user, role, scope: n.scope };
}

function grantRow(w: World, userId: string, role: StaffRole, scope: Scope): RoleGrantRow {
  return {
    institutionId: w.institutionId,
    userId,
    role,
    scopeType: scope.type,
    scopeId: scope.type === 'unit' ? scope.id : scope.type === 'none' && scope.listedOnly ? LISTED_ONLY : '',
  };
}

const same = (a: RoleGrantRow, b: RoleGrantRow) => a.role === b.role && a.scopeType === b.scopeType && a.scopeId === b.scopeId;

export const roleOps: Record<string, Operation> = {
  'role.grant': defineOp({
    action: 'role.grant',
    args: ARGS,
    load,
    on: at('user', 'user'),
    plan({ world: w, loaded }) {
      if (loaded.custom) {
        const held = w.customGrantsOf(loaded.userId)?.some((g) => g.roleId === loaded.custom.roleId && g.scopeType === loaded.custom.scopeType && g.scopeId === loaded.custom.scopeId);
        return { changes: held ? [] : [{ table: 'customRoleGrant', op: 'put', row: loaded.custom }], target: `user:${loaded.userId}`, result: loaded.custom };
      }
      const { userId, role, scope } = loaded;
      const row = grantRow(w, userId, role, scope);
      const target = `user:${userId}`;
      if (w.grantsOf(userId).some((g) => same(g, row))) return { changes: [], target, result: row };
      const changes: Change[] = [{ table: 'roleGrant', op: 'put', row }];
      if (role === 'admin') {
        // Holding the admin role and having rights at a unit are separate (SPEC §4): one holding row
        // per admin. Listing at a unit brings a holding with rights only where listed, if none yet.
        const holding = w.grantsOf(userId).find((g) => g.role === 'admin' && g.scopeType === 'none');
        if (scope.type === 'none' && holding) changes.unshift({ table: 'roleGrant', op: 'del', row: holding });
        if (scope.type === 'unit' && !holding) changes.push({ table: 'roleGrant', op: 'put', row: grantRow(w, userId, 'admin', { type: 'none', listedOnly: true }) });
      }
      return { changes, target, result: row };
    },
  }),
  'role.revoke': defineOp({
    action: 'role.revoke',
    args: ARGS,
    load: (ctx) => load(ctx, true),
    on: at('user', 'user'),
    plan({ world: w, loaded }) {
      if (loaded.custom) {
        const c = loaded.custom;
        const all = w.customGrantsOf(loaded.userId)?.filter((g) => g.roleId === c.roleId) ?? [];
        const removing = loaded.all ? all : all.filter((g) => g.scopeType === c.scopeType && g.scopeId === c.scopeId);
        if (removing.length === 0) throw notFound('role', `${loaded.userId}'s grant of`, loaded.all ? w.customRole(c.roleId)!.name : `${w.customRole(c.roleId)!.name} at ${c.scopeType} ${c.scopeId}`);
        return { changes: removing.map((row) => ({ table: 'customRoleGrant' as const, op: 'del' as const, row })), target: `user:${loaded.userId}` };
      }
      const { userId, role, scope } = loaded;
      const held = w.grantsOf(userId).filter((g) => g.role === role);
      const target = `user:${userId}`;
      // Revoking a role with no scope takes it away entirely, listed units and all; revoking an
      // admin's listed unit leaves the admin role held (with rights only where still listed).
      const removing = scope.type === 'none' ? held : held.filter((g) => same(g, grantRow(w, userId, role, scope)));
      if (removing.length === 0) {
        throw notFound('role', `${userId}'s grant of`, describeGrant(w, role, scope));
      }
      const changes: Change[] = removing.map((row) => ({ table: 'roleGrant' as const, op: 'del' as const, row }));
      // Revoking the academic-staff role frees the user's license seats (SPEC §5) once none is left.
      if (role === 'academic_staff' && removing.length === held.length) changes.push(...seatRelease(w, userId));
      return { changes, target };
    },
  }),
};
