/**
 * The authentication hook of every /v1 route but sign-in: find who is calling (bearer token or
 * session cookie), demand the CSRF header on cookie-authenticated writes, and settle the
 * institution the request acts in (a system admin may name another with `Lectern-Institution`).
 */
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http.js';
import { onlyPasswordChange } from './session.js';

export const SESSION_COOKIE = 'lectern_session';
export const CSRF_HEADER = 'x-lectern-csrf';
export const INSTITUTION_HEADER = 'lectern-institution';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const unauthenticated = () => new HttpError(401, { code: 'unauthenticated', message: 'sign in (POST /v1/session) or send Authorization: Bearer <token>' });

export async function authenticate(req: FastifyRequest): Promise<void> {
  const { lectern, auth } = req.server;
  const header = req.headers.authorization;
  let identity;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    identity = m ? await auth.fromToken(m[1]!) : undefined;
  } else {
    const cookie = req.cookies[SESSION_COOKIE];
    identity = cookie ? await auth.fromSession(cookie) : undefined;
  }
  if (!identity) throw unauthenticated();
  if (identity.via === 'session' && !SAFE_METHODS.has(req.method) && !req.headers[CSRF_HEADER]) {
    throw new HttpError(403, {
      code: 'csrfHeaderMissing',
      message: 'a request signed in with the session cookie that changes something must send the header X-Lectern-CSRF: 1',
      field: 'X-Lectern-CSRF',
    });
  }
  const home = await lectern.world(identity.institutionId);
  if (!home) throw unauthenticated();
  const principal = lectern.principal(identity.institutionId, identity.userId);
  let institutionId = identity.institutionId;
  const asked = req.headers[INSTITUTION_HEADER];
  if (typeof asked === 'string' && asked !== '' && asked !== institutionId) {
    if (principal.kind !== 'user' || !principal.systemAdmin) {
      throw new HttpError(403, {
        code: 'denied',
        field: 'Lectern-Institution',
        message: `only a system admin acts in another institution; ${identity.userId} is not one`,
      });
    }
    institutionId = asked;
  }
  const world = institutionId === identity.institutionId ? home : await lectern.world(institutionId);
  if (!world) throw new HttpError(404, { code: 'notFound', field: 'Lectern-Institution', message: `institution '${institutionId}' does not exist` });
  req.caller = { identity, principal, institutionId, world, home };
  onlyPasswordChange(req);
}
