/**
 * Collections (SPEC §8): create, delete, media in and out, members in, changed and out.
 */
import { COLLECTION_LEVELS, COLLECTION_PERMISSIONS, type CollectionLevel } from '../../domain/catalog.js';
import { conflict, invalid, notFound } from '../../domain/outcome.js';
import type { Change, CollectionMemberRow, CollectionRow } from '../../domain/rows.js';
import { membershipConflict } from '../../policy/index.js';
import { keyOf, type World } from '../../world/world.js';
import { at, custom, defineOp, find, inInstitution, type Operation } from '../operation.js';
import { type ArgsOf, id, listOf, oneOf, optional, text } from '../validate.js';

const MEMBER = { collection: id(), user: id(), level: optional(oneOf(COLLECTION_LEVELS)), permissions: optional(listOf(COLLECTION_PERMISSIONS)) };

/** A member's level from `level` or `permissions` (custom), in canonical form. */
function levelOf(args: ArgsOf<typeof MEMBER>): { level: CollectionLevel; permissions: string } {
  if (args.permissions !== undefined) {
    if (args.level !== undefined && args.level !== 'custom') throw invalid('permissions', 'goes with level custom (or no level), not with a named level', 'conflictingFields');
    return { level: 'custom', permissions: args.permissions.join(',') };
  }
  if (args.level === undefined) throw invalid('level', 'is required (or give permissions for a custom member)', 'required');
  return { level: args.level, permissions: '' };
}

/** A member change is checked on the collection, with the member and the level as context. */
const onMember = custom<ArgsOf<typeof MEMBER>, unknown>(
  ({ args }) => ({ resource: `collection:${args.collection}`, context: { user: args.user, level: levelOf(args).level } }),
  (ref, context) => (ref.type === 'collection' ? { ...context, collection: ref.id } : undefined),
);

export const collectionOps: Record<string, Operation> = {
  'collection.create': defineOp({
    action: 'collection.create',
    args: { id: id(), name: optional(text()) },
    on: inInstitution(),
    plan({ world: w, args, actor }) {
      if (w.collection(args.id)) throw conflict('duplicateId', `a collection '${args.id}' already exists`, 'id');
      const row: CollectionRow = { institutionId: w.institutionId, id: args.id, name: args.name ?? args.id, createdBy: actor.id };
      const changes: Change[] = [{ table: 'collection', op: 'put', row }];
      // Creating a collection makes its creator a manager (SPEC §8).
      if (!actor.isSystem) changes.push({ table: 'collectionMember', op: 'put', row: { institutionId: w.institutionId, collectionId: args.id, userId: actor.id, level: 'manager', permissions: '' } });
      return { changes, target: `collection:${args.id}`, result: row };
    },
  }),
  'collection.delete': defineOp({
    action: 'collection.delete',
    args: { collection: id() },
    load: ({ world: w, args }) => find(w, 'collection', args.collection),
    on: at('collection', 'collection'),
    plan({ world: w, loaded: c }) {
      const changes: Change[] = [];
      for (const m of w.collectionMembers(c.id).values()) changes.push({ table: 'collectionMember', op: 'del', row: m });
      for (const mediaId of w.mediaInCollection(c.id)) changes.push({ table: 'collectionMedia', op: 'del', row: { institutionId: w.institutionId, collectionId: c.id, mediaId, addedBy: addedBy(w, c.id, mediaId) } });
      changes.push({ table: 'collection', op: 'del', row: c });
      return { changes, target: `collection:${c.id}` };
    },
  }),
  'collection.addMedia': defineOp({
    action: 'collection.addMedia',
    args: { collection: id(), media: id() },
    load: ({ world: w, args }) => ({ c: find(w, 'collection', args.collection), m: find(w, 'media', args.media) }),
    on: at('collection', 'collection'),
    plan({ world: w, actor, loaded: { c, m }, authorize }) {
      // Adding media one cannot see would leak it to the collection.
      authorize('media.view', `media:${m.id}`);
      if (w.mediaInCollection(c.id).has(m.id)) return { changes: [], target: `collection:${c.id}` };
      return { changes: [{ table: 'collectionMedia', op: 'put', row: { institutionId: w.institutionId, collectionId: c.id, mediaId: m.id, addedBy: actor.id } }], target: `collection:${c.id}` };
    },
  }),
  'collection.removeMedia': defineOp({
    action: 'collection.removeMedia',
    args: { collection: id(), media: id() },
    load: ({ world: w, args }) => {
      const c = find(w, 'collection', args.collection);
      const row = w.tables.collectionMedia.get(keyOf('collectionMedia', { institutionId: w.institutionId, collectionId: c.id, mediaId: args.media }));
      if (!row) throw notFound('media', `media in collection ${c.id}`, args.media);
      return row;
    },
    on: at('collection', 'collection'),
    plan: ({ loaded: row }) => ({ changes: [{ table: 'collectionMedia', op: 'del', row }], target: `collection:${row.collectionId}` }),
  }),
  'collection.addMember': defineOp({
    action: 'collection.addMember',
    args: MEMBER,
    load: ({ world: w, args }) => {
      const c = find(w, 'collection', args.collection);
      find(w, 'user', args.user);
      return { c, ...levelOf(args) };
    },
    on: onMember,
    plan({ world: w, actor, args: { user }, loaded: { c, level, permissions } }) {
      if (w.collectionMember(c.id, user)) throw conflict('alreadyMember', `${user} is already a member of collection ${c.id}; change their access instead`, 'user');
      const why = membershipConflict(w, actor, c.id, user, level);
      if (why) throw conflict('adminNotManager', why, 'level');
      const row: CollectionMemberRow = { institutionId: w.institutionId, collectionId: c.id, userId: user, level, permissions };
      return { changes: [{ table: 'collectionMember', op: 'put', row }], target: `collection:${c.id}`, result: row };
    },
  }),
  'collection.updateMember': defineOp({
    action: 'collection.updateMember',
    args: MEMBER,
    load: ({ world: w, args }) => {
      const c = find(w, 'collection', args.collection);
      const cur = w.collectionMember(c.id, args.user);
      if (!cur) throw notFound('user', `member of collection ${c.id}`, args.user);
      return { c, cur, ...levelOf(args) };
    },
    on: onMember,
    plan({ world: w, actor, loaded: { c, cur, level, permissions } }) {
      const why = membershipConflict(w, actor, c.id, cur.userId, level);
      if (why) throw conflict(cur.level === 'manager' ? 'managerProtected' : 'adminNotManager', why, 'level');
      const row: CollectionMemberRow = { ...cur, level, permissions };
      const same = row.level === cur.level && row.permissions === cur.permissions;
      return { changes: same ? [] : [{ table: 'collectionMember', op: 'put', row }], target: `collection:${c.id}`, result: row };
    },
  }),
  'collection.removeMember': defineOp({
    action: 'collection.removeMember',
    args: { collection: id(), user: id() },
    load: ({ world: w, args }) => {
      const c = find(w, 'collection', args.collection);
      const cur = w.collectionMember(c.id, args.user);
      if (!cur) throw notFound('user', `member of collection ${c.id}`, args.user);
      return cur;
    },
    on: at('collection', 'collection'),
    plan({ world: w, actor, loaded: cur }) {
      const why = membershipConflict(w, actor, cur.collectionId, cur.userId, 'removed');
      if (why) throw conflict('managerProtected', why, 'user');
      return { changes: [{ table: 'collectionMember', op: 'del', row: cur }], target: `collection:${cur.collectionId}` };
    },
  }),
};

function addedBy(w: World, collectionId: string, mediaId: string): string {
  return w.tables.collectionMedia.get(keyOf('collectionMedia', { institutionId: w.institutionId, collectionId, mediaId }))?.addedBy ?? '';
}
