/**
 * The OpenAPI document at /docs/json: what every route answers, named and grouped so that a client
 * generated from it gets usable names. Routes declare their own request schemas and summaries;
 * this file adds, for the document only (never at run time), what is the same everywhere:
 *
 * - an `operationId` derived from the method and path (`GET /v1/users/:id` → `getUsersById`);
 * - the error answers a route can give, each with the shared `Error` body (SCIM routes: the SCIM
 *   error body): 400 for every route (the text guard reads every URL), 401/403 for authenticated
 *   routes, 404 where the path names something, 409 for writes, 503 when the database is away;
 * - the tags with what each group is for, the server, and the licence line.
 *
 * Keeping this out of the routes means a new route is documented fully by writing its summary,
 * tags and schemas; `test/openapi.test.ts` lints the result with Redocly's recommended rules.
 */
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { Type } from 'typebox';
import { SESSION_COOKIE } from './authn.js';

/** What a refused or failed request answers (src/api/http.ts `ErrorBody`). */
export const ErrorSchema = Type.Object(
  {
    code: Type.String({ description: 'a stable code, e.g. `notFound`, `denied`, `conflict`, `required`' }),
    message: Type.String({ description: 'what went wrong, in words' }),
    field: Type.Optional(Type.String({ description: 'the input field at fault, when there is one' })),
    text: Type.Optional(Type.String({ description: 'the same in plain words for people, with the field’s label (src/api/words.ts)' })),
  },
  { $id: 'Error', title: 'Error', additionalProperties: true, description: 'Lectern’s error body; refusals also carry the decision’s reasons' },
);

/** RFC 7644 §3.12 error body, for /scim/v2. */
export const ScimErrorSchema = Type.Object(
  {
    schemas: Type.Array(Type.String()),
    status: Type.String({ description: 'the HTTP status, as a string' }),
    scimType: Type.Optional(Type.String({ description: 'e.g. uniqueness, invalidFilter, mutability' })),
    detail: Type.Optional(Type.String()),
  },
  { $id: 'ScimError', title: 'ScimError', additionalProperties: true },
);

/** Every tag a route may use, with what it groups. A route with a tag missing here fails the lint test. */
export const TAGS: Record<string, string> = {
  public: 'Liveness and the pages anyone may open',
  session: 'Signing in and out, and what the signed-in caller may do',
  tokens: 'API tokens for scripts and services',
  decisions: 'May user U do action A on thing T — and why (not)?',
  operations: 'Any operation by its catalogue action',
  institution: 'The institution and its delegated administration',
  settings: 'Capability settings and their locks, by unit',
  units: 'The organisation tree',
  roles: 'Role grants and revocations at a scope',
  users: 'People: create, edit, deactivate, search',
  lookups: 'Type-ahead pickers, limited to what the caller may see',
  licenses: 'Personal Capture presenter license packs and seats',
  imports: 'CSV imports and exports (SPEC §10)',
  oneroster: 'OneRoster 1.1 CSV from the student information system',
  teaching: 'Terms, courses, sections, classes, enrollments and capture schedules',
  facilities: 'Rooms and capture devices',
  media: 'Media: ownership, sharing, publishing, details',
  collections: 'Collections and their members',
  libraries: 'Libraries, their members, features and defaults',
  audit: 'Who did what, and refused attempts',
  activity: 'The student activity record: events in, reports out, retention (docs/ACTIVITY.md)',
  sso: 'Identity providers and single sign-on (SAML 2.0, OpenID Connect, LDAP)',
  lti: 'LTI 1.3 platform registrations and launches',
  scim: 'SCIM 2.0 provisioning and its tokens',
};

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options';
const WRITES = new Set(['post', 'put', 'patch', 'delete']);

/** `GET /v1/users/:id/roles` → `getUsersByIdRoles`; the leading version segment is left out. */
export function operationId(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((s) => s && s !== 'v1')
    .map((s) => (s.startsWith(':') ? `By-${s.slice(1)}` : s))
    .flatMap((s) => s.split(/[^A-Za-z0-9]+/).filter(Boolean));
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

const ERROR_WORDS: Record<number, string> = {
  400: 'The input is not valid: the body names the field and the reason',
  401: 'No valid session or token',
  403: 'Refused by policy: the body carries the reasons',
  404: 'Nothing by that id that the caller may see',
  409: 'In conflict with the current state (e.g. no seat left, a name in use, a stale revision)',
  412: 'The If-Match version is not the current one',
  503: 'The database is not reachable at the moment; nothing was written',
};

interface RouteSchema {
  hide?: boolean;
  summary?: string;
  tags?: string[];
  params?: unknown;
  response?: Record<string, unknown>;
  operationId?: string;
  [k: string]: unknown;
}

/** The error answers a route gives, from where it lives and what it does. */
export function errorStatuses(method: string, url: string, hasParams: boolean): number[] {
  const m = method.toLowerCase();
  const out = new Set([400, 503]);
  const scim = url.startsWith('/scim/v2');
  const authenticated = url.startsWith('/v1/') || scim;
  if (authenticated) out.add(401).add(403);
  if (hasParams || url.includes('/:')) out.add(404);
  if (authenticated && WRITES.has(m)) out.add(409);
  if (scim && ['put', 'patch', 'delete'].includes(m)) out.add(412);
  return [...out].sort();
}

export const swaggerOptions: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: '3.0.3',
    info: {
      title: 'Lectern',
      version: '1',
      description: 'Access, role and license authority for lecture capture. See docs/API.md.',
      license: { name: 'Proprietary: the university’s own licence terms', url: 'https://localhost/license' },
    },
    servers: [{ url: '/', description: 'this Lectern server' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token (lct_…), from POST /v1/tokens or `lectern token create`' },
        scimToken: { type: 'http', scheme: 'bearer', description: 'a SCIM provisioning token of the institution in the path (POST /v1/scim/tokens)' },
        session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'the console session; writes also need X-Lectern-CSRF: 1' },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
  },
  refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  transform: ({ schema, url, route }) => {
    const s = { ...((schema ?? {}) as RouteSchema) };
    if (s.hide) return { schema: s as never, url };
    const method = (Array.isArray(route.method) ? route.method[0] : route.method) as string;
    s.operationId ??= operationId(method, url);
    s.tags ??= [url.startsWith('/scim/v2') ? 'scim' : 'public'];
    const response: Record<string, unknown> = { ...(s.response ?? {}) };
    // Routes that answer something other than 200 declare it; the rest answer 200 with JSON.
    if (!Object.keys(response).some((k) => k.startsWith('2'))) response[200] = { description: 'OK' };
    const body = url.startsWith('/scim/v2') ? 'ScimError#' : 'Error#';
    for (const status of errorStatuses(method as Method, url, !!s.params)) {
      response[status] ??= { description: ERROR_WORDS[status], $ref: body };
    }
    s.response = response;
    return { schema: s as never, url };
  },
};

/** The mark Swagger UI shows at /docs instead of the framework's: a lectern, in the console's blue. */
export const LOGO = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="32" viewBox="0 0 160 32" role="img" aria-label="Lectern API">' +
    '<path d="M6 6h20l-3 8H9z" fill="#1d4ed8"/><path d="M14 14h4v12h-4z" fill="#1d4ed8"/><path d="M8 26h16v3H8z" fill="#1d4ed8"/>' +
    '<text x="34" y="22" font-family="system-ui, sans-serif" font-size="17" font-weight="600" fill="#ffffff">Lectern API</text></svg>',
);
