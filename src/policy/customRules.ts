/**
 * The rules of custom roles and role names (docs/ROLES.md): reading the roles, defining, changing
 * and deleting a custom role, granting one, and renaming roles for display. The model itself (what
 * a capability gives, what an actor holds) is policy/custom.ts.
 */
import { type Capability, readCapability } from '../domain/capability.js';
import { allow, because, type Decision, deny, parseResource } from '../domain/outcome.js';
import type { CustomRoleRow } from '../domain/rows.js';
import type { World } from '../world/world.js';
import { type CustomScope, decideCustomGrant, decideDefine, decideDelete, decideUpdate } from './custom.js';
import { isImplemented } from './index.js';
import { rootAdminOnly } from './institution.js';
import type { Query, RuleTable } from './types.js';

/** The capabilities a check names in its context, or why they are not capabilities. */
export function capabilitiesOf(raw: unknown): Capability[] | string {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return 'capabilities must be a list';
  const out: Capability[] = [];
  for (const x of raw) {
    const c = readCapability(x);
    if (typeof c === 'string') return c;
    out.push(c);
  }
  return out;
}

/** The home unit a check on a role names: `unit:x`, or the institution (its root). */
function homeUnit(q: Query): string | undefined {
  const { world: w, resource } = q;
  if (resource.type === 'unit') return resource.id;
  if (resource.type === 'institution' && resource.id === w.institutionId) return w.rootId;
  return undefined;
}

const implemented = (a: string) => isImplemented(a);

function define(q: Query): Decision {
  const unit = homeUnit(q);
  if (unit === undefined) return deny(because`custom roles are defined at an org unit (unit:<id>) or the institution, not ${q.resource.type}:${q.resource.id}`);
  const caps = capabilitiesOf(q.context.capabilities);
  if (typeof caps === 'string') return deny(because`capabilities: ${caps}`);
  return decideDefine(q.actor, unit, caps, implemented);
}

function roleNamed(q: Query): CustomRoleRow | Decision {
  const id = q.context.role;
  if (typeof id !== 'string') return deny('which role? the context names no role');
  const r = q.world.customRole(id);
  if (!r) return deny(because`'${id}' is not a custom role of ${q.world.institutionId}`);
  return r;
}

function update(q: Query): Decision {
  const r = roleNamed(q);
  if ('allow' in r) return r;
  let caps: Capability[] | undefined;
  if (q.context.capabilities !== undefined) {
    const c = capabilitiesOf(q.context.capabilities);
    if (typeof c === 'string') return deny(because`capabilities: ${c}`);
    caps = c;
  }
  return decideUpdate(q.actor, r, caps, implemented);
}

function remove(q: Query): Decision {
  const r = roleNamed(q);
  return 'allow' in r ? r : decideDelete(q.actor, r);
}

/** Reading what each role does: any admin of the institution (and system admins). */
function view(q: Query): Decision {
  const { actor, world: w } = q;
  if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
  return actor.isAnyAdmin ? allow(because`${actor.name} is an admin in ${w.institutionId}, and admins read what each role does`) : deny(because`the roles of ${w.institutionId} are read by its admins; ${actor.name} has no admin rights`);
}

/** A custom scope as callers write it: `section:<id>` for a section, else an org unit (bare id, `unit:x`, `institution:x`). */
export function parseCustomScope(w: World, raw: string): CustomScope | undefined {
  const ref = parseResource(raw);
  if (ref?.type === 'section') return { type: 'section', id: ref.id };
  if (!ref) return raw ? { type: 'unit', id: raw } : undefined;
  if (ref.type === 'unit') return { type: 'unit', id: ref.id };
  if (ref.type === 'institution' && ref.id === w.institutionId) return { type: 'unit', id: w.rootId };
  return undefined;
}

/** Why a custom role cannot be held at `scope`, or undefined. */
export function customScopeProblem(w: World, role: CustomRoleRow, scope: CustomScope): string | undefined {
  if (scope.type !== role.scopeKind) return role.scopeKind === 'section' ? `${role.name} is a section role: grant it at a section (section:<id>)` : `${role.name} is granted at an org unit, not a section`;
  const unit = scope.type === 'unit' ? (w.tree.units.has(scope.id) ? scope.id : undefined) : w.sectionUnit(scope.id);
  if (unit === undefined) return `${scope.type} '${scope.id}' does not exist in ${w.institutionId}`;
  if (!w.tree.within(unit, role.unitId)) return `${role.name} is defined at ${w.tree.name(role.unitId)} and is granted only within it`;
  return undefined;
}

/** role.grant / role.revoke of a custom role (called from the role rules when the role is one). */
export function customRoleGrant(q: Query, target: string, role: CustomRoleRow): Decision {
  const { world: w, actor, context } = q;
  const raw = typeof context.scope === 'string' ? context.scope : q.resource.type === 'unit' || q.resource.type === 'section' ? `${q.resource.type}:${q.resource.id}` : undefined;
  if (raw === undefined) {
    if (q.action === 'role.revoke') {
      // No scope on a revoke: every grant of the role to the user, each one the actor could make.
      const held = w.customGrantsOf(target)?.filter((g) => g.roleId === role.id) ?? [];
      let last: Decision | undefined;
      for (const g of held) {
        last = decideCustomGrant(actor, target, role, { type: g.scopeType, id: g.scopeId }, implemented);
        if (!last.allow) return last;
      }
      if (last) return last;
    }
    if (role.scopeKind === 'section') return deny(because`${role.name} is a section role; which section? the context names no scope`);
    return decideCustomGrant(actor, target, role, { type: 'unit', id: role.unitId }, implemented);
  }
  const scope = parseCustomScope(w, raw);
  if (!scope) return deny(because`scope '${raw}' is not an org unit or a section`);
  const problem = customScopeProblem(w, role, scope);
  if (problem) return deny(problem);
  return decideCustomGrant(actor, target, role, scope, implemented);
}

export const customRoleRules: RuleTable = {
  'role.view': view,
  'role.define': define,
  'role.update': update,
  'role.delete': remove,
  'institution.renameRoles': rootAdminOnly('roles are renamed only'),
};
