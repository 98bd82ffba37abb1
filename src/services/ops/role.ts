/**
 * role.grant / role.revoke for staff roles (SPEC §3–4). Section, library and collection roles
 * have operations of their own.
 */
import { isSectionRole, isStaffRole, ROLE_LABEL, STAFF_ROLES, type StaffRole } from '../../domain/catalog.js';
import { conflict, invalid, notFound } from '../../domain/outcome.js';
import type { RoleGrantRow } from '../../domain/rows.js';
import { describeGrant, normaliseScope, parseScope, type Scope } from '../../policy/index.js';
import type { World } from '../../world/world.js';
import { authorize, type OpContext, type Operation } from '../operation.js';
import { id, only, str } from '../validate.js';

function read(ctx: OpContext): { userId: string; role: StaffRole; scope: Scope; rawScope: string | undefined } {
  const { world: w, args } = ctx;
  only(ctx.args, ['user', 'role', 'scope']);
  const userId = id(args, 'user');
  const role = str(args, 'role', { max: 64 });
  if (!isStaffRole(role)) {
    if (isSectionRole(role)) throw invalid('role', `${role} is a section role; enroll the user in a section instead (section.enroll)`, 'enum');
    throw invalid('role', `must be one of ${STAFF_ROLES.join(', ')}, not '${role}'`, 'enum');
  }
  const rawScope = args.scope === undefined || args.scope === null ? undefined : str(args, 'scope', { max: 140 });
  let scope: Scope = { type: 'none' };
  if (rawScope !== undefined) {
    const parsed = parseScope(rawScope);
    if (!parsed) throw invalid('scope', `'${rawScope}' is not an org unit or the platform`, 'format');
    if (parsed.type === 'unit' && !w.tree.units.has(parsed.id)) throw notFound('scope', 'unit', parsed.id);
    scope = parsed;
  }
  const n = normaliseScope(w, role, scope);
  if ('error' in n) throw invalid('scope', n.error, 'scope');
  if (!w.user(userId)) throw notFound('user', 'user', userId);
  return { userId, role, scope: n.scope, rawScope };
}

function grantRow(w: World, userId: string, role: StaffRole, scope: Scope): RoleGrantRow {
  return {
    institutionId: w.institutionId,
    userId,
    role,
    scopeType: scope.type,
    scopeId: scope.type === 'unit' ? scope.id : '',
  };
}

const same = (a: RoleGrantRow, b: RoleGrantRow) => a.role === b.role && a.scopeType === b.scopeType && a.scopeId === b.scopeId;

export const roleOps: Record<string, Operation> = {
  'role.grant': {
    fields: ['user', 'role', 'scope'],
    plan(ctx) {
      const w = ctx.world;
      const { userId, role, scope, rawScope } = read(ctx);
      authorize(ctx, 'role.grant', `user:${userId}`, { role, ...(rawScope !== undefined ? { scope: rawScope } : {}) });
      const row = grantRow(w, userId, role, scope);
      const target = `user:${userId}`;
      if (w.grantsOf(userId).some((g) => same(g, row))) return { changes: [], target, result: row };
      return { changes: [{ table: 'roleGrant', op: 'put', row }], target, result: row };
    },
  },
  'role.revoke': {
    fields: ['user', 'role', 'scope'],
    plan(ctx) {
      const w = ctx.world;
      const { userId, role, scope, rawScope } = read(ctx);
      authorize(ctx, 'role.revoke', `user:${userId}`, { role, ...(rawScope !== undefined ? { scope: rawScope } : {}) });
      const held = w.grantsOf(userId).filter((g) => g.role === role);
      const target = `user:${userId}`;
      // Revoking admin (or scheduler) with no scope takes the role away entirely, listed units and all.
      const removing = scope.type === 'none' ? held : held.filter((g) => same(g, grantRow(w, userId, role, scope)));
      if (removing.length === 0) {
        throw notFound('role', `${userId}'s grant of`, describeGrant(w, role, scope));
      }
      if (role === 'admin' && scope.type === 'unit' && !w.institution.delegatedAdministration) {
        const listedLeft = held.filter((g) => g.scopeType === 'unit' && !removing.includes(g));
        if (listedLeft.length === 0) {
          throw conflict(
            'wouldPromote',
            `removing ${userId}'s last listed unit while delegated administration is off would make them an institution-level admin; revoke the ${ROLE_LABEL.admin} role instead`,
            'scope',
          );
        }
      }
      return { changes: removing.map((row) => ({ table: 'roleGrant' as const, op: 'del' as const, row })), target };
    },
  },
};
