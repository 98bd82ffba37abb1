/**
 * OpenID Connect sign-in (issue 14) against a real OpenID provider (`oidc-provider`) on a
 * loopback port, driven through the real redirects by a client that follows them and fills in the
 * provider's login and consent pages. Lectern listens on a loopback port too. Runs on every driver.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { Auth } from '../src/services/auth.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, openTestStore, smallInstitution } from './helpers.js';
import { BrowserClient } from './sso/browser-client.js';
import { startIssuerImpostor, startOidcIdp, type OidcIdp } from './sso/oidc-idp.js';

describe.each(DRIVERS)('OIDC sign-in (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  let app: FastifyInstance;
  let inst: string;
  let base: string;
  let idp: OidcIdp;
  let impostor: { issuer: string; close(): Promise<void> };
  let admin: Record<string, string>;

  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
    const auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    app = buildApp({ lectern, auth });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    idp = await startOidcIdp(
      ['campus', 'impostor'].map((p) => `${base}/v1/sso/${inst}/${p}/oidc/callback`),
      [`${base}/`],
    );
    impostor = await startIssuerImpostor(idp.issuer);
    idp.people.set('carol', { given_name: 'Carol', family_name: 'Chen', email: 'carol@stateu.edu', preferred_username: 'carol', groups: ['faculty'] });
    idp.people.set('dave', { given_name: 'Dave', family_name: 'Diaz', email: 'dave@stateu.edu', preferred_username: 'dave', groups: ['student'] });
    idp.people.set('erin', { given_name: 'Erin', family_name: 'Ek', email: 'erin@stateu.edu', preferred_username: 'erin', groups: ['faculty'] });
    idp.people.set('frank', { given_name: 'Frank', family_name: 'Fox', email: 'ROOT@example.edu', preferred_username: 'frank' });
    idp.people.set('gina', { given_name: 'Gina', family_name: 'Gold', email: 'gina@stateu.edu', preferred_username: 'gina', groups: ['faculty'] });
    const t = await auth.createToken(inst, 'root', 'test');
    admin = { authorization: `Bearer ${t.token}` };
    const settings = { protocol: 'oidc', displayName: 'State U login', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, jit: true, roles: [{ value: 'faculty', role: 'academic_staff', unit: 'science' }] };
    const put = await app.inject({ method: 'PUT', url: '/v1/identity-providers/campus', headers: admin, payload: settings });
    expect(put.statusCode, put.body).toBe(200);
    const put2 = await app.inject({ method: 'PUT', url: '/v1/identity-providers/impostor', headers: admin, payload: { ...settings, displayName: 'Impostor', issuer: impostor.issuer } });
    expect(put2.statusCode, put2.body).toBe(200);
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await idp?.close();
    await impostor?.close();
    await store?.dropSchemaAndClose();
  });

  const signIn = (login: string, provider = 'campus', rewrite?: (u: URL) => URL) =>
    new BrowserClient({ fields: { login, password: 'any password' }, ...(rewrite ? { rewrite } : {}) }).run(`${base}/v1/sso/${inst}/${provider}/start`);
  const refusal = (location: string | undefined) => {
    const q = new URL(location ?? '/', base).searchParams;
    return { code: q.get('ssoError'), message: q.get('ssoMessage') ?? '' };
  };
  const world = async () => (await lectern.refresh(inst))!;
  const auditOf = async (operation: string) => (await store.audit(inst, { limit: 1000 })).filter((e) => e.operation === operation);

  it('keeps the client secret write-only: not in reads, not in the audit log', async () => {
    const list = await app.inject({ url: '/v1/identity-providers', headers: admin });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(idp.clientSecret);
    const campus = list.json().items.find((p: { id: string }) => p.id === 'campus');
    expect(campus, JSON.stringify(campus)).toMatchObject({ protocol: 'oidc', clientSecretSet: true, oidc: { issuer: idp.issuer, clientId: 'lectern' }, endpoints: { redirectUri: expect.stringMatching(new RegExp(`/v1/sso/${inst}/campus/oidc/callback$`)) } });
    const audit = await app.inject({ url: '/v1/audit?target=identityProvider:campus', headers: admin });
    expect(audit.statusCode).toBe(200);
    expect(audit.json().items.length).toBeGreaterThan(0);
    expect(audit.body).not.toContain(idp.clientSecret);
    expect(audit.body).toContain('(secret, not shown)');
    // The sign-in page's buttons name the providers, nothing more.
    const buttons = await app.inject({ url: `/v1/sso/${inst}/providers` });
    expect(buttons.json().items).toEqual([
      { id: 'impostor', displayName: 'Impostor', protocol: 'oidc' },
      { id: 'campus', displayName: 'State U login', protocol: 'oidc' },
    ]);
  });

  it('refuses a mapping to a role with power over others, and a configuration by a unit admin', async () => {
    for (const role of ['admin', 'system_admin', 'license_manager']) {
      const res = await app.inject({ method: 'PUT', url: '/v1/identity-providers/campus', headers: admin, payload: { roles: [{ value: 'staff', role, unit: inst }] } });
      expect(res.statusCode, role).toBe(400);
      expect(res.json()).toMatchObject({ code: 'forbiddenRole', field: 'roles[0].role' });
    }
    const ada = await app.inject({ method: 'GET', url: '/v1/identity-providers', headers: { authorization: `Bearer ${(await new Auth(lectern).createToken(inst, 'ada', 't')).token}` } });
    expect(ada.statusCode).toBe(403);
    expect(ada.json().message).toMatch(/admins of the root/);
  });

  it('creates a user just in time, with the mapped role, and opens the same session as a password', async () => {
    const r = await signIn('carol');
    expect(r.final.location, JSON.stringify(r.steps)).toBe(`${base}/`);
    const cookie = r.cookies.get('lectern_session');
    expect(cookie).toBeTruthy();
    // The flow went through the provider's authorization, login, consent and our redirect URI.
    expect(r.steps.some((s) => s.url.startsWith(`${idp.issuer}/auth`))).toBe(true);
    expect(r.steps.some((s) => s.url.startsWith(`${base}/v1/sso/${inst}/campus/oidc/callback`))).toBe(true);
    const session = await app.inject({ url: '/v1/session', cookies: { lectern_session: cookie! } });
    expect(session.statusCode).toBe(200);
    expect(session.json()).toMatchObject({ via: 'session', user: { id: 'carol', email: 'carol@stateu.edu', firstName: 'Carol', lastName: 'Chen' } });
    // A write with the cookie still needs the CSRF header.
    const noCsrf = await app.inject({ method: 'POST', url: '/v1/tokens', cookies: { lectern_session: cookie! }, payload: {} });
    expect(noCsrf.statusCode).toBe(403);
    const w = await world();
    expect(w.user('carol')).toMatchObject({ identityProvider: 'campus', status: 'active' });
    expect(w.grantsOf('carol')).toEqual([expect.objectContaining({ role: 'academic_staff', scopeType: 'unit', scopeId: 'science' })]);
    const created = (await auditOf('user.create')).find((e) => e.target === 'user:carol');
    expect(created?.actor).toBe('Lectern (sign-in through campus)');
    expect((await auditOf('role.grant')).some((e) => e.target.includes('carol'))).toBe(true);
    const signedIn = (await auditOf('sso.signIn')).find((e) => e.actor === 'carol');
    expect(signedIn?.changes[0]?.after).toMatchObject({ provider: 'campus', protocol: 'oidc', outcome: 'signed in', user: 'carol' });
    // The provider's logout is offered for this session.
    const logout = await app.inject({ url: '/v1/sso/logout', cookies: { lectern_session: cookie! } });
    expect(logout.json().logout).toMatchObject({ provider: 'campus', url: expect.stringContaining(`${idp.issuer}/session/end`) });
  });

  it("refreshes the names and email of the provider's own users at each sign-in", async () => {
    idp.people.set('carol', { ...idp.people.get('carol')!, family_name: 'Chen-Li', email: 'carol.chenli@stateu.edu' });
    const r = await signIn('carol');
    expect(r.final.location).toBe(`${base}/`);
    expect((await world()).user('carol')).toMatchObject({ lastName: 'Chen-Li', email: 'carol.chenli@stateu.edu' });
    expect((await auditOf('user.update')).some((e) => e.target === 'user:carol' && e.actor === 'Lectern (sign-in through campus)')).toBe(true);
  });

  it('lets a student be created but not enter the console, with the password sign-in’s reason', async () => {
    const r = await signIn('dave');
    const { code, message } = refusal(r.final.location);
    expect(code).toBe('signInNotAllowed');
    expect(message).toMatch(/student|staff/i);
    expect(r.cookies.get('lectern_session')).toBeUndefined();
    expect((await world()).grantsOf('dave')).toEqual([]);
  });

  it('refuses a nonce mismatch, creating nothing, with an audit entry', async () => {
    const r = await signIn('erin', 'campus', (u) => {
      if (u.origin === idp.issuer && u.pathname === '/auth' && u.searchParams.has('nonce')) u.searchParams.set('nonce', 'not-the-nonce-lectern-sent');
      return u;
    });
    const { code, message } = refusal(r.final.location);
    expect(code).toBe('ssoRejected');
    expect(message).toMatch(/nonce/);
    expect((await world()).user('erin')).toBeUndefined();
    const refused = (await auditOf('sso.refused')).find((e) => JSON.stringify(e.changes).includes('nonce'));
    expect(refused?.target).toBe('identityProvider:campus');
  });

  it('refuses a token from another issuer', async () => {
    const r = await signIn('erin', 'impostor');
    const { code, message } = refusal(r.final.location);
    expect(code).toBe('ssoRejected');
    expect(message).toMatch(/iss/);
    expect((await world()).user('erin')).toBeUndefined();
    expect((await auditOf('sso.refused')).some((e) => e.target === 'identityProvider:impostor')).toBe(true);
  });

  it('refuses an answer to a sign-in it did not start (unknown state)', async () => {
    const res = await fetch(`${base}/v1/sso/${inst}/campus/oidc/callback?code=abc&state=forged`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(refusal(res.headers.get('location')!)).toMatchObject({ code: 'ssoRejected', message: expect.stringMatching(/state/) });
  });

  it('refuses a new account whose email already names someone else (one name, one user)', async () => {
    const r = await signIn('frank');
    const { code, message } = refusal(r.final.location);
    expect(code).toBe('nameConflict');
    expect(message).toMatch(/email/i);
    expect((await world()).user('frank')).toBeUndefined();
    expect((await auditOf('sso.refused')).some((e) => JSON.stringify(e.changes).includes('nameConflict'))).toBe(true);
  });

  it('follows a rotation of the provider’s signing keys', async () => {
    const before = idp.kid;
    idp.rotateKeys();
    expect(idp.kid).not.toBe(before);
    // The key set is fetched again at most once a second when a token names an unknown key.
    await new Promise((r) => setTimeout(r, 1100));
    const r = await signIn('carol');
    expect(r.final.location).toBe(`${base}/`);
    expect(r.cookies.get('lectern_session')).toBeTruthy();
  });

  it('runs a test sign-in that reports attributes and mapping and creates no one', async () => {
    // Over the real port: the redirect URI is built from the address Lectern was reached at.
    const start = await fetch(`${base}/v1/identity-providers/campus/test`, { method: 'POST', headers: admin });
    expect(start.status).toBe(200);
    const r = await new BrowserClient({ fields: { login: 'gina', password: 'x' } }).run(((await start.json()) as { url: string }).url);
    const location = new URL(r.final.location!, base);
    expect(location.pathname).toBe('/identity-providers');
    const report = await app.inject({ url: `/v1/identity-provider-tests/${location.searchParams.get('test')}`, headers: admin });
    expect(report.statusCode).toBe(200);
    expect(report.json()).toMatchObject({
      provider: 'campus',
      attributes: { preferred_username: 'gina', email: 'gina@stateu.edu', groups: ['faculty'] },
      mapped: { username: 'gina', firstName: 'Gina', lastName: 'Gold', email: 'gina@stateu.edu', affiliations: ['faculty'] },
      wouldCreate: true,
      roles: [{ role: 'academic_staff', unit: 'science' }],
      outcome: expect.stringMatching(/would create gina/),
    });
    expect((await world()).user('gina')).toBeUndefined();
  });
});
