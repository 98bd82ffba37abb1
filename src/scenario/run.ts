/**
 * scenario/: scenario files (SPEC §12). A file describes a world, operations (steps) and decisions
 * (checks); running it loads the world into an empty database through the services, runs the steps
 * through the services and the checks through policy, and reports every expectation that failed
 * with the decision's reasons. The same loader puts the demo world behind `lectern serve --world`.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { isAction } from '../domain/catalog.js';
import { OUTCOME_STATUSES, type Outcome, parseResource } from '../domain/outcome.js';
import { isImplemented, SYSTEM, type Principal } from '../policy/index.js';
import { isOperation, type Lectern } from '../services/lectern.js';
import type { World } from '../world/world.js';

/** Operations named in SPEC §12 that later work builds; a step using one is "not implemented yet". */
const SPEC_OPERATIONS = new Set([
  'institution.configure', 'unit.create', 'unit.update', 'unit.delete', 'user.create', 'user.update', 'user.deactivate',
  'user.delete', 'role.grant', 'role.revoke', 'licensePack.create', 'license.assign', 'license.revoke', 'license.autoassign',
  'license.revokeall', 'term.create', 'course.create', 'section.create', 'section.enroll', 'section.unenroll', 'settings.set',
  'class.create', 'class.delete', 'media.create', 'media.publish', 'media.unpublish', 'media.edit', 'media.delete',
  'media.share', 'media.post', 'collection.create', 'collection.delete', 'collection.addMember', 'collection.updateMember',
  'collection.removeMember', 'collection.addMedia', 'collection.removeMedia', 'library.create', 'library.grant',
  'library.revoke', 'user.setDefaultLibrary',
]);

/** World sections that later work builds. */
const PENDING_SECTIONS: string[] = [];
const TEACHING_SECTIONS = ['terms', 'courses', 'sections', 'rooms', 'devices', 'schedules', 'classes', 'libraries', 'media', 'settings', 'licensePacks', 'collections'];
const KNOWN_SECTIONS = new Set(['institution', 'units', 'roles', 'users', 'steps', 'checks', 'description', ...TEACHING_SECTIONS, ...PENDING_SECTIONS]);

export interface Failure {
  line: number;
  what: string;
  message: string;
  reasons?: string[];
  notImplemented?: boolean;
}

export interface FileResult {
  file: string;
  passed: number;
  failures: Failure[];
  /** The institution the file loaded (for `serve --world`). */
  institutionId?: string;
}

/** Thrown for a file that cannot run at all: bad YAML, an unknown name, a world that will not load. */
class ScenarioError extends Error {
  constructor(
    readonly line: number,
    message: string,
    readonly notImplemented = false,
  ) {
    super(message);
  }
}

type Path = (string | number)[];

class Source {
  readonly lines = new LineCounter();
  readonly doc: Document;
  constructor(readonly file: string, text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
  }
  /**
   * The document as plain data. Aliases are expanded only so far: a file that repeats an anchor
   * into millions of nodes (an alias bomb) is refused at line 1 with the reason, never expanded.
   */
  data(): unknown {
    try {
      return this.doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      throw new ScenarioError(1, `cannot read the YAML: ${(e as Error).message}`);
    }
  }
  line(path: Path): number {
    for (let p = path; p.length >= 0; p = p.slice(0, -1)) {
      const node = p.length === 0 ? this.doc.contents : this.doc.getIn(p, true);
      const range = (node as { range?: [number, number, number] } | null)?.range;
      if (range) return this.lines.linePos(range[0]).line;
      if (p.length === 0) break;
    }
    return 1;
  }
}

export interface RunOptions {
  /** Called for each user that has a `password:` in the world (the demo's sign-in details). */
  setPassword?: (institutionId: string, userId: string, password: string) => Promise<void>;
}

/** Loads a file's world into the (empty) store behind `lectern` and runs its expectations. */
export async function runScenarioFile(lectern: Lectern, file: string, opts: RunOptions = {}): Promise<FileResult> {
  const result: FileResult = { file, passed: 0, failures: [] };
  let src: Source;
  try {
    src = new Source(file, await readFile(file, 'utf8'));
  } catch (e) {
    result.failures.push({ line: 1, what: 'file', message: `cannot read: ${(e as Error).message}` });
    return result;
  }
  if (src.doc.errors.length > 0) {
    for (const err of src.doc.errors) {
      result.failures.push({ line: src.lines.linePos(err.pos[0]).line, what: 'YAML', message: err.message.split('\n')[0]! });
    }
    return result;
  }
  try {
    const data = src.data();
    if (!isPlainObject(data)) throw new ScenarioError(1, 'a scenario file is a mapping with institution, units, users, steps and checks');
    const world = await loadWorld(lectern, src, data, opts);
    result.institutionId = world.institutionId;
    await runSteps(lectern, src, world, data, result);
    runChecks(lectern, src, world, data, result);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    result.failures.push({ line: e.line, what: 'file', message: e.message, notImplemented: e.notImplemented });
  }
  return result;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function list(src: Source, data: Record<string, unknown>, key: string): unknown[] {
  const v = data[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ScenarioError(src.line([key]), `${key}: must be a list`);
  return v;
}

function must(src: Source, path: Path, outcome: Outcome): void {
  if (outcome.status !== 'ok') throw new ScenarioError(src.line(path), `${outcome.status}: ${outcome.message}`);
}

async function loadWorld(lectern: Lectern, src: Source, data: Record<string, unknown>, opts: RunOptions): Promise<World> {
  for (const key of Object.keys(data)) {
    if (!KNOWN_SECTIONS.has(key)) throw new ScenarioError(src.line([key]), `unknown section '${key}' (expected ${[...KNOWN_SECTIONS].join(', ')})`);
  }
  const inst = data.institution;
  if (!isPlainObject(inst)) throw new ScenarioError(src.line(['institution']), 'institution: required, a mapping with id and name');
  const settings = inst.settings === undefined ? {} : inst.settings;
  if (!isPlainObject(settings)) throw new ScenarioError(src.line(['institution', 'settings']), 'institution.settings: must be a mapping');
  for (const k of Object.keys(inst)) {
    if (!['id', 'name', 'settings'].includes(k)) throw new ScenarioError(src.line(['institution', k]), `institution: unknown field '${k}'`);
  }
  const institutionId = String(inst.id ?? '');
  must(src, ['institution'], await lectern.run(SYSTEM, institutionId, 'institution.create', { id: inst.id, name: inst.name ?? inst.id, ...settings }));
  const world = (await lectern.world(institutionId))!;

  // Units: a tree under the root, each { id, name?, children? }.
  const addUnits = async (nodes: unknown, parent: string, path: Path): Promise<void> => {
    if (nodes === undefined || nodes === null) return;
    if (!Array.isArray(nodes)) throw new ScenarioError(src.line(path), 'units: must be a list');
    for (const [i, n] of nodes.entries()) {
      if (!isPlainObject(n)) throw new ScenarioError(src.line([...path, i]), 'a unit is a mapping with an id');
      const { children, ...fields } = n;
      must(src, [...path, i], await lectern.run(SYSTEM, institutionId, 'unit.create', { ...fields, parent }));
      await addUnits(children, String(n.id), [...path, i, 'children']);
    }
  };
  await addUnits(data.units, institutionId, ['units']);

  // Custom roles (docs/ROLES.md): each { id, name, description?, scope?, unit?, capabilities }, defined
  // by Lectern before the users who hold them.
  for (const [i, r] of list(src, data, 'roles').entries()) {
    if (!isPlainObject(r)) throw new ScenarioError(src.line(['roles', i]), 'a role is a mapping with id, name and capabilities');
    must(src, ['roles', i], await lectern.run(SYSTEM, institutionId, 'role.define', r));
  }

  for (const [i, u] of list(src, data, 'users').entries()) {
    if (!isPlainObject(u)) throw new ScenarioError(src.line(['users', i]), 'a user is a mapping with id, email, firstName, lastName');
    const { roles, status, password, defaultLibrary: _d, features: _f, ...fields } = u;
    must(src, ['users', i], await lectern.run(SYSTEM, institutionId, 'user.create', fields));
    const userId = String(u.id);
    if (roles !== undefined) {
      if (!Array.isArray(roles)) throw new ScenarioError(src.line(['users', i, 'roles']), 'roles: must be a list of { role, scope? }');
      for (const [j, r] of roles.entries()) {
        if (!isPlainObject(r)) throw new ScenarioError(src.line(['users', i, 'roles', j]), 'a role is a mapping { role, scope? }');
        must(src, ['users', i, 'roles', j], await lectern.run(SYSTEM, institutionId, 'role.grant', { user: userId, ...r }));
      }
    }
    if (status === 'deactivated') must(src, ['users', i, 'status'], await lectern.run(SYSTEM, institutionId, 'user.deactivate', { user: userId }));
    else if (status !== undefined && status !== 'active') throw new ScenarioError(src.line(['users', i, 'status']), `status: must be active or deactivated, not '${String(status)}'`);
    if (password !== undefined) {
      if (typeof password !== 'string' || password.length < 8) throw new ScenarioError(src.line(['users', i, 'password']), 'password: at least 8 characters');
      await opts.setPassword?.(institutionId, userId, password);
    }
  }

  await loadTeaching(lectern, src, data, institutionId);

  for (const key of PENDING_SECTIONS) {
    const v = data[key];
    if (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null) {
      throw new ScenarioError(src.line([key]), `${key}: not implemented yet`, true);
    }
  }
  return world;
}

/** Runs one loader operation per entry of a world section, each failure pointing at its entry. */
async function each(
  src: Source,
  data: Record<string, unknown>,
  key: string,
  fn: (entry: Record<string, unknown>, path: Path) => Promise<void>,
): Promise<void> {
  for (const [i, e] of list(src, data, key).entries()) {
    if (!isPlainObject(e)) throw new ScenarioError(src.line([key, i]), `${key}: each entry is a mapping`);
    await fn(e, [key, i]);
  }
}

async function loadTeaching(lectern: Lectern, src: Source, data: Record<string, unknown>, institutionId: string): Promise<void> {
  const run = async (path: Path, op: string, args: Record<string, unknown>) => must(src, path, await lectern.run(SYSTEM, institutionId, op, args));
  await each(src, data, 'terms', (t, p) => run(p, 'term.create', t));
  await each(src, data, 'courses', (c, p) => run(p, 'course.create', c));
  await each(src, data, 'sections', async (s, p) => {
    const { enrollments, ...fields } = s;
    await run(p, 'section.create', fields);
    if (enrollments === undefined || enrollments === null) return;
    if (!isPlainObject(enrollments)) throw new ScenarioError(src.line([...p, 'enrollments']), 'enrollments: a mapping of user: role');
    for (const [user, role] of Object.entries(enrollments)) await run([...p, 'enrollments', user], 'section.enroll', { section: s.id, user, role });
  });
  await each(src, data, 'rooms', (r, p) => run(p, 'room.create', r));
  await each(src, data, 'devices', (d, p) => run(p, 'device.register', d));
  await each(src, data, 'schedules', (s, p) => run(p, 'schedule.create', s));
  await each(src, data, 'classes', (c, p) => run(p, 'class.create', c));
  await each(src, data, 'libraries', async (l, p) => {
    const { members, ...fields } = l;
    await run(p, 'library.create', fields);
    if (members === undefined || members === null) return;
    if (!isPlainObject(members)) throw new ScenarioError(src.line([...p, 'members']), 'members: a mapping of user: role');
    for (const [user, role] of Object.entries(members)) await run([...p, 'members', user], 'library.grant', { library: l.id, user, role });
  });
  // What users carry that needs libraries: their default library and feature grants.
  await each(src, data, 'users', async (u, p) => {
    if (u.defaultLibrary !== undefined) await run([...p, 'defaultLibrary'], 'user.setDefaultLibrary', { user: u.id, library: u.defaultLibrary });
    const features = u.features === undefined ? [] : Array.isArray(u.features) ? u.features : [u.features];
    for (const [j, feature] of features.entries()) await run([...p, 'features', j], 'feature.grant', { user: u.id, feature });
  });
  await each(src, data, 'media', async (m, p) => {
    const { publishedTo, sharedWith, ...fields } = m;
    await run(p, 'media.create', fields);
    for (const [j, pub] of (Array.isArray(publishedTo) ? publishedTo : publishedTo === undefined ? [] : [publishedTo]).entries()) {
      const where = [...p, 'publishedTo', j];
      if (!isPlainObject(pub)) throw new ScenarioError(src.line(where), 'publishedTo: a list of { class, by }');
      await run(where, 'media.publish', { media: m.id, class: pub.class, by: pub.by ?? m.owner });
    }
    for (const [j, user] of (Array.isArray(sharedWith) ? sharedWith : sharedWith === undefined ? [] : [sharedWith]).entries()) {
      await run([...p, 'sharedWith', j], 'media.share', { media: m.id, user });
    }
  });
  await each(src, data, 'licensePacks', async (l, p) => {
    const { assigned, ...fields } = l;
    await run(p, 'licensePack.create', fields);
    for (const [j, user] of (Array.isArray(assigned) ? assigned : assigned === undefined ? [] : [assigned]).entries()) {
      await run([...p, 'assigned', j], 'license.assign', { user, pack: l.id });
    }
  });
  await each(src, data, 'collections', async (c, p) => {
    const { members, media, ...fields } = c;
    await run(p, 'collection.create', fields);
    if (members !== undefined && members !== null) {
      if (!isPlainObject(members)) throw new ScenarioError(src.line([...p, 'members']), 'members: a mapping of user: level (or { custom: [permissions] })');
      for (const [user, level] of Object.entries(members)) {
        const custom = isPlainObject(level) ? level.custom : undefined;
        await run([...p, 'members', user], 'collection.addMember', { collection: c.id, user, ...(isPlainObject(level) ? { permissions: custom ?? [] } : { level }) });
      }
    }
    for (const [j, m] of (Array.isArray(media) ? media : media === undefined ? [] : [media]).entries()) {
      await run([...p, 'media', j], 'collection.addMedia', { collection: c.id, media: m });
    }
  });
  // Deepest levels first, so a value below a lock is recorded before the lock above it.
  const world = (await lectern.world(institutionId))!;
  const depth = (scope: unknown): number => {
    const raw = String(scope ?? '');
    if (raw.startsWith('section:')) return Number.MAX_SAFE_INTEGER;
    return world.tree.depth(raw.replace(/^(unit|institution):/, ''));
  };
  const settings = list(src, data, 'settings').map((e, i) => ({ e, i }));
  settings.sort((a, b) => depth(isPlainObject(b.e) ? b.e.scope : '') - depth(isPlainObject(a.e) ? a.e.scope : ''));
  for (const { e, i } of settings) {
    if (!isPlainObject(e)) throw new ScenarioError(src.line(['settings', i]), 'settings: each entry is { scope, key, value, allowsOverride? }');
    await run(['settings', i], 'settings.set', e);
  }
}

function principalOf(lectern: Lectern, src: Source, world: World, path: Path, who: unknown): Principal {
  if (typeof who !== 'string' || !world.user(who)) throw new ScenarioError(src.line(path), `unknown user '${String(who)}'`);
  return lectern.principal(world.institutionId, who);
}

function show(v: unknown): string {
  return v === undefined ? '' : ' ' + JSON.stringify(v);
}

async function runSteps(lectern: Lectern, src: Source, world: World, data: Record<string, unknown>, result: FileResult): Promise<void> {
  for (const [i, s] of list(src, data, 'steps').entries()) {
    const path = ['steps', i];
    if (!isPlainObject(s)) throw new ScenarioError(src.line(path), 'a step is a mapping { as, do, with, expect }');
    const op = s.do;
    if (typeof op !== 'string' || !(isOperation(op) || SPEC_OPERATIONS.has(op))) {
      throw new ScenarioError(src.line([...path, 'do']), `do: unknown operation '${String(op)}'`);
    }
    const expect = s.expect;
    if (typeof expect !== 'string' || !(OUTCOME_STATUSES as readonly string[]).includes(expect)) {
      throw new ScenarioError(src.line([...path, 'expect']), `expect: must be one of ${OUTCOME_STATUSES.join(', ')}`);
    }
    const principal = principalOf(lectern, src, world, [...path, 'as'], s.as);
    const what = `step ${String(s.as)} ${op}${show(s.with)}`;
    if (!isOperation(op)) {
      result.failures.push({ line: src.line(path), what, message: 'not implemented yet', notImplemented: true });
      continue;
    }
    const out = await lectern.run(principal, world.institutionId, op, (s.with ?? {}) as Record<string, unknown>);
    if (out.status === expect) result.passed++;
    else {
      const detail = out.status === 'ok' ? '' : `: ${out.message}`;
      result.failures.push({
        line: src.line(path),
        what,
        message: `expected ${expect}, got ${out.status}${detail}`,
        ...(out.status !== 'ok' && out.reasons ? { reasons: out.reasons } : {}),
      });
    }
  }
}

function runChecks(lectern: Lectern, src: Source, world: World, data: Record<string, unknown>, result: FileResult): void {
  for (const [i, c] of list(src, data, 'checks').entries()) {
    const path = ['checks', i];
    if (!isPlainObject(c)) throw new ScenarioError(src.line(path), 'a check is a mapping { user, action, resource, context?, expect }');
    const principal = principalOf(lectern, src, world, [...path, 'user'], c.user);
    const action = c.action;
    if (typeof action !== 'string' || !isAction(action)) throw new ScenarioError(src.line([...path, 'action']), `action: unknown action '${String(action)}'`);
    const resource = typeof c.resource === 'string' ? c.resource : '';
    const ref = parseResource(resource);
    if (!ref) throw new ScenarioError(src.line([...path, 'resource']), `resource: '${String(c.resource)}' is not type:id`);
    const expect = c.expect;
    if (expect !== 'allow' && expect !== 'deny') throw new ScenarioError(src.line([...path, 'expect']), 'expect: must be allow or deny');
    const context = c.context === undefined ? {} : c.context;
    if (!isPlainObject(context)) throw new ScenarioError(src.line([...path, 'context']), 'context: must be a mapping');
    const what = `check ${String(c.user)} ${action} ${resource}${Object.keys(context).length ? show(context) : ''}`;
    const known = resourceKnown(world, ref.type, ref.id);
    if (known === 'pending' || !isImplemented(action)) {
      result.failures.push({ line: src.line(path), what, message: 'not implemented yet', notImplemented: true });
      continue;
    }
    if (!known) throw new ScenarioError(src.line([...path, 'resource']), `resource: unknown ${ref.type} '${ref.id}'`);
    if (typeof context.user === 'string' && !world.user(context.user)) {
      throw new ScenarioError(src.line([...path, 'context', 'user']), `unknown user '${context.user}'`);
    }
    const d = lectern.check(world, principal, action, resource, context);
    if (d.allow === (expect === 'allow')) result.passed++;
    else result.failures.push({ line: src.line(path), what, message: `expected ${expect}, got ${d.allow ? 'allow' : 'deny'}`, reasons: d.reasons });
  }
}

function resourceKnown(world: World, type: string, id: string): boolean | 'pending' {
  switch (type) {
    case 'platform':
      return id === 'main';
    case 'institution':
      return id === world.institutionId;
    case 'unit':
      return world.tree.units.has(id);
    case 'user':
      return world.user(id) !== undefined;
    case 'term':
    case 'course':
    case 'section':
    case 'schedule':
    case 'class':
    case 'media':
    case 'room':
    case 'device':
      return world.tables[type].has(id);
    case 'licensePack':
      return world.licensePack(id) !== undefined;
    case 'collection':
      return world.collection(id) !== undefined;
    case 'library':
      return world.library(id) !== undefined;
    default:
      return 'pending';
  }
}

/**
 * Loads only the world of a file (no steps, no checks) into the store as it is: the demo behind
 * `lectern serve --world`. Skips the load when the institution is already there.
 */
export async function loadWorldFile(lectern: Lectern, file: string, opts: RunOptions = {}): Promise<{ institutionId: string; loaded: boolean }> {
  const src = new Source(file, await readFile(file, 'utf8'));
  const err = src.doc.errors[0];
  if (err) throw new Error(`${file}:${src.lines.linePos(err.pos[0]).line}: ${err.message.split('\n')[0]}`);
  let data: unknown;
  try {
    data = src.data();
  } catch (e) {
    throw new Error(`${file}:1: ${(e as Error).message}`, { cause: e });
  }
  if (!isPlainObject(data) || !isPlainObject(data.institution)) throw new Error(`${file}:1: a world file needs an institution`);
  const institutionId = String(data.institution.id);
  if (await lectern.world(institutionId)) return { institutionId, loaded: false };
  try {
    await loadWorld(lectern, src, data, opts);
  } catch (e) {
    if (e instanceof ScenarioError) throw new Error(`${file}:${e.line}: ${e.message}`, { cause: e });
    throw e;
  }
  return { institutionId, loaded: true };
}

/** Runs files one after another, each on an emptied store; prints as it goes. */
export async function runScenarioFiles(
  lectern: Lectern,
  files: string[],
  print: (line: string) => void,
  opts: RunOptions = {},
): Promise<{ passed: number; failed: number; results: FileResult[] }> {
  let passed = 0;
  let failed = 0;
  const results: FileResult[] = [];
  for (const file of files) {
    await lectern.store.reset();
    lectern.forget();
    const r = await runScenarioFile(lectern, file, opts);
    results.push(r);
    passed += r.passed;
    failed += r.failures.length;
    print(`${r.failures.length === 0 ? 'ok  ' : 'FAIL'} ${file} (${r.passed} passed${r.failures.length ? `, ${r.failures.length} failed` : ''})`);
    for (const f of r.failures) {
      print(`  ${file}:${f.line}: ${f.what}: ${f.message}`);
      for (const reason of f.reasons ?? []) print(`      because ${reason}`);
    }
  }
  print(`${passed} passed, ${failed} failed`);
  return { passed, failed, results };
}
