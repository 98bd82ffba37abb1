/**
 * Single sign-on over HTTP (issue 14). Public: the sign-in page's provider buttons, the start of a
 * sign-in (a redirect to the provider), the OIDC redirect URI, the SAML ACS (HTTP-POST) and the SP
 * metadata. Signed in: the institution's providers (identityProvider.view / .configure; secrets
 * are never returned), a test sign-in and its report, and the provider's logout for the session.
 * Routes stay thin: the sign-in logic is services/sso.ts, every write an operation.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { providerView, readProvider } from '../integrations/sso/config.js';
import type { SingleSignOn, SsoOutcome } from '../services/sso.js';
import { SESSION_COOKIE } from './authn.js';
import { authorize, caller, decideAs, HttpError, runOp } from './http.js';

declare module 'fastify' {
  interface FastifyInstance {
    sso: SingleSignOn;
  }
}

const Path = Type.Object({ institution: Type.String({ minLength: 1, maxLength: 128 }), provider: Type.String({ minLength: 1, maxLength: 64 }) });
const ProviderId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** Lectern's public address: LECTERN_PUBLIC_URL when set (behind a proxy), else as the request reached it. */
export function baseUrl(req: FastifyRequest): string {
  const configured = process.env.LECTERN_PUBLIC_URL;
  if (configured) return configured.replace(/\/$/, '');
  const socket = req.raw.socket as { encrypted?: boolean };
  const proto = socket.encrypted === true || req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  return `${proto}://${req.headers.host ?? 'localhost'}`;
}

function overTls(req: FastifyRequest): boolean {
  return baseUrl(req).startsWith('https:');
}

/** The browser's next stop after a provider answered: the console, signed in, or the sign-in page with the reason. */
function land(req: FastifyRequest, reply: FastifyReply, o: SsoOutcome) {
  if (o.kind === 'session') {
    reply.setCookie(SESSION_COOKIE, o.secret, { httpOnly: true, sameSite: 'lax', secure: overTls(req), path: '/', expires: o.expiresAt });
    return reply.redirect('/', 303);
  }
  if (o.kind === 'test') return reply.redirect(`/identity-providers?test=${encodeURIComponent(o.resultId)}`, 303);
  const q = new URLSearchParams({ institution: o.institutionId, ssoError: o.code, ssoMessage: o.message });
  return reply.redirect(`/?${q.toString()}`, 303);
}

export const ssoPublicRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // The SAML POST binding sends an HTML form; only this scope reads form bodies.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 2 * 1024 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.get(
    '/v1/sso/:institution/providers',
    { schema: { summary: 'the institution’s sign-in providers, for the sign-in page', tags: ['sso'], security: [], params: Type.Object({ institution: Type.String({ minLength: 1, maxLength: 128 }) }) } },
    async (req) => ({ items: await app.sso.buttons(req.params.institution) }),
  );

  app.get('/v1/sso/:institution/:provider/start', { schema: { summary: 'start signing in through a provider (redirects to it)', tags: ['sso'], security: [], params: Path } }, async (req, reply) => {
    const r = await app.sso.start(baseUrl(req), req.params.institution, req.params.provider);
    if ('refused' in r) return land(req, reply, { kind: 'refused', institutionId: req.params.institution, code: 'unknownProvider', message: r.refused });
    return reply.redirect(r.url, 302);
  });

  app.get('/v1/sso/:institution/:provider/oidc/callback', { schema: { summary: 'OpenID Connect redirect URI', tags: ['sso'], security: [], params: Path } }, async (req, reply) => {
    const url = new URL(req.url, baseUrl(req));
    return land(req, reply, await app.sso.finishOidc(baseUrl(req), req.params.institution, req.params.provider, url));
  });

  app.post(
    '/v1/sso/:institution/:provider/saml/acs',
    {
      schema: {
        summary: 'SAML assertion consumer service (HTTP-POST binding)',
        tags: ['sso'],
        security: [],
        params: Path,
        body: Type.Object({ SAMLResponse: Type.String({ minLength: 1 }), RelayState: Type.Optional(Type.String()) }, { additionalProperties: true }),
      },
    },
    async (req, reply) => land(req, reply, await app.sso.finishSaml(baseUrl(req), req.params.institution, req.params.provider, req.body.SAMLResponse)),
  );

  app.get('/v1/sso/:institution/:provider/saml/metadata', { schema: { summary: 'Lectern’s SAML SP metadata for this provider', tags: ['sso'], security: [], params: Path } }, async (req, reply) => {
    const xml = await app.sso.metadata(baseUrl(req), req.params.institution, req.params.provider);
    if (!xml) throw new HttpError(404, { code: 'notFound', field: 'provider', message: `institution '${req.params.institution}' has no SAML provider '${req.params.provider}'` });
    return reply.type('application/samlmetadata+xml; charset=utf-8').send(xml);
  });
};

export const ssoRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const view = (req: FastifyRequest, id: string) => {
    const c = caller(req);
    const row = c.world.tables.identityProvider.get(id);
    if (!row) throw new HttpError(404, { code: 'notFound', field: 'id', message: `identity provider '${id}' does not exist` });
    const p = readProvider(row);
    const ep = app.sso.endpoints(baseUrl(req), c.institutionId, p.id);
    return { ...providerView(p), endpoints: p.protocol === 'oidc' ? { redirectUri: ep.oidcRedirect } : { metadataUrl: ep.sp.entityId, entityId: ep.sp.entityId, acsUrl: ep.sp.acsUrl } };
  };

  app.get('/identity-providers', { schema: { summary: 'the institution’s sign-in providers (secrets are never shown)', tags: ['sso'] } }, async (req) => {
    const c = caller(req);
    authorize(c, 'identityProvider.view', `institution:${c.institutionId}`);
    const configure = decideAs(c, 'identityProvider.configure', `institution:${c.institutionId}`).allow;
    return { items: [...c.world.tables.identityProvider.keys()].sort().map((id) => view(req, id)), abilities: { configure } };
  });

  app.get('/identity-providers/:id', { schema: { summary: 'one sign-in provider (secrets are never shown)', tags: ['sso'], params: ProviderId } }, async (req) => {
    const c = caller(req);
    authorize(c, 'identityProvider.view', `institution:${c.institutionId}`);
    return view(req, req.params.id);
  });

  app.put(
    '/identity-providers/:id',
    {
      schema: {
        summary: 'create or change a sign-in provider (identityProvider.configure); see docs/IDENTITY.md for the settings',
        tags: ['sso'],
        params: ProviderId,
        body: Type.Record(Type.String(), Type.Unknown()),
      },
    },
    async (req, reply) => runOp(req, reply, 'identityProvider.set', { ...(req.body as Record<string, unknown>), id: req.params.id }),
  );

  app.delete('/identity-providers/:id', { schema: { summary: 'remove a sign-in provider', tags: ['sso'], params: ProviderId } }, async (req, reply) =>
    runOp(req, reply, 'identityProvider.delete', { id: req.params.id }),
  );

  app.post('/identity-providers/:id/test', { schema: { summary: 'start a test sign-in: reports attributes and mapping, creates no one', tags: ['sso'], params: ProviderId } }, async (req) => {
    const c = caller(req);
    authorize(c, 'identityProvider.configure', `institution:${c.institutionId}`);
    const r = await app.sso.start(baseUrl(req), c.institutionId, req.params.id, 'test', c.identity.userId);
    if ('refused' in r) throw new HttpError(404, { code: 'notFound', field: 'id', message: r.refused });
    return { url: r.url };
  });

  app.get('/identity-provider-tests/:id', { schema: { summary: 'the report of a test sign-in you started', tags: ['sso'], params: ProviderId } }, async (req) => {
    const c = caller(req);
    authorize(c, 'identityProvider.view', `institution:${c.institutionId}`);
    const r = await app.sso.testReport(c.institutionId, req.params.id, c.identity.userId);
    if (!r) throw new HttpError(404, { code: 'notFound', field: 'id', message: 'no such test sign-in of yours (they are kept 15 minutes)' });
    return r;
  });

  app.get('/sso/logout', { schema: { summary: 'the provider’s logout URL for this session, if it was opened through one that has logout', tags: ['sso'] } }, async (req) => {
    const c = caller(req);
    if (c.identity.via !== 'session') return { logout: null };
    return { logout: (await app.sso.logoutUrl(baseUrl(req), c.identity.institutionId, c.identity.id)) ?? null };
  });
};
