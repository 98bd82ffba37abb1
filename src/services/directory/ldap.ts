/**
 * A directory backed by an LDAP server (OpenLDAP, Active Directory, …), through `ldapts`.
 * Each lookup opens a connection, binds (as the configured service account, or anonymously),
 * searches below the base DN with the username escaped into the filter template, and unbinds.
 */
import { Client, Filter, InvalidCredentialsError } from 'ldapts';
import type { Directory } from '../lectern.js';
import { DirectoryError, type Person } from './types.js';

export interface LdapOptions {
  /** `ldap://host:port` or `ldaps://host:port`. */
  url: string;
  /** The service account to bind as; anonymous when absent. */
  bindDN?: string;
  bindPassword?: string;
  /** Where people are searched (subtree). */
  baseDN: string;
  /** A filter with `{username}` where the (escaped) username goes. Default `(uid={username})`. */
  filter?: string;
  /** The attributes holding first name, last name and email. Default givenName, sn, mail. */
  attributes?: { firstName?: string; lastName?: string; email?: string };
  /** Milliseconds for connecting and for each LDAP operation. Default 5000. */
  timeoutMs?: number;
}

export const DEFAULT_FILTER = '(uid={username})';
export const DEFAULT_ATTRIBUTES = { firstName: 'givenName', lastName: 'sn', email: 'mail' } as const;
export const DEFAULT_TIMEOUT_MS = 5000;

/** The filter for a username: every `{username}` in the template, with the value escaped (RFC 4515). */
export function ldapFilter(template: string, username: string): string {
  return template.split('{username}').join(Filter.escape(username));
}

function first(v: unknown): string {
  const one = Array.isArray(v) ? v[0] : v;
  if (one === undefined || one === null) return '';
  return Buffer.isBuffer(one) ? one.toString('utf8').trim() : String(one).trim();
}

export class LdapDirectory implements Directory {
  readonly filter: string;
  readonly attributes: { firstName: string; lastName: string; email: string };
  readonly timeoutMs: number;

  constructor(
    readonly name: string,
    private readonly opts: LdapOptions,
  ) {
    this.filter = opts.filter ?? DEFAULT_FILTER;
    if (!this.filter.includes('{username}')) throw new Error(`${name}.filter: must contain {username}`);
    if (opts.bindDN !== undefined && !opts.bindPassword) {
      // An LDAP simple bind with an empty password is an unauthenticated bind: it "succeeds" as anonymous.
      throw new Error(`${name}.bindPassword: is required with bindDN (an empty password would bind anonymously)`);
    }
    this.attributes = { ...DEFAULT_ATTRIBUTES, ...opts.attributes };
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async lookup(username: string): Promise<Person | undefined> {
    if (username.trim() === '') return undefined;
    const { url, bindDN, bindPassword, baseDN } = this.opts;
    const client = new Client({ url, timeout: this.timeoutMs, connectTimeout: this.timeoutMs });
    let stage = 'searching';
    try {
      if (bindDN !== undefined) {
        stage = 'binding to';
        await client.bind(bindDN, bindPassword ?? '');
      }
      stage = 'searching';
      const a = this.attributes;
      const { searchEntries } = await client.search(baseDN, {
        scope: 'sub',
        filter: ldapFilter(this.filter, username),
        attributes: [a.firstName, a.lastName, a.email],
        sizeLimit: 2,
        timeLimit: Math.max(1, Math.ceil(this.timeoutMs / 1000)),
      });
      if (searchEntries.length === 0) return undefined;
      if (searchEntries.length > 1) {
        throw new DirectoryError(this.name, `'${username}' matches more than one entry under ${baseDN} (filter ${this.filter}); make the filter unique`);
      }
      const e = searchEntries[0]!;
      return { firstName: first(e[a.firstName]), lastName: first(e[a.lastName]), email: first(e[a.email]) };
    } catch (err) {
      if (err instanceof DirectoryError) throw err;
      const why = err instanceof InvalidCredentialsError ? `invalid credentials for ${bindDN}` : err instanceof Error ? err.message : String(err);
      const unreachable = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ECONNRESET|timed out|Connection closed/i.test(why);
      const hint = unreachable ? ` (is the server up and reachable? Lectern waits ${this.timeoutMs} ms)` : '';
      throw new DirectoryError(this.name, `${stage} ${url} failed: ${why}${hint}`, { cause: err });
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
}
