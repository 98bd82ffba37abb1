/**
 * Users (list in staff/students tabs with filters, search, sort and paging; create; read with
 * roles; update; deactivate/reactivate; delete; set a password) and their staff roles.
 * Every read is authorized with `user.view`; every write is an operation through Lectern.run.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { UserRow } from '../domain/rows.js';
import { isStaff } from '../policy/index.js';
import { abilities, authorize, type Caller, caller, decideAs, fromRefusal, HttpError, runOp } from './http.js';

const Id = Type.Object({ id: Type.String({ minLength: 1 }) });
const Fields = {
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
  firstName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  lastName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  identityProvider: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
};
const SORTABLE = ['id', 'username', 'email', 'firstName', 'lastName', 'status'] as const;
const RoleBody = Type.Object({ role: Type.String({ minLength: 1 }), scope: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false });

const USER_ABILITIES = { update: 'user.update', deactivate: 'user.deactivate', delete: 'user.delete' };

function view(u: UserRow) {
  return { id: u.id, username: u.username, email: u.email, firstName: u.firstName, lastName: u.lastName, identityProvider: u.identityProvider, status: u.status };
}

function rolesOf(c: Caller, userId: string) {
  const w = c.world;
  const staff: { role: string; scope: string | null; name?: string }[] = w.grantsOf(userId).map((g) => ({ role: g.role, scope: g.scopeType === 'unit' ? g.scopeId : g.scopeType === 'platform' ? 'platform' : null }));
  // Custom roles (docs/ROLES.md), with their names; a section scope is written section:<id>.
  for (const g of w.customGrantsOf(userId) ?? []) staff.push({ role: g.roleId, scope: g.scopeType === 'section' ? `section:${g.scopeId}` : g.scopeId, name: w.customRole(g.roleId)?.name ?? g.roleId });
  return staff;
}

/** May the caller grant some staff role to this user somewhere? (Asked of policy, unit by unit.) */
function mayGrantAny(c: Caller, userId: string): boolean {
  return c.world.tree.ordered().some((u) => decideAs(c, 'role.grant', `user:${userId}`, { user: userId, role: 'academic_staff', scope: u.id }).allow);
}

/** The user named in the path: 404 when there is none (policy's denial would say as much), then `user.view`. */
function found(c: Caller, id: string): UserRow {
  const u = c.world.user(id);
  if (!u) throw new HttpError(404, { code: 'notFound', field: 'id', message: `user '${id}' does not exist` });
  authorize(c, 'user.view', `user:${id}`);
  return u;
}

export const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/users',
    {
      schema: {
        summary: 'users the caller may view: staff or students tab, filtered by unit and role, searched, sorted and paged',
        tags: ['users'],
        querystring: Type.Object(
          {
            tab: Type.Optional(Type.Union([Type.Literal('staff'), Type.Literal('students')])),
            unit: Type.Optional(Type.String({ minLength: 1, description: 'holding a role at a unit within this one' })),
            role: Type.Optional(Type.String({ minLength: 1 })),
            library: Type.Optional(Type.String({ minLength: 1, description: 'holding a role in this library' })),
            collection: Type.Optional(Type.String({ minLength: 1, description: 'a member of this collection' })),
            q: Type.Optional(Type.String({ description: 'matches first name, last name, email or username' })),
            status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('deactivated')])),
            sort: Type.Optional(Type.String({ pattern: `^-?(${SORTABLE.join('|')})$`, description: 'a field, - for descending' })),
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
      const { tab, unit, role, status, library, collection, sort = 'lastName', offset = 0, limit = 50 } = req.query;
      if (unit !== undefined && !w.tree.units.has(unit)) throw new HttpError(404, { code: 'notFound', field: 'unit', message: `unit '${unit}' does not exist` });
      if (library !== undefined && !w.library(library)) throw new HttpError(404, { code: 'notFound', field: 'library', message: `library '${library}' does not exist` });
      if (collection !== undefined && !w.collection(collection)) throw new HttpError(404, { code: 'notFound', field: 'collection', message: `collection '${collection}' does not exist` });
      const q = req.query.q?.trim().toLowerCase();
      const matches = (u: UserRow): boolean => {
        if (status && u.status !== status) return false;
        if (tab && (tab === 'staff') !== isStaff(w, u.id)) return false;
        if (role && !w.grantsOf(u.id).some((g) => g.role === role)) return false;
        if (unit && !w.grantsOf(u.id).some((g) => g.scopeType === 'unit' && w.tree.within(g.scopeId, unit))) return false;
        if (library && !w.libraryRole(u.id, library)) return false;
        if (collection && !w.collectionMember(collection, u.id)) return false;
        if (q && ![u.firstName, u.lastName, u.email, u.username].some((s) => s.toLowerCase().includes(q))) return false;
        return decideAs(c, 'user.view', `user:${u.id}`).allow;
      };
      const seesLicenses = decideAs(c, 'license.view', `institution:${c.institutionId}`).allow;
      const key = sort.replace(/^-/, '') as (typeof SORTABLE)[number];
      const dir = sort.startsWith('-') ? -1 : 1;
      const all = [...w.users.values()]
        .filter(matches)
        .sort((a, b) => dir * (a[key].localeCompare(b[key]) || a.firstName.localeCompare(b.firstName) || a.id.localeCompare(b.id)));
      return {
        revision: w.revision,
        total: all.length,
        offset,
        limit,
        // The packs each user holds a seat of, for callers who may see licenses (the console's "Assigned licenses" column).
        ...(seesLicenses ? { licenses: true } : {}),
        items: all
          .slice(offset, offset + limit)
          .map((u) => ({ ...view(u), staff: isStaff(w, u.id), ...(seesLicenses ? { licenses: [...w.seatsOf(u.id)].sort() } : {}), abilities: abilities(c, `user:${u.id}`, USER_ABILITIES) })),
      };
    },
  );

  app.get(
    '/user-identity-providers',
    { schema: { summary: 'the identity providers a user may be given (for user.create callers): local, the configured directories and the institution’s sign-in providers; ids and names only', tags: ['users'] } },
    async (req) => {
      const c = caller(req);
      authorize(c, 'user.create', `institution:${c.institutionId}`);
      const items = [
        { id: 'local', name: 'Lectern password (local)', kind: 'local' },
        ...[...app.lectern.directories.keys()].sort().map((id) => ({ id, name: `${id} (directory)`, kind: 'directory' })),
        ...[...c.world.tables.identityProvider.values()]
          .sort((a, b) => a.id.localeCompare(b.id))
          .map((p) => ({ id: p.id, name: `${p.displayName || p.id} (single sign-on)`, kind: 'sso' })),
      ];
      return { items };
    },
  );

  app.post(
    '/users',
    {
      schema: {
        summary: 'create a user',
        tags: ['users'],
        // Names and email may be left out for a user of an external identity provider: its directory fills them.
        body: Type.Object({ id: Type.String({ minLength: 1 }), ...Fields }, { additionalProperties: false }),
      },
    },
    async (req, reply) => runOp(req, reply, 'user.create', req.body, { created: true }),
  );

  app.get('/users/:id', { schema: { summary: 'one user with their roles and the caller’s abilities on them', tags: ['users'], params: Id } }, async (req) => {
    const c = caller(req);
    const u = found(c, req.params.id);
    return {
      revision: c.world.revision,
      user: { ...view(u), staff: isStaff(c.world, u.id), roles: rolesOf(c, u.id) },
      abilities: { ...abilities(c, `user:${u.id}`, USER_ABILITIES), grantRole: mayGrantAny(c, u.id) },
    };
  });

  app.patch(
    '/users/:id',
    { schema: { summary: 'change a user’s fields', tags: ['users'], params: Id, body: Type.Object(Fields, { additionalProperties: false }) } },
    async (req, reply) => runOp(req, reply, 'user.update', { user: req.params.id, ...req.body }),
  );

  for (const verb of ['deactivate', 'reactivate'] as const) {
    app.post(`/users/:id/${verb}`, { schema: { summary: `${verb} a user`, tags: ['users'], params: Id } }, async (req, reply) =>
      runOp(req, reply, `user.${verb}`, { user: req.params.id }),
    );
  }

  app.delete('/users/:id', { schema: { summary: 'delete a user and their roles', tags: ['users'], params: Id } }, async (req, reply) =>
    runOp(req, reply, 'user.delete', { user: req.params.id }),
  );

  app.put(
    '/users/:id/password',
    {
      schema: {
        summary: 'change your own password (give currentPassword; your other sessions end), or set a temporary one for someone else with user.update on them (they must change it at the next sign-in; their sessions end)',
        tags: ['users'],
        params: Id,
        body: Type.Object({ password: Type.String({ maxLength: 1024 }), currentPassword: Type.Optional(Type.String({ maxLength: 1024 })) }, { additionalProperties: false }),
      },
    },
    async (req, reply) => {
      const c = caller(req);
      const refusal = await app.auth.setPassword(c.principal, c.institutionId, req.params.id, req.body.password, {
        currentPassword: req.body.currentPassword,
        by: { actor: c.principal.kind === 'user' && c.principal.institutionId !== c.institutionId ? `${c.principal.institutionId}/${c.identity.userId}` : c.identity.userId, address: req.ip },
        ...(c.identity.via === 'session' ? { session: c.identity.id } : {}),
      });
      if (refusal) throw fromRefusal(refusal);
      return reply.status(204).send();
    },
  );

  app.get('/users/:id/roles', { schema: { summary: 'a user’s staff roles', tags: ['roles'], params: Id } }, async (req) => {
    const c = caller(req);
    const u = found(c, req.params.id);
    return { revision: c.world.revision, items: rolesOf(c, u.id) };
  });

  app.post('/users/:id/roles', { schema: { summary: 'grant a staff role (role.grant)', tags: ['roles'], params: Id, body: RoleBody } }, async (req, reply) =>
    runOp(req, reply, 'role.grant', { user: req.params.id, ...req.body }, { created: true }),
  );

  app.delete(
    '/users/:id/roles',
    { schema: { summary: 'revoke a staff role (role.revoke); ?role=&scope=', tags: ['roles'], params: Id, querystring: RoleBody } },
    async (req, reply) => runOp(req, reply, 'role.revoke', { user: req.params.id, ...req.query }),
  );
};
