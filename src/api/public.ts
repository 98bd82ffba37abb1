/**
 * Routes anyone may call: health, the web console (web/dist, built by `npm run build:web`; a plain
 * start page when it is not built), and signing in (which sets the session cookie).
 */
import { existsSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { CSRF_HEADER, SESSION_COOKIE } from './authn.js';
import { fromRefusal, HttpError } from './http.js';
import { sessionView } from './session.js';

const START_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lectern</title></head>
<body><h1>Lectern is running</h1><p>The API is described at <a href="/docs">/docs</a>.</p></body></html>
`;

const SignInBody = Type.Object(
  {
    institution: Type.String({ minLength: 1, maxLength: 128 }),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'the username or the email' })),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

/** Secure cookies when the request came over TLS, directly or through a proxy that says so. */
function overTls(req: FastifyRequest): boolean {
  const socket = req.raw.socket as { encrypted?: boolean };
  return socket.encrypted === true || req.headers['x-forwarded-proto'] === 'https';
}

/** The built console (vite build of web/), if there is one. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

/** A file of the built console for a URL path, or undefined. */
function consoleFile(path: string): string | undefined {
  let rel: string;
  try {
    rel = normalize(decodeURIComponent(path)).replace(/^([/\\])+/, '');
  } catch {
    return undefined;
  }
  if (rel.startsWith('..')) return undefined;
  const full = join(CONSOLE_DIR, rel);
  return existsSync(full) && statSync(full).isFile() ? rel : undefined;
}

export const publicRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', { schema: { summary: 'liveness', tags: ['public'], security: [] } }, async () => ({ ok: true }));

  if (!existsSync(join(CONSOLE_DIR, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(START_PAGE));
  } else {
    // The console: its files, and index.html for its client-side routes (/users/ada, /licenses, ...).
    await app.register(fastifyStatic, { root: CONSOLE_DIR, serve: false });
    app.get('/*', { schema: { hide: true } }, async (req, reply) => {
      const path = req.url.split('?')[0]!;
      if (path.startsWith('/v1/') || path === '/v1' || path.startsWith('/docs')) {
        return reply.status(404).send({ code: 'notFound', message: `no route ${req.method} ${path}` });
      }
      const file = path === '/' ? undefined : consoleFile(path);
      if (file) return reply.header('cache-control', file.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache').sendFile(file);
      if (extname(path) !== '') return reply.status(404).send({ code: 'notFound', message: `no file ${path}` });
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    });
  }

  // The sign-in form's institution choice: each institution's id and display name, nothing else
  // (no revision, settings, counts or providers), for anyone, as a sign-in page shows them anyway.
  app.get(
    '/v1/sign-in/institutions',
    { schema: { summary: 'the institutions one may sign in to: id and name only (public, for the sign-in form)', tags: ['session'], security: [] } },
    async (_req, reply) => {
      const all = await app.lectern.store.listInstitutions();
      reply.header('cache-control', 'no-cache');
      return { items: all.map((i) => ({ id: i.institutionId, name: i.name })) };
    },
  );

  app.post(
    '/v1/session',
    {
      schema: {
        summary: 'sign in to the console (sets an HttpOnly session cookie); needs X-Lectern-CSRF: 1',
        tags: ['session'],
        security: [],
        body: SignInBody,
      },
    },
    async (req, reply) => {
      // The custom header also guards sign-in, so no other site can sign a browser into an account.
      if (!req.headers[CSRF_HEADER]) {
        throw new HttpError(403, { code: 'csrfHeaderMissing', field: 'X-Lectern-CSRF', message: 'signing in needs the header X-Lectern-CSRF: 1' });
      }
      const login = req.body.username ?? req.body.email;
      if (!login) throw new HttpError(400, { code: 'required', field: 'username', message: 'username: is required (or give email)' });
      const r = await app.auth.signIn(req.body.institution, login, req.body.password, req.ip);
      if (!r.ok) throw fromRefusal(r.refusal, r.status);
      reply.setCookie(SESSION_COOKIE, r.secret, { httpOnly: true, sameSite: 'lax', secure: overTls(req), path: '/', expires: r.expiresAt });
      const world = (await app.lectern.world(r.identity.institutionId))!;
      return sessionView({ identity: r.identity, principal: r.principal, institutionId: r.identity.institutionId, world, home: world });
    },
  );
};
