/**
 * Libraries and feature grants (SPEC §9). A library belongs to a unit; admins over that unit create
 * it and grant its roles (viewer < editor < contributor, cumulative). A user's default library
 * cannot be taken from them until another is set. Feature grants (live streaming, screen capture,
 * room capture) are per user, given by any admin (users sit outside the hierarchy).
 */
import { FEATURES, LIBRARY_ROLE_RANK, type LibraryRole } from '../domain/catalog.js';
import { allow, because, type Decision, deny } from '../domain/outcome.js';
import type { Actor } from './actor.js';
import { mayTouchUser } from './role.js';
import type { Query, RuleTable } from './types.js';

function libraryAdmin(actor: Actor, libraryId: string): Decision | undefined {
  const w = actor.world;
  const lib = w.library(libraryId);
  if (!lib) return undefined;
  const a = actor.adminUnitOver(lib.unitId);
  return a === undefined ? undefined : allow(because`${actor.name} is admin of ${w.tree.name(a)}, which holds library ${libraryId}`);
}

export function libraryRoleAtLeast(role: LibraryRole | undefined, least: LibraryRole): boolean {
  return role !== undefined && LIBRARY_ROLE_RANK[role] >= LIBRARY_ROLE_RANK[least];
}

function manageLibrary(q: Query): Decision {
  const { world: w, actor, resource } = q;
  if (resource.type !== 'library' || !w.library(resource.id)) return deny(because`library '${resource.id}' does not exist`);
  const a = libraryAdmin(actor, resource.id);
  if (!a) return deny(because`${actor.name} has no admin rights over ${w.tree.name(w.library(resource.id)!.unitId)}, which holds library ${resource.id}`);
  // Changing someone's library access is changing their account: not for users above the actor.
  if (typeof q.context.user === 'string' && w.user(q.context.user)) {
    const t = mayTouchUser(actor, q.context.user);
    if (!t.allow) return t;
  }
  return a;
}

function view(q: Query): Decision {
  const { world: w, actor, resource } = q;
  if (resource.type !== 'library' || !w.library(resource.id)) return deny(because`library '${resource.id}' does not exist`);
  const a = libraryAdmin(actor, resource.id);
  if (a) return a;
  const role = w.libraryRole(actor.id, resource.id);
  return role ? allow(because`${actor.name} is a ${role} of library ${resource.id}`) : deny(because`${actor.name} has no role in library ${resource.id}`);
}

function create(q: Query): Decision {
  const { world: w, actor, resource } = q;
  const unit = resource.type === 'unit' ? resource.id : resource.type === 'institution' ? w.rootId : undefined;
  if (unit === undefined || !w.tree.units.has(unit)) return deny(because`${resource.type} '${resource.id}' is not a unit`);
  const a = actor.adminUnitOver(unit);
  return a !== undefined ? allow(because`${actor.name} is admin of ${w.tree.name(a)}, which contains ${w.tree.name(unit)}`) : deny(because`${actor.name} has no admin rights over ${w.tree.name(unit)} to create libraries there`);
}

/** Feature grants: any admin with rights, for users not above them. */
function grantFeature(q: Query): Decision {
  const { actor, context } = q;
  if (context.feature !== undefined && !(FEATURES as readonly unknown[]).includes(context.feature)) return deny(because`'${String(context.feature)}' is not a feature (${FEATURES.join(', ')})`);
  const user = typeof context.user === 'string' ? context.user : q.resource.type === 'user' ? q.resource.id : undefined;
  if (!user) return actor.isAnyAdmin ? allow(because`${actor.name} is an admin`) : deny(because`${actor.name} has no admin rights`);
  return mayTouchUser(actor, user);
}

function useFeature(q: Query): Decision {
  const { world: w, actor, context } = q;
  const f = context.feature;
  if (typeof f !== 'string' || !(FEATURES as readonly string[]).includes(f)) return deny(because`which feature? context.feature must be one of ${FEATURES.join(', ')}`);
  if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
  return w.hasFeature(actor.id, f) ? allow(because`${actor.name} has been granted ${f}`) : deny(because`${actor.name} has not been granted ${f}`);
}

export const libraryRules: RuleTable = {
  'library.create': create,
  'library.delete': manageLibrary,
  'library.grant': manageLibrary,
  'library.revoke': manageLibrary,
  'library.view': view,
  'user.setDefaultLibrary': manageLibrary,
  'feature.grant': grantFeature,
  'feature.revoke': grantFeature,
  'feature.use': useFeature,
};
