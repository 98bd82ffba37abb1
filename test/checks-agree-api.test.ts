/**
 * SPEC §11 over HTTP (issue 12.5): a check on a resource that does not exist, or that belongs to
 * another institution, answers deny with a reason naming what is missing or foreign, whatever the
 * action. And the operations' argument vocabulary (SPEC §13): unknown operations and arguments,
 * bad text, whole numbers and toggles are `invalid` naming the field and the reason.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { SYSTEM } from '../src/policy/index.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, ok, openTestStore, smallInstitution } from './helpers.js';

describe.each(DRIVERS)('checks on missing or foreign resources (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  let app: FastifyInstance;
  let a: string;
  let b: string;
  let root: Record<string, string>;

  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
    const auth = new Auth(lectern);
    a = await smallInstitution(lectern);
    b = await smallInstitution(lectern);
    ok(await lectern.run(SYSTEM, b, 'user.create', { id: 'onlyb', email: 'onlyb@example.edu', firstName: 'Only', lastName: 'B' }));
    root = { authorization: `Bearer ${(await auth.createToken(a, 'root', 'test')).token}` };
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const check = async (action: string, resource: string, context?: Record<string, unknown>) => {
    const r = await app.inject({ method: 'POST', url: '/v1/check', headers: root, payload: { user: 'root', action, resource, ...(context ? { context } : {}) } });
    expect(r.statusCode).toBe(200);
    return r.json() as { allow: boolean; reasons: string[] };
  };

  it('denies, naming what is missing or foreign, where the same actor is allowed on what exists', async () => {
    expect((await check('user.delete', 'user:stu')).allow).toBe(true);
    expect((await check('institution.configure', `institution:${a}`)).allow).toBe(true);
    const cases: [string, string, RegExp][] = [
      ['user.delete', 'media:no-such', /media 'no-such' does not exist/],
      ['user.delete', 'unit:no-such', /unit 'no-such' does not exist/],
      ['user.delete', 'user:onlyb', /user 'onlyb' does not exist/],
      ['unit.update', 'unit:no-such', /unit 'no-such' does not exist/],
      ['media.view', 'media:no-such', /media 'no-such' does not exist/],
      ['institution.configure', `institution:${b}`, /another institution/],
      ['user.create', `institution:${b}`, /another institution/],
      ['section.enroll', 'section:no-such', /section 'no-such' does not exist/],
    ];
    for (const [action, resource, why] of cases) {
      const d = await check(action, resource);
      expect(d.allow, `${action} on ${resource}`).toBe(false);
      expect(d.reasons.join(' '), `${action} on ${resource}`).toMatch(why);
    }
  });

  it('answers a check on an operation with the operation\'s reason', async () => {
    const d = await check('role.revoke', 'user:stu', { role: 'scheduler' });
    expect(d.allow).toBe(false);
    expect(d.reasons.join(' ')).toMatch(/does not exist/); // stu holds no scheduler grant: the operation's notFound
  });

  it('refuses unknown operations and arguments, and bad input, naming the field and the reason', async () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const o = await lectern.run(SYSTEM, a, name, {});
      expect(o.status, name).toBe('invalid');
    }
    const bad: [string, Record<string, unknown>, string, RegExp][] = [
      ['user.create', { id: 'x1', email: 'x1@example.edu', lastName: 'L' }, 'firstName', /is required/],
      ['user.create', { id: 'x1', email: 'x1@example.edu', firstName: 'A\u0000', lastName: 'L' }, 'firstName', /control characters/],
      ['user.create', { id: 'x1', email: 'x1@example.edu', firstName: 'A\uD800', lastName: 'L' }, 'firstName', /lone surrogate/],
      ['user.create', { id: 'x1', email: 'x1@example.edu', firstName: 'A'.repeat(201), lastName: 'L' }, 'firstName', /longer than 200/],
      ['user.create', { id: 'x1', email: 'x1@example.edu', firstName: 'A', lastName: 'L', colour: 'red' }, 'colour', /not an argument/],
      ['licensePack.create', { id: 'ID 2026-03-01-000003', seats: 2.5 }, 'seats', /whole number from 0 to 10,000,000/],
      ['licensePack.create', { id: 'ID 2026-03-01-000003', seats: -1 }, 'seats', /whole number from 0 to 10,000,000/],
      ['institution.configure', { studentLibrary: 'maybe' }, 'studentLibrary', /on\/off or true\/false/],
      ['unit.create', { id: 'bad id!' }, 'id', /not a valid id/],
    ];
    for (const [op, args, field, why] of bad) {
      const o = await lectern.run(SYSTEM, a, op, args);
      expect(o.status, `${op} ${JSON.stringify(args)}`).toBe('invalid');
      if (o.status === 'ok') continue;
      expect(o.field).toBe(field);
      expect(o.message).toMatch(why);
    }
    expect((await lectern.run(SYSTEM, a, 'institution.configure', { studentLibrary: 'off' })).status).toBe('ok');
    expect((await lectern.run(SYSTEM, a, 'licensePack.create', { id: 'ID 2026-03-01-000003', seats: '3' })).status).toBe('ok');
  });
});
