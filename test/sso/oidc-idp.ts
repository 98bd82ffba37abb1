/**
 * A real OpenID provider for the tests: `oidc-provider` (OpenID-certified) on a loopback port,
 * with a client for Lectern and its development login and consent pages (any password). Its
 * signing keys can be rotated while it runs, as a provider does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

export interface Person {
  given_name: string;
  family_name: string;
  email: string;
  preferred_username: string;
  groups?: string[];
}

export interface OidcIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  people: Map<string, Person>;
  /** Replaces the signing key: tokens are signed with a key the relying party has not seen yet. */
  rotateKeys(): void;
  /** The `kid` tokens are signed with now. */
  kid: string;
  close(): Promise<void>;
}

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...(privateKey.export({ format: 'jwk' }) as Record<string, unknown>), kid: `k-${randomBytes(4).toString('hex')}`, use: 'sig', alg: 'RS256' };
}

export async function startOidcIdp(redirectUris: string[], postLogoutRedirectUris: string[] = []): Promise<OidcIdp> {
  const people = new Map<string, Person>();
  let current: InstanceType<typeof Provider> | undefined;
  const server: Server = createServer((req, res) => current!.callback()(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'lectern';
  const clientSecret = randomBytes(16).toString('hex');
  const idp = {
    issuer,
    clientId,
    clientSecret,
    people,
    kid: '',
    rotateKeys() {
      const key = signingKey();
      idp.kid = key.kid;
      current = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: redirectUris,
            post_logout_redirect_uris: postLogoutRedirectUris,
            response_types: ['code'],
            grant_types: ['authorization_code'],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ],
        jwks: { keys: [key] },
        async findAccount(_ctx: unknown, sub: string) {
          const p = people.get(sub);
          if (!p) return undefined;
          return { accountId: sub, claims: async () => ({ sub, ...p, email_verified: true }) };
        },
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['given_name', 'family_name', 'preferred_username', 'groups'] },
        conformIdTokenClaims: false,
        features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
        pkce: { required: () => true },
        cookies: { keys: [randomBytes(16).toString('hex')] },
      });
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  idp.rotateKeys();
  return idp;
}

/** A proxy that serves another provider's discovery document under its own issuer: its tokens come from another issuer. */
export async function startIssuerImpostor(target: string): Promise<{ issuer: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const upstream = await fetch(new URL(req.url ?? '/', target));
    let body = await upstream.text();
    if ((req.url ?? '').startsWith('/.well-known/openid-configuration')) {
      const doc = JSON.parse(body) as Record<string, unknown>;
      doc.issuer = issuer;
      body = JSON.stringify(doc);
    }
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { issuer, close: () => new Promise<void>((r) => server.close(() => r())) };
}
