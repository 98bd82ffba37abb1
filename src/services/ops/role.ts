/**
 * role.grant / role.revoke for staff roles (SPEC §3–4). Section, library and collection roles
 * have operations of their own.
 */
import { isSectionRole, isStaffRole, STAFF_ROLES, type StaffRole } from '../../domain/catalog.js';
import { invalid, notFound } from '../../domain/outcome.js';
import type { Change, RoleGrantRow } from '../../domain/rows.js';
import { describeGrant, LISTED_ONLY, normaliseScope, parseScope, type Scope } from '../../policy/index.js';
import type { World } from '../../world/world.js';
import { at, defineOp, find, type Operation } from '../operation.js';
import { seatRelease } from './license.js';
import { type ArgsOf, id, optional, text } from '../validate.js';

const ARGS = { user: id(), role: text(64), scope: optional(text(140)) };

/** The user, the staff role and its scope, normalised (SPEC §4). */
function load({ world: w, args }: { world: World; args: ArgsOf<typeof ARGS> }): { userId: string; role: StaffRole; scope: Scope } {
  const { role } = args;
  if (!isStaffRole(role)) {
    if (isSectionRole(role)) throw invalid('role', `${role} is a section role; enroll the user in a section instead (section.enroll)`, 'enum');
    throw invalid('role', `must be one of ${STAFF_ROLES.join(', ')}, not '${role}'`, 'enum');
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
    plan({ world: w, loaded: { userId, role, scope } }) {
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
    load,
    on: at('user', 'user'),
    plan({ world: w, loaded: { userId, role, scope } }) {
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
