/**
 * Hostile input on every API route: the routes come from the OpenAPI document (/docs/json); each
 * route that takes a body, a querystring or path parameters gets wrong types, 1 MB strings,
 * 10,000-level nesting, invalid UTF-8, CSV formula cells, path-like ids (`../../etc/passwd`,
 * `%2e%2e`, NUL bytes) and prototype-pollution keys. Every answer must be a clear 4xx with a
 * `code` — never a 500, never a crash — and a refused request writes nothing (the revision stays).
 * Fixed seed; LECTERN_LONG=1 (npm run test:long) tries many more mutations per route.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { SYSTEM } from '../../src/policy/index.js';
import { Auth } from '../../src/services/auth.js';
import { Lectern } from '../../src/services/lectern.js';
import type { Store } from '../../src/store/store.js';
import { ok, openTestStore, smallInstitution } from '../helpers.js';
import { rng, scale } from '../reliability/harness.js';

const PER_ROUTE = scale(8, 200);
const MB = 'x'.repeat(1024 * 1024);
/** `{"a":[{"a":[… "bottom" …]}]}`, 10,000 levels, written out (JSON.stringify would recurse that deep). */
const DEEP = `${Array.from({ length: 10_000 }, (_, i) => (i % 2 ? '[' : '{"a":')).join('')}"bottom"${Array.from({ length: 10_000 }, (_, i) => ((10_000 - 1 - i) % 2 ? ']' : '}')).join('')}`;

/** Hostile values for one field. */
const HOSTILE: unknown[] = [
  null, 0, -1, 1e308, -1e308, true, false, [], {}, [1, 2], { $ne: null }, '', ' ', MB, '../../etc/passwd', '..%2f..%2fetc%2fpasswd', '%2e%2e', '\u0000', 'a\u0000b',
  '=HYPERLINK("http://evil.example","x")', '+cmd|\' /C calc\'!A0', '-2+3', '@SUM(A1)', '\ud800', '😀'.repeat(1000), '<script>alert(1)</script>', "'; drop table app_user; --",
  { __proto__: { admin: true } }, { constructor: { prototype: { polluted: true } } },
];

interface Route { method: string; path: string; params: string[]; query: string[]; bodyProps: string[]; hasBody: boolean }

const tally = { routes: 0, requests: 0, accepted: 0 };

describe('API routes under hostile input', () => {
  let store: Store;
  let app: FastifyInstance;
  let inst: string;
  let token: string;
  const accepted: string[] = [];

  beforeAll(async () => {
    store = await openTestStore('pglite');
    const lectern = new Lectern(store);
    const auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    ok(await lectern.run(SYSTEM, inst, 'media.create', { id: 'm1', owner: 'ada' }));
    token = (await auth.createToken(inst, 'sam', 'fuzz')).token;
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
    console.log(`[fuzz] api: ${tally.routes} routes, ${tally.requests} hostile requests, ${tally.accepted} accepted (listed above if any), 0 answered 5xx`);
  });

  function routes(doc: { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } }>> }): Route[] {
    const out: Route[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const ps = op.parameters ?? [];
        const json = op.requestBody?.content?.['application/json'];
        out.push({
          method: method.toUpperCase(),
          path,
          params: ps.filter((p) => p.in === 'path').map((p) => p.name),
          query: ps.filter((p) => p.in === 'query').map((p) => p.name),
          bodyProps: Object.keys(json?.schema?.properties ?? {}),
          hasBody: !!op.requestBody,
        });
      }
    }
    return out;
  }

  it('answers every hostile request with a 4xx and a code, and writes nothing', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    const all = routes(doc).filter((r) => r.path !== '/v1/session' || r.method !== 'DELETE');
    expect(all.length).toBeGreaterThan(50);
    const random = rng(2026);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const headers = { authorization: `Bearer ${token}` };

    for (const r of all) {
      if (r.params.length === 0 && r.query.length === 0 && !r.hasBody) continue;
      tally.routes++;
      for (let i = 0; i < PER_ROUTE; i++) {
        // Path parameters: hostile ids (URL-encoded as a client would send them).
        let url = r.path.replace(/\{(\w+)\}/g, () => encodeURIComponent(String(pick(['../../etc/passwd', '%2e%2e', '..', '\u0000', 'a\u0000b', MB.slice(0, 5000), '=1+1', 'nope', '😀']))));
        const q = new URLSearchParams();
        for (const name of r.query) if (random() < 0.7) q.set(name, String(pick(HOSTILE)).slice(0, 64 * 1024));
        if (random() < 0.3) q.set('__proto__', 'x');
        if (q.size) url += `?${q.toString()}`;
        let payload: string | Buffer | undefined;
        let contentType = 'application/json';
        if (r.hasBody) {
          const kind = i % 6;
          if (kind === 0) payload = DEEP;
          else if (kind === 1) payload = Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]);
          else if (kind === 2) payload = JSON.stringify(pick(HOSTILE));
          else if (kind === 3) {
            contentType = r.path.includes('import') ? 'text/csv' : 'application/json';
            payload = contentType === 'text/csv' ? '=cmd|"/C calc"!A0,"@x"\r\n+1,-1\r\n\u0000,\ud800' : '{"a":';
          } else {
            const body: Record<string, unknown> = {};
            for (const p of r.bodyProps) if (random() < 0.8) body[p] = pick(HOSTILE);
            if (random() < 0.3) body[`extra${i}`] = 1;
            payload = JSON.stringify(body);
          }
        }
        const before = await store.currentRevision(inst);
        const res = await app.inject({ method: r.method as 'GET', url, headers: { ...headers, ...(payload !== undefined ? { 'content-type': contentType } : {}) }, ...(payload !== undefined ? { payload } : {}) });
        tally.requests++;
        const where = `${r.method} ${r.path} #${i}: ${res.statusCode} ${res.body.slice(0, 300)}`;
        expect(res.statusCode, where).toBeLessThan(500);
        if (res.statusCode >= 400 && !String(res.headers['content-type']).startsWith('text/html')) {
          const body = res.json() as { code?: unknown; message?: unknown; detail?: unknown; schemas?: unknown };
          if (r.path.startsWith('/scim/') && body.schemas !== undefined) {
            // SCIM answers in its own error schema (RFC 7644 §3.12).
            expect(body.schemas, where).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
            expect(typeof body.detail, where).toBe('string');
          } else {
            expect(typeof body.code, where).toBe('string');
            expect(typeof body.message, where).toBe('string');
          }
          expect(await store.currentRevision(inst), `refused but written: ${where}`).toBe(before);
        } else if (res.statusCode >= 400) {
          // A page for a person (an LMS launch, a single sign-on return): words on a page, nothing written.
          expect(res.body, where).toMatch(/<h1>|<title>/i);
          expect(await store.currentRevision(inst), `refused but written: ${where}`).toBe(before);
        } else if (r.method !== 'GET') {
          tally.accepted++;
          accepted.push(where.slice(0, 200));
        }
      }
    }
    // Nothing polluted the prototypes on the way.
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (accepted.length) console.log(`[fuzz] api: writes accepted with hostile-looking input:\n  ${accepted.join('\n  ')}`);
  }, 300_000);
});
