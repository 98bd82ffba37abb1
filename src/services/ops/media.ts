/**
 * Media operations (SPEC §7): create, edit, delete, publish, unpublish, share, post.
 */
import { MEDIA_ORIGINS, type MediaOrigin, POST_TARGETS } from '../../domain/catalog.js';
import { conflict, invalid, notFound } from '../../domain/outcome.js';
import { type Change, type MediaRow, mediaTags } from '../../domain/rows.js';
import type { Actor } from '../../policy/index.js';
import { keyOf, type World } from '../../world/world.js';
import { at, custom, defineOp, find, findOpt, type Operation } from '../operation.js';
import { bool, id, labels, oneOf, optional, prose, text } from '../validate.js';

/** Only Lectern itself, loading a world, says who did something on someone else's behalf. */
function loaderOnly(actor: Actor, args: Record<string, unknown>, field: string): void {
  if (args[field] !== undefined && !actor.isSystem) throw invalid(field, 'is set only when loading a world', 'unknownField');
}

const ONE = { media: id() };
export const MEDIA_DESCRIPTION_MAX = 5000;
export const MEDIA_TAGS_MAX = 50;
const loadMedia = ({ world: w, args }: { world: World; args: { media: string } }) => find(w, 'media', args.media);

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
  'media.create': defineOp({
    action: 'media.create',
    args: { id: id(), owner: optional(id()), origin: optional(oneOf(MEDIA_ORIGINS)), title: optional(text()), presenter: optional(id()), locked: optional(bool()), library: optional(id()) },
    load: ({ world: w, args, actor }) => {
      loaderOnly(actor, args, 'locked');
      find(w, 'user', args.owner ?? actor.id, args.owner === undefined ? 'as' : 'owner');
      findOpt(w, 'user', args.presenter, 'presenter');
      findOpt(w, 'library', args.library);
    },
    // Checked on the owner, by default the actor.
    on: custom<{ owner: string | undefined; origin: MediaOrigin | undefined; library: string | undefined }, unknown>(
      ({ args, actor }) => {
        const owner = args.owner ?? actor.id;
        return { resource: `user:${owner}`, context: { owner, origin: args.origin ?? 'upload', ...(args.library !== undefined ? { library: args.library } : {}) } };
      },
      (ref, context) => (ref.type === 'user' ? { ...context, owner: ref.id } : undefined),
    ),
    plan({ world: w, args, actor }) {
      if (w.media(args.id)) throw conflict('duplicateId', `a media item '${args.id}' already exists`, 'id');
      const row: MediaRow = {
        institutionId: w.institutionId,
        id: args.id,
        ownerId: args.owner ?? actor.id,
        presenterId: args.presenter ?? null,
        origin: args.origin ?? 'upload',
        locked: args.locked ?? false,
        title: args.title ?? args.id,
        libraryId: args.library ?? null,
        description: '',
        tags: '[]',
      };
      return { changes: [{ table: 'media', op: 'put', row }], target: `media:${args.id}`, result: row };
    },
  }),
  'media.edit': defineOp({
    action: 'media.edit',
    args: ONE,
    load: loadMedia,
    on: at('media', 'media'),
    // The content itself lives in the platform's media store; Lectern decides and records nothing.
    plan: ({ loaded: m }) => ({ changes: [], target: `media:${m.id}`, result: m }),
  }),
  'media.editDetails': defineOp({
    action: 'media.editDetails',
    // SPEC §7: the details are the title, the description and the tags; each is left as it is when not given.
    args: { ...ONE, title: optional(text()), description: optional(prose(MEDIA_DESCRIPTION_MAX)), tags: optional(labels(MEDIA_TAGS_MAX, 100)) },
    load: loadMedia,
    on: at('media', 'media'),
    plan({ args, loaded: m }) {
      const row: MediaRow = {
        ...m,
        title: args.title ?? m.title,
        description: args.description ?? m.description ?? '',
        tags: JSON.stringify(args.tags ?? mediaTags(m)),
      };
      const same = row.title === m.title && row.description === (m.description ?? '') && row.tags === (m.tags ?? '[]');
      return { changes: same ? [] : [{ table: 'media', op: 'put', row }], target: `media:${m.id}`, result: row };
    },
  }),
  'media.delete': defineOp({
    action: 'media.delete',
    args: ONE,
    load: loadMedia,
    on: at('media', 'media'),
    plan: ({ world, loaded: m }) => ({ changes: mediaRemoval(world, m), target: `media:${m.id}` }),
  }),
  'media.publish': defineOp({
    action: 'media.publish',
    args: { ...ONE, class: id(), by: optional(id()) },
    load: ({ world: w, args, actor }) => {
      loaderOnly(actor, args, 'by');
      const m = loadMedia({ world: w, args });
      find(w, 'class', args.class);
      return { m, by: find(w, 'user', args.by ?? actor.id, 'by').id };
    },
    on: custom<{ media: string; class: string }, unknown>(
      ({ args }) => ({ resource: `media:${args.media}`, context: { class: args.class } }),
      (ref, context) => (ref.type === 'media' ? { ...context, media: ref.id } : undefined),
    ),
    plan({ world: w, args, loaded: { m, by } }) {
      if (w.publicationsOf(m.id).some((p) => p.classId === args.class)) throw conflict('alreadyPublished', `${m.id} is already published in class ${args.class}`, 'class');
      const row = { institutionId: w.institutionId, mediaId: m.id, classId: args.class, publishedBy: by };
      return { changes: [{ table: 'publication', op: 'put', row }], target: `media:${m.id}`, result: row };
    },
  }),
  'media.unpublish': defineOp({
    action: 'media.unpublish',
    args: { ...ONE, class: id() },
    load: ({ world: w, args }) => {
      const m = loadMedia({ world: w, args });
      find(w, 'class', args.class);
      const pub = w.publicationsOf(m.id).find((p) => p.classId === args.class);
      if (!pub) throw notFound('class', `publication of ${m.id} in class`, args.class);
      return pub;
    },
    on: at('media', 'media'),
    plan: ({ loaded: pub }) => ({ changes: [{ table: 'publication', op: 'del', row: pub }], target: `media:${pub.mediaId}` }),
  }),
  'media.share': defineOp({
    action: 'media.share',
    args: { ...ONE, user: id() },
    load: ({ world: w, args }) => {
      find(w, 'user', args.user);
      return loadMedia({ world: w, args });
    },
    on: at('media', 'media'),
    plan({ world: w, args: { user }, actor, loaded: m }) {
      if (w.isSharedWith(m.id, user)) return { changes: [], target: `media:${m.id}` };
      const row = { institutionId: w.institutionId, mediaId: m.id, userId: user, sharedBy: actor.id };
      return { changes: [{ table: 'mediaShare', op: 'put', row }], target: `media:${m.id}`, result: row };
    },
  }),
  'media.post': defineOp({
    action: 'media.post',
    args: { ...ONE, to: oneOf(POST_TARGETS) },
    load: loadMedia,
    on: at('media', 'media'),
    plan({ args: { to }, loaded: m }) {
      // Embedding into an LMS homework assignment locks the media (SPEC §7).
      if (to !== 'lmsHomework' || m.locked) return { changes: [], target: `media:${m.id}`, result: m };
      const row = { ...m, locked: true };
      return { changes: [{ table: 'media', op: 'put', row }], target: `media:${m.id}`, result: row };
    },
  }),
};
