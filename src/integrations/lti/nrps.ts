/**
 * Names and Role Provisioning Services 2.0: an access token by OAuth2 client credentials with a
 * JWT assertion signed by Lectern's key, then the context's membership pages (following
 * `Link: rel="next"`), handed to the `lti.sync` operation as one roster.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Principal } from '../../policy/index.js';
import type { SyncResult } from '../../services/ops/lti.js';
import { JWT_BEARER, LtiRefusal, NRPS_MEDIA_TYPE, NRPS_SCOPE } from './claims.js';
import { SIGNING_ALG } from './keys.js';
import type { LtiService } from './launch.js';

/** Enough for the largest course; a platform that pages forever is cut off with a refusal. */
const MAX_PAGES = 500;

interface Member {
  user_id?: unknown;
  status?: unknown;
  roles?: unknown;
  email?: unknown;
  given_name?: unknown;
  family_name?: unknown;
  name?: unknown;
  lis_person_sourcedid?: unknown;
}

/** The next page's URL from a Link header (RFC 8288), if any. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2]!)) return m[1];
  }
  return undefined;
}

async function accessToken(svc: LtiService, institutionId: string, platformId: string): Promise<string> {
  const p = await svc.platform(institutionId, platformId);
  const k = await svc.keys.signing(institutionId);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: SIGNING_ALG, kid: k.kid })
    .setIssuer(p.clientId)
    .setSubject(p.clientId)
    .setAudience(p.tokenAudience || p.tokenUrl)
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(randomUUID())
    .sign(k.key);
  const res = await fetch(p.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: assertion, scope: NRPS_SCOPE }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: unknown; error?: unknown };
  if (!res.ok || typeof body.access_token !== 'string') {
    throw new LtiRefusal('tokenRefused', `${p.name} gave Lectern no access token (${res.status}${body.error ? `, ${String(body.error)}` : ''}); check that Lectern's JWKS URL and client id are set in the LMS`, 502);
  }
  return body.access_token;
}

async function members(url: string, token: string): Promise<Member[]> {
  const out: Member[] = [];
  let next: string | undefined = url;
  for (let page = 0; next; page++) {
    if (page >= MAX_PAGES) throw new LtiRefusal('rosterTooLong', `the roster has more than ${MAX_PAGES} pages`, 502);
    const res: Response = await fetch(next, { headers: { accept: NRPS_MEDIA_TYPE, authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(20_000) });
    if (!res.ok) throw new LtiRefusal('rosterUnavailable', `the LMS answered ${res.status} for the roster page ${next}`, 502);
    const body = (await res.json()) as { members?: unknown };
    if (!Array.isArray(body.members)) throw new LtiRefusal('rosterUnavailable', 'the LMS roster page has no members list', 502);
    out.push(...(body.members as Member[]));
    next = nextLink(res.headers.get('link'));
  }
  return out;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** Syncs one LMS context's section with its roster (or, with dryRun, says what a sync would do). */
export async function syncRoster(svc: LtiService, principal: Principal, institutionId: string, platformId: string, contextId: string, dryRun = false): Promise<SyncResult> {
  const url = await svc.store.membershipsUrl(institutionId, platformId, contextId);
  if (!url) throw new LtiRefusal('noRosterService', `Lectern does not know where ${platformId} serves the roster of context '${contextId}' yet; it learns it from a launch`, 409);
  const token = await accessToken(svc, institutionId, platformId);
  const roster = await members(url, token);
  const outcome = await svc.lectern.run(principal, institutionId, 'lti.sync', {
    platform: platformId,
    context: contextId,
    complete: true,
    dryRun,
    members: roster
      .filter((m) => text(m.user_id))
      .map((m) => ({
        sub: text(m.user_id),
        status: m.status === 'Inactive' || m.status === 'Deleted' ? m.status : 'Active',
        roles: Array.isArray(m.roles) ? m.roles.filter((r) => typeof r === 'string') : [],
        ...(text(m.email) ? { email: text(m.email) } : {}),
        ...(text(m.given_name) ? { givenName: text(m.given_name) } : {}),
        ...(text(m.family_name) ? { familyName: text(m.family_name) } : {}),
        ...(text(m.name) ? { name: text(m.name) } : {}),
        ...(text(m.lis_person_sourcedid) ? { sourcedId: text(m.lis_person_sourcedid) } : {}),
      })),
  });
  if (outcome.status !== 'ok') throw new LtiRefusal(outcome.code, outcome.message, outcome.status === 'denied' ? 403 : outcome.status === 'notFound' ? 404 : 409);
  return outcome.result as SyncResult;
}
