/**
 * Custom roles (docs/ROLES.md, issue 21). A custom role is a set of capabilities — actions of the
 * catalogue, optionally narrowed by context values — granted at an org unit (and below) or at one
 * section. What a capability gives is defined by the rules already here, not by new ones: a holder
 * of action A at unit U may do, for A alone, what an admin of U with no other connection to the
 * institution may do (its owner, enrollments and memberships do not come along). At a section S it
 * is the same, limited to S and what belongs to it (its classes, schedules, media published there).
 * Locks and state rules bind a holder exactly as they bind that admin.
 *
 * No escalation, by construction: a role is defined, changed or granted only with capabilities the
 * actor holds at that scope — as an admin over it (an admin of U' holds at U everything an admin of
 * U has, U within U'), a system admin, or a holder of a custom role carrying the capability at the
 * scope or above. Some actions are never in a custom role at all (`NEVER`).
 */
import type { Action } from '../domain/catalog.js';
import { type Capability, covers, formatCapability, narrowMatches } from '../domain/capability.js';
import { allow, because, type Decision, deny, type ResourceRef } from '../domain/outcome.js';
import type { CustomRoleGrantRow, CustomRoleRow } from '../domain/rows.js';
import type { World } from '../world/world.js';
import { Actor, type Principal } from './actor.js';
import { mayTouchUser } from './role.js';
import type { Query, Rule } from './types.js';

/** Where a custom role is held: an org unit (and below) or one section. */
export interface CustomScope {
  type: 'unit' | 'section';
  id: string;
}

/** Why an action can never be in a custom role, or undefined when it may be. */
export function neverInCustomRole(c: Capability): string | undefined {
  const a = c.action;
  if (a.startsWith('platform.')) return `${a} belongs to the platform's system admins and is never in a custom role`;
  if (a === 'institution.create') return 'institution.create belongs to the platform and is never in a custom role';
  if (a === 'role.define' || a === 'role.update' || a === 'role.delete') return `${a} stays with the institution's admins: a custom role never defines or changes roles`;
  if (a === 'role.grant' && c.narrow?.role === 'system_admin') return 'granting system admin is never in a custom role';
  if (a === 'role.revoke' && c.narrow?.role === 'system_admin') return 'revoking system admin is never in a custom role';
  return undefined;
}

export function describeCustomScope(w: World, s: CustomScope): string {
  if (s.type === 'section') return `section ${s.id}`;
  return s.id === w.rootId ? `the institution (${w.tree.name(s.id)})` : `unit ${w.tree.name(s.id)}`;
}

/** The org unit a custom scope sits in (a section's unit), if it exists. */
export function unitOfScope(w: World, s: CustomScope): string | undefined {
  if (s.type === 'unit') return w.tree.units.has(s.id) ? s.id : undefined;
  return w.sectionUnit(s.id);
}

/**
 * The admin of one unit that a capability stands for: no user, no grants, no enrollments, no
 * memberships — only admin rights at `unit`. Rules read it as they read any actor.
 */
class CapabilityActor extends Actor {
  constructor(
    world: World,
    private readonly holder: Actor,
    private readonly unit: string,
    private readonly roleName: string,
  ) {
    super(world, { kind: 'user', institutionId: world.institutionId, userId: '\u0000capability', systemAdmin: false } satisfies Principal);
  }
  override get name(): string {
    return `${this.holder.name} (as ${this.roleName})`;
  }
  override get active(): boolean {
    return true;
  }
  override get adminUnits(): string[] {
    return [this.unit];
  }
}

/** Does `ref` belong to section `sectionId` (the section, its classes and schedules, media published there)? */
function inSection(w: World, ref: ResourceRef, sectionId: string): boolean {
  switch (ref.type) {
    case 'section':
      return ref.id === sectionId;
    case 'class':
      return w.class(ref.id)?.sectionId === sectionId;
    case 'schedule':
      return w.schedule(ref.id)?.sectionId === sectionId;
    case 'media':
      return w.sectionsOfMedia(ref.id).includes(sectionId);
    default:
      return false;
  }
}

const scopeOfGrant = (g: CustomRoleGrantRow): CustomScope => ({ type: g.scopeType, id: g.scopeId });

/**
 * What the actor's custom roles give for this check: an allow with the role that gives it, the
 * conflict that binds the admin it stands for (a lock), or undefined when no role carries it.
 * Grants of custom roles are never decided here: `decideCustomGrant` asks what the actor holds.
 */
export function viaCustomRoles(q: Query, rule: Rule): Decision | undefined {
  const { world: w, actor, action, resource, context } = q;
  if (actor.principal.kind !== 'user' || actor.foreign) return undefined;
  const grants = w.customGrantsOf(actor.principal.userId);
  if (!grants) return undefined;
  if ((action === 'role.grant' || action === 'role.revoke') && typeof context.role === 'string' && w.customRole(context.role)) return undefined;
  let conflict: Decision | undefined;
  for (const g of grants) {
    const cap = w.capabilitiesOf(g.roleId).find((c) => c.action === action && narrowMatches(c, context));
    if (!cap) continue;
    if (g.scopeType === 'section' && !inSection(w, resource, g.scopeId)) continue;
    const unit = unitOfScope(w, scopeOfGrant(g));
    const role = w.customRole(g.roleId);
    if (unit === undefined || !role) continue;
    const d = rule({ ...q, actor: new CapabilityActor(w, actor, unit, role.name) });
    const where = describeCustomScope(w, scopeOfGrant(g));
    if (d.allow) {
      return allow(
        because`${actor.name} holds the custom role ${role.name} at ${where}, which carries ${formatCapability(cap)}`,
        g.scopeType === 'unit' ? because`for ${action} it gives what an admin of ${w.tree.name(unit)} may do` : because`for ${action} it gives, within section ${g.scopeId}, what an admin of ${w.tree.name(unit)} may do`,
      );
    }
    if (d.conflict) conflict ??= { ...d, reasons: [because`${actor.name} holds the custom role ${role.name} at ${where}, which carries ${formatCapability(cap)}`, ...d.reasons] };
  }
  return conflict;
}

/**
 * Does the actor hold `cap` at `scope`, and why: a system admin; an admin over the scope's unit;
 * or a custom role carrying it (as broadly) at a unit containing the scope, or at the same section.
 */
export function holdsAt(actor: Actor, cap: Capability, scope: CustomScope): { why: string } | undefined {
  const w = actor.world;
  if (actor instanceof CapabilityActor) return undefined;
  if (actor.isSystemAdmin) return { why: because`${actor.name} is a system admin` };
  const unit = unitOfScope(w, scope);
  if (unit === undefined) return undefined;
  const over = actor.adminUnitOver(unit);
  if (over !== undefined) return { why: because`${actor.name} is admin of ${w.tree.name(over)}, which contains ${describeCustomScope(w, scope)}` };
  if (actor.principal.kind !== 'user' || actor.foreign) return undefined;
  for (const g of w.customGrantsOf(actor.principal.userId) ?? []) {
    const fits = g.scopeType === 'unit' ? w.tree.within(unit, g.scopeId) : scope.type === 'section' && g.scopeId === scope.id;
    if (!fits) continue;
    if (w.capabilitiesOf(g.roleId).some((h) => covers(h, cap))) {
      return { why: because`${actor.name} holds the custom role ${w.customRole(g.roleId)?.name ?? g.roleId} at ${describeCustomScope(w, scopeOfGrant(g))}, which carries ${formatCapability(cap)}` };
    }
  }
  return undefined;
}

/**
 * The first capability of `caps` that is never in a custom role or that the actor does not hold at
 * `scope`, in words (a non-empty marker when reasons are not being built).
 */
function capabilitiesProblem(actor: Actor, caps: readonly Capability[], scope: CustomScope, implemented: (a: Action) => boolean): string | undefined {
  const w = actor.world;
  for (const c of caps) {
    const never = neverInCustomRole(c);
    if (never) return never;
    if (!implemented(c.action)) return because`${c.action} is not implemented yet, so no role carries it` || 'refused';
    if (!holdsAt(actor, c, scope)) return because`${actor.name} does not hold ${formatCapability(c)} at ${describeCustomScope(w, scope)}, so cannot give it` || 'refused';
  }
  return undefined;
}

/** Admin rights over a custom role's home unit: defining, changing and deleting it. */
function adminOverHome(actor: Actor, unit: string): Decision {
  const w = actor.world;
  if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
  if (!w.tree.units.has(unit)) return deny(because`unit '${unit}' does not exist in ${w.institutionId}`);
  const over = actor.adminUnitOver(unit);
  if (over !== undefined) return allow(because`${actor.name} is admin of ${w.tree.name(over)}, which contains ${describeCustomScope(w, { type: 'unit', id: unit })}`);
  return deny(
    actor.isAnyAdmin
      ? because`custom roles at ${describeCustomScope(w, { type: 'unit', id: unit })} are defined by its admins; ${actor.name} has admin rights only at ${actor.adminUnits.map((u) => w.tree.name(u)).join(', ')}`
      : because`custom roles are defined by admins; ${actor.name} has no admin rights in ${w.institutionId}`,
  );
}

/** role.define: an admin over the home unit, with capabilities they hold there, none of them barred. */
export function decideDefine(actor: Actor, unit: string, caps: readonly Capability[], implemented: (a: Action) => boolean): Decision {
  const a = adminOverHome(actor, unit);
  if (!a.allow) return a;
  const p = capabilitiesProblem(actor, caps, { type: 'unit', id: unit }, implemented);
  return p ? deny(p) : allow(...a.reasons, because`${actor.name} holds every capability of the role at ${describeCustomScope(actor.world, { type: 'unit', id: unit })}`);
}

/**
 * role.update: as role.define for the new capabilities, and no current holder may gain a
 * capability the changer could not grant where that holder holds the role.
 */
export function decideUpdate(actor: Actor, role: CustomRoleRow, caps: readonly Capability[] | undefined, implemented: (a: Action) => boolean): Decision {
  const d = decideDefine(actor, role.unitId, caps ?? [], implemented);
  if (!d.allow || !caps) return d;
  const w = actor.world;
  const before = w.capabilitiesOf(role.id);
  const gained = caps.filter((c) => !before.some((b) => covers(b, c)));
  for (const g of w.holdersOf(role.id)) {
    for (const c of gained) {
      if (!holdsAt(actor, c, scopeOfGrant(g))) {
        return deny(
          because`${g.userId} holds ${role.name} at ${describeCustomScope(w, scopeOfGrant(g))} and would gain ${formatCapability(c)}`,
          because`${actor.name} could not grant ${formatCapability(c)} there`,
        );
      }
    }
  }
  return gained.length === 0 ? d : allow(...d.reasons, because`every current holder's gain (${gained.map(formatCapability).join(', ')}) is one ${actor.name} could grant`);
}

export function decideDelete(actor: Actor, role: CustomRoleRow): Decision {
  return adminOverHome(actor, role.unitId);
}

/**
 * role.grant / role.revoke of a custom role at `scope`: the actor may grant there (admin over it,
 * or a custom role carrying role.grant for this role there), holds every capability of the role
 * there, and may change the target's roles.
 */
export function decideCustomGrant(actor: Actor, targetId: string, role: CustomRoleRow, scope: CustomScope, implemented: (a: Action) => boolean): Decision {
  const w = actor.world;
  const where = describeCustomScope(w, scope);
  if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
  const may = holdsAt(actor, { action: 'role.grant', narrow: { role: role.id } }, scope);
  if (!may) return deny(because`${actor.name} may not grant roles at ${where}: they neither administer it nor hold a role that grants ${role.name} there`);
  const p = capabilitiesProblem(actor, w.capabilitiesOf(role.id), scope, implemented);
  if (p) return deny(p);
  let target: Decision;
  if (actor.isAnyAdmin) target = mayTouchUser(actor, targetId);
  else {
    // A holder who grants through a custom role has no admin rights: they touch only users with no staff role.
    const staff = w.grantsOf(targetId)[0];
    target = staff ? deny(because`${targetId} holds a staff role (${staff.role}); only an admin changes their roles`) : allow(because`${targetId} holds no staff role`);
  }
  if (!target.allow) return target;
  return allow(may.why, because`${actor.name} holds every capability of ${role.name} at ${where}`);
}
