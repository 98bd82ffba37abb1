/** The sign-in form's institution choice (issue 17): public, and nothing but each id and name. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, openTestStore, smallInstitution } from './helpers.js';

describe.each(DRIVERS)('institutions for the sign-in form (%s)', (driver) => {
  let store: Store;
  let app: FastifyInstance;
  let inst: string;
  beforeAll(async () => {
    store = await openTestStore(driver);
    const lectern = new Lectern(store);
    inst = await smallInstitution(lectern);
    app = buildApp({ lectern, auth: new Auth(lectern) });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  it('lists each institution by id and name to anyone, and nothing more', async () => {
    const r = await app.inject({ url: '/v1/sign-in/institutions' });
    expect(r.statusCode).toBe(200);
    const items = r.json().items as Record<string, unknown>[];
    expect(items).toContainEqual({ id: inst, name: 'State University' });
    for (const i of items) expect(Object.keys(i).sort()).toEqual(['id', 'name']);
    expect(Object.keys(r.json())).toEqual(['items']);
  });
});
