/**
 * The identity providers file (LECTERN_IDENTITY_PROVIDERS): a YAML mapping of provider names to
 *
 *   { type: ldap, url, bindDN?, bindPassword? | bindPasswordEnv?, baseDN, filter?, attributes?, timeoutMs? }
 *   { type: file, path }            (path relative to the providers file)
 *
 * Every error names the file, the provider and the field. See docs/IDENTITY.md.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { FilterParser } from 'ldapts';
import { parse } from 'yaml';
import type { Directory } from '../lectern.js';
import { FileDirectory } from './file.js';
import { DEFAULT_ATTRIBUTES, DEFAULT_FILTER, DEFAULT_TIMEOUT_MS, LdapDirectory, ldapFilter, type LdapOptions } from './ldap.js';

export type ProviderConfig = ({ type: 'ldap' } & LdapOptions) | { type: 'file'; path: string };

const LDAP_FIELDS = ['type', 'url', 'bindDN', 'bindPassword', 'bindPasswordEnv', 'baseDN', 'filter', 'attributes', 'timeoutMs'];
const FILE_FIELDS = ['type', 'path'];
const ATTRIBUTE_KEYS = Object.keys(DEFAULT_ATTRIBUTES);
const ATTRIBUTE_NAME = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/;
const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface ParseOptions {
  /** Prefixes every error (the file's path). */
  where?: string;
  /** Relative `path`s of file providers are resolved against this directory. */
  baseDir?: string;
  /** Where `bindPasswordEnv` is read. */
  env?: NodeJS.ProcessEnv;
}

/** The providers of a providers file's text, checked; nothing is connected to or read yet. */
export function parseIdentityProviders(text: string, opts: ParseOptions = {}): Map<string, ProviderConfig> {
  const where = opts.where ?? 'identity providers';
  const fail = (field: string, message: string): never => {
    throw new Error(`${where}: ${field}: ${message}`);
  };
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new Error(`${where}: not valid YAML: ${(e as Error).message}`, { cause: e });
  }
  if (doc === null || doc === undefined) return new Map();
  if (typeof doc !== 'object' || Array.isArray(doc)) fail('(top level)', 'must be a mapping of provider names to providers');
  const out = new Map<string, ProviderConfig>();
  for (const [name, raw] of Object.entries(doc as Record<string, unknown>)) {
    if (name === 'local') fail(name, "'local' is Lectern's own accounts and cannot be configured as a provider");
    if (!PROVIDER_NAME.test(name)) fail(name, 'a provider name is 1–64 letters, digits, dots, dashes or underscores');
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(name, 'must be a mapping with a type (ldap or file)');
    const p = raw as Record<string, unknown>;
    const str = (field: string, required: boolean): string | undefined => {
      const v = p[field];
      if (v === undefined || v === null) return required ? fail(`${name}.${field}`, 'is required') : undefined;
      if (typeof v !== 'string' || v.trim() === '') fail(`${name}.${field}`, 'must be a non-empty string');
      return v as string;
    };
    const allowed = p.type === 'ldap' ? LDAP_FIELDS : p.type === 'file' ? FILE_FIELDS : undefined;
    if (!allowed) fail(`${name}.type`, p.type === undefined ? 'is required (ldap or file)' : `'${String(p.type)}' is not a provider type (ldap or file)`);
    for (const k of Object.keys(p)) if (!allowed!.includes(k)) fail(`${name}.${k}`, `is not a field of a ${String(p.type)} provider (${allowed!.join(', ')})`);

    if (p.type === 'file') {
      const path = str('path', true)!;
      out.set(name, { type: 'file', path: resolve(opts.baseDir ?? '.', path) });
      continue;
    }

    const url = str('url', true)!;
    if (!/^ldaps?:\/\/[^/\s]+\/?$/i.test(url)) fail(`${name}.url`, `'${url}' is not an LDAP URL (ldap://host:port or ldaps://host:port)`);
    const baseDN = str('baseDN', true)!;
    const bindDN = str('bindDN', false);
    let bindPassword = str('bindPassword', false);
    const bindPasswordEnv = str('bindPasswordEnv', false);
    if (bindPassword !== undefined && bindPasswordEnv !== undefined) fail(`${name}.bindPasswordEnv`, 'give bindPassword or bindPasswordEnv, not both');
    if (bindPasswordEnv !== undefined) {
      const v = (opts.env ?? process.env)[bindPasswordEnv];
      if (!v) fail(`${name}.bindPasswordEnv`, `the environment variable ${bindPasswordEnv} is not set`);
      bindPassword = v;
    }
    if (bindDN === undefined && bindPassword !== undefined) fail(`${name}.bindDN`, 'is required with a bind password (without both, Lectern binds anonymously)');
    if (bindDN !== undefined && bindPassword === undefined) fail(`${name}.bindPassword`, 'is required with bindDN (or name an environment variable in bindPasswordEnv)');
    const filter = str('filter', false) ?? DEFAULT_FILTER;
    if (!filter.includes('{username}')) fail(`${name}.filter`, `must contain {username} where the username goes, as in ${DEFAULT_FILTER}`);
    try {
      FilterParser.parseString(ldapFilter(filter, 'someone'));
    } catch (e) {
      fail(`${name}.filter`, `'${filter}' is not an LDAP filter: ${(e as Error).message}`);
    }
    let attributes: LdapOptions['attributes'];
    if (p.attributes !== undefined) {
      if (p.attributes === null || typeof p.attributes !== 'object' || Array.isArray(p.attributes)) fail(`${name}.attributes`, `must be a mapping of ${ATTRIBUTE_KEYS.join(', ')} to LDAP attribute names`);
      attributes = {};
      for (const [k, v] of Object.entries(p.attributes as Record<string, unknown>)) {
        if (!ATTRIBUTE_KEYS.includes(k)) fail(`${name}.attributes.${k}`, `is not one of ${ATTRIBUTE_KEYS.join(', ')}`);
        if (typeof v !== 'string' || !ATTRIBUTE_NAME.test(v)) fail(`${name}.attributes.${k}`, `'${String(v)}' is not an LDAP attribute name`);
        attributes[k as keyof typeof DEFAULT_ATTRIBUTES] = v as string;
      }
    }
    let timeoutMs = DEFAULT_TIMEOUT_MS;
    if (p.timeoutMs !== undefined) {
      if (typeof p.timeoutMs !== 'number' || !Number.isInteger(p.timeoutMs) || p.timeoutMs < 100 || p.timeoutMs > 120_000) {
        fail(`${name}.timeoutMs`, 'must be a whole number of milliseconds from 100 to 120000');
      }
      timeoutMs = p.timeoutMs as number;
    }
    out.set(name, { type: 'ldap', url, baseDN, ...(bindDN !== undefined ? { bindDN, bindPassword } : {}), filter, ...(attributes ? { attributes } : {}), timeoutMs });
  }
  return out;
}

/** The directory of one configured provider (a file provider reads and checks its file now). */
export async function openDirectory(name: string, cfg: ProviderConfig): Promise<Directory> {
  return cfg.type === 'file' ? FileDirectory.load(name, cfg.path) : new LdapDirectory(name, cfg);
}

/** Reads a providers file and opens every provider in it. */
export async function loadIdentityProviders(path: string, env: NodeJS.ProcessEnv = process.env): Promise<Map<string, Directory>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`identity providers file: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  const configs = parseIdentityProviders(text, { where: path, baseDir: dirname(resolve(path)), env });
  const out = new Map<string, Directory>();
  for (const [name, cfg] of configs) {
    try {
      out.set(name, await openDirectory(name, cfg));
    } catch (e) {
      throw new Error(`${path}: ${(e as Error).message}`, { cause: e });
    }
  }
  return out;
}
