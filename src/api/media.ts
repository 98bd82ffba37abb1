/**
 * Media over HTTP (SPEC §7): one media item with its publications and the caller's abilities for
 * every media action; create, edit details, delete, publish, unpublish, share, post. And the
 * lookups the platform needs: the media a user may view (paged), the sections where a user may
 * publish, the classes where a user may publish one item, and the users who may view an item.
 * Writes are operations through Lectern.run; lookups are policy's (policy/lookups.ts), which keep
 * only what `decide` allows, so they agree with POST /v1/check.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MEDIA_ORIGINS, POST_TARGETS } from '../domain/catalog.js';
import { type MediaRow, mediaTags } from '../domain/rows.js';
import { MEDIA_DESCRIPTION_MAX, MEDIA_TAGS_MAX } from '../services/ops/media.js';
import { publishableSections, publishTargets, usersWhoMayView, viewableMedia } from '../policy/lookups.js';
import { allows } from '../services/agree.js';
import { decide, type Principal } from '../policy/index.js';
import { abilities, authorize, type Caller, decideAs, runOp } from './http.js';
import { current, notFound } from './teaching.js';

const Id = Type.Object({ id: Type.String({ minLength: 1 }) });
const Body = <T extends Record<string, Parameters<typeof Type.Object>[0][string]>>(fields: T) => Type.Object(fields, { additionalProperties: false });
const Literals = (xs: readonly string[]) => Type.Union(xs.map((x) => Type.Literal(x)));
const ClassBody = Body({ class: Type.String({ minLength: 1, description: 'class id' }) });

/** Every media action but publish/unpublish (those name a class: see publications and publish-targets). */
const MEDIA_ABILITIES = {
  view: 'media.view',
  edit: 'media.edit',
  editDetails: 'media.editDetails',
  editTranscripts: 'media.editTranscripts',
  delete: 'media.delete',
  download: 'media.download',
  copy: 'media.copy',
  share: 'media.share',
  post: 'media.post',
};

function mediaFound(c: Caller, id: string): MediaRow {
  const m = c.world.media(id);
  if (!m) throw notFound('id', 'media', id);
  return m;
}

function mediaView(m: MediaRow) {
  return { id: m.id, title: m.title, description: m.description ?? '', tags: mediaTags(m), owner: m.ownerId, presenter: m.presenterId, origin: m.origin, locked: m.locked, library: m.libraryId };
}

/** The principal a lookup is about: the caller, or a user the caller may view (`user.view`). */
function subject(c: Caller, lectern: { principal(i: string, u: string): Principal }, userId: string | undefined): Principal {
  const p = c.principal;
  if (userId === undefined || (p.kind === 'user' && p.userId === userId && p.institutionId === c.institutionId)) return p;
  if (!c.world.user(userId)) throw notFound('user', 'user', userId);
  authorize(c, 'user.view', `user:${userId}`);
  return lectern.principal(c.institutionId, userId);
}

export const mediaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/media/:id', { schema: { summary: 'one media item with its publications and the caller’s abilities (media.view)', tags: ['media'], params: Id } }, async (req) => {
    const c = await current(req);
    const w = c.world;
    const m = mediaFound(c, req.params.id);
    authorize(c, 'media.view', `media:${m.id}`);
    const resource = `media:${m.id}`;
    const publications = w.publicationsOf(m.id).map((p) => {
      const k = w.class(p.classId);
      return { class: p.classId, section: k?.sectionId ?? null, kind: k?.kind ?? null, publishedBy: p.publishedBy, abilities: abilities(c, resource, { unpublish: 'media.unpublish' }, { class: p.classId }) };
    });
    const share = decideAs(c, 'media.share', resource).allow;
    return {
      revision: w.revision,
      media: mediaView(m),
      publications,
      // Who it was shared with is for those who may share it.
      ...(share ? { sharedWith: [...w.sharedTo(m.id)].sort() } : {}),
      abilities: {
        ...abilities(c, resource, MEDIA_ABILITIES),
        downloadAudio: decideAs(c, 'media.download', resource, { format: 'audio' }).allow,
        publish: publishTargets(w, c.principal, m.id, undefined, allows).length > 0,
      },
    };
  });

  app.post(
    '/media',
    {
      schema: {
        summary: 'create a media item (media.create): an upload of one’s own, or a capture / media for another owner by an admin',
        tags: ['media'],
        body: Body({
          id: Type.String({ minLength: 1 }),
          title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          origin: Type.Optional(Literals(MEDIA_ORIGINS)),
          owner: Type.Optional(Type.String({ minLength: 1, description: 'default: the caller' })),
          presenter: Type.Optional(Type.String({ minLength: 1 })),
          library: Type.Optional(Type.String({ minLength: 1 })),
        }),
      },
    },
    async (req, reply) => runOp(req, reply, 'media.create', req.body, { created: true }),
  );
  app.patch(
    '/media/:id',
    {
      schema: {
        summary: 'edit a media item’s details: title, description, tags; what is left out stays as it is (media.editDetails)',
        tags: ['media'],
        params: Id,
        body: Body({
          title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          description: Type.Optional(Type.String({ maxLength: MEDIA_DESCRIPTION_MAX, description: 'may span lines; empty clears it' })),
          tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: MEDIA_TAGS_MAX, description: 'replaces the tags; repeats (ignoring case) are dropped; [] clears them' })),
        }),
      },
    },
    async (req, reply) => {
      const out = await runOp(req, reply, 'media.editDetails', { media: req.params.id, ...req.body });
      // The details as GET /v1/media/:id shows them (tags as a list), not the stored row.
      return { ...out, ...(out.result ? { result: mediaView(out.result as MediaRow) } : {}) };
    },
  );
  app.delete('/media/:id', { schema: { summary: 'delete a media item (media.delete)', tags: ['media'], params: Id } }, async (req, reply) => runOp(req, reply, 'media.delete', { media: req.params.id }));

  app.post('/media/:id/publish', { schema: { summary: 'publish to a class (media.publish)', tags: ['media'], params: Id, body: ClassBody } }, async (req, reply) =>
    runOp(req, reply, 'media.publish', { media: req.params.id, class: req.body.class }, { created: true }),
  );
  app.post('/media/:id/unpublish', { schema: { summary: 'remove from a class (media.unpublish)', tags: ['media'], params: Id, body: ClassBody } }, async (req, reply) =>
    runOp(req, reply, 'media.unpublish', { media: req.params.id, class: req.body.class }),
  );
  app.post(
    '/media/:id/share',
    { schema: { summary: 'share with one user (media.share)', tags: ['media'], params: Id, body: Body({ user: Type.String({ minLength: 1, description: 'user id' }) }) } },
    async (req, reply) => runOp(req, reply, 'media.share', { media: req.params.id, user: req.body.user }, { created: true }),
  );
  app.post(
    '/media/:id/post',
    { schema: { summary: 'post to a public link, an LMS embed or an LMS homework assignment (locks it) (media.post)', tags: ['media'], params: Id, body: Body({ to: Literals(POST_TARGETS) }) } },
    async (req, reply) => runOp(req, reply, 'media.post', { media: req.params.id, to: req.body.to }),
  );

  app.get(
    '/sections/:id/media',
    { schema: { summary: 'the media published in a section’s classes that the caller may view (media.view), each with its classes there and the caller’s abilities', tags: ['media'], params: Id } },
    async (req) => {
      const c = await current(req);
      const w = c.world;
      const sectionId = req.params.id;
      if (!w.section(sectionId)) throw notFound('id', 'section', sectionId);
      authorize(c, 'section.view', `section:${sectionId}`);
      const classes = new Map<string, string[]>();
      for (const k of [...w.classesOf(sectionId)].sort()) for (const m of w.mediaInClass(k)) classes.set(m, [...(classes.get(m) ?? []), k]);
      const items = [...classes.entries()]
        .filter(([m]) => decide(w, c.principal, 'media.view', `media:${m}`, {}, { explain: false }).allow)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([id, in_]) => {
          const m = w.media(id)!;
          const resource = `media:${id}`;
          return {
            ...mediaView(m),
            classes: in_.map((k) => ({ class: k, name: w.class(k)?.name ?? null, abilities: abilities(c, resource, { unpublish: 'media.unpublish' }, { class: k }) })),
            abilities: abilities(c, resource, MEDIA_ABILITIES),
          };
        });
      return { revision: w.revision, items };
    },
  );

  // --- lookups ---
  app.get(
    '/users/:id/viewable-media',
    {
      schema: {
        summary: 'the media a user may view, by id, paged (oneself; or a user the caller may view, then only the items the caller may view too)',
        tags: ['lookups'],
        params: Id,
        querystring: Body({ after: Type.Optional(Type.String({ minLength: 1, description: 'the `next` of the previous page' })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }),
      },
    },
    async (req) => {
      const c = await current(req);
      const who = subject(c, app.lectern, req.params.id);
      const { after, limit } = req.query;
      const page = viewableMedia(c.world, who, { ...(after !== undefined ? { after } : {}), ...(limit !== undefined ? { limit } : {}), ...(who !== c.principal ? { seenBy: c.principal } : {}) });
      return { revision: c.world.revision, total: page.total, ...(page.next !== undefined ? { next: page.next } : {}), items: page.items.map((id) => mediaView(c.world.media(id)!)) };
    },
  );
  app.get('/users/:id/publishable-sections', { schema: { summary: 'the sections where a user may publish their own media (of another user: only sections the caller may see)', tags: ['lookups'], params: Id } }, async (req) => {
    const c = await current(req);
    const w = c.world;
    const who = subject(c, app.lectern, req.params.id);
    const items = publishableSections(w, who, who !== c.principal ? c.principal : undefined).map((id) => ({ id, name: w.section(id)?.name ?? id, classes: [...w.classesOf(id)].sort() }));
    return { revision: w.revision, items };
  });
  app.get(
    '/media/:id/publish-targets',
    { schema: { summary: 'the classes where a user (default: the caller) may publish this media item', tags: ['lookups'], params: Id, querystring: Body({ user: Type.Optional(Type.String({ minLength: 1 })) }) } },
    async (req) => {
      const c = await current(req);
      const w = c.world;
      const m = mediaFound(c, req.params.id);
      const who = subject(c, app.lectern, req.query.user);
      const items = publishTargets(w, who, m.id, who !== c.principal ? c.principal : undefined, allows).map((id) => ({ class: id, section: w.class(id)?.sectionId ?? null, name: w.class(id)?.name ?? id }));
      return { revision: w.revision, items };
    },
  );
  app.get('/media/:id/viewers', { schema: { summary: 'the users who may view a media item (for those allowed media.share on it)', tags: ['lookups'], params: Id } }, async (req) => {
    const c = await current(req);
    const m = mediaFound(c, req.params.id);
    // Who can see an item is for its owner, its teachers and its admins: the ones policy lets share it.
    authorize(c, 'media.share', `media:${m.id}`);
    return { revision: c.world.revision, items: usersWhoMayView(c.world, m.id) };
  });
};
