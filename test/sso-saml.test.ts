/**
 * SAML 2.0 Web SSO (issue 14) against an independent identity provider (samlify, with its own
 * keys and a schema validator that needs no network), through the real HTTP-Redirect request and
 * HTTP-POST response. Each refusal is checked for its reason, its audit entry, and that nothing
 * was created. Runs on every driver.
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
import { startSamlIdp, type Attr, type SamlIdp } from './sso/saml-idp.js';

/** A person as a Shibboleth IdP releases them: OID names with friendly names. */
function byOid(user: string, given: string, sn: string, affiliation: string[], mail = `${user}@stateu.edu`): Attr[] {
  return [
    { name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', friendlyName: 'eduPersonPrincipalName', values: [`${user}@stateu.edu`] },
    { name: 'urn:oid:0.9.2342.19200300.100.1.3', friendlyName: 'mail', values: [mail] },
    { name: 'urn:oid:2.5.4.42', friendlyName: 'givenName', values: [given] },
    { name: 'urn:oid:2.5.4.4', friendlyName: 'sn', values: [sn] },
    { name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.1', friendlyName: 'eduPersonAffiliation', values: affiliation },
  ];
}

describe.each(DRIVERS)('SAML sign-in (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  let app: FastifyInstance;
  let inst: string;
  let base: string;
  let idp: SamlIdp;
  let admin: Record<string, string>;

  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
    const auth = new Auth(lectern);
    inst = await smallInstitution(lectern);
    app = buildApp({ lectern, auth });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    idp = await startSamlIdp(async () => (await fetch(`${base}/v1/sso/${inst}/shib/saml/metadata`)).text());
    const t = await auth.createToken(inst, 'root', 'test');
    admin = { authorization: `Bearer ${t.token}` };
    // Configured by pasting the IdP's metadata.
    const put = await app.inject({
      method: 'PUT',
      url: '/v1/identity-providers/shib',
      headers: admin,
      payload: { protocol: 'saml', displayName: 'State U Shibboleth', idpMetadata: idp.metadata, jit: true, roles: [{ value: 'faculty', role: 'academic_staff', unit: 'physics' }] },
    });
    expect(put.statusCode, put.body).toBe(200);
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await idp?.close();
    await store?.dropSchemaAndClose();
  });

  const signIn = () => new BrowserClient().run(`${base}/v1/sso/${inst}/shib/start`);
  const refusal = (location: string | undefined) => {
    const q = new URL(location ?? '/', base).searchParams;
    return { code: q.get('ssoError'), message: q.get('ssoMessage') ?? '' };
  };
  const world = async () => (await lectern.refresh(inst))!;
  const refusedAudit = async (text: RegExp) => (await store.audit(inst, { limit: 1000 })).filter((e) => e.operation === 'sso.refused' && text.test(JSON.stringify(e.changes)));

  it('reads the pasted IdP metadata and serves SP metadata for it', async () => {
    const p = (await app.inject({ url: '/v1/identity-providers/shib', headers: admin })).json();
    expect(p).toMatchObject({ protocol: 'saml', saml: { entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [expect.stringContaining('BEGIN CERTIFICATE')] } });
    const md = await fetch(`${base}/v1/sso/${inst}/shib/saml/metadata`);
    expect(md.status).toBe(200);
    const xml = await md.text();
    expect(xml).toContain(`entityID="${base}/v1/sso/${inst}/shib/saml/metadata"`);
    expect(xml).toContain(`Location="${base}/v1/sso/${inst}/shib/saml/acs"`);
    expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    expect(xml).toContain('WantAssertionsSigned="true"');
  });

  it('signs in through the Redirect and POST bindings, creating the user with the OID attributes and the mapped role', async () => {
    idp.next = { nameId: 'tr-1', attributes: byOid('hugo', 'Hugo', 'Hale', ['member', 'faculty']) };
    const r = await signIn();
    expect(r.final.location, JSON.stringify(r.steps)).toBe(`${base}/`);
    expect(r.steps.map((s) => `${s.method} ${new URL(s.url).pathname}`)).toEqual([`GET /v1/sso/${inst}/shib/start`, 'GET /sso', `POST /v1/sso/${inst}/shib/saml/acs`]);
    const cookie = r.cookies.get('lectern_session')!;
    const session = await app.inject({ url: '/v1/session', cookies: { lectern_session: cookie } });
    expect(session.json()).toMatchObject({ via: 'session', user: { id: 'hugo@stateu.edu', firstName: 'Hugo', lastName: 'Hale', email: 'hugo@stateu.edu' } });
    const w = await world();
    expect(w.user('hugo@stateu.edu')).toMatchObject({ identityProvider: 'shib' });
    expect(w.grantsOf('hugo@stateu.edu')).toEqual([expect.objectContaining({ role: 'academic_staff', scopeId: 'physics' })]);
    const entry = (await store.audit(inst, { limit: 1000 })).find((e) => e.operation === 'sso.signIn');
    expect(entry).toMatchObject({ actor: 'hugo@stateu.edu', target: 'identityProvider:shib' });
  });

  it('reads attributes sent by their friendly names, and takes a signed response as well as a signed assertion', async () => {
    idp.next = {
      nameId: 'tr-2',
      attributes: [
        { name: 'eduPersonPrincipalName', values: ['ines@stateu.edu'] },
        { name: 'mail', values: ['ines@stateu.edu'] },
        { name: 'givenName', values: ['Ines'] },
        { name: 'sn', values: ['Ito'] },
        { name: 'eduPersonAffiliation', values: ['faculty'] },
      ],
      bend: { signResponse: true },
    };
    const r = await signIn();
    expect(r.final.location, refusal(r.final.location).message).toBe(`${base}/`);
    expect((await world()).user('ines@stateu.edu')).toMatchObject({ firstName: 'Ines', lastName: 'Ito' });
  });

  const refusals: [string, import('./sso/saml-idp.js').Bend, RegExp][] = [
    ['a wrong audience', { audience: 'https://another-sp.example/metadata' }, /audience/i],
    ['an expired assertion', { window: [-1200, -600] }, /expired/],
    ['an unsigned response', { stripSignature: true }, /signature/i],
    ['a signature by another key', { otherKey: true }, /signature/i],
    ['a wrong InResponseTo', { inResponseTo: '_not-a-request-of-ours' }, /InResponseTo/],
    ['a wrong recipient', { recipient: 'https://another-sp.example/acs' }, /Recipient/],
  ];
  for (const [what, bend, reason] of refusals) {
    it(`refuses ${what}, creating nothing, with an audit entry`, async () => {
      const user = `x${Math.random().toString(36).slice(2, 8)}`;
      idp.next = { nameId: 'tr-x', attributes: byOid(user, 'Xavier', 'Xu', ['faculty']), bend };
      const r = await signIn();
      const { code, message } = refusal(r.final.location);
      expect(code, message).toBe('ssoRejected');
      expect(message).toMatch(reason);
      expect(r.cookies.get('lectern_session')).toBeUndefined();
      expect((await world()).user(`${user}@stateu.edu`)).toBeUndefined();
      expect(await refusedAudit(reason)).not.toEqual([]);
    });
  }

  it('accepts each assertion once: a replayed response and a reused assertion id are refused', async () => {
    idp.next = { nameId: 'tr-3', attributes: byOid('jade', 'Jade', 'Jones', ['faculty']), bend: { assertionId: '_assertion-once' } };
    const first = await signIn();
    expect(first.final.location).toBe(`${base}/`);
    // The same response posted again: its request was answered already.
    const again = await fetch(`${base}/v1/sso/${inst}/shib/saml/acs`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ SAMLResponse: idp.lastResponse! }).toString() });
    expect(refusal(again.headers.get('location')!).code).toBe('ssoRejected');
    // A fresh request answered with an assertion already used.
    const replay = await signIn();
    const { code, message } = refusal(replay.final.location);
    expect(code).toBe('ssoReplay');
    expect(message).toMatch(/already used/);
    expect(replay.cookies.get('lectern_session')).toBeUndefined();
    expect(await refusedAudit(/ssoReplay/)).not.toEqual([]);
  });

  it('refuses a new account whose email already names someone else', async () => {
    idp.next = { nameId: 'tr-4', attributes: byOid('kim', 'Kim', 'Kay', ['faculty'], 'ada@example.edu') };
    const r = await signIn();
    const { code, message } = refusal(r.final.location);
    expect(code).toBe('nameConflict');
    expect(message).toMatch(/email/);
    expect((await world()).user('kim@stateu.edu')).toBeUndefined();
  });
});
