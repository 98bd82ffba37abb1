/**
 * A directory that cannot be reached answers 502 with the provider named, and writes nothing; a
 * reachable one fills the new user's names and email over HTTP.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { DirectoryError, FileDirectory } from '../src/services/directory/index.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { openTestStore, smallInstitution } from './helpers.js';

describe('identity providers over HTTP', () => {
  let store: Store;
  let app: FastifyInstance;
  let lectern: Lectern;
  let inst: string;
  let headers: Record<string, string>;
  beforeAll(async () => {
    store = await openTestStore('pglite');
    lectern = new Lectern(store);
    const auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    lectern.directories.set('campus', new FileDirectory('campus', [{ username: 'rsato', firstName: 'Ren', lastName: 'Sato', email: 'ren.sato@campus.edu' }]));
    lectern.directories.set('down', {
      lookup: async () => {
        throw new DirectoryError('down', 'connecting to ldap://127.0.0.1:1 failed: ECONNREFUSED');
      },
    });
    headers = { authorization: `Bearer ${(await auth.createToken(inst, 'root', 'test')).token}` };
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('answers 502 naming the provider when its directory is down, and writes nothing', async () => {
    const before = await store.currentRevision(inst);
    const r = await app.inject({ method: 'POST', url: '/v1/users', headers, payload: { id: 'ghost', identityProvider: 'down' } });
    expect(r.statusCode).toBe(502);
    expect(r.json()).toMatchObject({ code: 'directoryUnavailable', field: 'identityProvider', message: expect.stringMatching(/identity provider 'down'.*ECONNREFUSED/) });
    expect(await store.currentRevision(inst)).toBe(before);
  });

  it('fills names and email from a reachable directory', async () => {
    const r = await app.inject({ method: 'POST', url: '/v1/users', headers, payload: { id: 'rsato', identityProvider: 'campus' } });
    expect(r.statusCode).toBe(201);
    expect(r.json().result).toMatchObject({ firstName: 'Ren', lastName: 'Sato', email: 'ren.sato@campus.edu' });
  });
});
