/**
 * The OpenAPI document (/docs/json) is a contract a client can be generated from: Redocly's
 * recommended rules find nothing in it, every operation has a unique id, a summary, its error
 * answers with the shared error body, and a tag that says what it groups. Swagger UI at /docs
 * carries Lectern's name and mark.
 */
import { createConfig, lint, type NormalizedProblem } from '@redocly/openapi-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { operationId, TAGS } from '../src/api/openapi.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { openTestStore } from './helpers.js';

interface Operation { operationId?: string; summary?: string; tags?: string[]; responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> }
type Doc = { paths: Record<string, Record<string, Operation>>; tags?: { name: string; description?: string }[]; components?: { schemas?: Record<string, unknown> } };

describe('the OpenAPI document', () => {
  let store: Store;
  let app: FastifyInstance;
  let doc: Doc;
  const dir = mkdtempSync(join(tmpdir(), 'lectern-openapi-'));

  beforeAll(async () => {
    store = await openTestStore('pglite');
    const lectern = new Lectern(store);
    app = buildApp({ lectern, auth: new Auth(lectern) });
    await app.ready();
    doc = (await app.inject({ url: '/docs/json' })).json() as Doc;
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const operations = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));

  it('passes Redocly’s recommended rules with no error and no warning', async () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const problems: NormalizedProblem[] = await lint({ ref: file, config: await createConfig({ extends: ['recommended'] }) });
    const said = problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`);
    expect(said).toEqual([]);
    expect(operations().length).toBeGreaterThan(100);
  });

  it('names every operation uniquely, summarises it, and tags it with a described group', () => {
    const ids = new Set<string>();
    const described = new Set((doc.tags ?? []).filter((t) => t.description).map((t) => t.name));
    for (const { path, method, op } of operations()) {
      expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z0-9]+$/);
      expect(ids.has(op.operationId!), `${op.operationId} twice`).toBe(false);
      ids.add(op.operationId!);
      expect(op.summary, `${method} ${path}`).toBeTruthy();
      for (const tag of op.tags ?? []) expect(described.has(tag), `${method} ${path}: tag '${tag}' has no description in src/api/openapi.ts TAGS`).toBe(true);
    }
    expect(operationId('GET', '/v1/users/:id/roles')).toBe('getUsersByIdRoles');
    expect(Object.keys(TAGS).length).toBe(described.size);
  });

  it('gives each operation its error answers with the shared error body', () => {
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(expect.arrayContaining(['Error', 'ScimError']));
    for (const { path, method, op } of operations()) {
      const responses = op.responses ?? {};
      const codes = Object.keys(responses);
      expect(codes.some((c) => c.startsWith('2')), `${method} ${path} has a success answer`).toBe(true);
      expect(codes, `${method} ${path}`).toContain('400');
      if (path.startsWith('/v1/') && !(path === '/v1/session' && method === 'post')) expect(codes, `${method} ${path}`).toEqual(expect.arrayContaining(['401', '403']));
      const want = path.startsWith('/scim/v2') ? '#/components/schemas/ScimError' : '#/components/schemas/Error';
      expect(responses['400']!.content?.['application/json']?.schema?.$ref, `${method} ${path}`).toBe(want);
    }
  });

  it('answers an error the way the document says: a code and a message', async () => {
    const r = await app.inject({ url: '/v1/users/nobody' });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  });

  it('shows Lectern’s name and mark at /docs', async () => {
    const page = await app.inject({ url: '/docs/' });
    expect(page.body).toContain('<title>Lectern API</title>');
    const init = await app.inject({ url: '/docs/static/swagger-initializer.js' });
    expect(init.body).toContain('data:image/svg+xml;base64,');
    expect(Buffer.from(/data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)/.exec(init.body)![1]!, 'base64').toString()).toContain('Lectern API');
  });
});
