/**
 * Sign-in and sessions: argon2id passwords, sign-in rate limits (per account and address, per
 * account, per address), the session cookie's flags, CSRF on cookie-authenticated writes, API
 * tokens (hashed, revocable, bound to an institution) and the security headers (helmet, with a
 * CSP under which the console at / and the Swagger UI at /docs still load).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { Auth } from '../../src/services/auth.js';
import { Lectern } from '../../src/services/lectern.js';
import type { Store } from '../../src/store/store.js';
import { openTestStore, smallInstitution } from '../helpers.js';

describe('sign-in, sessions, tokens and headers', () => {
  let store: Store;
  let app: FastifyInstance;
  let auth: Auth;
  let inst: string;
  let other: string;
  const PASSWORD = 'correct horse battery';

  beforeAll(async () => {
    store = await openTestStore('pglite');
    const lectern = new Lectern(store);
    auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    other = await smallInstitution(lectern);
    for (const u of ['root', 'ada', 'stu']) await auth.storePassword(inst, u, PASSWORD);
    app = buildApp({ lectern, auth });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  const signIn = (username: string, password: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/v1/session', headers: { 'x-lectern-csrf': '1', ...headers }, payload: { institution: inst, username, password } });

  it('stores passwords as argon2id hashes, never the password', async () => {
    const h = await store.passwordHash(inst, 'root');
    expect(h).toMatch(/^\$argon2id\$v=19\$/);
    expect(h).not.toContain(PASSWORD);
  });

  it('sets an HttpOnly, SameSite session cookie, Secure behind TLS', async () => {
    const plain = await signIn('root', PASSWORD);
    expect(plain.statusCode).toBe(200);
    const c = String(plain.headers['set-cookie']);
    expect(c).toMatch(/lectern_session=/);
    expect(c).toMatch(/HttpOnly/i);
    expect(c).toMatch(/SameSite=Lax/i);
    expect(c).not.toMatch(/Secure/i);
    const tls = await signIn('root', PASSWORD, { 'x-forwarded-proto': 'https' });
    expect(String(tls.headers['set-cookie'])).toMatch(/;\s*Secure/i);
  });

  it('demands the CSRF header on cookie-authenticated writes and on sign-in; bearer tokens are exempt', async () => {
    const noHeader = await app.inject({ method: 'POST', url: '/v1/session', payload: { institution: inst, username: 'root', password: PASSWORD } });
    expect(noHeader.statusCode).toBe(403);
    expect(noHeader.json()).toMatchObject({ code: 'csrfHeaderMissing', field: 'X-Lectern-CSRF' });
    const cookie = /lectern_session=([^;]+)/.exec(String((await signIn('root', PASSWORD)).headers['set-cookie']))![1]!;
    const rev = (await store.currentRevision(inst))!;
    const forged = await app.inject({ method: 'POST', url: '/v1/collections', cookies: { lectern_session: cookie }, payload: { id: 'csrf1' } });
    expect(forged.statusCode).toBe(403);
    expect(forged.json()).toMatchObject({ code: 'csrfHeaderMissing' });
    expect(await store.currentRevision(inst)).toBe(rev);
    // A form post (text/plain, the one body a cross-site form sends without a preflight) is refused too.
    const form = await app.inject({ method: 'POST', url: '/v1/collections', cookies: { lectern_session: cookie }, headers: { 'x-lectern-csrf': '1', 'content-type': 'text/plain' }, payload: '{"id":"csrf2"}' });
    expect(form.statusCode).toBe(415);
    const real = await app.inject({ method: 'POST', url: '/v1/collections', cookies: { lectern_session: cookie }, headers: { 'x-lectern-csrf': '1' }, payload: { id: 'csrf3' } });
    expect(real.statusCode).toBe(201);
    const { token } = await auth.createToken(inst, 'root', 'csrf');
    expect((await app.inject({ method: 'POST', url: '/v1/collections', headers: { authorization: `Bearer ${token}` }, payload: { id: 'csrf4' } })).statusCode).toBe(201);
    // Signing out ends the session.
    expect((await app.inject({ method: 'DELETE', url: '/v1/session', cookies: { lectern_session: cookie }, headers: { 'x-lectern-csrf': '1' } })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/v1/session', cookies: { lectern_session: cookie } })).statusCode).toBe(401);
  });

  it('rate-limits failed sign-ins per account and address, per account, and per address', async () => {
    // 10 from one address on one account.
    const codes: number[] = [];
    for (let i = 0; i < 11; i++) codes.push((await signIn('ada', `wrong-${i}`, { 'x-forwarded-for': '203.0.113.1' })).statusCode);
    expect(codes.slice(0, 10).every((c) => c === 401)).toBe(true);
    expect(codes[10]).toBe(429);
    // Even the right password is refused while limited, so guessing cannot find it.
    expect((await signIn('ada', PASSWORD)).statusCode).toBe(429);

    // The per-account and per-address limits, straight on the service (no proxy address juggling).
    for (let i = 0; i < 50; i++) expect((await auth.signIn(inst, 'stu', 'wrong', `198.51.100.${i}`)).ok).toBe(false);
    const spread = await auth.signIn(inst, 'stu', PASSWORD, '198.51.100.200');
    expect(spread).toMatchObject({ ok: false, status: 429 });
    for (let i = 0; i < 100; i++) await auth.signIn(inst, `nobody${i}`, 'wrong', '192.0.2.7');
    expect(await auth.signIn(inst, 'root', PASSWORD, '192.0.2.7')).toMatchObject({ ok: false, status: 429 });
    expect((await auth.signIn(inst, 'root', PASSWORD, '192.0.2.8')).ok).toBe(true);
  }, 240_000);

  it('keeps API tokens hashed, revocable and bound to their institution', async () => {
    const t = await auth.createToken(inst, 'ada', 'svc');
    const stored = await store.db.selectFrom('apiToken').select(['tokenHash']).where('id', '=', t.id).executeTakeFirstOrThrow();
    expect(stored.tokenHash).toBe(createHash('sha256').update(t.token).digest('hex'));
    expect(JSON.stringify(await store.listTokens(inst))).not.toContain(t.token);
    const headers = { authorization: `Bearer ${t.token}` };
    expect((await app.inject({ method: 'GET', url: '/v1/session', headers })).statusCode).toBe(200);
    // ada (not a system admin) cannot act in another institution with her token.
    const elsewhere = await app.inject({ method: 'GET', url: '/v1/institution', headers: { ...headers, 'lectern-institution': other } });
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json()).toMatchObject({ code: 'denied', field: 'Lectern-Institution' });
    expect((await app.inject({ method: 'DELETE', url: `/v1/tokens/${t.id}`, headers })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/v1/session', headers })).statusCode).toBe(401);
    // Made-up and malformed tokens get 401 and nothing else.
    for (const bad of ['lct_nope', 'Bearer', `${t.token}x`, 'lct_' + 'a'.repeat(5000)]) {
      const r = await app.inject({ method: 'GET', url: '/v1/session', headers: { authorization: `Bearer ${bad}` } });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ code: 'unauthenticated' });
    }
  });

  it('sends security headers, with a CSP under which the console and the Swagger UI load', async () => {
    for (const url of ['/', '/docs', '/docs/json', '/health', '/v1/session']) {
      const r = await app.inject({ method: 'GET', url });
      if (url === '/docs' || url === '/' || url === '/docs/json' || url === '/health') expect(r.statusCode, url).toBe(200);
      const csp = String(r.headers['content-security-policy']);
      expect(csp, url).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('unsafe-eval');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['strict-transport-security']).toMatch(/max-age=/);
    }
    // The pages' scripts come from this origin (allowed by script-src 'self'), none inline.
    for (const url of ['/', '/docs']) {
      const html = (await app.inject({ method: 'GET', url })).body;
      for (const m of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
        expect(m[1], `${url}: a script without src`).toMatch(/src="\//);
        expect(m[2]!.trim()).toBe('');
      }
      for (const m of html.matchAll(/<script[^>]*src="([^"]+)"/g)) expect((await app.inject({ method: 'GET', url: m[1]!.startsWith('/') ? m[1]! : `/docs/${m[1]}` })).statusCode, m[1]).toBe(200);
    }
  });
});
