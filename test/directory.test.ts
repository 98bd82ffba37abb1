/**
 * External identity providers (SPEC §9): the LDAP directory against a real OpenLDAP server (slapd,
 * started here on a loopback port with its own config and database), the static-file directory,
 * the providers file, and user.create filling names and email through Lectern.run.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../src/policy/index.js';
import { DirectoryError, FileDirectory, LdapDirectory, ldapFilter, loadIdentityProviders, parseDirectoryFile, parseIdentityProviders } from '../src/services/directory/index.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { freshId, ok, openTestStore, smallInstitution } from './helpers.js';
import { BASE_DN, PEOPLE_DN, ROOT_DN, ROOT_PASSWORD, SERVICE_DN, SERVICE_PASSWORD, freePort, slapdMissing, startSlapd, type Slapd } from './ldap/slapd.js';

const CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const missing = slapdMissing();
if (missing && !CI) console.warn(`[directory.test] SKIPPING the LDAP tests: ${missing}. (With CI=true they fail instead.)`);

let store: Store;
beforeAll(async () => {
  store = await openTestStore('pglite');
});
afterAll(async () => {
  await store?.close();
});

const JANE = { firstName: 'Jane', lastName: 'Doe', email: 'jane.doe@stateu.test' };

describe.skipIf(!!missing && !CI)('LDAP directory against a real slapd', () => {
  let slapd: Slapd;
  let service: LdapDirectory;

  beforeAll(async () => {
    if (missing) throw new Error(`slapd is required for these tests when CI=true: ${missing}`);
    slapd = await startSlapd();
    service = new LdapDirectory('campus-ldap', { url: slapd.url, bindDN: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDN: PEOPLE_DN, timeoutMs: 3000 });
  });
  afterAll(async () => {
    await slapd?.stop();
  });

  it('finds a person by uid, binding as the service account', async () => {
    expect(await service.lookup('jdoe')).toEqual(JANE);
    expect(await service.lookup('mgarcia')).toEqual({ firstName: 'Mateo', lastName: 'García', email: 'mateo.garcia@stateu.test' });
  });

  it('searches anonymously without a bind DN, and as the root DN', async () => {
    const anonymous = new LdapDirectory('anon', { url: slapd.url, baseDN: BASE_DN });
    expect(await anonymous.lookup('kwong')).toEqual({ firstName: 'Kai', lastName: 'Wong', email: 'kai.wong@stateu.test' });
    const root = new LdapDirectory('root', { url: slapd.url, bindDN: ROOT_DN, bindPassword: ROOT_PASSWORD, baseDN: BASE_DN });
    expect(await root.lookup('jdoe')).toEqual(JANE);
  });

  it('answers undefined for a username that is not there (or empty)', async () => {
    expect(await service.lookup('nobody')).toBeUndefined();
    expect(await service.lookup('')).toBeUndefined();
  });

  it('escapes the username: filter characters match only themselves', async () => {
    // Unescaped, each of these would match someone (or everyone).
    for (const u of ['*', 'j*', '*doe', 'jdoe)(uid=*', '*)(|(uid=*', '\\6adoe', 'jdoe\\', '(uid=jdoe)']) {
      expect(await service.lookup(u), u).toBeUndefined();
    }
    // People whose uid holds the characters are found exactly.
    expect(await service.lookup('star*')).toMatchObject({ firstName: 'Literal', email: 'star@stateu.test' });
    expect(await service.lookup('o(paren)')).toMatchObject({ firstName: 'Olive', email: 'olive.paren@stateu.test' });
    expect(await service.lookup('back\\slash')).toMatchObject({ firstName: 'Bea', email: 'bea.slash@stateu.test' });
    expect(ldapFilter('(uid={username})', '*)(uid=\\')).toBe('(uid=\\2a\\29\\28uid=\\5c)');
  });

  it('uses the configured filter and attribute names', async () => {
    const byNumber = new LdapDirectory('hr', {
      url: slapd.url,
      baseDN: PEOPLE_DN,
      filter: '(&(objectClass=inetOrgPerson)(employeeNumber={username}))',
      attributes: { firstName: 'cn' },
    });
    expect(await byNumber.lookup('100234')).toEqual({ firstName: 'Mateo García', lastName: 'García', email: 'mateo.garcia@stateu.test' });
    expect(await byNumber.lookup('mgarcia')).toBeUndefined();
  });

  it('refuses a filter that matches more than one person', async () => {
    const loose = new LdapDirectory('loose', { url: slapd.url, baseDN: PEOPLE_DN, filter: '(|(uid={username})(objectClass=inetOrgPerson))' });
    await expect(loose.lookup('jdoe')).rejects.toThrow(/identity provider 'loose': 'jdoe' matches more than one entry/);
  });

  it('reports a wrong bind password clearly', async () => {
    const wrong = new LdapDirectory('campus-ldap', { url: slapd.url, bindDN: SERVICE_DN, bindPassword: 'not-the-password', baseDN: PEOPLE_DN });
    const err = await wrong.lookup('jdoe').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DirectoryError);
    expect((err as Error).message).toBe(`identity provider 'campus-ldap': binding to ${slapd.url} failed: invalid credentials for ${SERVICE_DN}`);
  });

  it('fills a new user through Lectern.run, caller values winning', async () => {
    const lectern = new Lectern(store);
    lectern.directories.set('campus-ldap', service);
    const inst = await smallInstitution(lectern, freshId());
    const create = (args: Record<string, unknown>) => lectern.run(SYSTEM, inst, 'user.create', { identityProvider: 'campus-ldap', ...args });

    ok(await create({ id: 'jdoe' }));
    await expect(lectern.world(inst).then((w) => w?.user('jdoe'))).resolves.toMatchObject({ ...JANE, username: 'jdoe', identityProvider: 'campus-ldap' });

    ok(await create({ id: 'u-kwong', username: 'kwong' }));
    const w = (await lectern.world(inst))!;
    expect(w.user('u-kwong')).toMatchObject({ username: 'kwong', firstName: 'Kai', lastName: 'Wong', email: 'kai.wong@stateu.test' });

    ok(await create({ id: 'mgarcia', firstName: 'Matt', email: 'matt@stateu.test' }));
    expect(w.user('mgarcia')).toMatchObject({ firstName: 'Matt', lastName: 'García', email: 'matt@stateu.test' });

    expect(await create({ id: 'ghost' })).toMatchObject({ status: 'notFound', code: 'notInDirectory', field: 'username' });
    expect(await create({ id: 'x', username: '*' })).toMatchObject({ status: 'notFound', code: 'notInDirectory' });
    expect(await lectern.run(SYSTEM, inst, 'user.create', { id: 'y', identityProvider: 'nowhere-sso' })).toMatchObject({
      status: 'invalid',
      field: 'identityProvider',
      message: expect.stringMatching(/'nowhere-sso' is not a configured identity provider \(configured: local, campus-ldap\)/),
    });
    // All names given: the directory is not asked, so a user it does not know is fine.
    ok(await create({ id: 'visitor', firstName: 'Vi', lastName: 'Sitor', email: 'vi@example.edu' }));
    expect(w.user('ghost')).toBeUndefined();
  });

  it('loads an LDAP provider from a providers file, password from the environment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lectern-idp-'));
    try {
      const file = join(dir, 'providers.yaml');
      await writeFile(file, `campus-ldap:\n  type: ldap\n  url: ${slapd.url}\n  bindDN: ${SERVICE_DN}\n  bindPasswordEnv: TEST_LDAP_PW\n  baseDN: ${PEOPLE_DN}\n  timeoutMs: 2000\n`);
      const providers = await loadIdentityProviders(file, { TEST_LDAP_PW: SERVICE_PASSWORD });
      expect(await providers.get('campus-ldap')!.lookup('jdoe')).toEqual(JANE);
      await expect(loadIdentityProviders(file, {})).rejects.toThrow(`${file}: campus-ldap.bindPasswordEnv: the environment variable TEST_LDAP_PW is not set`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('LDAP directory when the server cannot answer', () => {
  let silent: Server;
  let silentPort: number;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // Accepts connections and never says a word: only the timeout ends a lookup.
    silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('fails fast, naming the server, when nothing listens', async () => {
    const port = await freePort();
    const down = new LdapDirectory('campus-ldap', { url: `ldap://127.0.0.1:${port}`, baseDN: PEOPLE_DN, timeoutMs: 1000 });
    const t0 = Date.now();
    await expect(down.lookup('jdoe')).rejects.toThrow(new RegExp(`identity provider 'campus-ldap': searching ldap://127\\.0\\.0\\.1:${port} failed: .*ECONNREFUSED`));
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('gives up within the timeout when the server does not answer (anonymous and bound)', async () => {
    for (const bind of [{}, { bindDN: SERVICE_DN, bindPassword: 'x' }]) {
      const hung = new LdapDirectory('campus-ldap', { url: `ldap://127.0.0.1:${silentPort}`, baseDN: PEOPLE_DN, timeoutMs: 300, ...bind });
      const t0 = Date.now();
      const err = await hung.lookup('jdoe').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DirectoryError);
      expect((err as Error).message).toMatch(/identity provider 'campus-ldap': (searching|binding to) ldap:\/\/127\.0\.0\.1:\d+ failed: .*time/i);
      expect(Date.now() - t0).toBeLessThan(2000);
    }
  });

  it('makes user.create fail with the directory error, writing nothing', async () => {
    const lectern = new Lectern(store);
    lectern.directories.set('campus-ldap', new LdapDirectory('campus-ldap', { url: `ldap://127.0.0.1:${silentPort}`, baseDN: PEOPLE_DN, timeoutMs: 300 }));
    const inst = await smallInstitution(lectern, freshId());
    await expect(lectern.run(SYSTEM, inst, 'user.create', { id: 'jdoe', identityProvider: 'campus-ldap' })).rejects.toThrow(DirectoryError);
    expect((await lectern.world(inst))!.user('jdoe')).toBeUndefined();
  });
});

describe('static-file directory', () => {
  const PEOPLE = [
    { username: 'asmith', firstName: 'Alex', lastName: 'Smith', email: 'alex.smith@stateu.edu' },
    { username: 'BJones', firstName: 'Bo', lastName: 'Jones', email: 'bo.jones@stateu.edu' },
  ];

  it('reads a YAML list or a JSON {people} file and finds usernames case-insensitively', async () => {
    const fromYaml = new FileDirectory('f', parseDirectoryFile('- {username: asmith, firstName: Alex, lastName: Smith, email: alex.smith@stateu.edu}\n', 'f'));
    expect(await fromYaml.lookup('ASmith')).toEqual({ firstName: 'Alex', lastName: 'Smith', email: 'alex.smith@stateu.edu' });
    const fromJson = new FileDirectory('f', parseDirectoryFile(JSON.stringify({ description: 'x', people: PEOPLE }), 'f'));
    expect(fromJson.size).toBe(2);
    expect(await fromJson.lookup('bjones')).toEqual({ firstName: 'Bo', lastName: 'Jones', email: 'bo.jones@stateu.edu' });
    expect(await fromJson.lookup('nobody')).toBeUndefined();
    expect(await fromJson.lookup('*')).toBeUndefined();
  });

  it('says which entry and field of a bad file is wrong', () => {
    const bad = (text: string) => () => parseDirectoryFile(text, 'dir.yaml');
    expect(bad('username: x')).toThrow('dir.yaml: username: is not a field of a directory file (people, description)');
    expect(bad('people: 3')).toThrow('dir.yaml: people: must be a list of people');
    expect(bad('"just text"')).toThrow('dir.yaml: the file: must be a list of people');
    expect(bad('- {username: a, firstName: A, lastName: B}')).toThrow('dir.yaml: [0].email: is required and must be a non-empty string');
    expect(bad('people:\n  - {username: a, firstName: A, lastName: B, email: a@x}\n  - {username: b, firstName: B, lastName: C, email: " "}')).toThrow('dir.yaml: people[1].email: is required');
    expect(bad('- {username: a, firstName: A, lastName: B, email: a@x, phone: 1}')).toThrow('dir.yaml: [0].phone: is not a field of a person');
    expect(bad('- {username: a, firstName: A, lastName: B, email: a@x}\n- {username: A, firstName: A, lastName: B, email: b@x}')).toThrow("dir.yaml: [1].username: 'A' appears more than once");
    expect(bad('- [unclosed')).toThrow(/dir\.yaml: not valid YAML or JSON/);
  });

  it('ships the demo directory: people for stateu-sso who are not in the demo yet', async () => {
    const dir = await FileDirectory.load('stateu-sso', 'scenarios/stateu-directory.json');
    expect(dir.size).toBeGreaterThanOrEqual(3);
    const demo = readFileSync('scenarios/demo.yaml', 'utf8');
    expect(demo).toContain('identityProvider: stateu-sso');
    const people = parseDirectoryFile(readFileSync('scenarios/stateu-directory.json', 'utf8'), 'x');
    for (const p of people) {
      expect(demo, p.username).not.toMatch(new RegExp(`id: ${p.username}\\b`));
      expect(demo, p.email).not.toContain(p.email);
    }
  });

  it('fills a new user through Lectern.run', async () => {
    const lectern = new Lectern(store);
    lectern.directories.set('stateu-sso', await FileDirectory.load('stateu-sso', 'scenarios/stateu-directory.json'));
    const inst = await smallInstitution(lectern, freshId());
    ok(await lectern.run(SYSTEM, inst, 'user.create', { id: 'rsato', identityProvider: 'stateu-sso' }));
    expect((await lectern.world(inst))!.user('rsato')).toMatchObject({ firstName: 'Ren', lastName: 'Sato', email: 'ren.sato@stateu.edu', identityProvider: 'stateu-sso' });
    expect(await lectern.run(SYSTEM, inst, 'user.create', { id: 'zz', identityProvider: 'stateu-sso' })).toMatchObject({ status: 'notFound', code: 'notInDirectory' });
  });
});

describe('providers file', () => {
  const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parseIdentityProviders(text, { where: 'idp.yaml', baseDir: '/etc/lectern', env });
  const LDAP = 'campus:\n  type: ldap\n  url: ldap://ldap.example.edu\n  baseDN: ou=people,dc=example,dc=edu\n';

  it('reads ldap and file providers with defaults and the password from the environment', () => {
    const m = parse(`${LDAP}  bindDN: cn=svc,dc=example,dc=edu\n  bindPasswordEnv: PW\nsso:\n  type: file\n  path: people.yaml\n`, { PW: 's3cret' });
    expect(m.get('campus')).toEqual({
      type: 'ldap',
      url: 'ldap://ldap.example.edu',
      baseDN: 'ou=people,dc=example,dc=edu',
      bindDN: 'cn=svc,dc=example,dc=edu',
      bindPassword: 's3cret',
      filter: '(uid={username})',
      timeoutMs: 5000,
    });
    expect(m.get('sso')).toEqual({ type: 'file', path: resolve('/etc/lectern', 'people.yaml') });
    expect(parse('').size).toBe(0);
  });

  it('names the provider and field of every mistake', () => {
    const bad = (text: string, env: NodeJS.ProcessEnv = {}) => () => parse(text, env);
    const cases: [string, string | RegExp][] = [
      ['- a\n- b', 'idp.yaml: (top level): must be a mapping of provider names to providers'],
      ['campus: ldap', 'idp.yaml: campus: must be a mapping with a type (ldap or file)'],
      ['local:\n  type: file\n  path: x', "idp.yaml: local: 'local' is Lectern's own accounts"],
      ['"bad name!":\n  type: file\n  path: x', 'idp.yaml: bad name!: a provider name is'],
      ['campus:\n  url: ldap://x', 'idp.yaml: campus.type: is required (ldap or file)'],
      ['campus:\n  type: kerberos', "idp.yaml: campus.type: 'kerberos' is not a provider type (ldap or file)"],
      [`${LDAP}  bindPW: x`, 'idp.yaml: campus.bindPW: is not a field of a ldap provider (type, url, bindDN, bindPassword, bindPasswordEnv, baseDN, filter, attributes, timeoutMs)'],
      ['sso:\n  type: file', 'idp.yaml: sso.path: is required'],
      ['campus:\n  type: ldap\n  baseDN: dc=x', 'idp.yaml: campus.url: is required'],
      ['campus:\n  type: ldap\n  url: 42\n  baseDN: dc=x', 'idp.yaml: campus.url: must be a non-empty string'],
      ['campus:\n  type: ldap\n  url: http://ldap.example.edu\n  baseDN: dc=x', "idp.yaml: campus.url: 'http://ldap.example.edu' is not an LDAP URL"],
      ['campus:\n  type: ldap\n  url: ldap://x', 'idp.yaml: campus.baseDN: is required'],
      [`${LDAP}  bindDN: cn=svc\n  bindPasswordEnv: PW`, 'idp.yaml: campus.bindPasswordEnv: the environment variable PW is not set'],
      [`${LDAP}  bindDN: cn=svc\n  bindPassword: a\n  bindPasswordEnv: PW`, 'idp.yaml: campus.bindPasswordEnv: give bindPassword or bindPasswordEnv, not both'],
      [`${LDAP}  bindDN: cn=svc`, 'idp.yaml: campus.bindPassword: is required with bindDN'],
      [`${LDAP}  bindPassword: a`, 'idp.yaml: campus.bindDN: is required with a bind password'],
      [`${LDAP}  filter: (uid=jdoe)`, 'idp.yaml: campus.filter: must contain {username}'],
      [`${LDAP}  filter: (uid={username}`, /^idp\.yaml: campus\.filter: '\(uid=\{username\}' is not an LDAP filter/],
      [`${LDAP}  attributes: {phone: telephoneNumber}`, 'idp.yaml: campus.attributes.phone: is not one of firstName, lastName, email'],
      [`${LDAP}  attributes: {email: "mail)(x"}`, "idp.yaml: campus.attributes.email: 'mail)(x' is not an LDAP attribute name"],
      [`${LDAP}  attributes: [mail]`, 'idp.yaml: campus.attributes: must be a mapping'],
      [`${LDAP}  timeoutMs: soon`, 'idp.yaml: campus.timeoutMs: must be a whole number of milliseconds from 100 to 120000'],
      ['campus: [unclosed', /^idp\.yaml: not valid YAML/],
    ];
    for (const [text, message] of cases) expect(bad(text), text).toThrow(message);
  });

  it('reports an unreadable providers file or directory file by path', async () => {
    await expect(loadIdentityProviders('/nonexistent/idp.yaml')).rejects.toThrow('identity providers file: cannot read /nonexistent/idp.yaml');
    const dir = await mkdtemp(join(tmpdir(), 'lectern-idp-'));
    try {
      const file = join(dir, 'idp.yaml');
      await writeFile(file, 'sso:\n  type: file\n  path: missing.yaml\n');
      await expect(loadIdentityProviders(file)).rejects.toThrow(`${file}: sso.path: cannot read ${join(dir, 'missing.yaml')}`);
      await writeFile(join(dir, 'people.yaml'), '- {username: a, firstName: A}\n');
      await writeFile(file, 'sso:\n  type: file\n  path: people.yaml\n');
      await expect(loadIdentityProviders(file)).rejects.toThrow(`sso (${join(dir, 'people.yaml')}): [0].lastName: is required`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ships a working example: the demo directory, and an LDAP block that is valid once uncommented', async () => {
    const example = 'docs/identity-providers.example.yaml';
    const providers = await loadIdentityProviders(example, {});
    expect([...providers.keys()]).toEqual(['stateu-sso']);
    expect(await providers.get('stateu-sso')!.lookup('rsato')).toMatchObject({ firstName: 'Ren' });

    const text = readFileSync(example, 'utf8');
    const block = text.split('# --- ldap example ---\n')[1]!.split('# --- end ---')[0]!;
    const ldap = parseIdentityProviders(block.replace(/^# ?/gm, ''), { env: { LECTERN_LDAP_PASSWORD: 'x' } }).get('campus-ldap');
    expect(ldap).toMatchObject({ type: 'ldap', url: 'ldaps://ldap.stateu.edu:636', bindPassword: 'x', attributes: { firstName: 'givenName', lastName: 'sn', email: 'mail' } });
  });
});
