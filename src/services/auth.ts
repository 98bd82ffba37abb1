/**
 * Who is calling: local passwords (argon2id), console sessions (cookie) and API tokens (bearer).
 * Secrets are random and stored only as their sha256; the store keeps the hashes. Used by api/ and
 * cli/ alike so both entry points stay thin. Whether someone may sign in is policy's answer
 * (`console.signIn`); this class only proves who they are.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Decision, Refusal } from '../domain/outcome.js';
import type { Principal } from '../policy/index.js';
import type { Lectern } from './lectern.js';

export const TOKEN_PREFIX = 'lct_';
export const MIN_PASSWORD = 8;
const SESSION_HOURS = 12;
/** Failed sign-ins allowed within the window, before 429: per account from one address, per
 *  account from any address (a spread-out guess at one password), per address on any account (a
 *  spray of one password over many accounts). */
const MAX_FAILURES = 10;
const MAX_ACCOUNT_FAILURES = 50;
const MAX_ADDRESS_FAILURES = 100;
const FAILURE_WINDOW_MS = 15 * 60 * 1000;
/** Algorithm.Argon2id: the package's enum is a `const enum`, which isolated modules cannot read. */
const ARGON2ID = 2;

/** Who an authenticated request acts as. */
export interface Identity {
  institutionId: string;
  userId: string;
  via: 'session' | 'token';
  /** The session or token id. */
  id: string;
  /** A session opened with a temporary password: it may only change the password. */
  passwordChangeRequired?: boolean;
}

/** Who did an authentication event, and from where (the CLI and triggers have no address). */
export interface By {
  actor: string;
  address: string;
}

/** The CLI and other trusted callers that act as Lectern itself. */
export const SYSTEM_BY: By = { actor: 'Lectern (system)', address: '' };

export type SignIn =
  | { ok: true; secret: string; expiresAt: Date; identity: Identity; principal: Principal; decision: Decision }
  | { ok: false; status: 401 | 403 | 404 | 429; refusal: Omit<Refusal, 'status'> };

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const secret = (): string => randomBytes(32).toString('base64url');

/** How long a token lookup is reused before the store is asked again. */
export const TOKEN_CACHE_MS = 5000;

export class Auth {
  /** A hash to verify against when the account does not exist, so timing does not tell. */
  private dummy: Promise<string> | undefined;

  constructor(readonly lectern: Lectern) {}

  /**
   * Tokens looked up in the last few seconds, by hash: a service asking thousands of times a second
   * should not cost a database query each time. A revocation here empties it at once; one made by
   * another server process takes effect here within TOKEN_CACHE_MS. The user's status is checked
   * on every request regardless.
   */
  private tokenGeneration = 0;
  private readonly tokenCache = new Map<string, { t: { institutionId: string; id: string; userId: string } | undefined; until: number; row?: object }>();

  /**
   * Writes one authentication event to the audit (sign-ins, sign-outs, passwords, tokens, ended
   * sessions). Other sign-in paths (SSO) call this too, so every way in leaves the same trace.
   */
  async audit(e: { institutionId: string; actor: string; operation: string; target: string; address: string; outcome: string; detail?: unknown }): Promise<void> {
    await this.lectern.store.recordAuthEvent(e);
  }

  hashPassword(password: string): Promise<string> {
    return hash(password, { algorithm: ARGON2ID });
  }

  /** Stores a password without asking anyone (the CLI and world loading are trusted). */
  async storePassword(institutionId: string, userId: string, password: string): Promise<void> {
    await this.lectern.store.setPassword(institutionId, userId, await this.hashPassword(password));
  }

  /**
   * Sets a user's password on behalf of `principal` (SPEC §3, reach over an account).
   * - Oneself: the current password is asked for; the new one is permanent, and every other session
   *   of the user ends (the one asking, `by.session`, stays and may act fully again).
   * - Someone else: allowed when policy allows `user.update` on `user:<id>`. The password is
   *   temporary — the user must change it at the next sign-in — and every session of the user ends.
   * Both are audited, refused attempts included.
   */
  async setPassword(
    principal: Principal,
    institutionId: string,
    userId: string,
    password: unknown,
    opts: { currentPassword?: unknown; by?: By; session?: string } = {},
  ): Promise<Refusal | undefined> {
    const world = await this.lectern.world(institutionId);
    if (!world) return { status: 'notFound', code: 'notFound', field: 'institution', message: `institution '${institutionId}' does not exist` };
    if (!world.user(userId)) return { status: 'notFound', code: 'notFound', field: 'user', message: `user '${userId}' does not exist` };
    const self = principal.kind === 'user' && principal.institutionId === institutionId && principal.userId === userId;
    const by = opts.by ?? { actor: principal.kind === 'user' ? actorName(principal, institutionId) : SYSTEM_BY.actor, address: '' };
    const operation = self ? 'password.change' : 'password.reset';
    const event = (outcome: string, detail?: unknown) => this.audit({ institutionId, actor: by.actor, operation, target: `user:${userId}`, address: by.address, outcome, detail });
    if (!self) {
      const d = this.lectern.check(world, principal, 'user.update', `user:${userId}`);
      if (!d.allow) {
        await event('denied');
        return { status: 'denied', code: 'denied', message: d.reasons[0] ?? 'denied', reasons: d.reasons };
      }
    }
    if (typeof password !== 'string' || password.length < MIN_PASSWORD) {
      return { status: 'invalid', code: 'tooShort', field: 'password', message: `password: must be at least ${MIN_PASSWORD} characters` };
    }
    if (self) {
      const keys = [`account:user:${userId}`];
      const since = new Date(Date.now() - FAILURE_WINDOW_MS);
      if (((await this.lectern.store.signInFailures(institutionId, keys, since)).get(keys[0]!) ?? 0) >= MAX_ACCOUNT_FAILURES) {
        await event('tooManyAttempts');
        return { status: 'conflict', code: 'tooManyAttempts', field: 'currentPassword', message: 'too many failed attempts; try again in a few minutes' };
      }
      if (typeof opts.currentPassword !== 'string' || opts.currentPassword === '') {
        return { status: 'invalid', code: 'required', field: 'currentPassword', message: 'currentPassword: is required to change your own password' };
      }
      const cred = await this.lectern.store.credential(institutionId, userId);
      this.dummy ??= this.hashPassword(randomBytes(16).toString('hex'));
      if (!(await verify(cred?.passwordHash ?? (await this.dummy), opts.currentPassword).catch(() => false)) || !cred) {
        await this.lectern.store.recordSignInFailure(institutionId, keys, since);
        await event('badCredentials');
        return { status: 'invalid', code: 'badCredentials', field: 'currentPassword', message: 'currentPassword: is not your current password' };
      }
    }
    await this.lectern.store.setPassword(institutionId, userId, await this.hashPassword(password), !self);
    const ended = await this.lectern.store.deleteSessions(institutionId, userId, self ? opts.session : undefined);
    if (self && opts.session) await this.lectern.store.sessionPasswordChanged(institutionId, opts.session);
    await event('ok', { temporary: !self, sessionsEnded: ended });
    return undefined;
  }

  /**
   * Checks a password and opens a console session for a user whom policy lets sign in. Failures
   * are counted in the store (every server process shares them) per account — the username or
   * email resolved to the account first — per account from this address, and per address; past a
   * limit even the right password is refused. An account that is not active answers exactly as a
   * wrong password does. Every attempt is audited.
   */
  async signIn(institutionId: string, login: string, password: string, address = ''): Promise<SignIn> {
    const world = await this.lectern.world(institutionId);
    const user = world?.findUser(login);
    const account = user ? `user:${user.id}` : `login:${login.toLowerCase()}`;
    const keys = [`account+address:${account} ${address}`, `account:${account}`, `address:${address}`];
    const since = new Date(Date.now() - FAILURE_WINDOW_MS);
    const target = user ? `user:${user.id}` : `login:${login}`;
    const actor = user ? user.id : `unknown (${login})`;
    const event = (outcome: string, detail?: unknown) => (world ? this.audit({ institutionId, actor, operation: 'session.signIn', target, address, outcome, detail }) : Promise.resolve());
    const bad = { ok: false as const, status: 401 as const, refusal: { code: 'badCredentials', message: 'the institution, username or password is not right' } };
    if (world) {
      const counts = await this.lectern.store.signInFailures(institutionId, keys, since);
      const over = [MAX_FAILURES, MAX_ACCOUNT_FAILURES, MAX_ADDRESS_FAILURES].some((max, i) => (counts.get(keys[i]!) ?? 0) >= max);
      if (over) {
        await event('tooManyAttempts');
        return { ok: false, status: 429, refusal: { code: 'tooManyAttempts', message: 'too many failed sign-ins; try again in a few minutes' } };
      }
    }
    const cred = user ? await this.lectern.store.credential(institutionId, user.id) : undefined;
    this.dummy ??= this.hashPassword(randomBytes(16).toString('hex'));
    const good = await verify(cred?.passwordHash ?? (await this.dummy), password).catch(() => false);
    if (!world || !user || !cred || !good || user.status !== 'active') {
      if (world) {
        await this.lectern.store.recordSignInFailure(institutionId, keys, since);
        await event('badCredentials', { reason: !user ? 'no such account' : !cred ? 'no password' : !good ? 'wrong password' : `account ${user.status}` });
      }
      return bad;
    }
    await this.lectern.store.clearSignInFailures(institutionId, [keys[0]!]);
    const principal = this.lectern.principal(institutionId, user.id);
    const decision = this.lectern.check(world, principal, 'console.signIn', `institution:${institutionId}`);
    if (!decision.allow) {
      await event('signInNotAllowed', { reasons: decision.reasons });
      return { ok: false, status: 403, refusal: { code: 'signInNotAllowed', message: decision.reasons[0] ?? 'denied', reasons: decision.reasons } };
    }
    const s = secret();
    const id = randomUUID();
    const expiresAt = new Date(Date.now() + SESSION_HOURS * 3600 * 1000);
    const passwordChangeRequired = cred.temporary === true;
    await this.lectern.store.createSession({ institutionId, id, userId: user.id, tokenHash: sha256(s), expiresAt, passwordChangeRequired });
    await event('ok', { session: id, ...(passwordChangeRequired ? { passwordChangeRequired } : {}) });
    return { ok: true, secret: s, expiresAt, identity: { institutionId, userId: user.id, via: 'session', id, passwordChangeRequired }, principal, decision };
  }

  /**
   * Opens a console session for a user someone else has proven (a single sign-on provider): the
   * same session, cookie and expiry as a password sign-in. The caller asks policy first.
   */
  async openSession(institutionId: string, userId: string): Promise<{ secret: string; expiresAt: Date; identity: Identity }> {
    const s = secret();
    const id = randomUUID();
    const expiresAt = new Date(Date.now() + SESSION_HOURS * 3600 * 1000);
    await this.lectern.store.createSession({ institutionId, id, userId, tokenHash: sha256(s), expiresAt });
    return { secret: s, expiresAt, identity: { institutionId, userId, via: 'session', id } };
  }

  async signOut(sessionSecret: string, address = ''): Promise<void> {
    const ended = await this.lectern.store.deleteSession(sha256(sessionSecret));
    if (ended) await this.audit({ institutionId: ended.institutionId, actor: ended.userId, operation: 'session.signOut', target: `user:${ended.userId}`, address, outcome: 'ok' });
  }

  /** The identity behind a session cookie, or undefined (expired, signed out, user gone or deactivated). */
  async fromSession(sessionSecret: string): Promise<Identity | undefined> {
    const s = await this.lectern.store.findSession(sha256(sessionSecret));
    return s && (await this.stillActive(s.institutionId, s.userId))
      ? { institutionId: s.institutionId, userId: s.userId, via: 'session', id: s.id, ...(s.passwordChangeRequired ? { passwordChangeRequired: true } : {}) }
      : undefined;
  }

  /** The identity behind a bearer token, or undefined. */
  async fromToken(token: string): Promise<Identity | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const hash = sha256(token);
    const now = Date.now();
    let hit = this.tokenCache.get(hash);
    // A change to the token's user (deactivated, even if reactivated since) asks the store again:
    // deactivation revoked the token there.
    if (hit?.t && hit.row !== this.worldUser(hit.t.institutionId, hit.t.userId)) hit = undefined;
    if (!hit || hit.until < now) {
      // A lookup that started before a revocation here must not put the revoked token back.
      const generation = this.tokenGeneration;
      const t = await this.lectern.store.findToken(hash);
      hit = { t, until: now + TOKEN_CACHE_MS, ...(t ? { row: this.worldUser(t.institutionId, t.userId) } : {}) };
      if (generation === this.tokenGeneration) {
        if (this.tokenCache.size > 10_000) this.tokenCache.clear();
        this.tokenCache.set(hash, hit);
      }
    }
    const t = hit.t;
    return t && (await this.stillActive(t.institutionId, t.userId)) ? { institutionId: t.institutionId, userId: t.userId, via: 'token', id: t.id } : undefined;
  }

  /** Creates an API token that acts as `userId`; the token itself is returned once and never stored. */
  async createToken(institutionId: string, userId: string, name: string, by: By = SYSTEM_BY): Promise<{ id: string; token: string; name: string }> {
    const token = TOKEN_PREFIX + secret();
    const id = `tok_${randomBytes(8).toString('hex')}`;
    await this.lectern.store.createToken({ institutionId, id, userId, name, tokenHash: sha256(token) });
    await this.audit({ institutionId, actor: by.actor, operation: 'token.create', target: `user:${userId}`, address: by.address, outcome: 'ok', detail: { token: id, name } });
    return { id, token, name };
  }

  listTokens(institutionId: string, userId?: string) {
    return this.lectern.store.listTokens(institutionId, userId);
  }

  /** Revokes a token; with `userId`, only one of that user's. */
  async revokeToken(institutionId: string, id: string, userId?: string, by: By = SYSTEM_BY): Promise<boolean> {
    const all = await this.lectern.store.listTokens(institutionId, userId);
    const owner = all.find((t) => t.id === id)?.userId;
    const event = (outcome: string) => this.audit({ institutionId, actor: by.actor, operation: 'token.revoke', target: owner ? `user:${owner}` : `token:${id}`, address: by.address, outcome, detail: { token: id } });
    if (owner === undefined) {
      await event('notFound');
      return false;
    }
    this.tokenGeneration++;
    const revoked = await this.lectern.store.revokeToken(institutionId, id);
    this.tokenGeneration++;
    this.tokenCache.clear();
    await event(revoked ? 'ok' : 'notFound');
    return revoked;
  }

  private async stillActive(institutionId: string, userId: string): Promise<boolean> {
    const w = await this.lectern.world(institutionId);
    return w?.user(userId)?.status === 'active';
  }

  private worldUser(institutionId: string, userId: string): object | undefined {
    return this.lectern.loadedWorld(institutionId)?.user(userId);
  }
}

/** How an actor is named in the audit (as operations name them). */
function actorName(principal: Principal & { kind: 'user' }, institutionId: string): string {
  return principal.institutionId === institutionId ? principal.userId : `${principal.institutionId}/${principal.userId}`;
}
