/**
 * An LMS for tests, written from 1EdTech LTI Core 1.3 and NRPS 2.0: its own RSA keys and JWKS, an
 * OIDC authorization endpoint that answers a tool's authentication request with a self-posting
 * id_token form, an OAuth2 token endpoint that checks the tool's signed client assertion against
 * the tool's JWKS, and a membership endpoint that pages with Link: rel="next". Served on a
 * loopback port the OS picks.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, exportJWK, generateKeyPair, type JWK, jwtVerify, SignJWT } from 'jose';

export const LIS = 'http://purl.imsglobal.org/vocab/lis/v2/';
export const ROLE = {
  instructor: `${LIS}membership#Instructor`,
  learner: `${LIS}membership#Learner`,
  ta: `${LIS}membership/Instructor#TeachingAssistant`,
  contentDeveloper: `${LIS}membership#ContentDeveloper`,
  mentor: `${LIS}membership#Mentor`,
  faculty: `${LIS}institution/person#Faculty`,
  student: `${LIS}institution/person#Student`,
  instAdmin: `${LIS}institution/person#Administrator`,
  sysAdmin: `${LIS}system/person#Administrator`,
  sysUser: `${LIS}system/person#User`,
} as const;
const CLAIM = 'https://purl.imsglobal.org/spec/lti/claim/';

export interface Person {
  sub: string;
  email?: string;
  given_name?: string;
  family_name?: string;
  name?: string;
  sourcedid?: string;
}

export interface LaunchSpec {
  person: Person;
  roles: string[];
  context?: { id: string; title?: string; label?: string; type?: string[] } | null;
  deploymentId?: string;
  /** Claims to add or override (null removes). */
  extra?: Record<string, unknown>;
  /** Sign with a key the JWKS does not publish. */
  rogueKey?: boolean;
  /** Seconds added to the token's iat and exp. */
  shift?: number;
  /** A nonce other than the tool's. */
  nonce?: string;
}

export interface Member extends Person {
  roles: string[];
  status?: 'Active' | 'Inactive' | 'Deleted';
}

export type Vendor = 'canvas' | 'moodle' | 'blackboard' | 'brightspace';

export class Platform {
  private server!: Server;
  private keys: { kid: string; priv: CryptoKey; pub: JWK }[] = [];
  private rogue!: CryptoKey;
  private readonly pending = new Map<string, LaunchSpec>();
  readonly tokens = new Set<string>();
  readonly seenJti = new Set<string>();
  /** The tool's JWKS URL and client id, as the LMS admin pasted them. */
  toolJwks = '';
  clientId = 'lectern-client';
  redirectUris: string[] = [];
  readonly rosters = new Map<string, Member[]>();
  pageSize = 2;
  /** The audience the token endpoint wants in assertions (default: its own URL). */
  tokenAudience: string | undefined;
  jwksFetches = 0;
  tokenRequests: { ok: boolean; reason?: string }[] = [];
  base = '';

  constructor(
    readonly vendor: Vendor,
    readonly issuer: string,
    readonly deploymentId = 'dep-1',
  ) {}

  async start(): Promise<this> {
    await this.rotateKey();
    this.rogue = (await generateKeyPair('RS256')).privateKey;
    this.server = createServer((req, res) => void this.handle(req, res).catch((e: Error) => this.send(res, 500, { error: e.message })));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  get authUrl(): string {
    return `${this.base}/auth`;
  }
  get jwksUrl(): string {
    return `${this.base}/jwks`;
  }
  get tokenUrl(): string {
    return `${this.base}/token`;
  }
  membershipsUrl(contextId: string): string {
    return `${this.base}/nrps/${encodeURIComponent(contextId)}/memberships`;
  }

  /** A new signing key; the JWKS publishes it beside the old ones. */
  async rotateKey(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const kid = randomUUID();
    this.keys.unshift({ kid, priv: privateKey, pub: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } });
    return kid;
  }

  /** Prepares a launch; the returned login_hint starts it. */
  prepare(spec: LaunchSpec): string {
    const hint = randomUUID();
    this.pending.set(hint, spec);
    return hint;
  }

  /** The claims each LMS sends for a course launch, with its own custom claims and context types. */
  claims(spec: LaunchSpec, nonce: string): Record<string, unknown> {
    const ctx = spec.context === null ? undefined : (spec.context ?? { id: 'ctx-1', title: 'Mechanics', label: 'PHYS101' });
    const p = spec.person;
    const base: Record<string, unknown> = {
      sub: p.sub,
      nonce: spec.nonce ?? nonce,
      ...(p.email ? { email: p.email } : {}),
      ...(p.given_name ? { given_name: p.given_name } : {}),
      ...(p.family_name ? { family_name: p.family_name } : {}),
      ...(p.name ? { name: p.name } : {}),
      [`${CLAIM}message_type`]: 'LtiResourceLinkRequest',
      [`${CLAIM}version`]: '1.3.0',
      [`${CLAIM}deployment_id`]: spec.deploymentId ?? this.deploymentId,
      [`${CLAIM}target_link_uri`]: this.redirectUris[0],
      [`${CLAIM}resource_link`]: { id: `rl-${ctx?.id ?? 'none'}`, title: 'Lecture recordings' },
      [`${CLAIM}roles`]: spec.roles,
      ...(ctx ? { [`${CLAIM}context`]: ctx } : {}),
      [`${CLAIM}tool_platform`]: { guid: `${this.vendor}-guid`, product_family_code: this.vendor, name: `${this.vendor} test` },
      ...(p.sourcedid ? { [`${CLAIM}lis`]: { person_sourcedid: p.sourcedid, course_section_sourcedid: ctx ? `sis-${ctx.id}` : undefined } } : {}),
      ...(ctx ? { 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice': { context_memberships_url: this.membershipsUrl(ctx.id), service_versions: ['2.0'] } } : {}),
    };
    const vendor: Record<Vendor, Record<string, unknown>> = {
      canvas: {
        [`${CLAIM}custom`]: { canvas_course_id: '1234', canvas_user_login_id: p.sourcedid ?? p.sub },
        'https://www.instructure.com/placement': 'course_navigation',
      },
      moodle: { [`${CLAIM}custom`]: { id: '42' }, [`${CLAIM}ext`]: { user_username: p.sourcedid ?? p.sub, lms: 'moodle-2' } },
      blackboard: { 'https://blackboard.com/lti/claim/one_time_session_token': `ots-${randomUUID()}`, [`${CLAIM}custom`]: { course_pk: '_1234_1' } },
      brightspace: { 'http://www.brightspace.com': { tenant_id: 'tenant-1', org_defined_id: p.sourcedid ?? '', user_id: 77, username: p.sourcedid ?? p.sub, 'Context.id.history': '' } },
    };
    const out: Record<string, unknown> = { ...base, ...vendor[this.vendor] };
    for (const [k, v] of Object.entries(spec.extra ?? {})) {
      if (v === null) delete out[k];
      else out[k] = v;
    }
    return out;
  }

  private async sign(spec: LaunchSpec, nonce: string): Promise<string> {
    const key = spec.rogueKey ? { kid: this.keys[0]!.kid, priv: this.rogue } : this.keys[0]!;
    const now = Math.floor(Date.now() / 1000) + (spec.shift ?? 0);
    const claims = this.claims(spec, nonce);
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' }).setIssuedAt(now).setExpirationTime(now + 300);
    if (claims.iss === undefined) jwt.setIssuer(this.issuer);
    if (claims.aud === undefined) jwt.setAudience(this.clientId);
    return jwt.sign(key.priv);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    if (url.pathname === '/jwks') {
      this.jwksFetches++;
      return this.send(res, 200, { keys: this.keys.map((k) => k.pub) });
    }
    if (url.pathname === '/auth') return this.authorize(url, res);
    if (url.pathname === '/course') return this.coursePage(url, res);
    if (url.pathname === '/token' && req.method === 'POST') return this.token(await body(req), res);
    const m = /^\/nrps\/([^/]+)\/memberships$/.exec(url.pathname);
    if (m) return this.memberships(decodeURIComponent(m[1]!), url, req, res);
    return this.send(res, 404, { error: 'not found' });
  }

  /** The OIDC authorization endpoint: checks the tool's request, answers with a self-posting form. */
  private async authorize(url: URL, res: ServerResponse): Promise<void> {
    const q = Object.fromEntries(url.searchParams);
    const problems = [
      q.scope !== 'openid' && 'scope',
      q.response_type !== 'id_token' && 'response_type',
      q.response_mode !== 'form_post' && 'response_mode',
      q.prompt !== 'none' && 'prompt',
      q.client_id !== this.clientId && 'client_id',
      !this.redirectUris.includes(q.redirect_uri ?? '') && 'redirect_uri',
      !q.nonce && 'nonce',
      !q.state && 'state',
    ].filter(Boolean);
    const spec = this.pending.get(q.login_hint ?? '');
    if (problems.length > 0 || !spec) return this.send(res, 400, { error: 'invalid_request', problems, hint: !!spec });
    const token = await this.sign(spec, q.nonce!);
    const field = (n: string, v: string) => `<input type="hidden" name="${n}" value="${v.replace(/"/g, '&quot;')}">`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><html><body><form id="f" method="post" action="${q.redirect_uri}">${field('id_token', token)}${field('state', q.state!)}</form>` +
        `<script>document.getElementById('f').submit()</script></body></html>`,
    );
  }

  /**
   * A course page of the LMS with the tool's link: it starts the third-party-initiated login by
   * posting to the tool's login initiation URL (`login` in the query), as LMSs do.
   */
  private coursePage(url: URL, res: ServerResponse): void {
    const hint = url.searchParams.get('hint') ?? '';
    const login = url.searchParams.get('login') ?? '';
    const field = (n: string, v: string) => `<input type="hidden" name="${n}" value="${v.replace(/"/g, '&quot;')}">`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><html><body><h1>${this.vendor} course</h1><form id="f" method="post" action="${login}">` +
        field('iss', this.issuer) + field('login_hint', hint) + field('target_link_uri', this.redirectUris[0] ?? '') + field('client_id', this.clientId) + field('lti_deployment_id', this.deploymentId) +
        `<button id="open">Lecture recordings</button></form></body></html>`,
    );
  }

  /** OAuth2 client credentials with a JWT assertion signed by the tool (checked against its JWKS). */
  private async token(form: URLSearchParams, res: ServerResponse): Promise<void> {
    const refuse = (reason: string) => {
      this.tokenRequests.push({ ok: false, reason });
      return this.send(res, 400, { error: 'invalid_client', error_description: reason });
    };
    if (form.get('grant_type') !== 'client_credentials') return refuse('grant_type');
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return refuse('client_assertion_type');
    if (!(form.get('scope') ?? '').split(' ').includes('https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly')) return refuse('scope');
    try {
      const { payload } = await jwtVerify(form.get('client_assertion') ?? '', createRemoteJWKSet(new URL(this.toolJwks)), { issuer: this.clientId, subject: this.clientId, audience: this.tokenAudience ?? this.tokenUrl });
      if (!payload.jti || this.seenJti.has(payload.jti)) return refuse('jti');
      this.seenJti.add(payload.jti);
    } catch (e) {
      return refuse(`assertion: ${(e as Error).message}`);
    }
    const token = randomUUID();
    this.tokens.add(token);
    this.tokenRequests.push({ ok: true });
    return this.send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: form.get('scope') });
  }

  private memberships(contextId: string, url: URL, req: IncomingMessage, res: ServerResponse): void {
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!auth || !this.tokens.has(auth[1]!)) return this.send(res, 401, { error: 'invalid_token' });
    const all = this.rosters.get(contextId) ?? [];
    const page = Number(url.searchParams.get('page') ?? '0');
    const slice = all.slice(page * this.pageSize, (page + 1) * this.pageSize);
    const headers: Record<string, string> = { 'content-type': 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json' };
    if ((page + 1) * this.pageSize < all.length) headers.link = `<${this.membershipsUrl(contextId)}?page=${page + 1}>; rel="next"`;
    res.writeHead(200, headers);
    res.end(
      JSON.stringify({
        id: url.toString(),
        context: { id: contextId, label: contextId, title: contextId },
        members: slice.map((m) => ({
          status: m.status ?? 'Active',
          user_id: m.sub,
          roles: m.roles,
          ...(m.email ? { email: m.email } : {}),
          ...(m.given_name ? { given_name: m.given_name } : {}),
          ...(m.family_name ? { family_name: m.family_name } : {}),
          ...(m.name ? { name: m.name } : {}),
          ...(m.sourcedid ? { lis_person_sourcedid: m.sourcedid } : {}),
        })),
      }),
    );
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

async function body(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
