/**
 * The SCIM 2.0 routes, `/scim/v2/<institution>/…` (docs/PROVISIONING.md), and the /v1 routes with
 * which an admin creates, lists and revokes provisioning tokens. Thin: authentication by a SCIM
 * token (and nothing else), then integrations/scim does the protocol; errors leave in the SCIM
 * error schema as application/scim+json.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ScimError } from '../integrations/scim/errors.js';
import { resourceTypes, schemas, serviceProviderConfig } from '../integrations/scim/schema.js';
import { bulk, ScimServer, versionFromIfMatch, type Answer, type ListQuery, type ScimCaller } from '../integrations/scim/server.js';
import { authorize, caller, fromRefusal, HttpError } from './http.js';

const CONTENT_TYPE = 'application/scim+json; charset=utf-8';

declare module 'fastify' {
  interface FastifyRequest {
    scim: ScimCaller | null;
  }
}

type Params = { institution: string; id?: string };

/** The OpenAPI description of a SCIM route: its summary, the SCIM token, and its success status. */
function doc(summary: string, success = 200) {
  const words = success === 201 ? 'created' : success === 204 ? 'deleted' : 'OK';
  return { schema: { summary, tags: ['scim'], security: [{ scimToken: [] }], response: { [success]: { description: words } } } };
}

function send(reply: FastifyReply, a: Answer) {
  reply.status(a.status).header('content-type', CONTENT_TYPE);
  if (a.etag) reply.header('etag', a.etag);
  if (a.location && a.status === 201) reply.header('location', a.location);
  return a.body === undefined ? reply.send() : reply.send(a.body);
}

const scimCaller = (req: FastifyRequest): ScimCaller => req.scim!;
const ifMatch = (req: FastifyRequest) => versionFromIfMatch(typeof req.headers['if-match'] === 'string' ? req.headers['if-match'] : undefined);
const body = (req: FastifyRequest) => {
  if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) throw new ScimError(400, 'the request body must be a JSON object', 'invalidSyntax');
  return req.body as Record<string, unknown>;
};

export const scimRoutes: FastifyPluginAsync = async (app) => {
  const server = new ScimServer(app.lectern);
  app.decorateRequest('scim', null);
  app.addContentTypeParser(['application/scim+json'], { parseAs: 'string' }, (_req, text, done) => {
    try {
      done(null, text === '' ? undefined : JSON.parse(text as string));
    } catch {
      done(new ScimError(400, 'the request body is not JSON', 'invalidSyntax'));
    }
  });
  app.setErrorHandler((error: Error & { statusCode?: number }, req, reply) => {
    let e: ScimError;
    if (error instanceof ScimError) e = error;
    // Lectern's own refusals before the SCIM routes run (the text guard on the path, say).
    else if (error instanceof HttpError && error.status < 500) e = new ScimError(error.status, error.body.message, error.status === 400 ? 'invalidValue' : undefined);
    else if (error.statusCode && error.statusCode < 500) e = new ScimError(error.statusCode, error.message, error.statusCode === 400 ? 'invalidSyntax' : undefined);
    else {
      req.log.error({ err: error }, 'SCIM request failed');
      e = new ScimError(500, 'Lectern failed to answer; the error is in its log');
    }
    return reply.status(e.status).header('content-type', CONTENT_TYPE).send(e.body);
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).header('content-type', CONTENT_TYPE).send(new ScimError(404, `no SCIM endpoint ${req.method} ${req.url.split('?')[0]}`).body));

  // Only a SCIM token of the institution named in the URL is accepted here (no session, no API token).
  app.addHook('onRequest', async (req) => {
    const inst = (req.params as Params).institution;
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const principal = m && inst ? await server.authenticate(inst, m[1]!) : undefined;
    if (!principal) throw new ScimError(401, 'send Authorization: Bearer <a SCIM provisioning token of this institution>');
    req.scim = { institutionId: inst, principal, base: `${req.protocol}://${req.host}/scim/v2/${encodeURIComponent(inst)}` };
  });

  const P = '/:institution';
  app.get(`${P}/ServiceProviderConfig`, doc('what this SCIM service supports (RFC 7643 §5)'), async (req, reply) => send(reply, { status: 200, body: serviceProviderConfig(scimCaller(req).base) }));
  app.get(`${P}/ResourceTypes`, doc('the resource types served: User and Group'), async (req, reply) => {
    const all = resourceTypes(scimCaller(req).base);
    return send(reply, { status: 200, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: all.length, startIndex: 1, itemsPerPage: all.length, Resources: all } });
  });
  app.get<{ Params: Params }>(`${P}/ResourceTypes/:id`, doc('one resource type'), async (req, reply) => {
    const one = resourceTypes(scimCaller(req).base).find((r) => r.id === req.params.id);
    if (!one) throw new ScimError(404, `no resource type '${req.params.id}'`);
    return send(reply, { status: 200, body: one });
  });
  app.get(`${P}/Schemas`, doc('the schemas served, with their attributes'), async (req, reply) => {
    const all = schemas(scimCaller(req).base);
    return send(reply, { status: 200, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: all.length, startIndex: 1, itemsPerPage: all.length, Resources: all } });
  });
  app.get<{ Params: Params }>(`${P}/Schemas/:id`, doc('one schema'), async (req, reply) => {
    const one = schemas(scimCaller(req).base).find((r) => r.id === req.params.id);
    if (!one) throw new ScimError(404, `no schema '${req.params.id}'`);
    return send(reply, { status: 200, body: one });
  });

  for (const [name, kind] of [['Users', 'user'], ['Groups', 'group']] as const) {
    const users = kind === 'user';
    app.get<{ Params: Params; Querystring: ListQuery }>(`${P}/${name}`, doc(`list or filter ${name} (filter, startIndex, count, sortBy, attributes)`), async (req, reply) =>
      send(reply, users ? await server.listUsers(scimCaller(req), req.query) : await server.listGroups(scimCaller(req), req.query)),
    );
    app.post<{ Params: Params }>(`${P}/${name}/.search`, doc(`search ${name} with the query in the body`), async (req, reply) => {
      const q = body(req) as ListQuery;
      return send(reply, users ? await server.listUsers(scimCaller(req), q) : await server.listGroups(scimCaller(req), q));
    });
    app.post<{ Params: Params }>(`${P}/${name}`, doc(`create a ${kind}`, 201), async (req, reply) =>
      send(reply, users ? await server.createUser(scimCaller(req), body(req)) : await server.createGroup(scimCaller(req), body(req))),
    );
    app.get<{ Params: Params; Querystring: ListQuery }>(`${P}/${name}/:id`, doc(`one ${kind}`), async (req, reply) =>
      send(reply, users ? await server.getUser(scimCaller(req), req.params.id!, req.query) : await server.getGroup(scimCaller(req), req.params.id!, req.query)),
    );
    app.put<{ Params: Params }>(`${P}/${name}/:id`, doc(`replace a ${kind} (If-Match honoured)`), async (req, reply) =>
      send(reply, users ? await server.replaceUser(scimCaller(req), req.params.id!, body(req), ifMatch(req)) : await server.replaceGroup(scimCaller(req), req.params.id!, body(req), ifMatch(req))),
    );
    app.patch<{ Params: Params; Querystring: ListQuery }>(`${P}/${name}/:id`, doc(`change a ${kind} by PATCH operations (If-Match honoured)`), async (req, reply) =>
      send(reply, users ? await server.patchUser(scimCaller(req), req.params.id!, body(req), ifMatch(req)) : await server.patchGroup(scimCaller(req), req.params.id!, body(req), ifMatch(req), req.query)),
    );
    app.delete<{ Params: Params }>(`${P}/${name}/:id`, doc(`delete a ${kind} (If-Match honoured)`, 204), async (req, reply) =>
      send(reply, users ? await server.deleteUser(scimCaller(req), req.params.id!, ifMatch(req)) : await server.deleteGroup(scimCaller(req), req.params.id!, ifMatch(req))),
    );
  }
  app.post<{ Params: Params }>(`${P}/Bulk`, doc('several operations in one request, each atomic'), async (req, reply) => send(reply, await bulk(server, scimCaller(req), body(req))));
};

/** /v1/scim/tokens: an admin of the root creates, lists and revokes provisioning tokens. */
export const scimTokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const server = new ScimServer(app.lectern);
  app.get('/scim/tokens', { schema: { summary: 'the institution’s SCIM provisioning tokens (scim.view)', tags: ['scim'] } }, async (req) => {
    const c = caller(req);
    authorize(c, 'scim.view', `institution:${c.institutionId}`);
    return { items: [...c.world.tables.scimToken.values()].map((t) => ({ id: t.id, name: t.name, ownerId: t.ownerId, createdAt: t.createdAt })) };
  });
  app.post(
    '/scim/tokens',
    { schema: { summary: 'create a SCIM provisioning token acting as you (scim.configure); the token is shown once', tags: ['scim'], body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 120 }) }, { additionalProperties: false }) } },
    async (req, reply) => {
      const c = caller(req);
      const o = await server.createToken(c.principal, c.institutionId, req.body.name);
      if (o.status !== 'ok') throw fromRefusal(o);
      reply.status(201);
      return { revision: o.revision, result: o.result };
    },
  );
  app.delete('/scim/tokens/:id', { schema: { summary: 'revoke a SCIM provisioning token (scim.configure)', tags: ['scim'], params: Type.Object({ id: Type.String({ minLength: 1 }) }) } }, async (req) => {
    const c = caller(req);
    const o = await req.server.lectern.run(c.principal, c.institutionId, 'scim.token.revoke', { token: req.params.id });
    if (o.status !== 'ok') throw fromRefusal(o);
    return { revision: o.revision, changed: o.changed };
  });
};
