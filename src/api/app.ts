/**
 * api/: Lectern's HTTP API (Fastify + TypeBox → validation and OpenAPI at /docs). `buildApp` puts
 * together two visibly separate halves: public routes (health, the start page, sign-in, the docs)
 * and the authenticated /v1 routes behind the authentication hook. Routes are thin: every rule is
 * in policy/, every write goes through `Lectern.run`.
 */
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Auth } from '../services/auth.js';
import { DirectoryError } from '../services/directory/index.js';
import type { Lectern } from '../services/lectern.js';
import { auditRoutes } from './audit.js';
import { collectionRoutes } from './collections.js';
import { roleRoutes } from './roles.js';
import { libraryRoutes } from './libraries.js';
import { authenticate } from './authn.js';
import { checkRoutes } from './checks.js';
import { securityHeaders } from './headers.js';
import { HttpError, type ErrorBody } from './http.js';
import { ErrorSchema, LOGO, ScimErrorSchema, swaggerOptions } from './openapi.js';
import { institutionRoutes } from './institution.js';
import { licenseRoutes } from './licenses.js';
import { importRoutes } from './imports.js';
import { onerosterRoutes } from './oneroster.js';
import { mediaRoutes } from './media.js';
import { teachingRoutes } from './teaching.js';
import { publicRoutes } from './public.js';
import { sessionRoutes } from './session.js';
import { guardBodyText, guardRequestText } from './text-guard.js';
import { userRoutes } from './users.js';
import { scimRoutes, scimTokenRoutes } from './scim.js';
import { LtiService } from '../integrations/lti/launch.js';
import { ltiPublicRoutes, ltiRoutes } from './lti.js';
import { activityRoutes } from './activity.js';
import { ssoPublicRoutes, ssoRoutes } from './sso.js';
import { SingleSignOn } from '../services/sso.js';
import { previewRoutes } from './preview.js';
import { withText } from './words.js';

export interface AppOptions {
  lectern: Lectern;
  auth: Auth;
  logger?: FastifyServerOptions['logger'];
  /** LTI 1.3 (built from `lectern` when not given). */
  lti?: LtiService;
}

export function buildApp({ lectern, auth, logger = false, lti = new LtiService(lectern) }: AppOptions): FastifyInstance {
  const app = Fastify({
    logger,
    // Reject unknown fields (naming them) instead of silently dropping them.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.decorate('lectern', lectern);
  app.decorate('auth', auth);
  app.decorate('sso', new SingleSignOn(lectern, auth));
  app.decorateRequest('caller', null);
  // JSON only: a cross-site form cannot post text/plain that we would parse.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  // Text at the boundary (src/api/text-guard.ts): control characters, lone surrogates, over-long values.
  app.addHook('onRequest', guardRequestText);
  app.addHook('preValidation', guardBodyText);
  app.setNotFoundHandler((req, reply) => reply.status(404).send(withText({ code: 'notFound', message: `no route ${req.method} ${req.url.split('?')[0]}` })));

  app.register(cookie);
  // Security headers on every answer. The CSP lets the console (a Vite build: module scripts and
  // styles from /assets) and the Swagger UI at /docs (scripts and styles from /docs/static, inline
  // styles set by its React code) work, and nothing else: no inline script, no other origin, no
  // framing. Plain HTTP stays usable (no upgrade-insecure-requests); HSTS only matters over TLS.
  securityHeaders(app, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  // The OpenAPI document (src/api/openapi.ts) and Swagger UI at /docs, under Lectern's own name.
  app.addSchema(ErrorSchema);
  app.addSchema(ScimErrorSchema);
  app.register(swagger, swaggerOptions);
  app.register(swaggerUi, { routePrefix: '/docs', logo: { type: 'image/svg+xml', content: LOGO }, theme: { title: 'Lectern API' } });

  // Public: no caller needed.
  app.register(publicRoutes);
  app.register(ltiPublicRoutes(lti));
  app.register(ssoPublicRoutes);
  // Authenticated: everything else, under /v1.
  app.register(
    async (v1) => {
      v1.addHook('onRequest', authenticate);
      await v1.register(sessionRoutes);
      await v1.register(checkRoutes);
      await v1.register(institutionRoutes);
      await v1.register(userRoutes);
      await v1.register(licenseRoutes);
      await v1.register(importRoutes);
      await v1.register(onerosterRoutes);
      await v1.register(auditRoutes);
      await v1.register(teachingRoutes);
      await v1.register(mediaRoutes);
      await v1.register(collectionRoutes);
      await v1.register(libraryRoutes);
      await v1.register(scimTokenRoutes);
      await v1.register(ltiRoutes(lti));
      await v1.register(ssoRoutes);
      await v1.register(previewRoutes);
      await v1.register(roleRoutes);
      await v1.register(activityRoutes);
    },
    { prefix: '/v1' },
  );
  // SCIM 2.0 provisioning: its own authentication (SCIM tokens only) and error format.
  app.register(scimRoutes, { prefix: '/scim/v2' });
  return app;
}

const KEYWORD_CODE: Record<string, string> = { required: 'required', additionalProperties: 'unknownField', type: 'type', enum: 'enum', maxLength: 'tooLong' };

function errorHandler(this: FastifyInstance, error: FastifyError, req: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) {
  if (error instanceof HttpError) return reply.status(error.status).send(withText(error.body));
  if (error.validation && error.validation.length > 0) {
    const v = error.validation[0]!;
    const params = v.params as { missingProperty?: string; additionalProperty?: string };
    const path = (v.instancePath ?? '').split('/').filter(Boolean);
    if (params.missingProperty) path.push(params.missingProperty);
    if (params.additionalProperty) path.push(params.additionalProperty);
    const field = path.join('.') || error.validationContext || 'body';
    const message = params.additionalProperty ? 'is not a field this request takes' : (v.message ?? 'is not valid');
    const body: ErrorBody = { code: KEYWORD_CODE[v.keyword] ?? 'invalid', field, message: `${field}: ${message}` };
    return reply.status(400).send(withText(body));
  }
  const status = error.statusCode ?? 500;
  if (status < 500) {
    const code = status === 415 ? 'unsupportedMediaType' : status === 413 ? 'tooLarge' : status === 401 ? 'unauthenticated' : 'badRequest';
    return reply.status(status).send(withText({ code, message: error.message }));
  }
  if (databaseUnavailable(error)) {
    // PostgreSQL restarting, or a connection it dropped: the pool discards the broken client and
    // the next request connects afresh, so the caller only has to try again.
    req.log.warn({ err: error }, 'database unavailable');
    return reply
      .status(503)
      .header('retry-after', '1')
      .send(withText({ code: 'databaseUnavailable', message: 'the database is not reachable at the moment; nothing was written, try again shortly' }));
  }
  if (error instanceof DirectoryError) {
    // The user's identity provider did not answer (LDAP down, wrong credentials): not Lectern's fault.
    req.log.warn({ err: error }, 'directory unavailable');
    return reply.status(502).send(withText({ code: 'directoryUnavailable', field: 'identityProvider', message: error.message }));
  }
  req.log.error({ err: error }, 'request failed');
  return reply.status(500).send(withText({ code: 'internal', message: 'Lectern failed to answer; the error is in its log' }));
}

/** PostgreSQL error classes and socket errors that mean "the database went away", not a bug. */
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);
const UNAVAILABLE_MESSAGE = /Connection terminated|connection timeout|terminating connection|Client was closed|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)/i;

export function databaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
  }
  return false;
}
