/**
 * Who is calling, over HTTP: sessions (cookie, CSRF header), bearer tokens, passwords, and a
 * system admin acting in another institution. Runs on every driver, through app.inject().
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { Auth, sha256 } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, openTestStore, smallInstitution } from './helpers.js';

const CSRF = { 'x-lectern-csrf': '1' };

describe.each(DRIVERS)('authentication (%s)', (driver) => {
  let store: Store;
  let auth: Auth;
  let app: FastifyInstance;
  let inst: string;
  let other: string;

  beforeAll(async () => {
    store = await openTestStore(driver);
    const lectern = new Lectern(store);
    auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    other = await smallInstitution(lectern);
    for (const u of ['root', 'ada', 'sam', 'stu']) await auth.storePassword(inst, u, `${u}-password`);
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const signIn = (username: string, password: string, headers: Record<string, string> = CSRF) =>
    app.inject({ method: 'POST', url: '/v1/session', headers, payload: { institution: inst, username, password } });
  const cookieOf = (res: { cookies: { name: string; value: string }[] }) => {
    const c = res.cookies.find((x) => x.name === 'lectern_session');
    if (!c) throw new Error('no session cookie');
    return { lectern_session: c.value };
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('answers 401 and nothing else to unauthenticated requests', async () => {
    for (const [method, url] of [['GET', '/v1/users'], ['POST', '/v1/check'], ['GET', '/v1/session'], ['DELETE', '/v1/units/physics']] as const) {
      const res = await app.inject({ method, url, payload: method === 'POST' ? { nonsense: true } : undefined });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json()).toEqual({ code: 'unauthenticated', message: expect.any(String), text: expect.any(String) });
    }
    expect((await app.inject({ url: '/v1/users', headers: bearer('lct_not-a-token') })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/users', cookies: { lectern_session: 'forged' } })).statusCode).toBe(401);
  });

  it('signs in with a password, sets an HttpOnly SameSite=Lax cookie, and signs out', async () => {
    const res = await signIn('root', 'root-password');
    expect(res.statusCode).toBe(200);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/);
    expect(res.json()).toMatchObject({ user: { id: 'root' }, institution: { id: inst }, abilities: { 'console.signIn': true, 'institution.configure': true } });

    const cookies = cookieOf(res);
    const who = await app.inject({ url: '/v1/session', cookies });
    expect(who.json()).toMatchObject({ via: 'session', user: { id: 'root' } });

    expect((await app.inject({ method: 'DELETE', url: '/v1/session', cookies, headers: CSRF })).statusCode).toBe(204);
    expect((await app.inject({ url: '/v1/session', cookies })).statusCode).toBe(401);
  });

  it('stores the session only as a hash, and marks the cookie Secure behind TLS', async () => {
    const res = await signIn('ada', 'ada-password', { ...CSRF, 'x-forwarded-proto': 'https' });
    expect(String(res.headers['set-cookie'])).toMatch(/Secure/);
    const secret = cookieOf(res).lectern_session;
    const rows = await store.db.selectFrom('consoleSession').select('tokenHash').where('userId', '=', 'ada').execute();
    expect(rows.map((r) => r.tokenHash)).toContain(sha256(secret));
    expect(rows.map((r) => r.tokenHash)).not.toContain(secret);
  });

  it('accepts the email instead of the username, and refuses a wrong password', async () => {
    expect((await app.inject({ method: 'POST', url: '/v1/session', headers: CSRF, payload: { institution: inst, email: 'ADA@example.edu', password: 'ada-password' } })).statusCode).toBe(200);
    const bad = await signIn('ada', 'not-her-password');
    expect(bad.statusCode).toBe(401);
    expect(bad.json().code).toBe('badCredentials');
    expect(bad.headers['set-cookie']).toBeUndefined();
    const nobody = await signIn('nobody', 'whatever-password');
    expect(nobody.json().code).toBe('badCredentials');
  });

  it('refuses students with the reason', async () => {
    const res = await signIn('stu', 'stu-password');
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('signInNotAllowed');
    expect(res.json().message).toMatch(/student/);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('needs the CSRF header to sign in and for cookie-authenticated writes, not for reads or bearer tokens', async () => {
    expect((await signIn('root', 'root-password', {})).json().code).toBe('csrfHeaderMissing');
    const cookies = cookieOf(await signIn('root', 'root-password'));
    const payload = { id: 'csrf-unit', parent: 'arts' };
    const noHeader = await app.inject({ method: 'POST', url: '/v1/units', cookies, payload });
    expect(noHeader.statusCode).toBe(403);
    expect(noHeader.json()).toMatchObject({ code: 'csrfHeaderMissing', field: 'X-Lectern-CSRF' });
    expect((await app.inject({ url: '/v1/units', cookies })).statusCode).toBe(200);
    const withHeader = await app.inject({ method: 'POST', url: '/v1/units', cookies, headers: CSRF, payload });
    expect(withHeader.statusCode).toBe(201);

    const { token } = await auth.createToken(inst, 'root', 'ci');
    const viaToken = await app.inject({ method: 'POST', url: '/v1/units', headers: bearer(token), payload: { id: 'token-unit', parent: 'arts' } });
    expect(viaToken.statusCode).toBe(201);
  });

  it('lets a bearer token act as its user until it is revoked; stores only its hash', async () => {
    const cookies = cookieOf(await signIn('ada', 'ada-password'));
    const created = await app.inject({ method: 'POST', url: '/v1/tokens', cookies, headers: CSRF, payload: { name: 'lms sync' } });
    expect(created.statusCode).toBe(201);
    const { id, token } = created.json() as { id: string; token: string };
    expect(token).toMatch(/^lct_[A-Za-z0-9_-]{43}$/);

    const who = await app.inject({ url: '/v1/session', headers: bearer(token) });
    expect(who.json()).toMatchObject({ via: 'token', user: { id: 'ada' } });

    const rows = await store.db.selectFrom('apiToken').select(['id', 'tokenHash']).where('institutionId', '=', inst).execute();
    const row = rows.find((r) => r.id === id)!;
    expect(row.tokenHash).toBe(sha256(token));
    expect(JSON.stringify(rows)).not.toContain(token);

    const listed = await app.inject({ url: '/v1/tokens', headers: bearer(token) });
    expect(listed.json().items.map((t: { id: string }) => t.id)).toContain(id);
    expect(JSON.stringify(listed.json())).not.toContain(token);

    // Someone else's token cannot be revoked by ada.
    const roots = await auth.createToken(inst, 'root', 'root');
    expect((await app.inject({ method: 'DELETE', url: `/v1/tokens/${roots.id}`, headers: bearer(token) })).statusCode).toBe(404);

    expect((await app.inject({ method: 'DELETE', url: `/v1/tokens/${id}`, headers: bearer(token) })).statusCode).toBe(204);
    expect((await app.inject({ url: '/v1/session', headers: bearer(token) })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/session', headers: bearer(roots.token) })).statusCode).toBe(200);
  });

  it('lets a system admin act in another institution, and nobody else', async () => {
    const sam = (await auth.createToken(inst, 'sam', 'platform')).token;
    const there = await app.inject({ url: '/v1/institution', headers: { ...bearer(sam), 'lectern-institution': other } });
    expect(there.statusCode).toBe(200);
    expect(there.json().institution.institutionId).toBe(other);
    const write = await app.inject({ method: 'POST', url: '/v1/units', headers: { ...bearer(sam), 'lectern-institution': other }, payload: { id: 'from-sam' } });
    expect(write.statusCode).toBe(201);
    const audit = await app.inject({ url: '/v1/audit?target=unit:from-sam', headers: { ...bearer(sam), 'lectern-institution': other } });
    expect(audit.json().items[0]).toMatchObject({ actor: `${inst}/sam`, operation: 'unit.create' });

    const root = (await auth.createToken(inst, 'root', 'x')).token;
    const refused = await app.inject({ url: '/v1/institution', headers: { ...bearer(root), 'lectern-institution': other } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'denied', field: 'Lectern-Institution' });
    const own = await app.inject({ url: '/v1/institution', headers: { ...bearer(root), 'lectern-institution': inst } });
    expect(own.statusCode).toBe(200);
    const missing = await app.inject({ url: '/v1/institution', headers: { ...bearer(sam), 'lectern-institution': 'no-such-place' } });
    expect(missing.statusCode).toBe(404);
  });

  it('sets passwords for oneself or with user.update, hashed with argon2id', async () => {
    const stuToken = (await auth.createToken(inst, 'stu', 'student app')).token;
    const own = await app.inject({ method: 'PUT', url: '/v1/users/stu/password', headers: bearer(stuToken), payload: { password: 'a-new-password', currentPassword: 'stu-password' } });
    expect(own.statusCode).toBe(204);
    expect(await store.passwordHash(inst, 'stu')).toMatch(/^\$argon2id\$/);
    const short = await app.inject({ method: 'PUT', url: '/v1/users/stu/password', headers: bearer(stuToken), payload: { password: 'short' } });
    expect(short.statusCode).toBe(400);
    expect(short.json()).toMatchObject({ field: 'password' });
    const others = await app.inject({ method: 'PUT', url: '/v1/users/ada/password', headers: bearer(stuToken), payload: { password: 'stolen-password' } });
    expect(others.statusCode).toBe(403);

    const ada = (await auth.createToken(inst, 'ada', 'x')).token;
    expect((await app.inject({ method: 'PUT', url: '/v1/users/stu/password', headers: bearer(ada), payload: { password: 'reset-by-ada' } })).statusCode).toBe(204);
    // ada (admin of science) may not reset the institution admin's password.
    expect((await app.inject({ method: 'PUT', url: '/v1/users/root/password', headers: bearer(ada), payload: { password: 'reset-by-ada' } })).statusCode).toBe(403);
  });

  it('stops honouring sessions and tokens of a deactivated user', async () => {
    const lectern = app.lectern;
    await auth.storePassword(inst, 'ada', 'ada-password');
    const cookies = cookieOf(await signIn('ada', 'ada-password'));
    const token = (await auth.createToken(inst, 'ada', 'x')).token;
    const root = (await auth.createToken(inst, 'root', 'x')).token;
    expect((await app.inject({ method: 'POST', url: '/v1/users/ada/deactivate', headers: bearer(root) })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/session', cookies })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/session', headers: bearer(token) })).statusCode).toBe(401);
    // The right password of a deactivated account answers exactly as a wrong one.
    expect((await signIn('ada', 'ada-password')).json()).toEqual((await signIn('ada', 'wrong-password')).json());
    expect((await signIn('ada', 'ada-password')).statusCode).toBe(401);
    expect((await lectern.world(inst))!.user('ada')!.status).toBe('deactivated');
    expect((await app.inject({ method: 'POST', url: '/v1/users/ada/reactivate', headers: bearer(root) })).statusCode).toBe(200);
  });

  it('limits failed sign-ins per account and address', async () => {
    const attempt = () => app.inject({ method: 'POST', url: '/v1/session', headers: CSRF, remoteAddress: '203.0.113.9', payload: { institution: inst, username: 'root', password: 'guess' } });
    const codes: number[] = [];
    for (let i = 0; i < 11; i++) codes.push((await attempt()).statusCode);
    expect(codes.slice(0, 10).every((c) => c === 401)).toBe(true);
    expect(codes[10]).toBe(429);
    // Another address is not locked out.
    expect((await signIn('root', 'root-password')).statusCode).toBe(200);
  });
});
