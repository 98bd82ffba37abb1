/**
 * Media operations (SPEC §7): create, edit, delete, publish, unpublish, share, post.
 */
import { MEDIA_ORIGINS, POST_TARGETS } from '../../domain/catalog.js';
import { conflict, invalid, notFound } from '../../domain/outcome.js';
import type { Change, MediaRow } from '../../domain/rows.js';
import { keyOf, type World } from '../../world/world.js';
import { authorize, type OpContext, type Operation } from '../operation.js';
import { id, only, optBool, optEnum, optId, optStr, str } from '../validate.js';

function media(w: World, mediaId: string): MediaRow {
  const m = w.media(mediaId);
  if (!m) throw notFound('media', 'media', mediaId);
  return m;
}

/** Only Lectern itself, loading a world, says who did something on someone else's behalf. */
function loaderOnly(ctx: OpContext, field: string): void {
  if (ctx.args[field] !== undefined && !ctx.actor.isSystem) throw invalid(field, 'is set only when loading a world', 'unknownField');
}

export function mediaRemoval(w: World, m: MediaRow): Change[] {
  const changes: Change[] = w.publicationsOf(m.id).map((p) => ({ table: 'publication' as const, op: 'del' as const, row: p }));
  for (const userId of w.sharedTo(m.id)) {
    changes.push({ table: 'mediaShare', op: 'del', row: w.tables.mediaShare.get(keyOf('mediaShare', { institutionId: w.institutionId, mediaId: m.id, userId }))! });
  }
  for (const c of w.collectionsHolding(m.id)) {
    changes.push({ table: 'collectionMedia', op: 'del', row: w.tables.collectionMedia.get(keyOf('collectionMedia', { institutionId: w.institutionId, collectionId: c, mediaId: m.id }))! });
  }
  changes.push({ table: 'media', op: 'del', row: m });
  return changes;
}

export const mediaOps: Record<string, Operation> = {
  'media.create': {
    fields: ['id', 'owner', 'origin', 'title', 'presenter', 'locked', 'library'],
    plan(ctx) {
      const { world: w, args, actor } = ctx;
      only(args, this.fields);
      loaderOnly(ctx, 'locked');
      const mediaId = id(args, 'id');
      const owner = optId(args, 'owner') ?? actor.id;
      if (!w.user(owner)) throw notFound(args.owner === undefined ? 'as' : 'owner', 'user', owner);
      const presenter = optId(args, 'presenter');
      if (presenter !== undefined && !w.user(presenter)) throw notFound('presenter', 'user', presenter);
      const origin = optEnum(args, 'origin', MEDIA_ORIGINS) ?? 'upload';
      const library = optId(args, 'library');
      if (library !== undefined && !w.library(library)) throw notFound('library', 'library', library);
      authorize(ctx, 'media.create', `user:${owner}`, { owner, origin, ...(library !== undefined ? { library } : {}) });
      if (w.media(mediaId)) throw conflict('duplicateId', `a media item '${mediaId}' already exists`, 'id');
      const row: MediaRow = {
        institutionId: w.institutionId,
        id: mediaId,
        ownerId: owner,
        presenterId: presenter ?? null,
        origin,
        locked: optBool(args, 'locked') ?? false,
        title: optStr(args, 'title') ?? mediaId,
        libraryId: library ?? null,
      };
      return { changes: [{ table: 'media', op: 'put', row }], target: `media:${mediaId}`, result: row };
    },
  },
  'media.edit': {
    fields: ['media'],
    plan(ctx) {
      only(ctx.args, this.fields);
      const m = media(ctx.world, id(ctx.args, 'media'));
      authorize(ctx, 'media.edit', `media:${m.id}`);
      // The content itself lives in the platform's media store; Lectern decides and records nothing.
      return { changes: [], target: `media:${m.id}`, result: m };
    },
  },
  'media.editDetails': {
    fields: ['media', 'title'],
    plan(ctx) {
      only(ctx.args, this.fields);
      const m = media(ctx.world, id(ctx.args, 'media'));
      const title = optStr(ctx.args, 'title');
      authorize(ctx, 'media.editDetails', `media:${m.id}`);
      const row = { ...m, title: title ?? m.title };
      return { changes: row.title === m.title ? [] : [{ table: 'media', op: 'put', row }], target: `media:${m.id}`, result: row };
    },
  },
  'media.delete': {
    fields: ['media'],
    plan(ctx) {
      only(ctx.args, this.fields);
      const m = media(ctx.world, id(ctx.args, 'media'));
      authorize(ctx, 'media.delete', `media:${m.id}`);
      return { changes: mediaRemoval(ctx.world, m), target: `media:${m.id}` };
    },
  },
  'media.publish': {
    fields: ['media', 'class', 'by'],
    plan(ctx) {
      const { world: w, args, actor } = ctx;
      only(args, this.fields);
      loaderOnly(ctx, 'by');
      const m = media(w, id(args, 'media'));
      const classId = id(args, 'class');
      if (!w.class(classId)) throw notFound('class', 'class', classId);
      const by = optId(args, 'by') ?? actor.id;
      if (!w.user(by)) throw notFound('by', 'user', by);
      authorize(ctx, 'media.publish', `media:${m.id}`, { class: classId });
      if (w.publicationsOf(m.id).some((p) => p.classId === classId)) throw conflict('alreadyPublished', `${m.id} is already published in class ${classId}`, 'class');
      const row = { institutionId: w.institutionId, mediaId: m.id, classId, publishedBy: by };
      return { changes: [{ table: 'publication', op: 'put', row }], target: `media:${m.id}`, result: row };
    },
  },
  'media.unpublish': {
    fields: ['media', 'class'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const m = media(w, id(args, 'media'));
      const classId = id(args, 'class');
      if (!w.class(classId)) throw notFound('class', 'class', classId);
      const pub = w.publicationsOf(m.id).find((p) => p.classId === classId);
      if (!pub) throw notFound('class', `publication of ${m.id} in class`, classId);
      authorize(ctx, 'media.unpublish', `media:${m.id}`, { class: classId });
      return { changes: [{ table: 'publication', op: 'del', row: pub }], target: `media:${m.id}` };
    },
  },
  'media.share': {
    fields: ['media', 'user'],
    plan(ctx) {
      const { world: w, args, actor } = ctx;
      only(args, this.fields);
      const m = media(w, id(args, 'media'));
      const userId = id(args, 'user');
      if (!w.user(userId)) throw notFound('user', 'user', userId);
      authorize(ctx, 'media.share', `media:${m.id}`, { user: userId });
      if (w.isSharedWith(m.id, userId)) return { changes: [], target: `media:${m.id}` };
      const row = { institutionId: w.institutionId, mediaId: m.id, userId, sharedBy: actor.id };
      return { changes: [{ table: 'mediaShare', op: 'put', row }], target: `media:${m.id}`, result: row };
    },
  },
  'media.post': {
    fields: ['media', 'to'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const m = media(w, id(args, 'media'));
      const to = optEnum(args, 'to', POST_TARGETS);
      if (to === undefined) str(args, 'to');
      authorize(ctx, 'media.post', `media:${m.id}`, { to });
      // Embedding into an LMS homework assignment locks the media (SPEC §7).
      if (to !== 'lmsHomework' || m.locked) return { changes: [], target: `media:${m.id}`, result: m };
      const row = { ...m, locked: true };
      return { changes: [{ table: 'media', op: 'put', row }], target: `media:${m.id}`, result: row };
    },
  },
};
