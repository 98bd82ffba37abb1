/**
 * SAML 2.0 Web SSO as a service provider (SP-initiated; AuthnRequest by HTTP-Redirect, Response by
 * HTTP-POST) through `@node-saml/node-saml`. The library checks the signature (of the response or
 * of the assertion: one is required), the issuer, the audience, InResponseTo against the requests
 * this SP sent (kept by the caller's store, so any server process can take the answer), and
 * NotBefore/NotOnOrAfter with the provider's clock skew. This module adds what it leaves out: the
 * Recipient and Destination must be our ACS URL, and the assertion id is handed back so the caller
 * can accept each assertion once. Attributes are read by Name and by FriendlyName.
 * Holds no rule: it only proves who the IdP says signed in, and with which attributes.
 */
import { SAML, ValidateInResponseTo, type CacheProvider } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import { HTTP_POST, type Provider } from './config.js';

/** This Lectern as a service provider of one institution. */
export interface ServiceProvider {
  entityId: string;
  acsUrl: string;
  /** Where the IdP sends the browser after a logout (Lectern's console). */
  logoutReturnUrl: string;
}

/** How long an AuthnRequest may wait for its answer. */
export const REQUEST_TTL_MS = 10 * 60 * 1000;

export interface SamlResult {
  /** Every attribute, by each name it arrived under (Name, and FriendlyName when given). */
  attributes: Record<string, string[]>;
  nameId: string | undefined;
  sessionIndex: string | undefined;
  assertionId: string;
  /** Until when the assertion could be presented: its id must be remembered at least that long. */
  validUntil: Date;
  /** The request this answers. */
  inResponseTo: string;
}

function client(p: Provider, sp: ServiceProvider, cacheProvider: CacheProvider, requestId?: string): SAML {
  const s = p.config.saml!;
  return new SAML({
    callbackUrl: sp.acsUrl,
    entryPoint: s.ssoUrl,
    issuer: sp.entityId,
    idpCert: s.certificates,
    idpIssuer: s.entityId,
    audience: sp.entityId,
    // Either the response or the assertion must carry a valid signature (the library refuses neither).
    wantAuthnResponseSigned: false,
    wantAssertionsSigned: false,
    acceptedClockSkewMs: p.config.clockSkewSeconds * 1000,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: REQUEST_TTL_MS,
    cacheProvider,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    ...(requestId ? { generateUniqueId: () => requestId } : {}),
    ...(s.logoutUrl ? { logoutUrl: s.logoutUrl, logoutCallbackUrl: sp.logoutReturnUrl } : {}),
  });
}

/** The URL that carries a new AuthnRequest (HTTP-Redirect); `requestId` is the request's ID. */
export async function samlStart(p: Provider, sp: ServiceProvider, cacheProvider: CacheProvider, requestId: string, relayState: string): Promise<string> {
  return client(p, sp, cacheProvider, requestId).getAuthorizeUrlAsync(relayState, undefined, {});
}

const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';

function elements(el: Document | Element, name: string): Element[] {
  return Array.from(el.getElementsByTagNameNS(SAML_NS, name) as unknown as ArrayLike<Element>);
}

/**
 * Checks a posted SAMLResponse and reads it. Throws with the reason on any failure (the library's
 * messages name the check: signature, audience, expiry, InResponseTo).
 */
export async function samlFinish(p: Provider, sp: ServiceProvider, cacheProvider: CacheProvider, samlResponse: string): Promise<SamlResult> {
  const raw = Buffer.from(samlResponse, 'base64').toString('utf8');
  const outer = new DOMParser().parseFromString(raw, 'text/xml');
  const root = outer?.documentElement;
  if (!root || root.localName !== 'Response') throw new Error('the posted SAMLResponse is not a SAML Response');
  const destination = root.getAttribute('Destination');
  if (destination && destination !== sp.acsUrl) throw new Error(`the response is addressed to ${destination}, not to this service provider (${sp.acsUrl})`);
  const inResponseTo = root.getAttribute('InResponseTo');
  if (!inResponseTo) throw new Error('the response answers no request of ours (no InResponseTo): IdP-initiated sign-in is not accepted');

  let profile;
  try {
    ({ profile } = await client(p, sp, cacheProvider).validatePostResponseAsync({ SAMLResponse: samlResponse }));
  } catch (e) {
    const m = (e as Error).message;
    // The library skips subject confirmations outside their time window, then finds none left.
    if (/No valid subject confirmation/i.test(m)) throw new Error(`the assertion has expired or is not yet valid (its SubjectConfirmationData NotBefore/NotOnOrAfter, with ${p.config.clockSkewSeconds}s of clock skew allowed)`, { cause: e });
    throw e;
  }
  if (!profile) throw new Error('the response carries no assertion');
  // The verified assertion: only what its signature covers is read from here on.
  const doc = new DOMParser().parseFromString(profile.getAssertionXml?.() ?? '', 'text/xml');
  const assertion = doc.documentElement!;
  const assertionId = assertion.getAttribute('ID');
  if (!assertionId) throw new Error('the assertion has no ID');
  const confirmations = elements(assertion, 'SubjectConfirmationData');
  const recipients = confirmations.map((c) => c.getAttribute('Recipient')).filter((r): r is string => Boolean(r));
  if (!recipients.includes(sp.acsUrl)) {
    throw new Error(`the assertion's Recipient is ${recipients.length ? recipients.join(', ') : 'missing'}, not this service provider's ACS URL (${sp.acsUrl})`);
  }
  const ends = [...elements(assertion, 'Conditions'), ...confirmations].map((e) => e.getAttribute('NotOnOrAfter')).filter((x): x is string => Boolean(x)).map((x) => Date.parse(x));
  const validUntil = new Date(Math.max(Date.now(), ...ends.filter((t) => !Number.isNaN(t))) + p.config.clockSkewSeconds * 1000 + REQUEST_TTL_MS);

  const attributes: Record<string, string[]> = {};
  for (const a of elements(assertion, 'Attribute')) {
    const values = elements(a, 'AttributeValue').map((v) => (v.textContent ?? '').trim()).filter((v) => v !== '');
    for (const name of [a.getAttribute('Name'), a.getAttribute('FriendlyName')]) {
      if (name) attributes[name] = [...(attributes[name] ?? []), ...values];
    }
  }
  return {
    attributes,
    nameId: profile.nameID ?? undefined,
    sessionIndex: profile.sessionIndex ?? undefined,
    assertionId,
    validUntil,
    inResponseTo,
  };
}

/** The SP metadata an IdP is configured with: entity id, ACS (HTTP-POST), signed assertions wanted. */
export function spMetadata(p: Provider, sp: ServiceProvider): string {
  const noCache: CacheProvider = { saveAsync: async () => null, getAsync: async () => null, removeAsync: async () => null };
  // Ask for signed assertions (what Shibboleth, Entra ID and Google do by default); a signed response is accepted too.
  const c = client(p, sp, noCache);
  (c.options as { wantAssertionsSigned: boolean }).wantAssertionsSigned = true;
  const xml = c.generateServiceProviderMetadata(null, null);
  // The library names the binding of the ACS; make sure it is the POST binding we accept.
  return xml.includes(HTTP_POST) ? xml : xml.replace(/Binding="[^"]*"(\s+Location="[^"]*")/, `Binding="${HTTP_POST}"$1`);
}

/** The IdP's single-logout URL for this session (HTTP-Redirect LogoutRequest), where it has one. */
export async function samlLogoutUrl(p: Provider, sp: ServiceProvider, nameId: string, sessionIndex: string | undefined): Promise<string | undefined> {
  if (!p.config.saml?.logoutUrl) return undefined;
  const noCache: CacheProvider = { saveAsync: async () => null, getAsync: async () => null, removeAsync: async () => null };
  return client(p, sp, noCache).getLogoutUrlAsync({ issuer: p.config.saml.entityId, nameID: nameId, nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified', ...(sessionIndex ? { sessionIndex } : {}) }, '', {});
}
