/**
 * Libraries, default libraries and feature grants (SPEC §9).
 */
import { FEATURES, LIBRARY_ROLES } from '../../domain/catalog.js';
import { conflict, notFound } from '../../domain/outcome.js';
import type { Change, LibraryRow } from '../../domain/rows.js';
import { keyOf, type World } from '../../world/world.js';
import { at, defineOp, find, type Operation } from '../operation.js';
import { id, oneOf, optional, text } from '../validate.js';

const MEMBER = { library: id(), user: id() };
const loadMember = ({ world: w, args }: { world: World; args: { library: string; user: string } }) => ({ l: find(w, 'library', args.library), userId: find(w, 'user', args.user).id });
const FEATURE = { user: id(), feature: oneOf(FEATURES) };

export const libraryOps: Record<string, Operation> = {
  'library.create': defineOp({
    action: 'library.create',
    args: { id: id(), unit: optional(id()), name: optional(text()) },
    load: ({ world: w, args }) => find(w, 'unit', args.unit ?? w.rootId),
    on: at('unit', 'unit', (w) => w.rootId),
    plan({ world: w, args, loaded: unit }) {
      if (w.library(args.id)) throw conflict('duplicateId', `a library '${args.id}' already exists`, 'id');
      const row: LibraryRow = { institutionId: w.institutionId, id: args.id, unitId: unit.id, name: args.name ?? args.id };
      return { changes: [{ table: 'library', op: 'put', row }], target: `library:${args.id}`, result: row };
    },
  }),
  'library.delete': defineOp({
    action: 'library.delete',
    args: { library: id() },
    load: ({ world: w, args }) => find(w, 'library', args.library),
    on: at('library', 'library'),
    plan({ world: w, loaded: l }) {
      const media = [...w.tables.media.values()].filter((m) => m.libraryId === l.id).map((m) => m.id);
      if (media.length) throw conflict('inUse', `library ${l.id} still holds media (${media.slice(0, 3).join(', ')}${media.length > 3 ? ', …' : ''})`, 'library');
      const defaults = [...w.tables.defaultLibrary.values()].filter((d) => d.libraryId === l.id).map((d) => d.userId);
      if (defaults.length) throw conflict('defaultLibrary', `library ${l.id} is the default library of ${defaults.slice(0, 3).join(', ')}${defaults.length > 3 ? ', …' : ''}; set another default first`, 'library');
      const changes: Change[] = [...w.libraryMembers(l.id).entries()].map(([userId, role]) => ({ table: 'libraryMember' as const, op: 'del' as const, row: { institutionId: w.institutionId, libraryId: l.id, userId, role } }));
      changes.push({ table: 'library', op: 'del', row: l });
      return { changes, target: `library:${l.id}` };
    },
  }),
  'library.grant': defineOp({
    action: 'library.grant',
    args: { ...MEMBER, role: oneOf(LIBRARY_ROLES) },
    load: loadMember,
    on: at('library', 'library'),
    plan({ world: w, args: { role }, loaded: { l, userId } }) {
      const row = { institutionId: w.institutionId, libraryId: l.id, userId, role };
      return { changes: w.libraryRole(userId, l.id) === role ? [] : [{ table: 'libraryMember', op: 'put', row }], target: `user:${userId}`, result: row };
    },
  }),
  'library.revoke': defineOp({
    action: 'library.revoke',
    args: MEMBER,
    load: (ctx) => {
      const { l, userId } = loadMember(ctx);
      const role = ctx.world.libraryRole(userId, l.id);
      if (!role) throw notFound('user', `role in library ${l.id} of user`, userId);
      return { l, userId, role };
    },
    on: at('library', 'library'),
    plan({ world: w, loaded: { l, userId, role } }) {
      if (w.defaultLibraryOf(userId) === l.id) {
        throw conflict('defaultLibrary', `library ${l.id} is ${userId}'s default library; set another default before removing their access`, 'library');
      }
      return { changes: [{ table: 'libraryMember', op: 'del', row: { institutionId: w.institutionId, libraryId: l.id, userId, role } }], target: `user:${userId}` };
    },
  }),
  'user.setDefaultLibrary': defineOp({
    action: 'user.setDefaultLibrary',
    args: MEMBER,
    load: loadMember,
    on: at('library', 'library'),
    plan({ world: w, loaded: { l, userId } }) {
      if (!w.libraryRole(userId, l.id)) throw conflict('noAccess', `${userId} has no role in library ${l.id}; grant one before making it their default`, 'library');
      const row = { institutionId: w.institutionId, userId, libraryId: l.id };
      return { changes: w.defaultLibraryOf(userId) === l.id ? [] : [{ table: 'defaultLibrary', op: 'put', row }], target: `user:${userId}`, result: row };
    },
  }),
  'feature.grant': defineOp({
    action: 'feature.grant',
    args: FEATURE,
    load: ({ world: w, args }) => find(w, 'user', args.user),
    on: at('user', 'user'),
    plan({ world: w, args: { user, feature } }) {
      const row = { institutionId: w.institutionId, userId: user, feature };
      return { changes: w.hasFeature(user, feature) ? [] : [{ table: 'featureGrant', op: 'put', row }], target: `user:${user}`, result: row };
    },
  }),
  'feature.revoke': defineOp({
    action: 'feature.revoke',
    args: FEATURE,
    load: ({ world: w, args: { user, feature } }) => {
      find(w, 'user', user);
      const row = w.tables.featureGrant.get(keyOf('featureGrant', { institutionId: w.institutionId, userId: user, feature }));
      if (!row) throw notFound('feature', `${user}'s grant of`, feature);
      return row;
    },
    on: at('user', 'user'),
    plan: ({ loaded: row }) => ({ changes: [{ table: 'featureGrant', op: 'del', row }], target: `user:${row.userId}` }),
  }),
};
