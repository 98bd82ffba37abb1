/**
 * The institution (GET/PATCH the current one, POST a new one for system admins) and its org units
 * (listed in tree order; create, update/move, delete). Reads carry the caller's abilities.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { LICENSING_MODES } from '../domain/catalog.js';
import { decide } from '../policy/index.js';
import { abilities, caller, denied, runOp } from './http.js';

const Settings = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  delegatedAdministration: Type.Optional(Type.Boolean()),
  studentLibrary: Type.Optional(Type.Boolean()),
  personalCaptureLicensing: Type.Optional(Type.Union(LICENSING_MODES.map((m) => Type.Literal(m)))),
  activityRetentionDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650, description: 'days the student activity record is kept; 0: for ever (docs/ACTIVITY.md)' })),
};
const UnitId = Type.Object({ id: Type.String({ minLength: 1 }) });

export const institutionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/institution', { schema: { summary: 'the institution the request acts in', tags: ['institution'] } }, async (req) => {
    const c = caller(req);
    return {
      institution: c.world.institution,
      rootUnit: c.world.rootId,
      revision: c.world.revision,
      abilities: abilities(c, `institution:${c.institutionId}`, { configure: 'institution.configure' }),
    };
  });

  // Issue 20: system admins see several institutions; the console's users list filters by one of
  // them (then sends Lectern-Institution). Asked of policy in the caller's home institution.
  app.get('/institutions', { schema: { summary: 'every institution, for system admins (platform.configure)', tags: ['institution'] } }, async (req) => {
    const c = caller(req);
    const d = decide(c.home, c.principal, 'platform.configure', 'platform:main');
    if (!d.allow) throw denied(d.reasons);
    return { items: (await req.server.lectern.store.listInstitutions()).map((i) => ({ id: i.institutionId, name: i.name })) };
  });

  app.patch(
    '/institution',
    { schema: { summary: 'change the institution’s settings (institution.configure)', tags: ['institution'], body: Type.Object(Settings, { additionalProperties: false }) } },
    async (req, reply) => runOp(req, reply, 'institution.configure', req.body),
  );

  app.post(
    '/institutions',
    {
      schema: {
        summary: 'create an institution (system admins; institution.create)',
        tags: ['institution'],
        body: Type.Object(
          { id: Type.String({ minLength: 1 }), ...Settings, name: Type.String({ minLength: 1, maxLength: 200 }), rootName: Type.Optional(Type.String({ minLength: 1 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => runOp(req, reply, 'institution.create', req.body, { created: true, institutionId: req.body.id }),
  );

  app.get('/units', { schema: { summary: 'the org units in tree order (root first), with depth and abilities', tags: ['units'] } }, async (req) => {
    const c = caller(req);
    const tree = c.world.tree;
    return {
      revision: c.world.revision,
      items: tree.ordered().map((u) => ({
        id: u.id,
        parentId: u.parentId,
        name: u.name,
        depth: tree.depth(u.id),
        abilities: abilities(c, `unit:${u.id}`, { create: 'unit.create', update: 'unit.update', delete: 'unit.delete' }),
      })),
    };
  });

  app.post(
    '/units',
    {
      schema: {
        summary: 'create a unit (under the root unless parent is given)',
        tags: ['units'],
        body: Type.Object(
          { id: Type.String({ minLength: 1 }), parent: Type.Optional(Type.String({ minLength: 1 })), name: Type.Optional(Type.String({ minLength: 1 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => runOp(req, reply, 'unit.create', req.body, { created: true }),
  );

  app.patch(
    '/units/:id',
    {
      schema: {
        summary: 'rename a unit or move it under another parent',
        tags: ['units'],
        params: UnitId,
        body: Type.Object({ name: Type.Optional(Type.String({ minLength: 1 })), parent: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false }),
      },
    },
    async (req, reply) => runOp(req, reply, 'unit.update', { unit: req.params.id, ...req.body }),
  );

  app.delete('/units/:id', { schema: { summary: 'delete an empty unit', tags: ['units'], params: UnitId } }, async (req, reply) =>
    runOp(req, reply, 'unit.delete', { unit: req.params.id }),
  );
};
