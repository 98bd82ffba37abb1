/**
 * policy/: every rule of Lectern, and nothing else. `decide` answers "may this principal do this
 * action on this resource?" with the reasons, reading only the world. One module per resource
 * type, each a table from action to rule; this file puts them together.
 */
import { type Action, isAction, isResourceType, isStaffRole, RESOURCE_TYPES, type ResourceType } from '../domain/catalog.js';
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

/** The things a resource may name, by type; a check on one that does not exist is denied (SPEC §11). */
const EXISTS: Partial<Record<ResourceType, (w: World, id: string) => boolean>> = {
  platform: (_w, id) => id === 'main',
  institution: (w, id) => id === w.institutionId,
  unit: (w, id) => w.tree.units.has(id),
  user: (w, id) => w.user(id) !== undefined,
  licensePack: (w, id) => w.licensePack(id) !== undefined,
  term: (w, id) => w.term(id) !== undefined,
  course: (w, id) => w.course(id) !== undefined,
  section: (w, id) => w.section(id) !== undefined,
  schedule: (w, id) => w.schedule(id) !== undefined,
  class: (w, id) => w.class(id) !== undefined,
  media: (w, id) => w.media(id) !== undefined,
  collection: (w, id) => w.collection(id) !== undefined,
  library: (w, id) => w.library(id) !== undefined,
  room: (w, id) => w.room(id) !== undefined,
  device: (w, id) => w.device(id) !== undefined,
};

/** Whether a resource names something this world holds (a type it does not track counts as held). */
export function resourceExists(w: World, ref: ResourceRef): boolean {
  const exists = isResourceType(ref.type) ? EXISTS[ref.type] : undefined;
  return exists === undefined || exists(w, ref.id);
}

/** Why a resource cannot be decided on here: not a type Lectern knows, another institution, or missing. */
function resourceProblem(w: World, ref: ResourceRef): string | undefined {
  if (!isResourceType(ref.type)) return because`'${ref.type}' is not a resource type (${RESOURCE_TYPES.join(', ')})`;
  const exists = EXISTS[ref.type];
  if (!exists || exists(w, ref.id)) return undefined;
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
  const ref = typeof resource === 'string' ? parseResource(resource) : resource;
  if (!ref) return deny(because`'${String(resource)}' is not a resource (write type:id)`);
  const rule = RULES.get(action as Action);
  if (!rule) return isAction(action) ? deny(because`${action} is not implemented yet`) : deny(because`'${action}' is not an action Lectern knows`);
  const missing = resourceProblem(world, ref);
  if (missing !== undefined) return deny(missing);
  const actor = new Actor(world, principal);
  if (!actor.active) {
    const u = principal.kind === 'user' ? world.user(principal.userId) : undefined;
    return deny(u ? because`${actor.name} is deactivated` : because`${actor.name} is not a user of ${world.institutionId}`);
  }
  return rule({ world, actor, action: action as Action, resource: ref, context });
}
