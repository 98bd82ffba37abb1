/**
 * Granting and revoking staff roles (SPEC §3 "No escalation", §4).
 * An actor may grant or revoke a role only at a scope within one where they are admin; never
 * system_admin unless they are one; license_manager only as an admin of the root; a default admin
 * with no listed unit only as an admin of the root (it is institution-level whenever delegated
 * administration is off). Nobody changes the roles of a user who holds a role above theirs; changing
 * the account itself needs the stronger reach rule (every staff role within the actor's rights).
 */
import { ROLE_LABEL, type StaffRole } from '../domain/catalog.js';
import { allow, because, type Decision, deny } from '../domain/outcome.js';
import type { World } from '../world/world.js';
import { labelOf } from '../domain/labels.js';
import { type Actor, describeGrant, describeScope, scopeOf, type Scope } from './actor.js';

/** May `actor` grant (or revoke) `role` at `scope`? */
export function mayGrant(actor: Actor, role: StaffRole, scope: Scope): Decision {
  const w = actor.world;
  const what = describeGrant(w, role, scope);
  if (actor.isSystem) return allow(because`Lectern may load ${what}`);
  if (!actor.active) return deny(because`${actor.name} is not an active user of ${w.institutionId}`);
  if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
  if (role === 'system_admin') return deny(because`only a system admin grants or revokes system admin; ${actor.name} is not one`);
  if (role === 'license_manager' || (role === 'admin' && scope.type === 'none')) {
    const why =
      role === 'license_manager'
        ? 'license manager is granted only by an admin of the institution root'
        : 'an admin with no listed unit is institution-level while delegated administration is off, so only an admin of the root grants it';
    return actor.isInstitutionAdmin ? allow(because`${actor.name} is admin of the institution root`) : deny(because`${why}; ${actor.name} is not`);
  }
  if (scope.type === 'unit') {
    const over = actor.adminUnitOver(scope.id);
    if (over !== undefined) return allow(because`${actor.name} is admin of ${describeScope(w, { type: 'unit', id: over })}, which contains ${describeScope(w, scope)}`);
    return deny(
      actor.isAnyAdmin
        ? because`${actor.name} has admin rights only at ${actor.adminUnits.map((u) => w.tree.name(u)).join(', ')}, which do not contain ${describeScope(w, scope)}`
        : because`${actor.name} has no admin rights in ${w.institutionId}`,
    );
  }
  // A role with no listed unit that grants nothing by itself (a scheduler with no units).
  return actor.isAnyAdmin ? allow(because`${actor.name} is an admin and ${what} reaches nothing`) : deny(because`${actor.name} has no admin rights in ${w.institutionId}`);
}

/**
 * Is a grant above the actor's own (SPEC §3)? System admin, unless the actor is one; admin rights
 * at a unit the actor does not administer (a default admin with no listed unit counts as the
 * root); license manager, unless the actor is an admin of the root. Scheduler, AV technician and
 * academic staff are below any admin, wherever they sit.
 */
function above(actor: Actor, role: StaffRole, scope: Scope): boolean {
  if (role === 'system_admin') return true;
  if (role === 'license_manager') return !actor.isInstitutionAdmin;
  if (role !== 'admin') return false;
  if (scope.type === 'unit') return actor.adminUnitOver(scope.id) === undefined;
  return scope.type === 'none' && !scope.listedOnly && !actor.isInstitutionAdmin;
}

/**
 * May `actor` change the roles of `targetId` (SPEC §3 "No escalation")? Any admin may, within the
 * scopes `mayGrant` allows, unless the target holds a role above the actor's.
 */
export function mayTouchUser(actor: Actor, targetId: string): Decision {
  const w = actor.world;
  if (actor.isSystem) return allow('Lectern may load users');
  if (!actor.active) return deny(because`${actor.name} is not an active user of ${w.institutionId}`);
  if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
  if (!actor.isAnyAdmin) return deny(because`${actor.name} has no admin rights in ${w.institutionId}`);
  if (actor.principal.kind === 'user' && actor.principal.userId === targetId) return allow(because`${actor.name} is acting on their own account`);
  for (const g of w.grantsOf(targetId)) {
    const s = scopeOf(g);
    if (above(actor, g.role, s)) {
      return deny(because`${targetId} holds ${describeGrant(w, g.role, s)}, a role above ${actor.name}'s`, because`${actor.name} has admin rights only at ${actor.adminUnits.map((u) => w.tree.name(u)).join(', ')}`);
    }
  }
  return allow(because`${actor.name} is an admin, and users are outside the hierarchy`, because`${targetId} holds no role above ${actor.name}'s`);
}

/**
 * Is a staff grant at a scope within the actor's admin rights (SPEC §3 "Reach over an account")?
 * A grant at a unit is within when the actor administers that unit or one above it; license
 * manager sits at the root, so only an admin of the root reaches it. A default admin with no
 * listed unit is institution-level whenever delegated administration is off, so it counts as the
 * root, DA or not. A role with no listed unit that reaches nothing by itself — a scheduler with no
 * units, the holding row of an admin whose rights are only where listed — is within any admin's
 * reach: any admin may grant or revoke it, so refusing here would only send the admin the long way
 * round. System admin (the platform) is within no institution admin's rights.
 */
export function grantWithinRights(actor: Actor, role: StaffRole, scope: Scope): boolean {
  if (actor.isSystemAdmin) return true;
  if (role === 'system_admin' || scope.type === 'platform') return false;
  if (scope.type === 'unit') return actor.adminUnitOver(scope.id) !== undefined;
  if (role === 'admin' && !scope.listedOnly) return actor.isInstitutionAdmin;
  return true;
}

/**
 * May `actor` change `targetId`'s account — details, email, username, a temporary password,
 * deactivate, reactivate, delete (SPEC §3 "Reach over an account")? Changing an account is taking
 * over what it can do, so only when every staff role the target holds is at a scope within the
 * actor's admin rights. A user with no staff role is within any admin's reach; one's own account
 * is always within reach.
 */
export function mayReachUser(actor: Actor, targetId: string): Decision {
  const w = actor.world;
  if (actor.isSystem) return allow('Lectern may load users');
  if (!actor.active) return deny(because`${actor.name} is not an active user of ${w.institutionId}`);
  if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
  if (actor.principal.kind === 'user' && actor.principal.userId === targetId && actor.isAnyAdmin) return allow(because`${actor.name} is acting on their own account`);
  if (!actor.isAnyAdmin) return deny(because`${actor.name} has no admin rights in ${w.institutionId}`);
  const grants = w.grantsOf(targetId);
  for (const g of grants) {
    const s = scopeOf(g);
    if (!grantWithinRights(actor, g.role, s)) {
      return deny(
        because`${targetId} holds ${describeGrant(w, g.role, s)}, which is outside ${actor.name}'s admin rights`,
        because`${actor.name} has admin rights only at ${actor.adminUnits.map((u) => describeScope(w, { type: 'unit', id: u })).join(', ')}; changing an account takes over what it can do`,
      );
    }
  }
  return grants.length === 0
    ? allow(because`${actor.name} is an admin, and ${targetId} holds no staff role`)
    : allow(because`${actor.name} is an admin, and every staff role ${targetId} holds is within ${actor.name}'s admin rights`);
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
  const label = labelOf(role, ROLE_LABEL[role], w.roleLabels());
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
  // An admin created while DA is on has rights only where listed, then and later.
  if (role === 'admin') return { scope: w.institution.delegatedAdministration ? { type: 'none', listedOnly: true } : { type: 'none' } };
  if (role === 'scheduler') return { scope: { type: 'none' } };
  return { scope: { type: 'unit', id: w.rootId } };
}

/** Staff = holds at least one institution/org-scope or platform role (SPEC §2). */
export function isStaff(w: World, userId: string): boolean {
  return w.grantsOf(userId).length > 0;
}
