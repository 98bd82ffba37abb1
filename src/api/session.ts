/**
 * Who is signed in (GET/DELETE /v1/session) and the caller's API tokens (/v1/tokens).
 * Signing in (POST /v1/session) is public and lives in public.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { SESSION_COOKIE } from './authn.js';
import { decide, IMPORT_KINDS } from '../policy/index.js';
import { allowedSomewhere } from '../policy/somewhere.js';
import { type Caller, caller, decideAs, HttpError } from './http.js';

/** What the console needs to know about the caller: who they are and what they may do at the top. */
const SESSION_ABILITIES: Record<string, string> = {
  'console.signIn': 'institution',
  'institution.configure': 'institution',
  'user.create': 'institution',
  'institution.create': 'platform',
  'platform.configure': 'platform',
  // The console's navigation (issue 17): pages are shown from these, never by probing endpoints.
  'license.view': 'institution',
  'audit.view': 'institution',
  'identityProvider.view': 'institution',
  'lti.view': 'institution',
  'room.create': 'institution',
  'device.register': 'institution',
  'user.search': 'institution',
};

/**
 * Actions the caller may take *somewhere*: on the first of the places they could apply where policy
 * allows it — a unit (policy/somewhere.ts: the units where an allow can first appear),
 * the sections the caller is enrolled in, the collections they belong to (and, for admins, any
 * collection), every kind of CSV file. Each answer is policy's `decide`, asked without reasons.
 */
export const UNIT_ACTIONS = ['unit.create', 'unit.update', 'unit.delete', 'unit.settings', 'term.create', 'course.create', 'section.create', 'schedule.create', 'library.create'] as const;

function anywhere(c: Caller): Record<string, boolean> {
  const w = c.world;
  const ask = (action: string, resource: string, context: Record<string, unknown> = {}) => decide(w, c.principal, action, resource, context, { explain: false }).allow;
  const out: Record<string, boolean> = {};
  for (const a of UNIT_ACTIONS) out[a] = allowedSomewhere(w, c.principal, a);
  const me = c.principal.kind === 'user' && c.principal.institutionId === c.institutionId ? c.principal.userId : undefined;
  // A section of one's own: the sections the caller is enrolled in (their teaching, not what they manage).
  out['section.view'] = me !== undefined && [...w.enrollmentsOf(me).keys()].some((s) => ask('section.view', `section:${s}`));
  const firstCollection = w.tables.collection.keys().next().value;
  const collections = [...(me !== undefined ? w.collectionsOf(me) : []), ...(firstCollection !== undefined ? [firstCollection] : [])];
  out['collection.view'] = collections.some((id) => ask('collection.view', `collection:${id}`));
  const inst = `institution:${c.institutionId}`;
  out['import.run'] = IMPORT_KINDS.some((kind) => ask('import.run', inst, { kind }));
  out['export.run'] = IMPORT_KINDS.some((kind) => ask('export.run', inst, { kind }));
  return out;
}

export function sessionView(c: Caller) {
  const u = c.home.user(c.identity.userId);
  const abilities = Object.fromEntries(
    Object.entries(SESSION_ABILITIES).map(([action, on]) => [
      action,
      decideAs(c, action, on === 'platform' ? 'platform:main' : `institution:${c.institutionId}`).allow,
    ]),
  );
  return {
    via: c.identity.via,
    institution: { id: c.institutionId, name: c.world.institution.name },
    home: c.identity.institutionId,
    user: u && { id: u.id, username: u.username, email: u.email, firstName: u.firstName, lastName: u.lastName },
    revision: c.world.revision,
    abilities,
    anywhere: anywhere(c),
    // Signed in with a temporary password: nothing but PUT /v1/users/<id>/password until it is changed.
    ...(c.identity.passwordChangeRequired ? { passwordChangeRequired: true } : {}),
  };
}

export const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/session', { schema: { summary: 'who is signed in, with their abilities', tags: ['session'] } }, async (req) => sessionView(caller(req)));

  app.delete('/session', { schema: { summary: 'sign out', tags: ['session'] } }, async (req, reply) => {
    const c = caller(req);
    const cookie = req.cookies[SESSION_COOKIE];
    if (c.identity.via === 'session' && cookie) await app.auth.signOut(cookie, req.ip);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.status(204).send();
  });

  app.post(
    '/tokens',
    {
      schema: {
        summary: 'create an API token acting as the caller (the token is shown once)',
        tags: ['tokens'],
        body: Type.Optional(Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }, { additionalProperties: false })),
      },
    },
    async (req, reply) => {
      const { identity } = caller(req);
      const t = await app.auth.createToken(identity.institutionId, identity.userId, req.body?.name ?? 'API token', { actor: identity.userId, address: req.ip });
      return reply.status(201).send({ ...t, institution: identity.institutionId, user: identity.userId });
    },
  );

  app.get('/tokens', { schema: { summary: "the caller's API tokens (never the tokens themselves)", tags: ['tokens'] } }, async (req) => {
    const { identity } = caller(req);
    return { items: await app.auth.listTokens(identity.institutionId, identity.userId) };
  });

  app.delete(
    '/tokens/:id',
    { schema: { summary: 'revoke one of the caller’s API tokens', tags: ['tokens'], params: Type.Object({ id: Type.String() }) } },
    async (req, reply) => {
      const { identity } = caller(req);
      if (!(await app.auth.revokeToken(identity.institutionId, req.params.id, identity.userId, { actor: identity.userId, address: req.ip }))) {
        throw new HttpError(404, { code: 'notFound', field: 'id', message: `you have no active token '${req.params.id}'` });
      }
      return reply.status(204).send();
    },
  );
};

/**
 * A session opened with a temporary password may only see itself, sign out, and change its own
 * password; everything else answers 403 `passwordChangeRequired`.
 */
export function onlyPasswordChange(req: FastifyRequest): void {
  const c = req.caller;
  if (!c?.identity.passwordChangeRequired) return;
  const route = `${req.method} ${req.routeOptions.url ?? ''}`;
  if (route === 'GET /v1/session' || route === 'DELETE /v1/session') return;
  if (route === 'PUT /v1/users/:id/password' && (req.params as { id?: string }).id === c.identity.userId) return;
  throw new HttpError(403, {
    code: 'passwordChangeRequired',
    field: 'password',
    message: `your password is temporary: change it first (PUT /v1/users/${c.identity.userId}/password with currentPassword and password)`,
  });
}
