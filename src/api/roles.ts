/**
 * Roles (docs/ROLES.md): what each role does (built-in and custom, under the institution's names),
 * who holds a custom role; defining, changing and deleting custom roles and renaming roles are
 * operations through Lectern.run. Granting is POST /v1/users/:id/roles as for any role.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { holdersOf, rolesOf } from '../services/roles.js';
import { authorize, caller, HttpError, runOp } from './http.js';

const Id = Type.Object({ id: Type.String({ minLength: 1 }) });
const Capabilities = Type.Array(Type.Union([Type.String(), Type.Object({ action: Type.String(), narrow: Type.Optional(Type.Record(Type.String(), Type.String())) })]), { maxItems: 200 });

export const roleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/roles', { schema: { summary: 'every role (built-in, access levels, custom) with its capabilities and scope kind; admins', tags: ['roles'] } }, async (req) => {
    const c = caller(req);
    authorize(c, 'role.view', `institution:${c.institutionId}`);
    const w = c.world;
    return { revision: w.revision, items: rolesOf(w) };
  });

  app.get('/roles/:id', { schema: { summary: 'one role, and who holds it (custom roles)', tags: ['roles'], params: Id } }, async (req) => {
    const c = caller(req);
    authorize(c, 'role.view', `institution:${c.institutionId}`);
    const w = c.world;
    const role = rolesOf(w).find((r) => r.id === req.params.id && (r.kind === 'custom' || r.kind === 'staff' || r.kind === 'section'));
    if (!role) throw new HttpError(404, { code: 'notFound', field: 'id', message: `role '${req.params.id}' does not exist` });
    return { revision: w.revision, role, ...(role.kind === 'custom' ? { holders: holdersOf(w, role.id) } : {}) };
  });

  app.post(
    '/roles',
    {
      schema: {
        summary: 'define a custom role (role.define)',
        tags: ['roles'],
        body: Type.Object(
          {
            id: Type.String({ minLength: 1 }),
            name: Type.String({ minLength: 1, maxLength: 80 }),
            description: Type.Optional(Type.String({ maxLength: 500 })),
            scope: Type.Optional(Type.Union([Type.Literal('unit'), Type.Literal('section')])),
            unit: Type.Optional(Type.String({ minLength: 1 })),
            capabilities: Capabilities,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => runOp(req, reply, 'role.define', req.body, { created: true }),
  );

  app.patch(
    '/roles/:id',
    {
      schema: {
        summary: 'change a custom role (role.update): refused when a holder would gain what the changer could not grant',
        tags: ['roles'],
        params: Id,
        body: Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })), description: Type.Optional(Type.String({ maxLength: 500 })), capabilities: Type.Optional(Capabilities) }, { additionalProperties: false }),
      },
    },
    async (req, reply) => runOp(req, reply, 'role.update', { ...req.body, role: req.params.id }),
  );

  app.delete('/roles/:id', { schema: { summary: 'delete a custom role and its grants (role.delete)', tags: ['roles'], params: Id } }, async (req, reply) =>
    runOp(req, reply, 'role.delete', { role: req.params.id }),
  );

  app.put(
    '/role-names',
    { schema: { summary: 'rename roles and access levels for display (institution.renameRoles); an empty name restores the built-in one', tags: ['roles'], body: Type.Object({ names: Type.Record(Type.String(), Type.String({ maxLength: 60 })) }, { additionalProperties: false }) } },
    async (req, reply) => runOp(req, reply, 'institution.renameRoles', req.body),
  );
};
