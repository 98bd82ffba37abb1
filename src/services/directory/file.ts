/**
 * A directory kept in a YAML or JSON file: a list of people, or a mapping with `people:` (so the
 * file can carry a `description`). Usernames match case-insensitively, as they do in Lectern and
 * in LDAP's `uid`. The file is read once, when the provider is configured.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { Directory } from '../lectern.js';
import type { Person } from './types.js';

const FIELDS = ['username', 'firstName', 'lastName', 'email'] as const;

export class FileDirectory implements Directory {
  private readonly people = new Map<string, Person>();

  constructor(
    readonly name: string,
    entries: readonly (Person & { username: string })[],
  ) {
    for (const p of entries) this.people.set(p.username.toLowerCase(), { firstName: p.firstName, lastName: p.lastName, email: p.email });
  }

  /** Reads and checks a directory file; errors name the file and the offending entry and field. */
  static async load(name: string, path: string): Promise<FileDirectory> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new Error(`${name}.path: cannot read ${path}: ${(e as Error).message}`, { cause: e });
    }
    return new FileDirectory(name, parseDirectoryFile(text, `${name} (${path})`));
  }

  get size(): number {
    return this.people.size;
  }

  async lookup(username: string): Promise<Person | undefined> {
    const p = this.people.get(username.trim().toLowerCase());
    return p ? { ...p } : undefined;
  }
}

/** The people of a directory file's text, checked. `where` prefixes every error. */
export function parseDirectoryFile(text: string, where: string): (Person & { username: string })[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new Error(`${where}: not valid YAML or JSON: ${(e as Error).message}`, { cause: e });
  }
  let list: unknown = doc;
  let prefix = '';
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    const extra = Object.keys(doc).filter((k) => k !== 'people' && k !== 'description');
    if (extra.length > 0) throw new Error(`${where}: ${extra[0]}: is not a field of a directory file (people, description)`);
    list = (doc as { people?: unknown }).people;
    prefix = 'people';
  }
  if (!Array.isArray(list)) throw new Error(`${where}: ${prefix || 'the file'}: must be a list of people ({username, firstName, lastName, email})`);
  const seen = new Set<string>();
  return list.map((entry: unknown, i) => {
    const at = `${prefix}[${i}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new Error(`${where}: ${at}: must be a mapping of ${FIELDS.join(', ')}`);
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!(FIELDS as readonly string[]).includes(k)) throw new Error(`${where}: ${at}.${k}: is not a field of a person (${FIELDS.join(', ')})`);
    }
    for (const f of FIELDS) {
      const v = e[f];
      if (typeof v !== 'string' || v.trim() === '') throw new Error(`${where}: ${at}.${f}: is required and must be a non-empty string`);
    }
    const p = { username: (e.username as string).trim(), firstName: (e.firstName as string).trim(), lastName: (e.lastName as string).trim(), email: (e.email as string).trim() };
    const key = p.username.toLowerCase();
    if (seen.has(key)) throw new Error(`${where}: ${at}.username: '${p.username}' appears more than once`);
    seen.add(key);
    return p;
  });
}
