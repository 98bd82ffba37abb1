/**
 * Libraries, default libraries, feature grants and a user's permissions page (SPEC §9).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { FEATURES, LIBRARY_ROLES } from '../domain/catalog.js';
import { permissionsPage } from '../services/queries.js';
import { abilities, authorize, caller, HttpError, runOp } from './http.js';

const Id = Type.Object({ id: Type.String({ minLength: 1 }) });
const Member = Type.Object({ id: Type.String({ minLength: 1 }), user: Type.String({ minLength: 1 }) });
const Role = Type.Union(LIBRARY_ROLES.map((r) => Type.Literal(r)));
const Feature = Type.Union(FEATURES.map((f) => Type.Literal(f)));

export const libraryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/libraries', { schema: { summary: 'libraries the caller may view, with their unit and the caller’s abilities', tags: ['libraries'] } }, async (req) => {
    const c = caller(req);
    const w = c.world;
    const items = [...w.tables.library.values()]
      .filter((l) => abilities(c, `library:${l.id}`, { v: 'library.view' }).v)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((l) => ({ ...l, members: w.libraryMembers(l.id).size, abilities: abilities(c, `library:${l.id}`, { grant: 'library.grant', delete: 'library.delete' }) }));
    return { revision: w.revision, items };
  });

  app.post(
    '/libraries',
    { schema: { summary: 'create a library in a unit', tags: ['libraries'], body: Type.Object({ id: Type.String({ minLength: 1 }), unit: Type.Optional(Type.String({ minLength: 1 })), name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false }) } },
    async (req, reply) => runOp(req, reply, 'library.create', req.body, { created: true }),
  );

  app.delete('/libraries/:id', { schema: { summary: 'delete an empty library', tags: ['libraries'], params: Id } }, async (req, reply) => runOp(req, reply, 'library.delete', { library: req.params.id }));

  app.get('/libraries/:id/members', { schema: { summary: 'who holds which role in a library', tags: ['libraries'], params: Id } }, async (req) => {
    const c = caller(req);
    const w = c.world;
    if (!w.library(req.params.id)) throw new HttpError(404, { code: 'notFound', field: 'id', message: `library '${req.params.id}' does not exist` });
    authorize(c, 'library.view', `library:${req.params.id}`);
    const items = [...w.libraryMembers(req.params.id)].sort().map(([user, role]) => ({ user, role, isDefault: w.defaultLibraryOf(user) === req.params.id }));
    return { revision: w.revision, items };
  });

  app.put(
    '/libraries/:id/members/:user',
    { schema: { summary: 'grant (or change) a library role', tags: ['libraries'], params: Member, body: Type.Object({ role: Role }, { additionalProperties: false }) } },
    async (req, reply) => runOp(req, reply, 'library.grant', { library: req.params.id, user: req.params.user, role: req.body.role }),
  );

  app.delete('/libraries/:id/members/:user', { schema: { summary: 'remove access to a library (not the default library)', tags: ['libraries'], params: Member } }, async (req, reply) =>
    runOp(req, reply, 'library.revoke', { library: req.params.id, user: req.params.user }),
  );

  app.put(
    '/users/:id/default-library',
    { schema: { summary: 'set a user’s default library', tags: ['libraries'], params: Id, body: Type.Object({ library: Type.String({ minLength: 1 }) }, { additionalProperties: false }) } },
    async (req, reply) => runOp(req, reply, 'user.setDefaultLibrary', { user: req.params.id, library: req.body.library }),
  );

  app.put('/users/:id/features/:feature', { schema: { summary: 'grant a feature', tags: ['libraries'], params: Type.Object({ id: Type.String({ minLength: 1 }), feature: Feature }) } }, async (req, reply) =>
    runOp(req, reply, 'feature.grant', { user: req.params.id, feature: req.params.feature }),
  );

  app.delete('/users/:id/features/:feature', { schema: { summary: 'revoke a feature', tags: ['libraries'], params: Type.Object({ id: Type.String({ minLength: 1 }), feature: Feature }) } }, async (req, reply) =>
    runOp(req, reply, 'feature.revoke', { user: req.params.id, feature: req.params.feature }),
  );

  app.get('/users/:id/permissions', { schema: { summary: 'everything a user can reach, each editable and removable per the rules', tags: ['libraries'], params: Id } }, async (req) => {
    const c = caller(req);
    const w = c.world;
    authorize(c, 'user.view', `user:${req.params.id}`);
    if (!w.user(req.params.id)) throw new HttpError(404, { code: 'notFound', field: 'id', message: `user '${req.params.id}' does not exist` });
    return { revision: w.revision, defaultLibrary: w.defaultLibraryOf(req.params.id) ?? null, items: permissionsPage(w, c.principal, req.params.id) };
  });
};
