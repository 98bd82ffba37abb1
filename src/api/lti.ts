/**
 * LTI 1.3 over HTTP (issue 15). Public, for the LMS and the browser it sends: Lectern's JWKS, the
 * login initiation URL and the launch (redirect) URL of each registration, answering people with
 * pages. Authenticated, under /v1: registrations (lti.view / lti.configure), roster sync
 * (lti.sync), key rotation and the log of refused launches (audit.view).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { SECTION_ROLES } from '../domain/catalog.js';
import type { LtiPlatformRow } from '../domain/rows.js';
import { LtiRefusal } from '../integrations/lti/claims.js';
import { type LtiService, stateCookie } from '../integrations/lti/launch.js';
import { syncRoster } from '../integrations/lti/nrps.js';
import { STAFF_RULES, USER_MATCHERS } from '../policy/lti.js';
import { deploymentIdsOf, roleMappingOf, type LaunchResult } from '../services/ops/lti.js';
import { abilities, authorize, caller, decideAs, denied, HttpError, runOp } from './http.js';

/** Where Lectern is reached from outside: LECTERN_PUBLIC_URL, else the request's own origin. */
function origin(req: FastifyRequest): string {
  const configured = process.env.LECTERN_PUBLIC_URL;
  if (configured) return configured.replace(/\/+$/, '');
  const proto = (req.headers['x-forwarded-proto'] as string | undefined) ?? ((req.raw.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http');
  return `${proto}://${req.headers.host ?? 'localhost'}`;
}

export function ltiUrls(base: string, institutionId: string, platformId: string) {
  const i = encodeURIComponent(institutionId);
  const p = encodeURIComponent(platformId);
  return {
    loginInitiation: `${base}/lti/${i}/${p}/login`,
    launch: `${base}/lti/${i}/${p}/launch`,
    jwks: `${base}/lti/${i}/jwks`,
  };
}

function view(p: LtiPlatformRow, base: string) {
  const { institutionId, deploymentIds: _d, roleMapping: _r, userMatch, ...rest } = p;
  return { ...rest, deploymentIds: deploymentIdsOf(p), roleMapping: roleMappingOf(p), userMatch: userMatch.split(','), urls: ltiUrls(base, institutionId, p.id) };
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** LMSs show tools in frames: LTI pages may be framed, and carry no script. */
function page(reply: FastifyReply, status: number, title: string, body: string) {
  reply.removeHeader('x-frame-options');
  reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *; base-uri 'none'; form-action 'self'");
  return reply
    .status(status)
    .type('text/html; charset=utf-8')
    .send(`<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head>\n<body style="font-family:sans-serif;max-width:40em;margin:2em auto">\n<h1>${esc(title)}</h1>\n${body}\n</body></html>\n`);
}

async function refusalPage(reply: FastifyReply, svc: LtiService, e: LtiRefusal) {
  return page(
    reply,
    e.status,
    'Lectern could not open this course',
    `<p id="reason">${esc(e.message)}</p>\n<p>If this keeps happening, tell your institution's Lectern administrator; the launch was logged as <code id="code">${esc(e.code)}</code>.</p>`,
  );
}

function launchPage(reply: FastifyReply, r: LaunchResult, ticket: string, sectionName: string) {
  const data = JSON.stringify({ user: r.user, section: r.section, course: r.course, role: r.role, ticket, notices: r.notices }).replace(/</g, '\\u003c');
  const notices = r.notices.map((n) => `<li>${esc(n)}</li>`).join('');
  return page(
    reply,
    200,
    `Lectern: ${sectionName}`,
    `<p id="welcome">Signed in as <b>${esc(r.user)}</b>, ${esc(r.role.replace('_', ' '))} in <b>${esc(sectionName)}</b>.</p>\n${notices ? `<ul id="notices">${notices}</ul>\n` : ''}<script type="application/json" id="lectern-launch">${data}</script>`,
  );
}

/** Cookies travel with the LMS's cross-site form post only as SameSite=None, which needs Secure. */
function cookieOptions(req: FastifyRequest, institutionId: string) {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  const secure = req.headers['x-forwarded-proto'] === 'https' || (req.raw.socket as { encrypted?: boolean }).encrypted === true || host === 'localhost' || host === '127.0.0.1';
  return { path: `/lti/${encodeURIComponent(institutionId)}/`, httpOnly: true, maxAge: 600, ...(secure ? { secure: true, sameSite: 'none' as const } : { sameSite: 'lax' as const }) };
}

const Params = Type.Object({ institution: Type.String({ minLength: 1, maxLength: 128 }), platform: Type.String({ minLength: 1, maxLength: 128 }) });
const Form = Type.Record(Type.String(), Type.String({ maxLength: 100_000 }));
/** The login initiation parameters of LTI Core 1.3 §4.1, by query or form; others are kept and ignored. */
const LoginForm = Type.Object(
  {
    iss: Type.Optional(Type.String({ maxLength: 2000, description: 'the platform (issuer) starting the login' })),
    login_hint: Type.Optional(Type.String({ maxLength: 100_000, description: 'the platform’s hint for the user, passed back unchanged' })),
    target_link_uri: Type.Optional(Type.String({ maxLength: 2000, description: 'where the launch should end up' })),
    lti_message_hint: Type.Optional(Type.String({ maxLength: 100_000, description: 'the platform’s hint for the message, passed back unchanged' })),
    lti_deployment_id: Type.Optional(Type.String({ maxLength: 255 })),
    client_id: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: Type.String({ maxLength: 100_000 }) },
);

export function ltiPublicRoutes(svc: LtiService): FastifyPluginAsyncTypebox {
  return async (app) => {
    // The LMS posts forms (login initiation and the id_token); only these routes read them.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    app.get('/lti/:institution/jwks', { schema: { summary: 'Lectern’s public keys for LTI (JWKS)', tags: ['lti'], security: [], params: Type.Object({ institution: Type.String({ minLength: 1, maxLength: 128 }) }) } }, async (req, reply) => {
      if (!(await svc.lectern.world(req.params.institution))) throw new HttpError(404, { code: 'notFound', field: 'institution', message: `institution '${req.params.institution}' does not exist` });
      reply.header('cache-control', 'public, max-age=300');
      return svc.keys.jwks(req.params.institution);
    });

    const login = async (req: FastifyRequest<{ Params: { institution: string; platform: string }; Querystring: Record<string, string>; Body: Record<string, string> | undefined }>, reply: FastifyReply) => {
      const { institution, platform } = req.params;
      const params = { ...req.query, ...(req.body ?? {}) };
      try {
        const { location, state } = await svc.login(institution, platform, params, ltiUrls(origin(req), institution, platform).launch);
        reply.setCookie(stateCookie(state), '1', cookieOptions(req, institution));
        return reply.redirect(location, 302);
      } catch (e) {
        if (e instanceof LtiRefusal) return refusalPage(reply, svc, e);
        throw e;
      }
    };
    const loginSchema = { summary: 'LTI login initiation (third-party-initiated login)', tags: ['lti'], security: [], params: Params };
    app.get('/lti/:institution/:platform/login', { schema: { ...loginSchema, querystring: LoginForm } }, login);
    app.post('/lti/:institution/:platform/login', { schema: { ...loginSchema, querystring: LoginForm, body: Type.Optional(LoginForm) } }, login);

    app.post('/lti/:institution/:platform/launch', { schema: { summary: 'LTI launch (the id_token form post; the redirect URI)', tags: ['lti'], security: [], params: Params, body: Form } }, async (req, reply) => {
      const { institution, platform } = req.params;
      const states = new Set(Object.keys(req.cookies).filter((k) => k.startsWith('lti_state_')).map((k) => k.slice('lti_state_'.length)));
      try {
        const answer = await svc.launch(institution, platform, req.body, states);
        if (req.body.state) reply.clearCookie(stateCookie(req.body.state), { path: `/lti/${encodeURIComponent(institution)}/` });
        const w = await svc.lectern.world(institution);
        return launchPage(reply, answer.result, answer.ticket, w?.section(answer.result.section)?.name ?? answer.result.section);
      } catch (e) {
        if (e instanceof LtiRefusal) return refusalPage(reply, svc, e);
        throw e;
      }
    });
  };
}

const PlatformBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    issuer: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    deploymentIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1, maxItems: 100 })),
    authUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    jwksUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    tokenUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    tokenAudience: Type.Optional(Type.String({ maxLength: 2000, description: 'aud of the client assertion when not the token URL (Brightspace: https://api.brightspace.com/auth/token)' })),
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    roleMapping: Type.Optional(Type.Record(Type.String({ maxLength: 500 }), Type.Union([...SECTION_ROLES, 'none'].map((r) => Type.Literal(r))))),
    userMatch: Type.Optional(Type.Array(Type.Union(USER_MATCHERS.map((m) => Type.Literal(m))), { minItems: 1 })),
    createUsers: Type.Optional(Type.Boolean()),
    staffRule: Type.Optional(Type.Union(STAFF_RULES.map((m) => Type.Literal(m)))),
    syncMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_080 })),
  },
  { additionalProperties: false },
);
const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

export function ltiRoutes(svc: LtiService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/lti/platforms', { schema: { summary: 'LMS platforms registered for LTI, with the URLs to paste into each (lti.view)', tags: ['lti'] } }, async (req) => {
      const c = caller(req);
      authorize(c, 'lti.view', `institution:${c.institutionId}`);
      const base = origin(req);
      return {
        items: [...c.world.tables.ltiPlatform.values()].sort((a, b) => a.id.localeCompare(b.id)).map((p) => view(p, base)),
        abilities: abilities(c, `institution:${c.institutionId}`, { configure: 'lti.configure' }),
      };
    });

    app.get('/lti/platforms/:id', { schema: { summary: 'one LMS platform registration (lti.view)', tags: ['lti'], params: Id } }, async (req) => {
      const c = caller(req);
      authorize(c, 'lti.view', `institution:${c.institutionId}`);
      const p = c.world.tables.ltiPlatform.get(req.params.id);
      if (!p) throw new HttpError(404, { code: 'notFound', field: 'id', message: `LTI platform '${req.params.id}' does not exist` });
      return view(p, origin(req));
    });

    app.put('/lti/platforms/:id', { schema: { summary: 'register or change an LMS platform (lti.configure)', tags: ['lti'], params: Id, body: PlatformBody } }, async (req, reply) => {
      const out = await runOp(req, reply, 'lti.configure', { ...req.body, id: req.params.id });
      const row = out.result as LtiPlatformRow | undefined;
      return { ...out, ...(row ? { result: view(row, origin(req)) } : {}) };
    });

    app.delete('/lti/platforms/:id', { schema: { summary: 'remove a registration; courses, sections and enrollments stay (lti.configure)', tags: ['lti'], params: Id } }, async (req, reply) =>
      runOp(req, reply, 'lti.remove', { platform: req.params.id }),
    );

    app.post(
      '/lti/platforms/:id/sync',
      {
        schema: {
          summary: 'sync a section’s roster from the LMS (NRPS); dryRun shows the difference without writing (lti.sync)',
          tags: ['lti'],
          params: Id,
          body: Type.Object({ context: Type.String({ minLength: 1, maxLength: 255 }), dryRun: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        },
      },
      async (req) => {
        const c = caller(req);
        const link = c.world.tables.ltiContext.get(`${req.params.id}\u0000${req.body.context}`);
        if (!link) throw new HttpError(404, { code: 'notFound', field: 'context', message: `no section is linked to context '${req.body.context}' of LMS '${req.params.id}'` });
        // Asked before Lectern calls the LMS, so nobody without the right makes it fetch a roster.
        const d = decideAs(c, 'lti.sync', `section:${link.sectionId}`);
        if (!d.allow) throw denied(d.reasons);
        try {
          return await syncRoster(svc, c.principal, c.institutionId, req.params.id, req.body.context, req.body.dryRun ?? false);
        } catch (e) {
          if (e instanceof LtiRefusal) throw new HttpError(e.status, { code: e.code, message: e.message });
          throw e;
        }
      },
    );

    app.post('/lti/keys/rotate', { schema: { summary: 'a new LTI signing key; the old one stays published for an hour (lti.configure)', tags: ['lti'] } }, async (req) => {
      const c = caller(req);
      authorize(c, 'lti.configure', `institution:${c.institutionId}`);
      return svc.keys.rotate(c.institutionId);
    });

    app.get(
      '/lti/refusals',
      { schema: { summary: 'refused LTI logins, launches and syncs, newest first (audit.view)', tags: ['lti'], querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }) } },
      async (req) => {
        const c = caller(req);
        authorize(c, 'audit.view', `institution:${c.institutionId}`);
        return { items: await svc.store.refusals(c.institutionId, req.query.limit ?? 100) };
      },
    );
  };
}
