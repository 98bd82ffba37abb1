/**
 * Libraries, default libraries and feature grants (SPEC §9).
 */
import { FEATURES, LIBRARY_ROLES } from '../../domain/catalog.js';
import { conflict, notFound } from '../../domain/outcome.js';
import type { Change, LibraryRow } from '../../domain/rows.js';
import { keyOf, type World } from '../../world/world.js';
import { authorize, type Operation } from '../operation.js';
import { id, only, optEnum, optStr, str } from '../validate.js';

function library(w: World, lid: string): LibraryRow {
  const l = w.library(lid);
  if (!l) throw notFound('library', 'library', lid);
  return l;
}

function user(w: World, uid: string): string {
  if (!w.user(uid)) throw notFound('user', 'user', uid);
  return uid;
}

export const libraryOps: Record<string, Operation> = {
  'library.create': {
    fields: ['id', 'unit', 'name'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const lid = id(args, 'id');
      const unit = args.unit === undefined ? w.rootId : id(args, 'unit');
      if (!w.tree.units.has(unit)) throw notFound('unit', 'unit', unit);
      authorize(ctx, 'library.create', `unit:${unit}`);
      if (w.library(lid)) throw conflict('duplicateId', `a library '${lid}' already exists`, 'id');
      const row: LibraryRow = { institutionId: w.institutionId, id: lid, unitId: unit, name: optStr(args, 'name') ?? lid };
      return { changes: [{ table: 'library', op: 'put', row }], target: `library:${lid}`, result: row };
    },
  },
  'library.delete': {
    fields: ['library'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const l = library(w, id(args, 'library'));
      authorize(ctx, 'library.delete', `library:${l.id}`);
      const media = [...w.tables.media.values()].filter((m) => m.libraryId === l.id).map((m) => m.id);
      if (media.length) throw conflict('inUse', `library ${l.id} still holds media (${media.slice(0, 3).join(', ')}${media.length > 3 ? ', …' : ''})`, 'library');
      const defaults = [...w.tables.defaultLibrary.values()].filter((d) => d.libraryId === l.id).map((d) => d.userId);
      if (defaults.length) throw conflict('defaultLibrary', `library ${l.id} is the default library of ${defaults.slice(0, 3).join(', ')}${defaults.length > 3 ? ', …' : ''}; set another default first`, 'library');
      const changes: Change[] = [...w.libraryMembers(l.id).entries()].map(([userId, role]) => ({ table: 'libraryMember' as const, op: 'del' as const, row: { institutionId: w.institutionId, libraryId: l.id, userId, role } }));
      changes.push({ table: 'library', op: 'del', row: l });
      return { changes, target: `library:${l.id}` };
    },
  },
  'library.grant': {
    fields: ['library', 'user', 'role'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const l = library(w, id(args, 'library'));
      const userId = user(w, id(args, 'user'));
      const role = optEnum(args, 'role', LIBRARY_ROLES) ?? (str(args, 'role') as never);
      authorize(ctx, 'library.grant', `library:${l.id}`, { user: userId, role });
      const row = { institutionId: w.institutionId, libraryId: l.id, userId, role };
      return { changes: w.libraryRole(userId, l.id) === role ? [] : [{ table: 'libraryMember', op: 'put', row }], target: `user:${userId}`, result: row };
    },
  },
  'library.revoke': {
    fields: ['library', 'user'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const l = library(w, id(args, 'library'));
      const userId = user(w, id(args, 'user'));
      const role = w.libraryRole(userId, l.id);
      if (!role) throw notFound('user', `role in library ${l.id} of user`, userId);
      authorize(ctx, 'library.revoke', `library:${l.id}`, { user: userId });
      if (w.defaultLibraryOf(userId) === l.id) {
        throw conflict('defaultLibrary', `library ${l.id} is ${userId}'s default library; set another default before removing their access`, 'library');
      }
      return { changes: [{ table: 'libraryMember', op: 'del', row: { institutionId: w.institutionId, libraryId: l.id, userId, role } }], target: `user:${userId}` };
    },
  },
  'user.setDefaultLibrary': {
    fields: ['user', 'library'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const userId = user(w, id(args, 'user'));
      const l = library(w, id(args, 'library'));
      authorize(ctx, 'user.setDefaultLibrary', `library:${l.id}`, { user: userId });
      if (!w.libraryRole(userId, l.id)) throw conflict('noAccess', `${userId} has no role in library ${l.id}; grant one before making it their default`, 'library');
      const row = { institutionId: w.institutionId, userId, libraryId: l.id };
      return { changes: w.defaultLibraryOf(userId) === l.id ? [] : [{ table: 'defaultLibrary', op: 'put', row }], target: `user:${userId}`, result: row };
    },
  },
  'feature.grant': {
    fields: ['user', 'feature'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const userId = user(w, id(args, 'user'));
      const feature = optEnum(args, 'feature', FEATURES) ?? (str(args, 'feature') as never);
      authorize(ctx, 'feature.grant', `user:${userId}`, { user: userId, feature });
      const row = { institutionId: w.institutionId, userId, feature };
      return { changes: w.hasFeature(userId, feature) ? [] : [{ table: 'featureGrant', op: 'put', row }], target: `user:${userId}`, result: row };
    },
  },
  'feature.revoke': {
    fields: ['user', 'feature'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const userId = user(w, id(args, 'user'));
      const feature = optEnum(args, 'feature', FEATURES) ?? (str(args, 'feature') as never);
      if (!w.hasFeature(userId, feature)) throw notFound('feature', `${userId}'s grant of`, feature);
      authorize(ctx, 'feature.revoke', `user:${userId}`, { user: userId, feature });
      return { changes: [{ table: 'featureGrant', op: 'del', row: w.tables.featureGrant.get(keyOf('featureGrant', { institutionId: w.institutionId, userId, feature }))! }], target: `user:${userId}` };
    },
  },
};
