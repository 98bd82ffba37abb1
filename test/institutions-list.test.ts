/**
 * Issue 20 (Ensemble: system admins filter users by institution): GET /v1/institutions lists every
 * institution for a system admin, who then acts in one with Lectern-Institution; nobody else gets
 * the list. PATCH /v1/institution sets the activity record's retention.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, freshId, openTestStore, smallInstitution } from './helpers.js';

describe.each(DRIVERS)('institutions for system admins (%s)', (driver) => {
  let store: Store;
  let app: FastifyInstance;
  let a: string;
  let b: string;
  const as: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    store = await openTestStore(driver);
    const lectern = new Lectern(store);
    const auth = new Auth(lectern);
    a = await smallInstitution(lectern, freshId('ia'));
    b = await smallInstitution(lectern, freshId('ib'));
    app = buildApp({ lectern, auth });
    for (const u of ['sam', 'root']) as[u] = { authorization: `Bearer ${(await auth.createToken(a, u, 'test')).token}` };
  });

  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  it('lists every institution to a system admin, who then lists another one’s users', async () => {
    const r = await app.inject({ url: '/v1/institutions', headers: as.sam });
    expect(r.statusCode).toBe(200);
    const ids = (r.json().items as { id: string }[]).map((i) => i.id);
    expect(ids).toEqual(expect.arrayContaining([a, b]));
    const users = await app.inject({ url: '/v1/users?tab=staff', headers: { ...as.sam, 'lectern-institution': b } });
    expect(users.statusCode).toBe(200);
    const denied = await app.inject({ url: '/v1/institutions', headers: as.root });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().reasons.join(' ')).toMatch(/system admin/);
  });

  it('sets the activity retention through PATCH /v1/institution, with bounds', async () => {
    const r = await app.inject({ method: 'PATCH', url: '/v1/institution', headers: as.root, payload: { activityRetentionDays: 90 } });
    expect(r.statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/institution', headers: as.root })).json().institution.activityRetentionDays).toBe(90);
    expect((await app.inject({ method: 'PATCH', url: '/v1/institution', headers: as.root, payload: { activityRetentionDays: -1 } })).json()).toMatchObject({ field: 'activityRetentionDays' });
  });
});
