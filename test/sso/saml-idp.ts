/**
 * An independent SAML 2.0 identity provider for the tests: `samlify`'s IdentityProvider with its
 * own keys (made by openssl), behind a loopback HTTP server. It takes Lectern's AuthnRequest by the
 * HTTP-Redirect binding and answers with the HTTP-POST binding's auto-submitting form. Each
 * answer can be bent for a refusal test: another audience, an expired assertion, a stripped
 * signature, another signing key, a fixed assertion id, another InResponseTo.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as validator from '@authenio/samlify-xmllint-wasm';
import * as samlify from 'samlify';

samlify.setSchemaValidator(validator);

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export function keyPair(cn: string): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lectern-saml-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '2', '-subj', `/CN=${cn}`], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'k.pem'), 'utf8'), cert: readFileSync(join(dir, 'c.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An attribute as the IdP sends it: Name (an OID or a plain name), FriendlyName, values. */
export interface Attr {
  name: string;
  friendlyName?: string;
  values: string[];
}

export interface Bend {
  audience?: string;
  /** Seconds from now for NotBefore and NotOnOrAfter (Conditions and SubjectConfirmationData). */
  window?: [number, number];
  stripSignature?: boolean;
  /** Sign with another key than the one in the metadata Lectern was given. */
  otherKey?: boolean;
  assertionId?: string;
  inResponseTo?: string;
  recipient?: string;
  /** Sign the whole response instead of the assertion. */
  signResponse?: boolean;
}

export interface SamlIdp {
  entityId: string;
  ssoUrl: string;
  metadata: string;
  /** Who signs in next, and how the answer is bent. */
  next: { nameId: string; attributes: Attr[]; bend?: Bend };
  /** The last SAMLResponse (base64) sent, for replays. */
  lastResponse?: string;
  close(): Promise<void>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export async function startSamlIdp(spMetadata: () => Promise<string>): Promise<SamlIdp> {
  const own = keyPair('test-idp');
  const other = keyPair('someone-else');
  const server: Server = createServer((req, res) => {
    void handle(req.url ?? '/').then(
      (html) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(html);
      },
      (e: unknown) => {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(String(e));
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const entityId = `${origin}/idp`;
  const ssoUrl = `${origin}/sso`;
  const make = (keys: { key: string; cert: string }) =>
    samlify.IdentityProvider({
      entityID: entityId,
      privateKey: keys.key,
      signingCert: keys.cert,
      singleSignOnService: [{ Binding: REDIRECT, Location: ssoUrl }],
      nameIDFormat: ['urn:oasis:names:tc:SAML:2.0:nameid-format:transient'],
      wantAuthnRequestsSigned: false,
    });
  const idp = make(own);
  const impostor = make(other);

  const state: SamlIdp = {
    entityId,
    ssoUrl,
    metadata: idp.getMetadata(),
    next: { nameId: '', attributes: [] },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };

  async function handle(path: string): Promise<string> {
    const url = new URL(path, origin);
    if (url.pathname !== '/sso') throw new Error(`no such page ${url.pathname}`);
    const bend = state.next.bend ?? {};
    const sp = samlify.ServiceProvider({ metadata: await spMetadata(), ...(bend.signResponse ? { wantMessageSigned: true } : {}) });
    const { extract } = await idp.parseLoginRequest(sp, 'redirect', { query: Object.fromEntries(url.searchParams), octetString: '' } as never);
    const acs = (extract.request?.assertionConsumerServiceUrl as string | undefined) ?? (sp.entityMeta.getAssertionConsumerService('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST') as string);
    const now = Date.now();
    const [from, until] = bend.window ?? [-60, 300];
    const at = (s: number) => new Date(now + s * 1000).toISOString();
    const attrs = state.next.attributes
      .map(
        (a) =>
          `<saml:Attribute Name="${esc(a.name)}"${a.friendlyName ? ` FriendlyName="${esc(a.friendlyName)}"` : ''} NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:${a.name.startsWith('urn:') ? 'uri' : 'basic'}">${a.values
            .map((v) => `<saml:AttributeValue xsi:type="xs:string">${esc(v)}</saml:AttributeValue>`)
            .join('')}</saml:Attribute>`,
      )
      .join('');
    const values: Record<string, string> = {
      ID: `_${randomBytes(16).toString('hex')}`,
      AssertionID: bend.assertionId ?? `_${randomBytes(16).toString('hex')}`,
      Destination: acs,
      Audience: bend.audience ?? sp.entityMeta.getEntityID(),
      SubjectRecipient: bend.recipient ?? acs,
      Issuer: entityId,
      IssueInstant: at(0),
      StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
      ConditionsNotBefore: at(from),
      ConditionsNotOnOrAfter: at(until),
      SubjectConfirmationDataNotOnOrAfter: at(until),
      NameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
      NameID: state.next.nameId,
      InResponseTo: bend.inResponseTo ?? (extract.request?.id as string),
    };
    const signer = bend.otherKey ? impostor : idp;
    const { context } = await signer.createLoginResponse(sp, { extract }, 'post', {}, (template: string) => {
      let xml = template;
      for (const [k, v] of Object.entries(values)) xml = xml.split(`{${k}}`).join(esc(v));
      xml = xml
        .replace('{AuthnStatement}', `<saml:AuthnStatement AuthnInstant="${at(0)}" SessionIndex="_session-${randomBytes(4).toString('hex')}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`)
        .replace('{AttributeStatement}', attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '');
      return { id: values.ID!, context: xml };
    });
    let response = context as string;
    if (bend.stripSignature) {
      const xml = Buffer.from(response, 'base64').toString('utf8').replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/g, '');
      response = Buffer.from(xml, 'utf8').toString('base64');
    }
    state.lastResponse = response;
    return `<!doctype html><html><body><form method="post" action="${esc(acs)}"><input type="hidden" name="SAMLResponse" value="${response}"/><input type="hidden" name="RelayState" value="${esc(url.searchParams.get('RelayState') ?? '')}"/><noscript><button type="submit">Continue</button></noscript></form></body></html>`;
  }

  return state;
}
