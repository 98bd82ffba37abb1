/**
 * Issue 13's authentication items, over HTTP on every driver: the audit of sign-ins, sign-outs,
 * passwords and tokens; passwords ending sessions; temporary passwords set by an admin; sessions
 * and tokens not revived by reactivation; sign-in limits per account (not per typed string) shared
 * between server processes.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, openTestStore, smallInstitution } from './helpers.js';

const CSRF = { 'x-lectern-csrf': '1' };
type Res = { statusCode: number; json(): any; cookies: { name: string; value: string }[] }; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(DRIVERS)('authentication hardening (%s)', (driver) => {
  let store: Store;
  let auth: Auth;
  let app: FastifyInstance;
  let inst: string;
  let rootToken: string;

  beforeAll(async () => {
    store = await openTestStore(driver);
    const lectern = new Lectern(store);
    auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    for (const u of ['root', 'ada', 'sam', 'stu']) await auth.storePassword(inst, u, `${u}-password`);
    rootToken = (await auth.createToken(inst, 'root', 'setup')).token;
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.dropSchemaAndClose();
  });

  const signIn = (username: string, password: string, remoteAddress = '198.51.100.7'): Promise<Res> =>
    app.inject({ method: 'POST', url: '/v1/session', headers: CSRF, remoteAddress, payload: { institution: inst, username, password } }) as Promise<Res>;
  const cookieOf = (res: Res) => ({ lectern_session: res.cookies.find((x) => x.name === 'lectern_session')!.value });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const asRoot = { authorization: `Bearer ${'' /* filled lazily */}` };
  const audit = async (query: string) => {
    asRoot.authorization = `Bearer ${rootToken}`;
    const res = await app.inject({ url: `/v1/audit?${query}`, headers: asRoot });
    expect(res.statusCode).toBe(200);
    return res.json().items as { revision: number | null; actor: string; operation: string; target: string; address?: string; outcome?: string }[];
  };

  it('audits sign-ins (both outcomes), sign-outs and tokens with actor, target, address and outcome', async () => {
    expect((await signIn('ada', 'wrong-password', '192.0.2.44')).statusCode).toBe(401);
    const ok = await signIn('ada@example.edu', 'ada-password', '192.0.2.44');
    expect(ok.statusCode).toBe(200);
    const cookies = cookieOf(ok);
    const created = await app.inject({ method: 'POST', url: '/v1/tokens', headers: CSRF, cookies, remoteAddress: '192.0.2.44', payload: { name: 'ci' } });
    expect(created.statusCode).toBe(201);
    expect((await app.inject({ method: 'DELETE', url: `/v1/tokens/${created.json().id}`, headers: CSRF, cookies, remoteAddress: '192.0.2.44' })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: '/v1/session', headers: CSRF, cookies, remoteAddress: '192.0.2.44' })).statusCode).toBe(204);

    const items = await audit('target=user:ada');
    const seen = items.filter((e) => e.revision === null).map((e) => [e.operation, e.outcome, e.actor, e.target, e.address]);
    expect(seen).toEqual(
      expect.arrayContaining([
        ['session.signIn', 'badCredentials', 'ada', 'user:ada', '192.0.2.44'],
        ['session.signIn', 'ok', 'ada', 'user:ada', '192.0.2.44'],
        ['token.create', 'ok', 'ada', 'user:ada', '192.0.2.44'],
        ['token.revoke', 'ok', 'ada', 'user:ada', '192.0.2.44'],
        ['session.signOut', 'ok', 'ada', 'user:ada', '192.0.2.44'],
      ]),
    );
    // An unknown account is audited under the name that was typed.
    await signIn('mallory', 'whatever-password', '192.0.2.45');
    expect((await audit('target=login:mallory')).map((e) => [e.operation, e.outcome, e.address])).toEqual([['session.signIn', 'badCredentials', '192.0.2.45']]);
  });

  it('a self-service change asks for the current password and ends the other sessions, not this one', async () => {
    const first = cookieOf(await signIn('root', 'root-password'));
    const second = cookieOf(await signIn('root', 'root-password'));
    const token = (await auth.createToken(inst, 'root', 'kept')).token;
    const put = (cookies: Record<string, string>, payload: object) => app.inject({ method: 'PUT', url: '/v1/users/root/password', headers: CSRF, cookies, payload });
    const missing = await put(second, { password: 'root-password-2' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ field: 'currentPassword' });
    const wrong = await put(second, { password: 'root-password-2', currentPassword: 'not-it' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toMatchObject({ code: 'badCredentials', field: 'currentPassword' });
    expect((await put(second, { password: 'root-password-2', currentPassword: 'root-password' })).statusCode).toBe(204);
    expect((await app.inject({ url: '/v1/session', cookies: first })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/session', cookies: second })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/session', headers: bearer(token) })).statusCode).toBe(200);
    expect((await signIn('root', 'root-password')).statusCode).toBe(401);
    expect((await signIn('root', 'root-password-2')).statusCode).toBe(200);
    expect((await audit('target=user:root')).some((e) => e.operation === 'password.change' && e.outcome === 'ok')).toBe(true);
  });

  it('an admin-set password is temporary: sessions end, the next sign-in must change it first, and it is audited', async () => {
    const adaToken = (await auth.createToken(inst, 'ada', 'admin of science')).token;
    await auth.storePassword(inst, 'ada', 'ada-password');
    // ada may not reach root (institution admin): refused and audited.
    expect((await app.inject({ method: 'PUT', url: '/v1/users/root/password', headers: bearer(adaToken), payload: { password: 'taken-over' } })).statusCode).toBe(403);
    expect((await audit('target=user:root')).some((e) => e.operation === 'password.reset' && e.outcome === 'denied' && e.actor === 'ada')).toBe(true);

    await auth.storePassword(inst, 'ada', 'ada-password');
    const before = cookieOf(await signIn('ada', 'ada-password'));
    const ownToken = (await auth.createToken(inst, 'ada', 'x')).token;
    // root (institution admin) resets ada's password.
    expect((await app.inject({ method: 'PUT', url: '/v1/users/ada/password', headers: bearer(rootToken), remoteAddress: '192.0.2.9', payload: { password: 'temporary-1' } })).statusCode).toBe(204);
    expect((await app.inject({ url: '/v1/session', cookies: before })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/session', headers: bearer(ownToken) })).statusCode).toBe(200);
    const reset = (await audit('target=user:ada')).find((e) => e.operation === 'password.reset');
    expect(reset).toMatchObject({ actor: 'root', outcome: 'ok', address: '192.0.2.9' });

    const temp = await signIn('ada', 'temporary-1');
    expect(temp.statusCode).toBe(200);
    expect(temp.json().passwordChangeRequired).toBe(true);
    const cookies = cookieOf(temp);
    const blocked = await app.inject({ url: '/v1/users', cookies });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json()).toMatchObject({ code: 'passwordChangeRequired' });
    expect((await app.inject({ method: 'POST', url: '/v1/tokens', headers: CSRF, cookies, payload: {} })).statusCode).toBe(403);
    expect((await app.inject({ method: 'PUT', url: '/v1/users/stu/password', headers: CSRF, cookies, payload: { password: 'someone-else' } })).statusCode).toBe(403);
    expect((await app.inject({ url: '/v1/session', cookies })).json().passwordChangeRequired).toBe(true);
    expect((await app.inject({ method: 'PUT', url: '/v1/users/ada/password', headers: CSRF, cookies, payload: { password: 'adas-own-1', currentPassword: 'temporary-1' } })).statusCode).toBe(204);
    expect((await app.inject({ url: '/v1/users', cookies })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/session', cookies })).json().passwordChangeRequired).toBeUndefined();
    expect((await signIn('ada', 'adas-own-1')).json().passwordChangeRequired).toBeUndefined();
  });

  it('reactivating a user does not bring back sessions or tokens from before the deactivation', async () => {
    await auth.storePassword(inst, 'ada', 'ada-password');
    const cookies = cookieOf(await signIn('ada', 'ada-password'));
    const token = (await auth.createToken(inst, 'ada', 'old')).token;
    expect((await app.inject({ url: '/v1/session', headers: bearer(token) })).statusCode).toBe(200); // cached now
    expect((await app.inject({ method: 'POST', url: '/v1/users/ada/deactivate', headers: bearer(rootToken) })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v1/users/ada/reactivate', headers: bearer(rootToken) })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/session', cookies })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/session', headers: bearer(token) })).statusCode).toBe(401);
    expect((await audit('target=user:ada')).some((e) => e.operation === 'session.end' && e.outcome === 'ok')).toBe(true);
    // Signing in afresh works.
    expect((await signIn('ada', 'ada-password')).statusCode).toBe(200);
  });

  it('counts failed sign-ins per account, whatever name was typed, across server processes', async () => {
    // A second server process on the same database: its own Lectern and Auth.
    const other = new Auth(new Lectern(store));
    const codes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const who = i % 3 === 0 ? 'stu' : i % 3 === 1 ? 'STU@example.edu' : 'stu@example.edu';
      const r = i % 2 === 0 ? await signIn(who, `guess-${i}`, '203.0.113.50') : await other.signIn(inst, who, `guess-${i}`, '203.0.113.50');
      codes.push(r instanceof Object && 'statusCode' in r ? r.statusCode : (r as { ok: boolean; status?: number }).ok ? 200 : (r as { status: number }).status);
    }
    expect(codes.every((c) => c === 401)).toBe(true);
    // The eleventh, with the right password, by yet another spelling and in the other process: refused.
    const eleventh = await other.signIn(inst, 'Stu@Example.edu', 'stu-password', '203.0.113.50');
    expect(eleventh).toMatchObject({ ok: false, status: 429 });
    expect((await signIn('stu', 'stu-password', '203.0.113.50')).statusCode).toBe(429);
    // Another address is not blocked by this address's failures on stu (the account limit is 50).
    expect((await signIn('stu', 'stu-password', '203.0.113.51')).statusCode).toBe(403); // a student: signInNotAllowed, not 429
  });
});
