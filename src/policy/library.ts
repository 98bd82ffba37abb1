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

/** The library a playlist question is about, or why there is none. */
function libraryOf(q: Query): string | Decision {
  const { world: w, resource } = q;
  if (resource.type !== 'library' || !w.library(resource.id)) return deny(because`${resource.type} '${resource.id}' is not a library that exists`);
  return resource.id;
}

/**
 * Playlists live in a library (Ensemble seed): contributors manage them (create, update, delete),
 * editors publish titles to them, viewers view the published ones; admins over the library's unit
 * do everything. `playlist.view` takes `published` in its context (default true): only editors and
 * above see a playlist that is not published.
 */
function playlist(least: LibraryRole, doing: string): (q: Query) => Decision {
  return (q) => {
    const lib = libraryOf(q);
    if (typeof lib !== 'string') return lib;
    const { world: w, actor, context } = q;
    const a = libraryAdmin(actor, lib);
    if (a) return a;
    const role = w.libraryRole(actor.id, lib);
    const needed: LibraryRole = q.action === 'playlist.view' && context.published === false ? 'editor' : least;
    if (libraryRoleAtLeast(role, needed)) return allow(because`${actor.name} is a ${role} of library ${lib}, and ${needed}s ${doing}`);
    return deny(
      role
        ? because`${actor.name} is a ${role} of library ${lib}; ${needed === 'viewer' ? 'viewers' : `only ${needed}s and above`} ${doing}`
        : because`${actor.name} has no role in library ${lib}`,
    );
  };
}

/**
 * The Shared Library (Ensemble seed): what is shared into it is viewed by everyone who is a viewer
 * (or more) of some library, and by admins; media is shared into it by those who manage the media:
 * admins over it and contributors of its library (`media.addToSharedLibrary`, in media.ts).
 */
function viewShared(q: Query): Decision {
  const { world: w, actor, resource } = q;
  if (resource.type !== 'institution' || resource.id !== w.institutionId) return deny(because`the Shared Library belongs to an institution; ${resource.type}:${resource.id} is not ${w.institutionId}`);
  if (actor.isAnyAdmin) return allow(because`${actor.name} is an admin`);
  const [lib, role] = [...w.librariesOf(actor.id)][0] ?? [];
  return lib ? allow(because`${actor.name} is a ${role} of library ${lib}, and library viewers view the Shared Library`) : deny(because`${actor.name} has no role in any library, and the Shared Library is viewed by library members`);
}

/** Media workflows of a library (Ensemble seed): the organization admins over its unit. */
function workflows(q: Query): Decision {
  const lib = libraryOf(q);
  if (typeof lib !== 'string') return lib;
  const a = libraryAdmin(q.actor, lib);
  return a ?? deny(because`${q.actor.name} has no admin rights over ${q.world.tree.name(q.world.library(lib)!.unitId)}, whose admins manage the media workflows of library ${lib}`);
}

export const libraryRules: RuleTable = {
  'playlist.view': playlist('viewer', 'view published playlists'),
  'playlist.publish': playlist('editor', 'publish titles to playlists'),
  'playlist.create': playlist('contributor', 'manage playlists'),
  'playlist.update': playlist('contributor', 'manage playlists'),
  'playlist.delete': playlist('contributor', 'manage playlists'),
  'sharedLibrary.view': viewShared,
  'library.workflows': workflows,
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
