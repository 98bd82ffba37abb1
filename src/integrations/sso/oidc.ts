/**
 * OpenID Connect sign-in (authorization code with PKCE, state and nonce) through `openid-client`:
 * discovery, the authorization URL, and the code exchange with the ID token's checks (issuer,
 * audience, expiry and not-before with the provider's clock skew, nonce). The ID token's signature
 * is verified against the provider's JWKS with `jose`, which fetches the key set again when a token
 * names a key it has not seen (the provider rotated its keys). Holds no rule: it only proves who
 * the provider says signed in, and with which claims.
 */
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Provider } from './config.js';

/** What a provider answered for one sign-in. */
export interface OidcResult {
  claims: Record<string, unknown>;
  idToken: string;
}

interface Cached {
  key: string;
  config: client.Configuration;
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

/** How long discovery and the key set are reused before being read again. */
const DISCOVERY_TTL_MS = 60 * 60 * 1000;
/** The shortest time between two key-set fetches caused by an unknown key id. */
const JWKS_COOLDOWN_MS = 1000;
const TIMEOUT_SECONDS = 10;

const cache = new Map<string, Cached & { at: number }>();

function loopback(url: string): boolean {
  const h = new URL(url).hostname;
  return h === '127.0.0.1' || h === 'localhost' || h === '[::1]';
}

/** The provider's discovered configuration (cached per provider and settings). */
async function configurationOf(p: Provider): Promise<Cached> {
  const o = p.config.oidc!;
  const id = `${p.institutionId}\u0000${p.id}`;
  const key = JSON.stringify([o, p.secret.clientSecret ?? '', p.config.clockSkewSeconds]);
  const hit = cache.get(id);
  if (hit && hit.key === key && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit;
  const insecure = new URL(o.issuer).protocol === 'http:' && loopback(o.issuer);
  const metadata: Partial<client.ClientMetadata> = {
    ...(p.secret.clientSecret ? { client_secret: p.secret.clientSecret } : {}),
    [client.clockTolerance]: p.config.clockSkewSeconds,
  };
  const config = await client.discovery(new URL(o.issuer), o.clientId, metadata, p.secret.clientSecret ? client.ClientSecretBasic(p.secret.clientSecret) : client.None(), {
    ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
    timeout: TIMEOUT_SECONDS,
  });
  const jwksUri = config.serverMetadata().jwks_uri;
  if (!jwksUri) throw new Error(`the provider at ${o.issuer} publishes no jwks_uri`);
  const entry = { key, config, jwks: createRemoteJWKSet(new URL(jwksUri), { cooldownDuration: JWKS_COOLDOWN_MS, timeoutDuration: TIMEOUT_SECONDS * 1000 }), at: Date.now() };
  cache.set(id, entry);
  return entry;
}

/** A new sign-in: where to send the browser, and what to keep until it comes back. */
export async function oidcStart(p: Provider, redirectUri: string): Promise<{ url: string; state: string; nonce: string; verifier: string }> {
  const { config } = await configurationOf(p);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: p.config.oidc!.scopes.join(' '),
    response_type: 'code',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url: url.toString(), state, nonce, verifier };
}

/**
 * The answer at the redirect URI: the code exchanged (PKCE), the ID token checked and its
 * signature verified. Throws with the reason on any failure.
 */
export async function oidcFinish(p: Provider, callbackUrl: URL, expected: { state: string; nonce: string; verifier: string }): Promise<OidcResult> {
  const { config, jwks } = await configurationOf(p);
  const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: expected.verifier,
    expectedState: expected.state,
    expectedNonce: expected.nonce,
    idTokenExpected: true,
  });
  const idToken = tokens.id_token;
  if (!idToken) throw new Error('the provider returned no ID token');
  const { payload } = await jwtVerify(idToken, jwks, {
    issuer: config.serverMetadata().issuer,
    audience: p.config.oidc!.clientId,
    clockTolerance: p.config.clockSkewSeconds,
    requiredClaims: ['exp', 'iat', 'sub'],
  });
  let claims: Record<string, unknown> = { ...payload };
  // Names and email are often only at the userinfo endpoint (Google, Entra); the ID token wins.
  if (tokens.access_token && config.serverMetadata().userinfo_endpoint) {
    try {
      const info = await client.fetchUserInfo(config, tokens.access_token, String(payload.sub));
      claims = { ...info, ...claims };
    } catch {
      // userinfo is a convenience: the ID token alone is enough to sign in.
    }
  }
  return { claims, idToken };
}

/** The provider's logout URL (RP-initiated logout), where it has one. */
export async function oidcLogoutUrl(p: Provider, idToken: string | undefined, postLogoutRedirectUri: string): Promise<string | undefined> {
  const { config } = await configurationOf(p);
  if (!config.serverMetadata().end_session_endpoint) return undefined;
  return client.buildEndSessionUrl(config, { post_logout_redirect_uri: postLogoutRedirectUri, ...(idToken ? { id_token_hint: idToken } : {}) }).toString();
}

/**
 * A short, readable reason for a failed sign-in: the library's errors wrap the check that failed
 * (a claim, the issuer, the nonce) in their causes, so every level is named.
 */
export function oidcReason(e: unknown): string {
  const parts: string[] = [];
  for (let err = e as Record<string, unknown> | undefined, depth = 0; err && typeof err === 'object' && depth < 5; depth++) {
    if (typeof err.error === 'string') parts.push(`the provider answered ${err.error}${typeof err.error_description === 'string' ? `: ${err.error_description}` : ''}`);
    else if (typeof err.message === 'string' && !parts.includes(err.message)) parts.push(err.message);
    if (typeof err.claim === 'string') parts.push(`claim "${err.claim}"${err.expected !== undefined ? ` (expected ${String(err.expected)})` : ''}`);
    if (typeof err.parameter === 'string') parts.push(`parameter "${err.parameter}"`);
    err = err.cause as Record<string, unknown> | undefined;
  }
  return parts.join(': ') || String(e);
}
