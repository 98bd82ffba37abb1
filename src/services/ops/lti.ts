/**
 * LMS operations (issue 15): registering an LTI 1.3 platform, and what a verified launch or a
 * roster from it does — a course and section for the LMS context, a user for the person, their
 * section role. The protocol (signatures, claims) is in integrations/lti/; the rules are in
 * policy/lti.ts; here the two meet in row changes, built from the same operations the API runs
 * (course.create, user.create, section.enroll, …), so every check they make is made here too.
 */
import { createHash } from 'node:crypto';
import { type Action, isSectionRole, SECTION_ROLES, type SectionRole } from '../../domain/catalog.js';
import { conflict, invalid, notFound, Refused } from '../../domain/outcome.js';
import type { Change, LtiContextRow, LtiEnrollmentRow, LtiPlatformRow } from '../../domain/rows.js';
import { SYSTEM } from '../../policy/index.js';
import {
  canonicalRole,
  DEFAULT_ROLE_MAPPING,
  isContextRole,
  mapRoles,
  matchUser,
  type RoleMapping,
  STAFF_RULES,
  staffPlacement,
  type StaffRule,
  USER_MATCHERS,
  type UserMatcher,
} from '../../policy/lti.js';
import type { World } from '../../world/world.js';
import { type CompositeContext, defineComposite } from '../composite.js';
import type { Operation } from '../operation.js';
import { type Args, bool, id as idField, oneOf, optional, passed, text } from '../validate.js';
import { roleOps } from './role.js';
import { teachingOps } from './teaching.js';
import { userOps } from './user.js';

/** The operations a launch is made of. */
const catalogue: Record<string, Operation> = { ...userOps, ...roleOps, ...teachingOps };

/**
 * Row changes built from several operations, each planned against the world as the ones before
 * it left it. The world is put back as it was before the plan returns (planning is synchronous,
 * so nobody sees it in between); Lectern applies the changes again once they are committed.
 */
class Draft {
  readonly changes: Change[] = [];
  private readonly undo: Change[] = [];
  constructor(readonly world: World) {}

  run(op: string, args: Args): unknown {
    const operation = catalogue[op];
    if (!operation) throw new Error(`operation ${op} is not one a launch uses`);
    const { plan } = operation.evaluate(this.world, SYSTEM, args);
    this.put(plan.changes);
    return plan.result;
  }

  put(changes: readonly Change[]): void {
    for (const c of changes) {
      const before = this.world.current(c) as Change['row'] | undefined;
      this.undo.push(before ? ({ table: c.table, op: 'put', row: before } as Change) : { ...c, op: 'del' });
      this.world.apply(c);
      this.changes.push(c);
    }
  }

  mark(): number {
    return this.changes.length;
  }

  /** Undoes what was drafted after `mark` (everything, by default). */
  rollback(mark = 0): void {
    while (this.undo.length > mark) this.world.apply(this.undo.pop()!);
    this.changes.length = mark;
  }
}

function draft<T>(w: World, build: (d: Draft) => T): { changes: Change[]; value: T } {
  const d = new Draft(w);
  try {
    const value = build(d);
    return { changes: [...d.changes], value };
  } finally {
    d.rollback();
  }
}

// Readers of one argument, in the vocabulary of services/validate.ts, for the nested values a
// launch carries (a person, a context) and a registration's many optional settings.
function str(args: Args, field: string, opts: { max?: number } = {}): string {
  const v = args[field];
  if (v === undefined || v === null || v === '') throw invalid(field, 'is required', 'required');
  return text(opts.max ?? 200).read(v, field);
}
function optStr(args: Args, field: string, opts: { max?: number } = {}): string | undefined {
  return args[field] === undefined || args[field] === null ? undefined : text(opts.max ?? 200).read(args[field], field);
}
function id(args: Args, field: string): string {
  const v = args[field];
  if (v === undefined || v === null || v === '') throw invalid(field, 'is required', 'required');
  return idField().read(v, field);
}
function optBool(args: Args, field: string): boolean | undefined {
  return args[field] === undefined || args[field] === null ? undefined : bool().read(args[field], field);
}
function optEnum<const T extends string>(args: Args, field: string, values: readonly T[]): T | undefined {
  return args[field] === undefined || args[field] === null ? undefined : oneOf(values).read(args[field], field);
}

type Ctx = CompositeContext<Args>;

/**
 * A registration or launch operation: its body reads the arguments itself (they are nested: a
 * person, a context) and builds its rows from the ordinary operations through a Draft; the
 * composite commits them as one plan.
 */
function ltiOp(action: Action, fields: readonly string[], plan: (ctx: Ctx) => { changes: Change[]; target: string; result?: unknown }): Operation {
  return defineComposite({
    action,
    args: Object.fromEntries(fields.map((f) => [f, optional(passed())])),
    plan(ctx) {
      const p = plan(ctx as Ctx);
      ctx.add(...p.changes);
      return { target: p.target, ...(p.result !== undefined ? { result: p.result } : {}) };
    },
  });
}

const shortHash = (...parts: string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 12);

export function platformOf(w: World, platformId: string, field = 'platform'): LtiPlatformRow {
  const p = w.tables.ltiPlatform.get(platformId);
  if (!p) throw notFound(field, 'LTI platform', platformId);
  return p;
}

export function roleMappingOf(p: LtiPlatformRow): RoleMapping {
  return JSON.parse(p.roleMapping) as RoleMapping;
}

export function deploymentIdsOf(p: LtiPlatformRow): string[] {
  return JSON.parse(p.deploymentIds) as string[];
}

function urlArg(args: Args, field: string, cur: string | undefined): string {
  const v = args[field] === undefined && cur !== undefined ? cur : str(args, field, { max: 2000 });
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw invalid(field, `'${v}' is not a URL`, 'format');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw invalid(field, `'${v}' is not an http(s) URL`, 'format');
  return v;
}

function listArg(args: Args, field: string): string[] | undefined {
  const v = args[field];
  if (v === undefined || v === null) return undefined;
  const items = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v : undefined;
  if (!items) throw invalid(field, 'must be a list (or comma-separated text)', 'type');
  const out = items.map((x, i) => {
    if (typeof x !== 'string' && typeof x !== 'number') throw invalid(`${field}.${i}`, 'must be text', 'type');
    const t = String(x).trim();
    if (t === '' || t.length > 255) throw invalid(`${field}.${i}`, 'must be 1 to 255 characters', 'format');
    return t;
  });
  if (out.length === 0) throw invalid(field, 'must name at least one', 'required');
  return [...new Set(out)];
}

function mappingArg(args: Args, cur: RoleMapping | undefined): RoleMapping {
  const v = args.roleMapping;
  if (v === undefined || v === null) return cur ?? DEFAULT_ROLE_MAPPING;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid('roleMapping', 'must map LTI roles to section roles', 'type');
  const out: Record<string, SectionRole | 'none'> = { ...DEFAULT_ROLE_MAPPING };
  for (const [k, role] of Object.entries(v as Record<string, unknown>)) {
    const uri = canonicalRole(k);
    if (!isContextRole(uri)) throw invalid(`roleMapping.${k}`, 'is an institution or system role; only course (context) roles map to section roles', 'format');
    if (role !== 'none' && (typeof role !== 'string' || !isSectionRole(role))) {
      throw invalid(`roleMapping.${k}`, `must be one of ${SECTION_ROLES.join(', ')} or none, not '${String(role)}'`, 'enum');
    }
    out[uri] = role as SectionRole | 'none';
  }
  return out;
}

function syncMinutesArg(args: Args, cur: number | undefined): number {
  const v = args.syncMinutes;
  if (v === undefined || v === null) return cur ?? 60;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 10_080) throw invalid('syncMinutes', 'must be a whole number of minutes from 0 to 10080', 'range');
  return n;
}

/** The person of a launch or a roster entry, as the protocol layer read them. */
interface Person {
  sub: string;
  email?: string;
  givenName?: string;
  familyName?: string;
  name?: string;
  sourcedId?: string;
  roles: string[];
}

function personArg(v: unknown, field: string): Person {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(field, 'must describe a person', 'type');
  const a = v as Args;
  const roles = a.roles ?? [];
  if (!Array.isArray(roles) || roles.some((r) => typeof r !== 'string')) throw invalid(`${field}.roles`, 'must be a list of role URIs', 'type');
  const opt = (k: string) => (a[k] === undefined || a[k] === null || a[k] === '' ? undefined : optStr(a, k, { max: 254 }));
  return { sub: str(a, 'sub', { max: 255 }), email: opt('email'), givenName: opt('givenName'), familyName: opt('familyName'), name: opt('name'), sourcedId: opt('sourcedId'), roles: roles as string[] };
}

const ID_OK = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/** The Lectern user for a person: linked before, matched by the registration's rule, or created. */
function userFor(d: Draft, p: LtiPlatformRow, person: Person): { userId: string; created: boolean } {
  const w = d.world;
  const link = w.tables.ltiAccount.get(`${p.id}\u0000${person.sub}`);
  let userId = link && w.user(link.userId) ? link.userId : undefined;
  let created = false;
  if (!userId) {
    const m = matchUser(w, p.userMatch.split(',') as UserMatcher[], { email: person.email, sourcedId: person.sourcedId });
    if ('refusal' in m) throw conflict('ambiguousUser', m.refusal, 'sub');
    if (m.user) {
      // A user already linked to another account of this platform is someone else.
      const other = [...w.tables.ltiAccount.values()].find((a) => a.platformId === p.id && a.userId === m.user!.id && a.sub !== person.sub);
      if (other) throw conflict('ambiguousUser', `${m.user.id} is already the LMS user '${other.sub}' of ${p.name}; '${person.sub}' cannot be them too`, 'sub');
      userId = m.user.id;
    } else {
      if (!p.createUsers) throw new Refused({ status: 'notFound', code: 'unknownUser', field: 'sub', message: `no Lectern user matches this person (${describe(person)}), and ${p.name} does not create users` });
      if (!person.email) throw invalid('email', 'is needed to create a Lectern user for this person, and the LMS did not send it', 'required');
      const candidates = [person.sourcedId, person.email].filter((x): x is string => !!x && ID_OK.test(x) && !w.findUser(x));
      userId = candidates[0] ?? `lti-${shortHash(p.id, person.sub)}`;
      const [first, ...rest] = (person.name ?? '').split(/\s+/).filter(Boolean);
      d.run('user.create', {
        id: userId,
        email: person.email,
        firstName: (person.givenName ?? first ?? person.email.split('@')[0]!).slice(0, 200),
        lastName: (person.familyName ?? (rest.join(' ') || '(LMS)')).slice(0, 200),
      });
      created = true;
    }
    d.put([{ table: 'ltiAccount', op: 'put', row: { institutionId: w.institutionId, platformId: p.id, sub: person.sub, userId } }]);
  }
  const u = w.user(userId)!;
  if (u.status !== 'active') throw conflict('deactivated', `${userId} is deactivated in Lectern; an admin must reactivate them first`, 'sub');
  return { userId, created };
}

function describe(p: Person): string {
  return [p.email ? `email ${p.email}` : '', p.sourcedId ? `lis.person_sourcedid ${p.sourcedId}` : '', `sub ${p.sub}`].filter(Boolean).join(', ');
}

/** The term a new LMS course goes in: one covering `today` at the registration's unit or above. */
function currentTerm(w: World, unitId: string, today: string): string {
  const terms = [...w.tables.term.values()]
    .filter((t) => t.startDate <= today && today <= t.endDate && w.tree.within(unitId, t.unitId))
    .sort((a, b) => (w.tree.within(a.unitId, b.unitId) ? -1 : 1) || b.startDate.localeCompare(a.startDate));
  if (!terms[0]) throw conflict('noCurrentTerm', `no term covers ${today} at ${w.tree.name(unitId)} or above, so the LMS course cannot be given a section; an admin must create the term`);
  return terms[0].id;
}

/** The section of an LMS context: found by its link, or created (course and section) on the first launch. */
function sectionFor(d: Draft, p: LtiPlatformRow, ctx: { id: string; title: string; label?: string }, today: string): { link: LtiContextRow; created: boolean } {
  const w = d.world;
  const title = (ctx.title || ctx.label || ctx.id).slice(0, 200);
  const cur = w.tables.ltiContext.get(`${p.id}\u0000${ctx.id}`);
  if (cur && w.section(cur.sectionId) && w.course(cur.courseId)) {
    if (cur.title === title) return { link: cur, created: false };
    d.run('course.update', { course: cur.courseId, name: title });
    d.run('section.update', { section: cur.sectionId, name: (ctx.label ?? title).slice(0, 200) });
    const link = { ...cur, title };
    d.put([{ table: 'ltiContext', op: 'put', row: link }]);
    return { link, created: false };
  }
  const h = shortHash(p.id, ctx.id);
  let courseId = `lti-${h}`;
  for (let i = 2; w.course(courseId) || w.section(`${courseId}-1`); i++) courseId = `lti-${h}-${i}`;
  const term = currentTerm(w, p.unitId, today);
  d.run('course.create', { id: courseId, unit: p.unitId, name: title });
  d.run('section.create', { id: `${courseId}-1`, course: courseId, term, name: (ctx.label ?? title).slice(0, 200) });
  const link: LtiContextRow = { institutionId: w.institutionId, platformId: p.id, contextId: ctx.id, courseId, sectionId: `${courseId}-1`, title };
  d.put([{ table: 'ltiContext', op: 'put', row: link }]);
  return { link, created: true };
}

interface Placement {
  user: string;
  role: SectionRole;
  previous?: SectionRole;
  change: 'added' | 'changed' | 'unchanged' | 'kept';
  notices: string[];
}

/** Puts a person in a section with the role the LMS gives them (as far as Lectern's rules allow). */
function place(d: Draft, p: LtiPlatformRow, sectionId: string, userId: string, roles: readonly string[]): Placement {
  const w = d.world;
  const mapped = mapRoles(roleMappingOf(p), roles);
  if ('refusal' in mapped) throw conflict('unmappedRole', mapped.refusal, 'roles');
  const unit = w.sectionUnit(sectionId)!;
  const placed = staffPlacement(w, userId, unit, mapped.role, p.staffRule as StaffRule);
  const notices = placed.notice ? [placed.notice] : [];
  const previous = w.sectionRole(userId, sectionId);
  const originKey = `${sectionId}\u0000${userId}`;
  const fromLms = w.tables.ltiEnrollment.get(originKey);
  if (previous && !fromLms) {
    // Enrolled by hand: the LMS neither changes nor (later) removes it.
    if (previous !== placed.role) notices.push(`${userId} was enrolled by hand as ${previous.replace('_', ' ')}; that stays, whatever the LMS says`);
    return { user: userId, role: previous, previous, change: 'kept', notices };
  }
  if (previous === placed.role) return { user: userId, role: previous, previous, change: 'unchanged', notices };
  if (placed.grantAcademicStaffAt) d.run('role.grant', { user: userId, role: 'academic_staff', scope: placed.grantAcademicStaffAt });
  d.run('section.enroll', { section: sectionId, user: userId, role: placed.role });
  const origin: LtiEnrollmentRow = { institutionId: w.institutionId, sectionId, userId, platformId: p.id };
  d.put([{ table: 'ltiEnrollment', op: 'put', row: origin }]);
  return { user: userId, role: placed.role, ...(previous ? { previous } : {}), change: previous ? 'changed' : 'added', notices };
}

function todayArg(args: Args): string {
  const v = args.today;
  if (v === undefined) return new Date().toISOString().slice(0, 10);
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw invalid('today', 'must be a date (yyyy-mm-dd)', 'format');
  return v;
}

export interface LaunchResult {
  user: string;
  userCreated: boolean;
  course: string;
  section: string;
  sectionCreated: boolean;
  role: SectionRole;
  change: Placement['change'];
  notices: string[];
}

export interface SyncResult {
  section: string;
  dryRun: boolean;
  added: { user: string; role: SectionRole }[];
  changed: { user: string; from: SectionRole; to: SectionRole }[];
  removed: { user: string; role: SectionRole }[];
  kept: { user: string; role: SectionRole; reason: string }[];
  refused: { sub: string; code: string; message: string }[];
  notices: string[];
  unchanged: number;
}

const MEMBER_STATUSES = ['Active', 'Inactive', 'Deleted'] as const;

export const ltiOps: Record<string, Operation> = {
  'lti.configure': ltiOp('lti.configure', ['id', 'name', 'issuer', 'clientId', 'deploymentIds', 'authUrl', 'jwksUrl', 'tokenUrl', 'tokenAudience', 'unit', 'roleMapping', 'userMatch', 'createUsers', 'staffRule', 'syncMinutes'], (ctx) => {
      const { world: w, args } = ctx;
      const platformId = id(args, 'id');
      const cur = w.tables.ltiPlatform.get(platformId);
      ctx.authorize('lti.configure', `institution:${w.institutionId}`);
      const issuer = args.issuer === undefined && cur ? cur.issuer : str(args, 'issuer', { max: 2000 });
      const clientId = args.clientId === undefined && cur ? cur.clientId : str(args, 'clientId', { max: 255 });
      const deployments = listArg(args, 'deploymentIds') ?? (cur ? deploymentIdsOf(cur) : undefined);
      if (!deployments) throw invalid('deploymentIds', 'is required', 'required');
      const unit = args.unit === undefined ? (cur?.unitId ?? w.rootId) : id(args, 'unit');
      if (!w.tree.units.has(unit)) throw notFound('unit', 'unit', unit);
      const matchers = listArg(args, 'userMatch') ?? (cur ? cur.userMatch.split(',') : ['email']);
      for (const m of matchers) if (!(USER_MATCHERS as readonly string[]).includes(m)) throw invalid('userMatch', `must name ${USER_MATCHERS.join(', ')}, not '${m}'`, 'enum');
      const row: LtiPlatformRow = {
        institutionId: w.institutionId,
        id: platformId,
        name: optStr(args, 'name') ?? cur?.name ?? platformId,
        issuer,
        clientId,
        deploymentIds: JSON.stringify(deployments),
        authUrl: urlArg(args, 'authUrl', cur?.authUrl),
        jwksUrl: urlArg(args, 'jwksUrl', cur?.jwksUrl),
        tokenUrl: urlArg(args, 'tokenUrl', cur?.tokenUrl),
        tokenAudience: args.tokenAudience === '' ? '' : (optStr(args, 'tokenAudience', { max: 2000 }) ?? cur?.tokenAudience ?? ''),
        unitId: unit,
        roleMapping: JSON.stringify(mappingArg(args, cur ? roleMappingOf(cur) : undefined)),
        userMatch: matchers.join(','),
        createUsers: optBool(args, 'createUsers') ?? cur?.createUsers ?? true,
        staffRule: optEnum(args, 'staffRule', STAFF_RULES) ?? cur?.staffRule ?? 'student',
        syncMinutes: syncMinutesArg(args, cur?.syncMinutes),
      };
      const twin = [...w.tables.ltiPlatform.values()].find((x) => x.id !== platformId && x.issuer === row.issuer && x.clientId === row.clientId);
      if (twin) throw conflict('duplicate', `platform ${twin.id} is already registered with issuer ${row.issuer} and client id ${row.clientId}`, 'clientId');
      const same = cur && JSON.stringify(cur) === JSON.stringify(row);
      return { changes: same ? [] : [{ table: 'ltiPlatform', op: 'put', row }], target: `lti:${platformId}`, result: row };
  }),
  'lti.remove': ltiOp('lti.configure', ['platform'], (ctx) => {
      const { world: w, args } = ctx;
      const p = platformOf(w, id(args, 'platform'));
      ctx.authorize('lti.configure', `institution:${w.institutionId}`);
      // Courses, sections, users and enrollments stay; only the links to this LMS go.
      const changes: Change[] = [
        ...[...w.tables.ltiContext.values()].filter((x) => x.platformId === p.id).map((row) => ({ table: 'ltiContext' as const, op: 'del' as const, row })),
        ...[...w.tables.ltiAccount.values()].filter((x) => x.platformId === p.id).map((row) => ({ table: 'ltiAccount' as const, op: 'del' as const, row })),
        ...[...w.tables.ltiEnrollment.values()].filter((x) => x.platformId === p.id).map((row) => ({ table: 'ltiEnrollment' as const, op: 'del' as const, row })),
        { table: 'ltiPlatform', op: 'del', row: p },
      ];
      return { changes, target: `lti:${p.id}` };
  }),
  'lti.launch': ltiOp('lti.launch', ['platform', 'deploymentId', 'context', 'person', 'today'], (ctx) => {
      const { world: w, args } = ctx;
      const p = platformOf(w, id(args, 'platform'));
      ctx.authorize('lti.launch', `institution:${w.institutionId}`, { platform: p.id });
      const deployment = str(args, 'deploymentId', { max: 255 });
      if (!deploymentIdsOf(p).includes(deployment)) throw conflict('unknownDeployment', `deployment '${deployment}' is not registered for ${p.name}`, 'deploymentId');
      const c = args.context as Args | undefined;
      if (typeof c !== 'object' || c === null) throw invalid('context', 'is required: Lectern places a launch in the section of its LMS course', 'required');
      const context = { id: str(c, 'id', { max: 255 }), title: optStr(c, 'title', { max: 1000 }) ?? '', label: optStr(c, 'label', { max: 1000 }) };
      const person = personArg(args.person, 'person');
      const today = todayArg(args);
      const { changes, value } = draft(w, (d) => {
        const { link, created } = sectionFor(d, p, context, today);
        const user = userFor(d, p, person);
        const placed = place(d, p, link.sectionId, user.userId, person.roles);
        const result: LaunchResult = {
          user: user.userId,
          userCreated: user.created,
          course: link.courseId,
          section: link.sectionId,
          sectionCreated: created,
          role: placed.role,
          change: placed.change,
          notices: placed.notices,
        };
        return result;
      });
      return { changes, target: `lti:${p.id}`, result: value };
  }),
  'lti.sync': ltiOp('lti.sync', ['platform', 'context', 'members', 'complete', 'dryRun'], (ctx) => {
      const { world: w, args } = ctx;
      const p = platformOf(w, id(args, 'platform'));
      const contextId = str(args, 'context', { max: 255 });
      const link = w.tables.ltiContext.get(`${p.id}\u0000${contextId}`);
      if (!link || !w.section(link.sectionId)) throw notFound('context', `LMS context of ${p.name}`, contextId);
      ctx.authorize('lti.sync', `section:${link.sectionId}`);
      if (!Array.isArray(args.members)) throw invalid('members', 'must be a list', 'type');
      const complete = optBool(args, 'complete') ?? true;
      const dryRun = optBool(args, 'dryRun') ?? false;
      const members = (args.members as unknown[]).map((m, i) => {
        const person = personArg(m, `members.${i}`);
        const status = optEnum(m as Args, 'status', MEMBER_STATUSES) ?? 'Active';
        return { person, status };
      });
      const { changes, value } = draft(w, (d) => {
        const r: SyncResult = { section: link.sectionId, dryRun, added: [], changed: [], removed: [], kept: [], refused: [], notices: [], unchanged: 0 };
        const present = new Set<string>();
        for (const { person, status } of members) {
          if (status !== 'Active') continue;
          const mark = d.mark();
          try {
            const user = userFor(d, p, person);
            present.add(user.userId);
            const placed = place(d, p, link.sectionId, user.userId, person.roles);
            r.notices.push(...placed.notices);
            if (placed.change === 'added') r.added.push({ user: placed.user, role: placed.role });
            else if (placed.change === 'changed') r.changed.push({ user: placed.user, from: placed.previous!, to: placed.role });
            else if (placed.change === 'kept') r.kept.push({ user: placed.user, role: placed.role, reason: 'enrolled by hand' });
            else r.unchanged++;
          } catch (e) {
            if (!(e instanceof Refused)) throw e;
            d.rollback(mark);
            r.refused.push({ sub: person.sub, code: e.refusal.code, message: e.refusal.message });
          }
        }
        // Removals: only enrollments this LMS made, of people it reports gone (or leaves out of a complete roster).
        const gone = new Set<string>();
        for (const { person, status } of members) {
          if (status === 'Active') continue;
          const acct = w.tables.ltiAccount.get(`${p.id}\u0000${person.sub}`);
          if (acct) gone.add(acct.userId);
        }
        for (const origin of [...w.tables.ltiEnrollment.values()]) {
          if (origin.sectionId !== link.sectionId || origin.platformId !== p.id) continue;
          // An empty roster is more likely an LMS fault than a course everyone left: it removes only those reported gone.
          const absentCounts = complete && present.size > 0;
          if (present.has(origin.userId) || !(gone.has(origin.userId) || absentCounts)) continue;
          const role = w.sectionRole(origin.userId, link.sectionId);
          const mark = d.mark();
          try {
            if (role) d.run('section.unenroll', { section: link.sectionId, user: origin.userId });
            d.put([{ table: 'ltiEnrollment', op: 'del', row: origin }]);
            if (role) r.removed.push({ user: origin.userId, role });
          } catch (e) {
            if (!(e instanceof Refused)) throw e;
            d.rollback(mark);
            r.refused.push({ sub: origin.userId, code: e.refusal.code, message: e.refusal.message });
          }
        }
        return r;
      });
      return { changes: dryRun ? [] : changes, target: `section:${link.sectionId}`, result: value };
  }),
};
