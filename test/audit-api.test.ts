/**
 * The audit log over HTTP (issue 17): each entry a sentence with names, not ids (a deleted user
 * still named, from the changelog); paging backwards through all of history with the `next`
 * cursor, nothing lost or repeated; filtering on one picked object exactly.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { SYSTEM } from '../src/policy/index.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, ok, openTestStore, smallInstitution } from './helpers.js';

const PACK = 'ID 2026-08-01-000001';

describe.each(DRIVERS)('the audit log (%s)', (driver) => {
  let store: Store;
  let app: FastifyInstance;
  const as: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    store = await openTestStore(driver);
    const lectern = new Lectern(store);
    const auth = new Auth(lectern);
    const inst = await smallInstitution(lectern);
    const run = async (op: string, args: Record<string, unknown>) => ok(await lectern.run(SYSTEM, inst, op, args));
    await run('user.create', { id: 'nkamau', email: 'nana@example.edu', firstName: 'Nana', lastName: 'Kamau' });
    await run('role.grant', { user: 'nkamau', role: 'academic_staff', scope: 'physics' });
    await run('licensePack.create', { id: PACK, seats: 5 });
    await run('role.grant', { user: 'root', role: 'license_manager' });
    for (const u of ['root', 'sam']) as[u] = { authorization: `Bearer ${(await auth.createToken(inst, u, 'test')).token}` };
    app = buildApp({ lectern, auth });
    await app.ready();
    const call = (who: string, method: 'POST' | 'DELETE', url: string, payload?: object) => app.inject({ method, url, headers: as[who], ...(payload ? { payload } : {}) });
    expect((await call('root', 'POST', '/v1/licenses', { user: 'nkamau', pack: PACK })).statusCode).toBeLessThan(300);
    expect((await call('root', 'DELETE', `/v1/licenses?user=nkamau&pack=${encodeURIComponent(PACK)}`)).statusCode).toBe(200);
    for (let i = 0; i < 7; i++) expect((await call('root', 'POST', '/v1/users', { id: `temp${i}`, email: `temp${i}@example.edu`, firstName: 'Temp', lastName: `Number${i}` })).statusCode).toBe(201);
    expect((await call('root', 'DELETE', '/v1/users/temp3')).statusCode).toBe(200);
  });
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const get = async (q: string) => {
    const r = await app.inject({ url: `/v1/audit?${q}`, headers: as.root });
    expect(r.statusCode, r.body).toBe(200);
    return r.json() as { items: { revision: number | null; sentence: string; target: string; operation: string }[]; next: string | null };
  };

  it('says each entry as a sentence with names', async () => {
    const { items } = await get('limit=1000');
    const s = items.map((e) => e.sentence);
    expect(s).toContain(`Rita Test revoked Nana Kamau's license ${PACK}`);
    expect(s).toContain(`Rita Test assigned Nana Kamau a seat of ${PACK}`);
    // Deleted, yet named from the changelog.
    expect(s).toContain('Rita Test deleted Temp Number3');
    expect(s).toContain('Rita Test created Temp Number3');
    expect(s.join('\n')).not.toMatch(/user:|nkamau/);
  });

  it('pages backwards through all of history with the cursor, losing and repeating nothing', async () => {
    const whole = (await get('limit=1000')).items;
    expect(whole.length).toBeGreaterThan(10);
    const seen: typeof whole = [];
    let next: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const page = await get(`limit=3${next ? `&before=${next}` : ''}`);
      seen.push(...page.items);
      next = page.next;
      if (!next) break;
      expect(page.items).toHaveLength(3);
    }
    expect(next).toBeNull();
    expect(seen.map((e) => `${e.revision}/${e.operation}/${e.target}`)).toEqual(whole.map((e) => `${e.revision}/${e.operation}/${e.target}`));
    expect((await app.inject({ url: '/v1/audit?before=yesterday', headers: as.root })).json()).toMatchObject({ code: 'invalid', field: 'before' });
  });

  it('filters on a picked object exactly', async () => {
    const part = (await get('target=user:temp1')).items;
    expect(part.some((e) => e.target !== 'user:temp1')).toBe(false);
    const exact = (await get('target=user:temp&exact=true')).items;
    expect(exact).toEqual([]);
    const nana = (await get('target=user:nkamau&exact=true')).items;
    expect(nana.map((e) => e.operation)).toEqual(expect.arrayContaining(['license.assign', 'license.revoke']));
  });
});
