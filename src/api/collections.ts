/**
 * Collections (SPEC §8): the caller's collections, one collection with its media and the caller's
 * abilities, membership (sorted by one column, searched, paged), the add-member typeahead and the
 * access levels with their permissions; writes are operations through Lectern.run.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { COLLECTION_LEVELS, COLLECTION_PERMISSIONS } from '../domain/catalog.js';
import { accessLevels, collectionMembers, MEMBER_SORTS, SEARCH_MAX, searchUsers } from '../services/queries.js';
import { abilities, authorize, caller, HttpError, runOp } from './http.js';

const Id = Type.Object({ id: Type.String({ minLength: 1 }) });
const Member = Type.Object({ id: Type.String({ minLength: 1 }), user: Type.String({ minLength: 1 }) });
const Level = {
  level: Type.Optional(Type.Union(COLLECTION_LEVELS.map((l) => Type.Literal(l)))),
  permissions: Type.Optional(Type.Array(Type.Union(COLLECTION_PERMISSIONS.map((p) => Type.Literal(p))), { maxItems: 7 })),
};
const COLLECTION_ABILITIES = {
  view: 'collection.view',
  delete: 'collection.delete',
  addMedia: 'collection.addMedia',
  removeMedia: 'collection.removeMedia',
  addMember: 'collection.addMember',
};

export const collectionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/collections', { schema: { summary: 'collections the caller may view (their own memberships; all for admins)', tags: ['collections'] } }, async (req) => {
    const c = caller(req);
    const w = c.world;
    const ids = [...w.tables.collection.keys()].filter((id) => abilities(c, `collection:${id}`, { v: 'collection.view' }).v).sort();
    return {
      revision: w.revision,
      items: ids.map((id) => ({ ...w.collection(id)!, members: w.collectionMembers(id).size, media: w.mediaInCollection(id).size, level: w.collectionMember(id, c.principal.kind === 'user' ? c.principal.userId : '')?.level ?? null })),
    };
  });

  app.post(
    '/collections',
    { schema: { summary: 'create a collection; the creator becomes its manager', tags: ['collections'], body: Type.Object({ id: Type.String({ minLength: 1 }), name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false }) } },
    async (req, reply) => runOp(req, reply, 'collection.create', req.body, { created: true }),
  );

  app.get('/collections/:id', { schema: { summary: 'one collection, its media and the caller’s abilities', tags: ['collections'], params: Id } }, async (req) => {
    const c = caller(req);
    const w = c.world;
    const col = w.collection(req.params.id);
    if (!col) throw new HttpError(404, { code: 'notFound', field: 'id', message: `collection '${req.params.id}' does not exist` });
    authorize(c, 'collection.view', `collection:${col.id}`);
    return {
      revision: w.revision,
      collection: col,
      media: [...w.mediaInCollection(col.id)].sort().map((m) => ({ id: m, title: w.media(m)?.title ?? m })),
      abilities: abilities(c, `collection:${col.id}`, COLLECTION_ABILITIES),
    };
  });

  app.delete('/collections/:id', { schema: { summary: 'delete a collection (managers, admins)', tags: ['collections'], params: Id } }, async (req, reply) =>
    runOp(req, reply, 'collection.delete', { collection: req.params.id }),
  );

  app.post(
    '/collections/:id/media',
    { schema: { summary: 'add media (the add permission)', tags: ['collections'], params: Id, body: Type.Object({ media: Type.String({ minLength: 1 }) }, { additionalProperties: false }) } },
    async (req, reply) => runOp(req, reply, 'collection.addMedia', { collection: req.params.id, media: req.body.media }, { created: true }),
  );

  app.delete(
    '/collections/:id/media/:media',
    { schema: { summary: 'remove media (the remove permission)', tags: ['collections'], params: Type.Object({ id: Type.String({ minLength: 1 }), media: Type.String({ minLength: 1 }) }) } },
    async (req, reply) => runOp(req, reply, 'collection.removeMedia', { collection: req.params.id, media: req.params.media }),
  );

  app.get(
    '/collections/:id/members',
    {
      schema: {
        summary: 'members: sort by one column (name sorts by first name), search first name, last name and email, paged',
        tags: ['collections'],
        params: Id,
        querystring: Type.Object(
          {
            sort: Type.Optional(Type.Union(MEMBER_SORTS.map((s) => Type.Literal(s)))),
            order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
            q: Type.Optional(Type.String({ maxLength: 200 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const c = caller(req);
      const w = c.world;
      if (!w.collection(req.params.id)) throw new HttpError(404, { code: 'notFound', field: 'id', message: `collection '${req.params.id}' does not exist` });
      authorize(c, 'collection.view', `collection:${req.params.id}`);
      const { sort, order, q, offset, limit } = req.query;
      const page = collectionMembers(w, c.principal, req.params.id, { ...(sort ? { sort } : {}), desc: order === 'desc', ...(q ? { q } : {}), ...(offset !== undefined ? { offset } : {}), ...(limit !== undefined ? { limit } : {}) });
      return { revision: w.revision, ...page, abilities: abilities(c, `collection:${req.params.id}`, { addMember: 'collection.addMember' }) };
    },
  );

  app.post(
    '/collections/:id/members',
    { schema: { summary: 'add a member with a level, or custom permissions', tags: ['collections'], params: Id, body: Type.Object({ user: Type.String({ minLength: 1 }), ...Level }, { additionalProperties: false }) } },
    async (req, reply) => runOp(req, reply, 'collection.addMember', { collection: req.params.id, ...req.body }, { created: true }),
  );

  app.patch(
    '/collections/:id/members/:user',
    { schema: { summary: 'change a member’s access', tags: ['collections'], params: Member, body: Type.Object(Level, { additionalProperties: false }) } },
    async (req, reply) => runOp(req, reply, 'collection.updateMember', { collection: req.params.id, user: req.params.user, ...req.body }),
  );

  app.delete('/collections/:id/members/:user', { schema: { summary: 'remove a member (or leave, for yourself)', tags: ['collections'], params: Member } }, async (req, reply) =>
    runOp(req, reply, 'collection.removeMember', { collection: req.params.id, user: req.params.user }),
  );

  app.get('/access-levels', { schema: { summary: 'the collection access levels and the permissions of each', tags: ['collections'] } }, async () => ({ items: accessLevels(), permissions: COLLECTION_PERMISSIONS }));

  app.get(
    '/user-search',
    {
      schema: {
        summary: 'typeahead for picking a person (user.search): active users by first or last name, and by email or username where the caller may view the user (optionally only academic staff); id and name (email only where viewable), at most 20, at least 2 characters',
        tags: ['collections'],
        querystring: Type.Object(
          {
            q: Type.String({ maxLength: 200 }),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: SEARCH_MAX, default: 10 })),
            role: Type.Optional(Type.Literal('academic_staff', { description: 'only holders of this role (the presenter picker of licenses)' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const c = caller(req);
      authorize(c, 'user.search', `institution:${c.world.institutionId}`);
      return { items: searchUsers(c.world, c.principal, req.query.q, req.query.limit ?? 10, req.query.role ? { role: req.query.role } : {}) };
    },
  );
};
