/**
 * role.grant / role.revoke for staff roles (SPEC §3–4). Section, library and collection roles
 * have operations of their own.
 */
import { isSectionRole, isStaffRole, STAFF_ROLES, type StaffRole } from '../../domain/catalog.js';
import { invalid, notFound } from '../../domain/outcome.js';
import type { Change, RoleGrantRow } from '../../domain/rows.js';
import { describeGrant, LISTED_ONLY, normaliseScope, parseScope, type Scope } from '../../policy/index.js';
import type { World } from '../../world/world.js';
import { authorize, type OpContext, type Operation } from '../operation.js';
import { seatRelease } from './license.js';
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
    scopeId: scope.type === 'unit' ? scope.id : scope.type === 'none' && scope.listedOnly ? LISTED_ONLY : '',
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
  },
  'role.revoke': {
    fields: ['user', 'role', 'scope'],
    plan(ctx) {
      const w = ctx.world;
      const { userId, role, scope, rawScope } = read(ctx);
      authorize(ctx, 'role.revoke', `user:${userId}`, { role, ...(rawScope !== undefined ? { scope: rawScope } : {}) });
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
  },
};
