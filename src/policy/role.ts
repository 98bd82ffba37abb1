/**
 * Granting and revoking staff roles (SPEC §3 "No escalation", §4).
 * An actor may grant or revoke a role only at a scope within one where they are admin; never
 * system_admin unless they are one; license_manager only as an admin of the root; an admin with
 * no listed unit only as an admin of the root (it is institution-level whenever delegated
 * administration is off). Nobody touches a user who holds a role they could not grant.
 */
import { ROLE_LABEL, type StaffRole } from '../domain/catalog.js';
import { allow, deny, type Decision } from '../domain/outcome.js';
import type { World } from '../world/world.js';
import { type Actor, describeGrant, describeScope, scopeOf, type Scope } from './actor.js';

/** May `actor` grant (or revoke) `role` at `scope`? */
export function mayGrant(actor: Actor, role: StaffRole, scope: Scope): Decision {
  const w = actor.world;
  const what = describeGrant(w, role, scope);
  if (actor.isSystem) return allow(`Lectern may load ${what}`);
  if (!actor.active) return deny(`${actor.name} is not an active user of ${w.institutionId}`);
  if (actor.isSystemAdmin) return allow(`${actor.name} is a system admin`);
  if (role === 'system_admin') return deny(`only a system admin grants or revokes system admin; ${actor.name} is not one`);
  if (role === 'license_manager' || (role === 'admin' && scope.type === 'none')) {
    const why =
      role === 'license_manager'
        ? 'license manager is granted only by an admin of the institution root'
        : 'an admin with no listed unit is institution-level while delegated administration is off, so only an admin of the root grants it';
    return actor.isInstitutionAdmin ? allow(`${actor.name} is admin of the institution root`) : deny(`${why}; ${actor.name} is not`);
  }
  if (scope.type === 'unit') {
    const over = actor.adminUnitOver(scope.id);
    if (over !== undefined) return allow(`${actor.name} is admin of ${describeScope(w, { type: 'unit', id: over })}, which contains ${describeScope(w, scope)}`);
    return deny(
      actor.isAnyAdmin
        ? `${actor.name} has admin rights only at ${actor.adminUnits.map((u) => w.tree.name(u)).join(', ')}, which do not contain ${describeScope(w, scope)}`
        : `${actor.name} has no admin rights in ${w.institutionId}`,
    );
  }
  // A role with no listed unit that grants nothing by itself (a scheduler with no units).
  return actor.isAnyAdmin ? allow(`${actor.name} is an admin and ${what} reaches nothing`) : deny(`${actor.name} has no admin rights in ${w.institutionId}`);
}

/**
 * May `actor` modify, deactivate or delete `targetId` (or change their roles)? Not when the target
 * holds a staff role the actor could not grant — a role above the actor's (SPEC §3).
 */
export function mayTouchUser(actor: Actor, targetId: string): Decision {
  const w = actor.world;
  if (actor.isSystem) return allow('Lectern may load users');
  if (!actor.active) return deny(`${actor.name} is not an active user of ${w.institutionId}`);
  if (actor.isSystemAdmin) return allow(`${actor.name} is a system admin`);
  if (!actor.isAnyAdmin) return deny(`${actor.name} has no admin rights in ${w.institutionId}`);
  if (actor.principal.kind === 'user' && actor.principal.userId === targetId) return allow(`${actor.name} is acting on their own account`);
  for (const g of w.grantsOf(targetId)) {
    const d = mayGrant(actor, g.role, scopeOf(g));
    if (!d.allow) {
      return deny(`${targetId} holds ${describeGrant(w, g.role, scopeOf(g))}, above what ${actor.name} may grant`, ...d.reasons);
    }
  }
  return allow(`${actor.name} is an admin, and users are outside the hierarchy`, `${targetId} holds no role above ${actor.name}'s`);
}

/** The decision for role.grant / role.revoke: the scope rule and the target rule together. */
export function decideRoleChange(actor: Actor, targetId: string, role: StaffRole, scope: Scope): Decision {
  const g = mayGrant(actor, role, scope);
  if (!g.allow) return g;
  const t = mayTouchUser(actor, targetId);
  if (!t.allow) return t;
  return allow(...g.reasons, ...t.reasons.slice(0, 1));
}

/**
 * Where a grant of `role` lands when the caller names `scope` (or none): normalises callers'
 * spellings into the stored scope, or says why it cannot be granted there.
 */
export function normaliseScope(w: World, role: StaffRole, scope: Scope): { scope: Scope } | { error: string } {
  const label = ROLE_LABEL[role];
  if (role === 'system_admin') {
    return scope.type === 'unit' ? { error: `${label} is a platform role and takes no unit` } : { scope: { type: 'platform' } };
  }
  if (scope.type === 'platform') return { error: `${label} is not a platform role` };
  if (role === 'license_manager') {
    if (scope.type === 'unit' && scope.id !== w.rootId) return { error: `${label} is granted only at the institution root (${w.rootId})` };
    return { scope: { type: 'unit', id: w.rootId } };
  }
  if (scope.type === 'unit') return { scope };
  // No scope: admin and scheduler keep "no listed unit" (SPEC §4); the others mean the whole institution.
  if (role === 'admin' || role === 'scheduler') return { scope: { type: 'none' } };
  return { scope: { type: 'unit', id: w.rootId } };
}

/** Staff = holds at least one institution/org-scope or platform role (SPEC §2). */
export function isStaff(w: World, userId: string): boolean {
  return w.grantsOf(userId).length > 0;
}
