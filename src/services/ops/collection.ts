/**
 * Collections (SPEC §8): create, delete, media in and out, members in, changed and out.
 */
import { COLLECTION_LEVELS, COLLECTION_PERMISSIONS, type CollectionLevel } from '../../domain/catalog.js';
import { conflict, invalid, notFound } from '../../domain/outcome.js';
import type { Change, CollectionMemberRow, CollectionRow } from '../../domain/rows.js';
import { membershipConflict } from '../../policy/index.js';
import { keyOf, type World } from '../../world/world.js';
import { authorize, type OpContext, type Operation } from '../operation.js';
import { id, only, optStr } from '../validate.js';

function collection(w: World, cid: string): CollectionRow {
  const c = w.collection(cid);
  if (!c) throw notFound('collection', 'collection', cid);
  return c;
}

/** A member's level from `level` or `permissions` (custom), in canonical form. */
function levelArgs(ctx: OpContext): { level: CollectionLevel; permissions: string } {
  const { args } = ctx;
  if (args.permissions !== undefined && args.level !== undefined && args.level !== 'custom') {
    throw invalid('permissions', 'goes with level custom (or no level), not with a named level', 'conflictingFields');
  }
  if (args.permissions !== undefined) {
    const list = args.permissions;
    if (!Array.isArray(list)) throw invalid('permissions', `must be a list of ${COLLECTION_PERMISSIONS.join(', ')}`, 'type');
    for (const p of list) {
      if (!(COLLECTION_PERMISSIONS as readonly unknown[]).includes(p)) throw invalid('permissions', `'${String(p)}' is not a permission (${COLLECTION_PERMISSIONS.join(', ')})`, 'enum');
    }
    return { level: 'custom', permissions: COLLECTION_PERMISSIONS.filter((p) => list.includes(p)).join(',') };
  }
  const level = args.level;
  if (level === undefined || level === null || level === '') throw invalid('level', 'is required (or give permissions for a custom member)', 'required');
  if (typeof level !== 'string' || !(COLLECTION_LEVELS as readonly string[]).includes(level)) {
    throw invalid('level', `must be one of ${COLLECTION_LEVELS.join(', ')}, not '${String(level)}'`, 'enum');
  }
  if (level === 'custom') return { level: 'custom', permissions: '' };
  return { level: level as CollectionLevel, permissions: '' };
}

function memberKey(w: World, collectionId: string, userId: string) {
  return keyOf('collectionMember', { institutionId: w.institutionId, collectionId, userId });
}

export const collectionOps: Record<string, Operation> = {
  'collection.create': {
    fields: ['id', 'name'],
    plan(ctx) {
      const { world: w, args, actor } = ctx;
      only(args, this.fields);
      const cid = id(args, 'id');
      authorize(ctx, 'collection.create', `institution:${w.institutionId}`);
      if (w.collection(cid)) throw conflict('duplicateId', `a collection '${cid}' already exists`, 'id');
      const row: CollectionRow = { institutionId: w.institutionId, id: cid, name: optStr(args, 'name') ?? cid, createdBy: actor.id };
      const changes: Change[] = [{ table: 'collection', op: 'put', row }];
      // Creating a collection makes its creator a manager (SPEC §8).
      if (!actor.isSystem) changes.push({ table: 'collectionMember', op: 'put', row: { institutionId: w.institutionId, collectionId: cid, userId: actor.id, level: 'manager', permissions: '' } });
      return { changes, target: `collection:${cid}`, result: row };
    },
  },
  'collection.delete': {
    fields: ['collection'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const c = collection(w, id(args, 'collection'));
      authorize(ctx, 'collection.delete', `collection:${c.id}`);
      const changes: Change[] = [];
      for (const m of w.collectionMembers(c.id).values()) changes.push({ table: 'collectionMember', op: 'del', row: m });
      for (const mediaId of w.mediaInCollection(c.id)) {
        changes.push({ table: 'collectionMedia', op: 'del', row: w.tables.collectionMedia.get(keyOf('collectionMedia', { institutionId: w.institutionId, collectionId: c.id, mediaId }))! });
      }
      changes.push({ table: 'collection', op: 'del', row: c });
      return { changes, target: `collection:${c.id}` };
    },
  },
  'collection.addMedia': {
    fields: ['collection', 'media'],
    plan(ctx) {
      const { world: w, args, actor } = ctx;
      only(args, this.fields);
      const c = collection(w, id(args, 'collection'));
      const mediaId = id(args, 'media');
      if (!w.media(mediaId)) throw notFound('media', 'media', mediaId);
      authorize(ctx, 'collection.addMedia', `collection:${c.id}`, { media: mediaId });
      // Adding media one cannot see would leak it to the collection.
      authorize(ctx, 'media.view', `media:${mediaId}`);
      if (w.mediaInCollection(c.id).has(mediaId)) return { changes: [], target: `collection:${c.id}` };
      return { changes: [{ table: 'collectionMedia', op: 'put', row: { institutionId: w.institutionId, collectionId: c.id, mediaId, addedBy: actor.id } }], target: `collection:${c.id}` };
    },
  },
  'collection.removeMedia': {
    fields: ['collection', 'media'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const c = collection(w, id(args, 'collection'));
      const mediaId = id(args, 'media');
      const row = w.tables.collectionMedia.get(keyOf('collectionMedia', { institutionId: w.institutionId, collectionId: c.id, mediaId }));
      if (!row) throw notFound('media', `media in collection ${c.id}`, mediaId);
      authorize(ctx, 'collection.removeMedia', `collection:${c.id}`, { media: mediaId });
      return { changes: [{ table: 'collectionMedia', op: 'del', row }], target: `collection:${c.id}` };
    },
  },
  'collection.addMember': {
    fields: ['collection', 'user', 'level', 'permissions'],
    plan(ctx) {
      const { world: w, args, actor } = ctx;
      only(args, this.fields);
      const c = collection(w, id(args, 'collection'));
      const userId = id(args, 'user');
      if (!w.user(userId)) throw notFound('user', 'user', userId);
      const { level, permissions } = levelArgs(ctx);
      authorize(ctx, 'collection.addMember', `collection:${c.id}`, { user: userId, level });
      if (w.collectionMember(c.id, userId)) throw conflict('alreadyMember', `${userId} is already a member of collection ${c.id}; change their access instead`, 'user');
      const why = membershipConflict(w, actor, c.id, userId, level);
      if (why) throw conflict('adminNotManager', why, 'level');
      const row: CollectionMemberRow = { institutionId: w.institutionId, collectionId: c.id, userId, level, permissions };
      return { changes: [{ table: 'collectionMember', op: 'put', row }], target: `collection:${c.id}`, result: row };
    },
  },
  'collection.updateMember': {
    fields: ['collection', 'user', 'level', 'permissions'],
    plan(ctx) {
      const { world: w, args, actor } = ctx;
      only(args, this.fields);
      const c = collection(w, id(args, 'collection'));
      const userId = id(args, 'user');
      const cur = w.collectionMember(c.id, userId);
      if (!cur) throw notFound('user', `member of collection ${c.id}`, userId);
      const { level, permissions } = levelArgs(ctx);
      authorize(ctx, 'collection.updateMember', `collection:${c.id}`, { user: userId, level });
      const why = membershipConflict(w, actor, c.id, userId, level);
      if (why) throw conflict(cur.level === 'manager' ? 'managerProtected' : 'adminNotManager', why, 'level');
      const row: CollectionMemberRow = { ...cur, level, permissions };
      const same = row.level === cur.level && row.permissions === cur.permissions;
      return { changes: same ? [] : [{ table: 'collectionMember', op: 'put', row }], target: `collection:${c.id}`, result: row };
    },
  },
  'collection.removeMember': {
    fields: ['collection', 'user'],
    plan(ctx) {
      const { world: w, args, actor } = ctx;
      only(args, this.fields);
      const c = collection(w, id(args, 'collection'));
      const userId = id(args, 'user');
      const cur = w.tables.collectionMember.get(memberKey(w, c.id, userId));
      if (!cur) throw notFound('user', `member of collection ${c.id}`, userId);
      authorize(ctx, 'collection.removeMember', `collection:${c.id}`, { user: userId });
      const why = membershipConflict(w, actor, c.id, userId, 'removed');
      if (why) throw conflict('managerProtected', why, 'user');
      return { changes: [{ table: 'collectionMember', op: 'del', row: cur }], target: `collection:${c.id}` };
    },
  },
};
