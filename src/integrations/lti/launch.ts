/**
 * The LTI 1.3 launch, as the tool's side of OpenID Connect third-party-initiated login:
 *
 *  1. the platform calls the login initiation URL (iss, login_hint, target_link_uri, …);
 *  2. Lectern answers with a redirect to the platform's authorization URL carrying a fresh `state`
 *     (also set as a cookie, binding the flow to this browser) and `nonce` (kept in the store);
 *  3. the platform form-posts an `id_token` and the `state` to the launch URL, and Lectern checks
 *     everything LTI Core requires before handing the claims to the `lti.launch` operation.
 *
 * Every refusal is kept for the institution's admins (LtiStore.addRefusal).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { type LtiPlatformRow } from '../../domain/rows.js';
import { SYSTEM } from '../../policy/index.js';
import { launchSyncsRoster } from '../../policy/lti.js';
import type { Lectern } from '../../services/lectern.js';
import type { LaunchResult, SyncResult } from '../../services/ops/lti.js';
import { LtiStore } from '../../store/lti.js';
import { CLAIM, LTI_VERSION, LtiRefusal, RESOURCE_LINK_REQUEST } from './claims.js';
import { LtiKeys, SIGNING_ALG } from './keys.js';
import { syncRoster } from './nrps.js';

/** Clock skew allowed on exp, iat and nbf. */
export const SKEW_SECONDS = 60;
/** How long a login may take between the redirect and the platform's post. */
export const LOGIN_TTL_MS = 10 * 60_000;
/** The lifetime of the ticket a launch answers with. */
export const TICKET_TTL_SECONDS = 10 * 60;
export const TICKET_AUDIENCE = 'lectern-player';

export const stateCookie = (state: string): string => `lti_state_${state}`;

export interface LtiServiceOptions {
  /** Minimum time between two fetches of one platform's JWKS (an unknown kid refetches after it). */
  jwksCooldownMs?: number;
}

export interface LaunchAnswer {
  result: LaunchResult;
  ticket: string;
  /** A roster sync this launch started, if it started one. */
  sync?: Promise<SyncResult | undefined>;
}

export class LtiService {
  readonly store: LtiStore;
  readonly keys: LtiKeys;
  private readonly jwks = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  /** The roster sync the latest instructor launch started (for whoever wants to wait on it). */
  lastSync: Promise<SyncResult | undefined> | undefined;

  constructor(
    readonly lectern: Lectern,
    private readonly opts: LtiServiceOptions = {},
  ) {
    this.store = new LtiStore(lectern.store);
    this.keys = new LtiKeys(this.store);
  }

  /** A registration, read from the institution's world. */
  async platform(institutionId: string, platformId: string): Promise<LtiPlatformRow> {
    const w = await this.lectern.world(institutionId);
    if (!w) throw new LtiRefusal('unknownInstitution', `there is no institution '${institutionId}' in Lectern`, 404);
    const p = w.tables.ltiPlatform.get(platformId);
    if (!p) throw new LtiRefusal('unknownPlatform', `no LMS is registered as '${platformId}' in ${institutionId}`, 404, { platform: platformId });
    return p;
  }

  /** Step 2: the authentication request, as a URL to redirect the browser to. */
  async login(institutionId: string, platformId: string, params: Record<string, string | undefined>, redirectUri: string): Promise<{ location: string; state: string }> {
    return this.recorded(institutionId, platformId, params, async () => {
      const p = await this.platform(institutionId, platformId);
      if (!params.iss) throw new LtiRefusal('missingClaims', 'the LMS started the login without saying who it is (iss)', 400);
      if (params.iss !== p.issuer) throw new LtiRefusal('unknownIssuer', `the LMS says it is '${params.iss}', but ${p.name} is registered as '${p.issuer}'`, 400, { iss: params.iss });
      if (params.client_id !== undefined && params.client_id !== p.clientId) {
        throw new LtiRefusal('unknownClient', `client id '${params.client_id}' is not Lectern's at ${p.name} ('${p.clientId}')`, 400, { clientId: params.client_id });
      }
      if (!params.login_hint) throw new LtiRefusal('missingClaims', 'the LMS started the login without a login_hint', 400);
      const state = randomBytes(24).toString('base64url');
      const nonce = randomBytes(24).toString('base64url');
      await this.store.addLogin(institutionId, { state, nonce, platformId, expiresAt: new Date(Date.now() + LOGIN_TTL_MS) });
      const url = new URL(p.authUrl);
      const q: Record<string, string> = {
        scope: 'openid',
        response_type: 'id_token',
        response_mode: 'form_post',
        prompt: 'none',
        client_id: p.clientId,
        redirect_uri: redirectUri,
        login_hint: params.login_hint,
        state,
        nonce,
      };
      if (params.lti_message_hint) q.lti_message_hint = params.lti_message_hint;
      for (const [k, v] of Object.entries(q)) url.searchParams.set(k, v);
      return { location: url.toString(), state };
    });
  }

  /** Step 3: the id_token post. `browserStates` are the states whose cookie the browser sent. */
  async launch(institutionId: string, platformId: string, form: Record<string, string | undefined>, browserStates: ReadonlySet<string>): Promise<LaunchAnswer> {
    return this.recorded(institutionId, platformId, {}, async () => {
      if (form.error) throw new LtiRefusal('platformError', `the LMS refused the login: ${form.error}${form.error_description ? ` (${form.error_description})` : ''}`, 400);
      const p = await this.platform(institutionId, platformId);
      const state = form.state;
      if (!state || !form.id_token) throw new LtiRefusal('missingClaims', 'the LMS posted no id_token or no state', 400);
      if (!browserStates.has(state)) {
        throw new LtiRefusal('stateMismatch', 'this launch did not start in this browser (the state cookie is missing); open the tool from the LMS again, with cookies allowed', 401);
      }
      const login = await this.store.takeLogin(institutionId, state);
      if (!login || login.platformId !== platformId || login.expiresAt.getTime() < Date.now()) {
        throw new LtiRefusal('replayedLaunch', 'this launch was already used or has expired; open the tool from the LMS again', 401);
      }
      const claims = await this.verify(p, form.id_token);
      if (claims.nonce !== login.nonce) throw new LtiRefusal('replayedLaunch', 'the launch carries a nonce Lectern did not issue for this login (a replayed token)', 401, { sub: claims.sub });
      if (claims[CLAIM.version] !== LTI_VERSION) throw new LtiRefusal('unsupportedVersion', `Lectern speaks LTI ${LTI_VERSION}; the LMS sent version '${String(claims[CLAIM.version])}'`, 400);
      const type = claims[CLAIM.messageType];
      if (type !== RESOURCE_LINK_REQUEST) throw new LtiRefusal('unsupportedMessage', `Lectern handles ${RESOURCE_LINK_REQUEST} launches, not '${String(type)}'`, 400);
      const deploymentId = claims[CLAIM.deploymentId];
      if (typeof deploymentId !== 'string' || !deploymentId) throw new LtiRefusal('missingClaims', 'the launch names no deployment_id', 400);
      if (typeof claims.sub !== 'string' || !claims.sub) throw new LtiRefusal('missingClaims', 'the launch names no user (sub); anonymous launches cannot be placed in a section', 400);
      const context = claims[CLAIM.context] as { id?: unknown; title?: unknown; label?: unknown } | undefined;
      if (!context || typeof context.id !== 'string' || !context.id) throw new LtiRefusal('missingClaims', 'the launch has no course context; add Lectern to a course', 400, { sub: claims.sub });
      const roles = claims[CLAIM.roles];
      if (!Array.isArray(roles) || roles.some((r) => typeof r !== 'string')) throw new LtiRefusal('missingClaims', 'the launch has no roles claim', 400, { sub: claims.sub });
      const lis = (claims[CLAIM.lis] ?? {}) as { person_sourcedid?: unknown };
      const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
      const outcome = await this.lectern.run(SYSTEM, institutionId, 'lti.launch', {
        platform: platformId,
        deploymentId,
        context: { id: context.id, ...(text(context.title) ? { title: text(context.title) } : {}), ...(text(context.label) ? { label: text(context.label) } : {}) },
        person: {
          sub: claims.sub,
          email: text(claims.email),
          givenName: text(claims.given_name),
          familyName: text(claims.family_name),
          name: text(claims.name),
          sourcedId: text(lis.person_sourcedid),
          roles,
        },
      });
      if (outcome.status !== 'ok') {
        throw new LtiRefusal(outcome.code, outcome.message, outcome.status === 'invalid' ? 400 : outcome.status === 'notFound' ? 404 : 403, { sub: claims.sub, context: context.id, roles });
      }
      const result = outcome.result as LaunchResult;
      const nrps = claims[CLAIM.nrps] as { context_memberships_url?: unknown } | undefined;
      let sync: Promise<SyncResult | undefined> | undefined;
      if (nrps && typeof nrps.context_memberships_url === 'string') {
        await this.store.setMembershipsUrl(institutionId, platformId, context.id, nrps.context_memberships_url);
        if (launchSyncsRoster(result.role, p.syncMinutes) && (await this.store.claimSync(institutionId, platformId, context.id, p.syncMinutes))) {
          sync = syncRoster(this, SYSTEM, institutionId, platformId, context.id).then(
            (r) => r,
            async (e: unknown) => {
              await this.refuse(institutionId, platformId, e instanceof LtiRefusal ? e : new LtiRefusal('syncFailed', (e as Error).message, 502), {});
              return undefined;
            },
          );
          this.lastSync = sync;
        }
      }
      const ticket = await this.ticket(institutionId, result);
      return { result, ticket, ...(sync ? { sync } : {}) };
    });
  }

  /** A short-lived ticket naming the user and the section, signed with the institution's key. */
  private async ticket(institutionId: string, r: LaunchResult): Promise<string> {
    const k = await this.keys.signing(institutionId);
    return new SignJWT({ institution: institutionId, section: r.section, role: r.role })
      .setProtectedHeader({ alg: SIGNING_ALG, kid: k.kid })
      .setSubject(r.user)
      .setAudience(TICKET_AUDIENCE)
      .setIssuer(`lectern:${institutionId}`)
      .setIssuedAt()
      .setExpirationTime(`${TICKET_TTL_SECONDS}s`)
      .setJti(randomUUID())
      .sign(k.key);
  }

  /** The id_token's signature by the platform's keys, its issuer, audience, azp and times. */
  private async verify(p: LtiPlatformRow, token: string): Promise<JWTPayload & Record<string, unknown>> {
    let jwks = this.jwks.get(p.jwksUrl);
    if (!jwks) {
      jwks = createRemoteJWKSet(new URL(p.jwksUrl), { cooldownDuration: this.opts.jwksCooldownMs ?? 30_000, timeoutDuration: 5000 });
      this.jwks.set(p.jwksUrl, jwks);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, { algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'PS256'], clockTolerance: SKEW_SECONDS, requiredClaims: ['iss', 'aud', 'exp', 'iat', 'nonce'] }));
    } catch (e) {
      throw this.tokenRefusal(p, e);
    }
    if (payload.iss !== p.issuer) throw new LtiRefusal('unknownIssuer', `the token was issued by '${String(payload.iss)}', not by ${p.name} ('${p.issuer}')`, 401, { iss: payload.iss });
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!aud.includes(p.clientId)) throw new LtiRefusal('wrongAudience', `the token is meant for '${aud.join(', ')}', not for Lectern's client id at ${p.name}`, 401, { aud });
    const azp = (payload as { azp?: unknown }).azp;
    if ((aud.length > 1 || azp !== undefined) && azp !== p.clientId) {
      throw new LtiRefusal('wrongAudience', `the token names several audiences and its authorized party is '${String(azp)}', not Lectern`, 401, { azp });
    }
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.iat === 'number' && payload.iat > now + SKEW_SECONDS) throw new LtiRefusal('tokenNotYetValid', 'the token was issued in the future; the LMS clock may be wrong', 401);
    return payload as JWTPayload & Record<string, unknown>;
  }

  private tokenRefusal(p: LtiPlatformRow, e: unknown): LtiRefusal {
    if (e instanceof errors.JWTExpired) return new LtiRefusal('expiredToken', 'the launch has expired; open the tool from the LMS again', 401);
    if (e instanceof errors.JWTClaimValidationFailed) {
      if (e.claim === 'nbf' || e.claim === 'iat') return new LtiRefusal('tokenNotYetValid', 'the launch is not valid yet; the LMS clock may be wrong', 401);
      return new LtiRefusal('missingClaims', `the launch token is missing or has a bad '${e.claim}' claim`, 400, { claim: e.claim });
    }
    if (e instanceof errors.JWSSignatureVerificationFailed || e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) {
      return new LtiRefusal('badSignature', `the launch is not signed by a key ${p.name} publishes`, 401);
    }
    if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid || (e instanceof Error && /fetch|ECONNREFUSED/i.test(e.message))) {
      return new LtiRefusal('platformKeysUnavailable', `Lectern could not read ${p.name}'s keys at ${p.jwksUrl}`, 502);
    }
    if (e instanceof errors.JOSEError) return new LtiRefusal('badToken', `the launch token is not a valid signed token (${e.code})`, 400);
    return new LtiRefusal('badToken', 'the launch token could not be read', 400);
  }

  /** Runs a step; a refusal is recorded for the admins before it goes back to the person. */
  private async recorded<T>(institutionId: string, platformId: string, detail: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof LtiRefusal) await this.refuse(institutionId, platformId, e, detail);
      throw e;
    }
  }

  async refuse(institutionId: string, platformId: string | null, e: LtiRefusal, detail: Record<string, unknown>): Promise<string> {
    const id = randomUUID();
    if (e.code === 'unknownInstitution') return id;
    const known = platformId !== null && (await this.lectern.world(institutionId))?.tables.ltiPlatform.has(platformId);
    const entry = { ...detail, ...e.detail, ...(known ? {} : { platform: platformId }) };
    await this.store.addRefusal(institutionId, { id, platformId: known ? platformId : null, code: e.code, message: e.message, detail: entry });
    // The admins' audit page shows it beside the other refused ways in (sign-ins, SSO).
    await this.lectern.store.recordAuthEvent({ institutionId, actor: 'LMS launch', operation: 'lti.launch', target: `lti:${platformId ?? '?'}`, address: '', outcome: `refused: ${e.code}`, detail: { reason: e.message, refusal: id } });
    return id;
  }
}
