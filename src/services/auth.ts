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
}

export type SignIn =
  | { ok: true; secret: string; expiresAt: Date; identity: Identity; principal: Principal; decision: Decision }
  | { ok: false; status: 401 | 403 | 404 | 429; refusal: Omit<Refusal, 'status'> };

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const secret = (): string => randomBytes(32).toString('base64url');

/** How long a token lookup is reused before the store is asked again. */
export const TOKEN_CACHE_MS = 5000;

export class Auth {
  private readonly failures = new Map<string, { count: number; since: number }>();
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
  private readonly tokenCache = new Map<string, { t: { institutionId: string; id: string; userId: string } | undefined; until: number }>();

  hashPassword(password: string): Promise<string> {
    return hash(password, { algorithm: ARGON2ID });
  }

  /** Stores a password without asking anyone (the CLI and world loading are trusted). */
  async storePassword(institutionId: string, userId: string, password: string): Promise<void> {
    await this.lectern.store.setPassword(institutionId, userId, await this.hashPassword(password));
  }

  /**
   * Sets a user's password on behalf of `principal`: allowed for oneself, or when policy allows
   * `user.update` on that user.
   */
  async setPassword(principal: Principal, institutionId: string, userId: string, password: unknown): Promise<Refusal | undefined> {
    const world = await this.lectern.world(institutionId);
    if (!world) return { status: 'notFound', code: 'notFound', field: 'institution', message: `institution '${institutionId}' does not exist` };
    if (!world.user(userId)) return { status: 'notFound', code: 'notFound', field: 'user', message: `user '${userId}' does not exist` };
    const self = principal.kind === 'user' && principal.institutionId === institutionId && principal.userId === userId;
    if (!self) {
      const d = this.lectern.check(world, principal, 'user.update', `user:${userId}`);
      if (!d.allow) return { status: 'denied', code: 'denied', message: d.reasons[0] ?? 'denied', reasons: d.reasons };
    }
    if (typeof password !== 'string' || password.length < MIN_PASSWORD) {
      return { status: 'invalid', code: 'tooShort', field: 'password', message: `password: must be at least ${MIN_PASSWORD} characters` };
    }
    await this.storePassword(institutionId, userId, password);
    return undefined;
  }

  /** Checks a password and opens a console session for a user whom policy lets sign in. */
  async signIn(institutionId: string, login: string, password: string, address = ''): Promise<SignIn> {
    const account = `${institutionId}\u0000${login.toLowerCase()}`;
    const key = `${account}\u0000${address}`;
    const keys = [key, `account\u0000${account}`, `address\u0000${address}`];
    if (this.tooManyFailures(key, MAX_FAILURES) || this.tooManyFailures(keys[1]!, MAX_ACCOUNT_FAILURES) || this.tooManyFailures(keys[2]!, MAX_ADDRESS_FAILURES)) {
      return { ok: false, status: 429, refusal: { code: 'tooManyAttempts', message: 'too many failed sign-ins; try again in a few minutes' } };
    }
    const world = await this.lectern.world(institutionId);
    const user = world?.findUser(login);
    const stored = user ? await this.lectern.store.passwordHash(institutionId, user.id) : undefined;
    this.dummy ??= this.hashPassword(randomBytes(16).toString('hex'));
    const good = await verify(stored ?? (await this.dummy), password).catch(() => false);
    if (!world || !user || !stored || !good) {
      for (const k of keys) this.fail(k);
      return { ok: false, status: 401, refusal: { code: 'badCredentials', message: 'the institution, username or password is not right' } };
    }
    this.failures.delete(key);
    const principal = this.lectern.principal(institutionId, user.id);
    const decision = this.lectern.check(world, principal, 'console.signIn', `institution:${institutionId}`);
    if (!decision.allow) {
      return { ok: false, status: 403, refusal: { code: 'signInNotAllowed', message: decision.reasons[0] ?? 'denied', reasons: decision.reasons } };
    }
    const s = secret();
    const id = randomUUID();
    const expiresAt = new Date(Date.now() + SESSION_HOURS * 3600 * 1000);
    await this.lectern.store.createSession({ institutionId, id, userId: user.id, tokenHash: sha256(s), expiresAt });
    return { ok: true, secret: s, expiresAt, identity: { institutionId, userId: user.id, via: 'session', id }, principal, decision };
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

  async signOut(sessionSecret: string): Promise<void> {
    await this.lectern.store.deleteSession(sha256(sessionSecret));
  }

  /** The identity behind a session cookie, or undefined (expired, signed out, user gone or deactivated). */
  async fromSession(sessionSecret: string): Promise<Identity | undefined> {
    const s = await this.lectern.store.findSession(sha256(sessionSecret));
    return s && (await this.stillActive(s.institutionId, s.userId)) ? { institutionId: s.institutionId, userId: s.userId, via: 'session', id: s.id } : undefined;
  }

  /** The identity behind a bearer token, or undefined. */
  async fromToken(token: string): Promise<Identity | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const hash = sha256(token);
    const now = Date.now();
    let hit = this.tokenCache.get(hash);
    if (!hit || hit.until < now) {
      // A lookup that started before a revocation here must not put the revoked token back.
      const generation = this.tokenGeneration;
      hit = { t: await this.lectern.store.findToken(hash), until: now + TOKEN_CACHE_MS };
      if (generation === this.tokenGeneration) {
        if (this.tokenCache.size > 10_000) this.tokenCache.clear();
        this.tokenCache.set(hash, hit);
      }
    }
    const t = hit.t;
    return t && (await this.stillActive(t.institutionId, t.userId)) ? { institutionId: t.institutionId, userId: t.userId, via: 'token', id: t.id } : undefined;
  }

  /** Creates an API token that acts as `userId`; the token itself is returned once and never stored. */
  async createToken(institutionId: string, userId: string, name: string): Promise<{ id: string; token: string; name: string }> {
    const token = TOKEN_PREFIX + secret();
    const id = `tok_${randomBytes(8).toString('hex')}`;
    await this.lectern.store.createToken({ institutionId, id, userId, name, tokenHash: sha256(token) });
    return { id, token, name };
  }

  listTokens(institutionId: string, userId?: string) {
    return this.lectern.store.listTokens(institutionId, userId);
  }

  /** Revokes a token; with `userId`, only one of that user's. */
  async revokeToken(institutionId: string, id: string, userId?: string): Promise<boolean> {
    if (userId !== undefined) {
      const mine = await this.lectern.store.listTokens(institutionId, userId);
      if (!mine.some((t) => t.id === id)) return false;
    }
    this.tokenGeneration++;
    const revoked = await this.lectern.store.revokeToken(institutionId, id);
    this.tokenGeneration++;
    this.tokenCache.clear();
    return revoked;
  }

  private async stillActive(institutionId: string, userId: string): Promise<boolean> {
    const w = await this.lectern.world(institutionId);
    return w?.user(userId)?.status === 'active';
  }

  private tooManyFailures(key: string, max: number): boolean {
    const f = this.failures.get(key);
    if (!f) return false;
    if (Date.now() - f.since > FAILURE_WINDOW_MS) {
      this.failures.delete(key);
      return false;
    }
    return f.count >= max;
  }

  private fail(key: string): void {
    const f = this.failures.get(key);
    if (f && Date.now() - f.since <= FAILURE_WINDOW_MS) f.count++;
    else this.failures.set(key, { count: 1, since: Date.now() });
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
  }
}
