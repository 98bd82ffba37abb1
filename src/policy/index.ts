/**
 * policy/: every rule of Lectern, and nothing else. `decide` answers "may this principal do this
 * action on this resource?" with the reasons, reading only the world. One module per resource
 * type, each a table from action to rule; this file puts them together.
 */
import { type Action, isAction, isStaffRole, RESOURCE_TYPES, type ResourceType } from '../domain/catalog.js';
import { because, type Decision, deny, isExplaining, setExplaining, parseResource, type ResourceRef } from '../domain/outcome.js';
import type { World } from '../world/world.js';
import { Actor, LISTED_ONLY, type Principal, type Scope, scopeOf } from './actor.js';
import { institutionRules } from './institution.js';
import { decideRoleChange, mayTouchUser as decideRoleChangeTarget, normaliseScope } from './role.js';
import type { Query, Rule, RuleTable } from './types.js';
import { unitRules } from './unit.js';
import { mediaRules } from './media.js';
import { teachingRules } from './teaching.js';
import { licenseRules } from './license.js';
import { collectionRules } from './collection.js';
import { libraryRules } from './library.js';
import { importRules } from './imports.js';
import { userRules } from './user.js';
import { captureRules } from './capture.js';
import { scimRules } from './scim.js';
import { ltiRules } from './lti.js';
import { identityRules } from './identity.js';
import { customRoleGrant, customRoleRules } from './customRules.js';
import { viaCustomRoles } from './custom.js';
import { setLabels } from '../domain/labels.js';
import { activityRules } from './activity.js';

export { Actor, LISTED_ONLY, SYSTEM, adminUnits, describeGrant, describeScope, scopeOf, type Principal, type Scope } from './actor.js';
export { grantWithinRights, isStaff, mayGrant, mayReachUser, mayTouchUser, normaliseScope } from './role.js';
export { describeEffective, describeLevel, effective, levelsOf, lockAbove, type Level } from './settings.js';
export { mediaAdmin, sectionsOfMedia } from './media.js';
export { isPresenter, licensePackIdProblem, mayLicense } from './license.js';
export { describeMember, isCollectionAdmin, levelPermissions, memberPermissions, membershipConflict } from './collection.js';
export { libraryRoleAtLeast } from './library.js';
export { IMPORT_KINDS } from './imports.js';
export { nameConflict } from './user.js';
export { moveConflict, moveGain, refuseMoveUnderLock, type Moved } from './move.js';
export { SSO_MAPPABLE_ROLES, ssoRoleMappingProblem } from './identity.js';

const roleRules: RuleTable = {
  'role.grant': roleChange,
  'role.revoke': roleChange,
};

function roleChange(q: Query): Decision {
  const { world, actor, resource, context } = q;
  const target = typeof context.user === 'string' ? context.user : resource.type === 'user' ? resource.id : undefined;
  if (!target) return deny('which user? the context names no user');
  const role = context.role;
  if (typeof role === 'string' && !isStaffRole(role) && world.customRole(role)) return customRoleGrant(q, target, world.customRole(role)!);
  if (typeof role !== 'string' || !isStaffRole(role)) return deny(because`'${String(role)}' is not a staff role`);
  let scope: Scope = { type: 'none' };
  const rawScope = typeof context.scope === 'string' ? context.scope : resource.type === 'unit' ? resource.id : undefined;
  if (rawScope !== undefined) {
    const parsed = parseScope(rawScope);
    if (!parsed) return deny(because`scope '${rawScope}' is not a unit or the platform`);
    scope = parsed;
  }
  const n = normaliseScope(world, role, scope);
  if ('error' in n) return deny(n.error);
  if (q.action === 'role.revoke' && n.scope.type === 'none') {
    // Revoking a role with no scope removes every grant of it: each must be one the actor could grant.
    // An admin's holding row "with rights only where listed" reaches nothing by itself: the listed
    // units decide. With none listed, any admin may take away a role that reaches nothing.
    const held = world.grantsOf(target).filter((g) => g.role === role && !(g.scopeType === 'none' && g.scopeId === LISTED_ONLY));
    if (held.length === 0 && role === 'admin' && world.grantsOf(target).some((g) => g.role === 'admin')) {
      return actor.isAnyAdmin ? decideRoleChangeTarget(actor, target) : deny(because`${actor.name} has no admin rights in ${world.institutionId}`);
    }
    for (const g of held) {
      const d = decideRoleChange(actor, target, role, scopeOf(g));
      if (!d.allow) return d;
    }
    if (held.length > 0) return decideRoleChange(actor, target, role, scopeOf(held[0]!));
  }
  return decideRoleChange(actor, target, role, n.scope);
}

/** A bare id is an org unit; `unit:x`, `institution:x` (its root) and `platform:main` are also accepted. */
export function parseScope(raw: string): Scope | undefined {
  if (raw === 'platform' || raw === 'platform:main') return { type: 'platform' };
  const ref = parseResource(raw);
  if (!ref) return raw ? { type: 'unit', id: raw } : undefined;
  if (ref.type === 'unit' || ref.type === 'institution') return { type: 'unit', id: ref.id };
  return undefined;
}

/**
 * The things a resource may name, by type, each answering what it names (a row, or true) or
 * undefined when it does not exist: a check on one that does not exist is denied (SPEC §11). What
 * was found goes to the rule (`Query.found`), so a rule that needs the row does not look it up again.
 */
const FIND: Partial<Record<ResourceType, (w: World, id: string) => unknown>> = {
  platform: (_w, id) => id === 'main' || undefined,
  institution: (w, id) => id === w.institutionId || undefined,
  unit: (w, id) => w.tree.units.get(id),
  user: (w, id) => w.user(id),
  licensePack: (w, id) => w.licensePack(id),
  term: (w, id) => w.term(id),
  course: (w, id) => w.course(id),
  section: (w, id) => w.section(id),
  schedule: (w, id) => w.schedule(id),
  class: (w, id) => w.class(id),
  media: (w, id) => w.media(id),
  collection: (w, id) => w.collection(id),
  library: (w, id) => w.library(id),
  room: (w, id) => w.room(id),
  device: (w, id) => w.device(id),
};

/** Every resource type, to how its things are found (null: a type the world does not track). */
const TYPES: ReadonlyMap<string, ((w: World, id: string) => unknown) | null> = new Map(RESOURCE_TYPES.map((t) => [t, FIND[t] ?? null]));

/** Whether a resource names something this world holds (a type it does not track counts as held). */
export function resourceExists(w: World, ref: ResourceRef): boolean {
  const find = TYPES.get(ref.type);
  return !find || find(w, ref.id) !== undefined;
}

/** Why a resource cannot be decided on here, when it names something missing (see `FIND`). */
function resourceProblem(w: World, ref: ResourceRef, found: boolean): string {
  if (!found) return because`'${ref.type}' is not a resource type (${RESOURCE_TYPES.join(', ')})`;
  if (ref.type === 'institution') return because`institution '${ref.id}' is another institution; this check is answered in ${w.institutionId}`;
  if (ref.type === 'platform') return because`'platform:${ref.id}' is not the platform (platform:main)`;
  return because`${ref.type} '${ref.id}' does not exist in ${w.institutionId}`;
}

const RULE_TABLE: RuleTable = {
  ...institutionRules,
  ...unitRules,
  ...userRules,
  ...roleRules,
  ...teachingRules,
  ...mediaRules,
  ...licenseRules,
  ...collectionRules,
  ...libraryRules,
  ...importRules,
  ...captureRules,
  ...scimRules,
  ...ltiRules,
  ...identityRules,
  ...customRoleRules,
  ...activityRules,
};

const RULES = new Map(Object.entries(RULE_TABLE) as [Action, Rule][]);

/** Actions whose rules exist today; the rest of SPEC §11 is answered "not implemented yet". */
export function isImplemented(action: string): boolean {
  return isAction(action) && RULES.has(action);
}

/**
 * Decides, with the reasons unless `explain` is false: the hot path for services that want only
 * allow or deny builds no sentences.
 */
export function decide(
  world: World,
  principal: Principal,
  action: string,
  resource: string | ResourceRef,
  context: Readonly<Record<string, unknown>> = {},
  opts: { explain?: boolean } = {},
): Decision {
  const explain = opts.explain !== false;
  if (explain === isExplaining()) return decideNow(world, principal, action, resource, context);
  const before = setExplaining(explain);
  try {
    return decideNow(world, principal, action, resource, context);
  } finally {
    setExplaining(before);
  }
}

function decideNow(world: World, principal: Principal, action: string, resource: string | ResourceRef, context: Readonly<Record<string, unknown>>): Decision {
  const labels = world.roleLabels();
  if (labels === undefined) return decideWith(world, principal, action, resource, context);
  // The institution's role names word the reasons (docs/ROLES.md).
  const before = setLabels(labels);
  try {
    return decideWith(world, principal, action, resource, context);
  } finally {
    setLabels(before);
  }
}

function decideWith(world: World, principal: Principal, action: string, resource: string | ResourceRef, context: Readonly<Record<string, unknown>>): Decision {
  const ref = typeof resource === 'string' ? parseResource(resource) : resource;
  if (!ref) return deny(because`'${String(resource)}' is not a resource (write type:id)`);
  const rule = RULES.get(action as Action);
  if (!rule) return isAction(action) ? deny(because`${action} is not implemented yet`) : deny(because`'${action}' is not an action Lectern knows`);
  const find = TYPES.get(ref.type);
  if (find === undefined) return deny(resourceProblem(world, ref, false));
  const found = find === null ? undefined : find(world, ref.id);
  if (find !== null && found === undefined) return deny(resourceProblem(world, ref, true));
  const actor = new Actor(world, principal);
  if (!actor.active) {
    const u = principal.kind === 'user' ? world.user(principal.userId) : undefined;
    return deny(u ? because`${actor.name} is deactivated` : because`${actor.name} is not a user of ${world.institutionId}`);
  }
  const q: Query = { world, actor, action: action as Action, resource: ref, context, found };
  const d = rule(q);
  // A custom role adds to what the rules give its holder; it never lifts a state rule (a lock).
  if (d.allow || d.conflict !== undefined || principal.kind !== 'user') return d;
  return viaCustomRoles(q, rule) ?? d;
}
