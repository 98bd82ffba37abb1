/**
 * The settings of an institution's sign-in provider (issue 14), as kept in an `identityProvider`
 * row: what is public (`config`, JSON) and what is written but never read back (`secret`, JSON).
 * This module reads and checks them and knows the protocols' attribute names; it decides nothing
 * about who may do what (that is policy's).
 */
import { X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import type { IdentityProviderRow } from '../../domain/rows.js';

export type Protocol = 'oidc' | 'saml';
export const PROTOCOLS = ['oidc', 'saml'] as const;
export const MATCH_BY = ['username', 'email'] as const;
export type MatchBy = (typeof MATCH_BY)[number];

/** The user fields a provider's attributes fill. `affiliation` is only read for role mappings. */
export const MAPPED_FIELDS = ['username', 'firstName', 'lastName', 'email', 'affiliation'] as const;
export type MappedField = (typeof MAPPED_FIELDS)[number];

export interface RoleMapping {
  /** A value of the affiliation attribute (e.g. `faculty`, or a group name). */
  value: string;
  role: string;
  /** The unit the role is held at. */
  unit: string;
}

export interface OidcSettings {
  /** The issuer URL; discovery reads `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  scopes: string[];
}

export interface SamlSettings {
  /** The IdP's entity id (the Issuer of its responses). */
  entityId: string;
  /** Its SingleSignOnService with the HTTP-Redirect binding. */
  ssoUrl: string;
  /** Its SingleLogoutService (HTTP-Redirect), if it has one. */
  logoutUrl?: string;
  /** The certificates its signatures may be made with (PEM), several during a key rollover. */
  certificates: string[];
}

export interface ProviderConfig {
  matchBy: MatchBy;
  attributes: Record<MappedField, string>;
  /** Create a user at the first sign-in of someone Lectern does not know. */
  jit: boolean;
  roles: RoleMapping[];
  /** How far the provider's clock may be from ours when expiry and not-before are checked. */
  clockSkewSeconds: number;
  oidc?: OidcSettings;
  saml?: SamlSettings;
}

export interface ProviderSecret {
  clientSecret?: string;
}

/** A provider as the rest of Lectern uses it: the row, its settings read. */
export interface Provider {
  institutionId: string;
  id: string;
  protocol: Protocol;
  displayName: string;
  enabled: boolean;
  config: ProviderConfig;
  secret: ProviderSecret;
}

export const DEFAULT_SKEW_SECONDS = 120;
export const MAX_SKEW_SECONDS = 600;

export const DEFAULT_ATTRIBUTES: Record<Protocol, Record<MappedField, string>> = {
  oidc: { username: 'preferred_username', firstName: 'given_name', lastName: 'family_name', email: 'email', affiliation: 'groups' },
  saml: { username: 'eduPersonPrincipalName', firstName: 'givenName', lastName: 'sn', email: 'mail', affiliation: 'eduPersonAffiliation' },
};

/**
 * SAML attribute names that mean the same thing: the friendly name, the OID name (urn:oid:…,
 * the SAML2 attribute profile of eduPerson and InCommon/eduGAIN) and the claim URI that Entra ID
 * and AD FS send. A mapping may name any of them; each of them is looked for.
 */
const SAML_ALIASES: string[][] = [
  ['eduPersonPrincipalName', 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6'],
  ['mail', 'email', 'urn:oid:0.9.2342.19200300.100.1.3', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'],
  ['givenName', 'urn:oid:2.5.4.42', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname'],
  ['sn', 'surname', 'urn:oid:2.5.4.4', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname'],
  ['eduPersonAffiliation', 'urn:oid:1.3.6.1.4.1.5923.1.1.1.1'],
  ['eduPersonScopedAffiliation', 'urn:oid:1.3.6.1.4.1.5923.1.1.1.9'],
  ['uid', 'urn:oid:0.9.2342.19200300.100.1.1'],
  ['displayName', 'urn:oid:2.16.840.1.113730.3.1.241'],
  ['upn', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'],
  ['name', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name'],
  ['groups', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups'],
  ['isMemberOf', 'urn:oid:1.3.6.1.4.1.5923.1.5.1.1'],
];
const ALIAS_OF = new Map<string, string[]>();
for (const names of SAML_ALIASES) for (const n of names) ALIAS_OF.set(n.toLowerCase(), names);

/** Every name under which a SAML attribute may arrive. */
export function samlNames(name: string): string[] {
  return ALIAS_OF.get(name.toLowerCase()) ?? [name];
}

/** A field wrong in a provider's settings: the field and the reason. */
export class SettingsError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const fail = (field: string, message: string): never => {
  throw new SettingsError(field, message);
};

function httpUrl(field: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') fail(field, 'is required (an https URL)');
  let u: URL;
  try {
    u = new URL((v as string).trim());
  } catch {
    return fail(field, `'${String(v)}' is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') fail(field, `'${String(v)}' is not an http(s) URL`);
  if (u.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) fail(field, `must be https (plain http only on the loopback, for tests): '${String(v)}'`);
  return u.toString();
}

/** A PEM certificate (or its base64 body, as metadata carries it), checked and normalised. */
export function pemCertificate(field: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') return fail(field, 'must be a PEM certificate');
  const body = v.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  try {
    new X509Certificate(pem);
  } catch (e) {
    fail(field, `is not a certificate: ${(e as Error).message}`);
  }
  return pem;
}

const SAML_MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
export const HTTP_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
export const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** The settings an IdP's metadata XML gives: entity id, redirect SSO and SLO URLs, signing certificates. */
export function readIdpMetadata(xml: string): SamlSettings {
  const errors: string[] = [];
  const doc = new DOMParser({ errorHandler: { error: (m: string) => errors.push(m), fatalError: (m: string) => errors.push(m) } }).parseFromString(xml, 'text/xml');
  if (errors.length > 0 || !doc?.documentElement) fail('idpMetadata', `is not XML: ${errors[0] ?? 'empty'}`);
  const all = (el: Element | Document, ns: string, name: string): Element[] => Array.from(el.getElementsByTagNameNS(ns, name) as unknown as ArrayLike<Element>);
  const idps = all(doc, SAML_MD, 'IDPSSODescriptor');
  if (idps.length === 0) fail('idpMetadata', 'has no IDPSSODescriptor: is it an identity provider’s metadata?');
  const idp = idps[0]!;
  const entity = idp.parentNode as Element;
  const entityId = entity?.getAttribute?.('entityID');
  if (!entityId) fail('idpMetadata', 'has no entityID on its EntityDescriptor');
  const service = (name: string) => all(idp, SAML_MD, name).find((e) => e.getAttribute('Binding') === HTTP_REDIRECT)?.getAttribute('Location') ?? undefined;
  const ssoUrl = service('SingleSignOnService');
  if (!ssoUrl) fail('idpMetadata', 'has no SingleSignOnService with the HTTP-Redirect binding');
  const logoutUrl = service('SingleLogoutService');
  const certificates = all(idp, SAML_MD, 'KeyDescriptor')
    .filter((k) => (k.getAttribute('use') ?? 'signing') === 'signing')
    .flatMap((k) => all(k, DSIG, 'X509Certificate').map((c) => c.textContent ?? ''))
    .map((c, i) => pemCertificate(`idpMetadata.certificate[${i}]`, c));
  if (certificates.length === 0) fail('idpMetadata', 'has no signing certificate (KeyDescriptor with an X509Certificate)');
  return { entityId: entityId!, ssoUrl: httpUrl('idpMetadata.ssoUrl', ssoUrl), ...(logoutUrl ? { logoutUrl: httpUrl('idpMetadata.logoutUrl', logoutUrl) } : {}), certificates };
}

/** The arguments `identityProvider.set` takes besides id, protocol, displayName and enabled. */
export const SETTING_FIELDS = [
  'matchBy', 'attributes', 'jit', 'roles', 'clockSkewSeconds',
  'issuer', 'clientId', 'clientSecret', 'scopes',
  'idpMetadata', 'entityId', 'ssoUrl', 'logoutUrl', 'certificates',
] as const;

const OIDC_ONLY = ['issuer', 'clientId', 'clientSecret', 'scopes'];
const SAML_ONLY = ['idpMetadata', 'entityId', 'ssoUrl', 'logoutUrl', 'certificates'];

/**
 * New settings from arguments over the old ones (an update names only what changes). A secret not
 * given is kept. Throws SettingsError naming the field.
 */
export function buildSettings(protocol: Protocol, args: Readonly<Record<string, unknown>>, old?: { config: ProviderConfig; secret: ProviderSecret }): { config: ProviderConfig; secret: ProviderSecret } {
  for (const k of protocol === 'oidc' ? SAML_ONLY : OIDC_ONLY) if (args[k] !== undefined) fail(k, `is not a setting of an ${protocol.toUpperCase()} provider`);
  const given = (k: string) => args[k] !== undefined && args[k] !== null;

  const matchBy = given('matchBy') ? args.matchBy : (old?.config.matchBy ?? 'username');
  if (!(MATCH_BY as readonly unknown[]).includes(matchBy)) fail('matchBy', `must be one of ${MATCH_BY.join(', ')}, not '${String(matchBy)}'`);

  const attributes = { ...DEFAULT_ATTRIBUTES[protocol], ...old?.config.attributes };
  if (given('attributes')) {
    const a = args.attributes;
    if (typeof a !== 'object' || Array.isArray(a)) fail('attributes', `must be a mapping of ${MAPPED_FIELDS.join(', ')} to attribute or claim names`);
    for (const [k, v] of Object.entries(a as Record<string, unknown>)) {
      if (!(MAPPED_FIELDS as readonly string[]).includes(k)) fail(`attributes.${k}`, `is not one of ${MAPPED_FIELDS.join(', ')}`);
      if (typeof v !== 'string' || v.trim() === '' || v.length > 200) fail(`attributes.${k}`, 'must be an attribute or claim name');
      attributes[k as MappedField] = (v as string).trim();
    }
  }

  const jit = given('jit') ? args.jit : (old?.config.jit ?? false);
  if (typeof jit !== 'boolean') fail('jit', 'must be true or false');

  let roles = old?.config.roles ?? [];
  if (given('roles')) {
    if (!Array.isArray(args.roles)) fail('roles', 'must be a list of {value, role, unit}');
    roles = (args.roles as unknown[]).map((r, i) => {
      const m = r as Record<string, unknown>;
      if (typeof m !== 'object' || m === null) return fail(`roles[${i}]`, 'must be {value, role, unit}');
      for (const k of Object.keys(m)) if (!['value', 'role', 'unit'].includes(k)) fail(`roles[${i}].${k}`, 'is not a field of a role mapping (value, role, unit)');
      for (const k of ['value', 'role', 'unit']) if (typeof m[k] !== 'string' || (m[k] as string).trim() === '') fail(`roles[${i}].${k}`, 'is required');
      return { value: (m.value as string).trim(), role: (m.role as string).trim(), unit: (m.unit as string).trim() };
    });
  }

  const skew = given('clockSkewSeconds') ? args.clockSkewSeconds : (old?.config.clockSkewSeconds ?? DEFAULT_SKEW_SECONDS);
  if (typeof skew !== 'number' || !Number.isInteger(skew) || skew < 0 || skew > MAX_SKEW_SECONDS) fail('clockSkewSeconds', `must be a whole number of seconds from 0 to ${MAX_SKEW_SECONDS}`);

  const config: ProviderConfig = { matchBy: matchBy as MatchBy, attributes, jit: jit as boolean, roles, clockSkewSeconds: skew as number };
  const secret: ProviderSecret = { ...old?.secret };

  if (protocol === 'oidc') {
    const o = old?.config.oidc;
    const issuer = given('issuer') ? httpUrl('issuer', args.issuer).replace(/\/$/, '') : o?.issuer ?? fail('issuer', 'is required (the provider’s issuer URL)');
    const clientId = given('clientId') ? args.clientId : (o?.clientId ?? fail('clientId', 'is required (the client id Lectern was registered with)'));
    if (typeof clientId !== 'string' || clientId.trim() === '' || clientId.length > 500) fail('clientId', 'must be the client id');
    let scopes = o?.scopes ?? ['openid', 'profile', 'email'];
    if (given('scopes')) {
      if (!Array.isArray(args.scopes) || args.scopes.some((s) => typeof s !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) fail('scopes', 'must be a list of scope names');
      scopes = [...new Set(['openid', ...(args.scopes as string[])])];
    }
    if (given('clientSecret')) {
      if (typeof args.clientSecret !== 'string' || args.clientSecret.length > 2000) fail('clientSecret', 'must be text');
      secret.clientSecret = (args.clientSecret as string) || undefined;
    }
    config.oidc = { issuer, clientId: (clientId as string).trim(), scopes };
    return { config, secret };
  }

  let saml: Partial<SamlSettings> = { ...old?.config.saml };
  if (given('idpMetadata')) {
    if (typeof args.idpMetadata !== 'string' || args.idpMetadata.length > 1_000_000) fail('idpMetadata', 'must be the metadata XML (at most 1 MB)');
    saml = readIdpMetadata(args.idpMetadata as string);
  }
  if (given('entityId')) {
    if (typeof args.entityId !== 'string' || args.entityId.trim() === '') fail('entityId', 'must be the IdP’s entity id');
    saml.entityId = (args.entityId as string).trim();
  }
  if (given('ssoUrl')) saml.ssoUrl = httpUrl('ssoUrl', args.ssoUrl);
  if (args.logoutUrl === null || args.logoutUrl === '') delete saml.logoutUrl;
  else if (given('logoutUrl')) saml.logoutUrl = httpUrl('logoutUrl', args.logoutUrl);
  if (given('certificates')) {
    if (!Array.isArray(args.certificates) || args.certificates.length === 0) fail('certificates', 'must be a list of one or more PEM certificates');
    saml.certificates = (args.certificates as unknown[]).map((c, i) => pemCertificate(`certificates[${i}]`, c));
  }
  if (!saml.entityId) fail('entityId', 'is required (or paste the IdP’s metadata in idpMetadata)');
  if (!saml.ssoUrl) fail('ssoUrl', 'is required (or paste the IdP’s metadata in idpMetadata)');
  if (!saml.certificates?.length) fail('certificates', 'at least one signing certificate is required (or paste the IdP’s metadata in idpMetadata)');
  config.saml = saml as SamlSettings;
  return { config, secret };
}

/** A provider row, read. */
export function readProvider(row: IdentityProviderRow): Provider {
  return {
    institutionId: row.institutionId,
    id: row.id,
    protocol: row.protocol,
    displayName: row.displayName,
    enabled: row.enabled,
    config: JSON.parse(row.config) as ProviderConfig,
    secret: JSON.parse(row.secret || '{}') as ProviderSecret,
  };
}

/** What a read shows of a provider: everything but the secrets, and whether each is set. */
export function providerView(p: Provider) {
  return {
    id: p.id,
    protocol: p.protocol,
    displayName: p.displayName,
    enabled: p.enabled,
    ...p.config,
    ...(p.protocol === 'oidc' ? { clientSecretSet: Boolean(p.secret.clientSecret) } : {}),
  };
}
