/**
 * OneRoster rows (docs/PROVISIONING.md): one operation per OneRoster object kind, each naming the
 * object by its sourcedId. A row finds the Lectern object an earlier import linked to that sourcedId,
 * then creates, updates or deletes it through the ordinary operations (unit.create, user.update,
 * role.grant, section.enroll, …), which authorize the actor and validate as they do for the API;
 * the link row is written in the same plan, so a row is applied or refused as a whole.
 *
 * Arguments reference other objects by their sourcedIds too (`parent`, `org`, `course`, `term`,
 * `orgs`, `class`, `user`); a reference that no import has linked is refused as notFound.
 * These ops hold no rule of their own: every decision is the underlying operation's.
 */
import { createHash } from 'node:crypto';
import { invalid, notFound } from '../../domain/outcome.js';
import type { OneRosterLinkRow } from '../../domain/rows.js';
import { keyOf, type World } from '../../world/world.js';
import { type CompositeContext, defineComposite } from '../composite.js';
import type { Operation } from '../operation.js';
import { type Args, bool, optional, passed, text } from '../validate.js';
import { roleOps } from './role.js';
import { teachingOps } from './teaching.js';
import { unitOps } from './unit.js';
import { userOps } from './user.js';

export type LinkKind = 'org' | 'academicSession' | 'course' | 'class' | 'user' | 'enrollment';

const SUB_OPERATIONS: Record<string, Operation> = { ...unitOps, ...userOps, ...roleOps, ...teachingOps };

/** The link of a sourcedId of a kind, if an import made one. */
export function linkOf(w: World, kind: LinkKind, sourcedId: string): OneRosterLinkRow | undefined {
  return w.tables.onerosterLink.get(keyOf('onerosterLink', { institutionId: w.institutionId, kind, sourcedId }));
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/**
 * The id a new object gets: the sourcedId itself when it is a valid Lectern id that nothing of that
 * kind holds yet, otherwise one derived from it (`or-` and a digest), so an import never takes over
 * an object it did not create.
 */
function newId(sourcedId: string, taken: (id: string) => boolean): string {
  if (ID.test(sourcedId) && !taken(sourcedId)) return sourcedId;
  const digest = createHash('sha256').update(sourcedId).digest('hex');
  for (let n = 16; n <= digest.length; n += 8) {
    const candidate = `or-${digest.slice(0, n)}`;
    if (!taken(candidate)) return candidate;
  }
  throw invalid('sourcedId', `no free Lectern id for '${sourcedId}'`, 'format');
}

type Ctx = CompositeContext<Args>;

/** The next step: one of the ordinary operations, by name. */
function run(ctx: Ctx, op: string, args: Args): void {
  ctx.step(SUB_OPERATIONS[op]!, { ...args });
}

/** Records (or keeps) the link; nothing is written when it already says the same. */
function link(ctx: Ctx, kind: LinkKind, sourcedId: string, lecternId: string): void {
  const cur = linkOf(ctx.world, kind, sourcedId);
  if (cur?.lecternId === lecternId) return;
  ctx.add({ table: 'onerosterLink', op: 'put', row: { institutionId: ctx.world.institutionId, kind, sourcedId, lecternId } });
}

function unlink(ctx: Ctx, kind: LinkKind, sourcedId: string): void {
  const cur = linkOf(ctx.world, kind, sourcedId);
  if (cur) ctx.add({ table: 'onerosterLink', op: 'del', row: cur });
}

/** The Lectern id a sourcedId reference resolves to, or notFound naming the argument. */
function resolve(w: World, kind: LinkKind, field: string, sourcedId: string, exists: (id: string) => boolean): string {
  const l = linkOf(w, kind, sourcedId);
  if (!l || !exists(l.lecternId)) throw notFound(field, `${kind} with sourcedId`, sourcedId);
  return l.lecternId;
}

/** The linked object, if the link still names one that exists (it may have been deleted since). */
function current(w: World, kind: LinkKind, sourcedId: string, exists: (id: string) => boolean): string | undefined {
  const l = linkOf(w, kind, sourcedId);
  return l && exists(l.lecternId) ? l.lecternId : undefined;
}

/** An argument a row must have (the reader passes rows through; this names the missing field). */
function required(v: string | undefined, field: string): string {
  if (v === undefined) throw invalid(field, 'is required', 'required');
  return v;
}

const opt = (args: Args, field: string): string | undefined => (typeof args[field] === 'string' && args[field] !== '' ? (args[field] as string) : undefined);
const present = <T extends Record<string, unknown>>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

const unitExists = (w: World) => (id: string) => w.tree.units.has(id);
const termExists = (w: World) => (id: string) => w.term(id) !== undefined;
const courseExists = (w: World) => (id: string) => w.course(id) !== undefined;
const sectionExists = (w: World) => (id: string) => w.section(id) !== undefined;
const userExists = (w: World) => (id: string) => w.user(id) !== undefined;

export const onerosterOps: Record<string, Operation> = {
  /** orgs.csv → an org unit under its parent org's unit (under the root when it has none). */
  'oneroster.org': defineComposite({
    action: 'unit.create',
    args: { sourcedId: text(), remove: optional(bool()), name: optional(passed()), parent: optional(passed()) },
    plan(ctx) {
      const { world: w, args } = ctx;
      const sourcedId = args.sourcedId;
      const unitId = current(w, 'org', sourcedId, unitExists(w));
      const target = `unit:${unitId ?? sourcedId}`;
      if (args.remove) {
        if (unitId) run(ctx, 'unit.delete', { unit: unitId });
        unlink(ctx, 'org', sourcedId);
        return { target };
      }
      const parentSid = opt(args, 'parent');
      if (parentSid === sourcedId) throw invalid('parent', 'an org cannot be its own parent', 'cycle');
      const parent = parentSid === undefined ? w.rootId : resolve(w, 'org', 'parent', parentSid, unitExists(w));
      const name = opt(args, 'name');
      if (unitId) run(ctx, 'unit.update', present({ unit: unitId, name, parent }));
      const id = unitId ?? newId(sourcedId, unitExists(w));
      if (!unitId) run(ctx, 'unit.create', present({ id, parent, name }));
      link(ctx, 'org', sourcedId, id);
      return { target };
    },
  }),

  /** academicSessions.csv → a term of the root unit. */
  'oneroster.academicSession': defineComposite({
    action: 'term.create',
    args: { sourcedId: text(), remove: optional(bool()), name: optional(passed()), start: optional(passed()), end: optional(passed()) },
    plan(ctx) {
      const { world: w, args } = ctx;
      const sourcedId = args.sourcedId;
      const termId = current(w, 'academicSession', sourcedId, termExists(w));
      const target = `term:${termId ?? sourcedId}`;
      if (args.remove) {
        if (termId) run(ctx, 'term.delete', { term: termId });
        unlink(ctx, 'academicSession', sourcedId);
        return { target };
      }
      const fields = { name: opt(args, 'name'), start: opt(args, 'start'), end: opt(args, 'end') };
      if (termId) run(ctx, 'term.update', present({ term: termId, ...fields }));
      const id = termId ?? newId(sourcedId, termExists(w));
      if (!termId) run(ctx, 'term.create', present({ id, ...fields }));
      link(ctx, 'academicSession', sourcedId, id);
      return { target };
    },
  }),

  /** courses.csv → a course of its org's unit. */
  'oneroster.course': defineComposite({
    action: 'course.create',
    args: { sourcedId: text(), remove: optional(bool()), name: optional(passed()), org: optional(text()) },
    plan(ctx) {
      const { world: w, args } = ctx;
      const sourcedId = args.sourcedId;
      const courseId = current(w, 'course', sourcedId, courseExists(w));
      const target = `course:${courseId ?? sourcedId}`;
      if (args.remove) {
        if (courseId) run(ctx, 'course.delete', { course: courseId });
        unlink(ctx, 'course', sourcedId);
        return { target };
      }
      const unit = resolve(w, 'org', 'org', required(args.org, 'org'), unitExists(w));
      const name = opt(args, 'name');
      if (courseId) run(ctx, 'course.update', present({ course: courseId, name, unit }));
      const id = courseId ?? newId(sourcedId, courseExists(w));
      if (!courseId) run(ctx, 'course.create', present({ id, unit, name }));
      link(ctx, 'course', sourcedId, id);
      return { target };
    },
  }),

  /** classes.csv → a section of its course in its (first) term. */
  'oneroster.class': defineComposite({
    action: 'section.create',
    args: { sourcedId: text(), remove: optional(bool()), name: optional(passed()), course: optional(text()), term: optional(text()) },
    plan(ctx) {
      const { world: w, args } = ctx;
      const sourcedId = args.sourcedId;
      const sectionId = current(w, 'class', sourcedId, sectionExists(w));
      const target = `section:${sectionId ?? sourcedId}`;
      if (args.remove) {
        if (sectionId) run(ctx, 'section.delete', { section: sectionId });
        unlink(ctx, 'class', sourcedId);
        return { target };
      }
      const course = resolve(w, 'course', 'course', required(args.course, 'course'), courseExists(w));
      const term = resolve(w, 'academicSession', 'term', required(args.term, 'term'), termExists(w));
      const name = opt(args, 'name');
      if (sectionId) {
        const was = w.section(sectionId)!.courseId;
        if (was !== course) throw invalid('course', `class ${sourcedId} is a section of course ${was} in Lectern, and a section cannot move to another course (delete the class and send it again)`, 'immutable');
        run(ctx, 'section.update', present({ section: sectionId, name, term }));
      }
      const id = sectionId ?? newId(sourcedId, sectionExists(w));
      if (!sectionId) run(ctx, 'section.create', present({ id, course, term, name }));
      link(ctx, 'class', sourcedId, id);
      return { target };
    },
  }),

  /**
   * users.csv → a user; `staff` (a teacher, administrator or aide) holds academic_staff at each of
   * their orgs' units, and loses it at org units they no longer belong to. `active: false`
   * deactivates (seats freed, SPEC §5).
   */
  'oneroster.user': defineComposite({
    action: 'user.create',
    args: {
      sourcedId: text(),
      remove: optional(bool()),
      username: optional(passed()),
      email: optional(passed()),
      firstName: optional(passed()),
      lastName: optional(passed()),
      active: optional(bool()),
      staff: optional(bool()),
      orgs: optional(passed()),
    },
    plan(ctx) {
      const { world: w, args } = ctx;
      const sourcedId = args.sourcedId;
      const userId = current(w, 'user', sourcedId, userExists(w));
      const target = `user:${userId ?? sourcedId}`;
      if (args.remove) {
        if (userId) run(ctx, 'user.delete', { user: userId });
        unlink(ctx, 'user', sourcedId);
        return { target };
      }
      const orgSids = Array.isArray(args.orgs) ? (args.orgs as unknown[]).map(String) : [];
      const units = orgSids.map((o) => resolve(w, 'org', 'orgs', o, unitExists(w)));
      const active = args.active ?? true;
      const staff = args.staff ?? false;
      const fields = { username: opt(args, 'username'), email: opt(args, 'email'), firstName: opt(args, 'firstName'), lastName: opt(args, 'lastName') };
      const id = userId ?? newId(sourcedId, (x) => userExists(w)(x) || w.userIdByUsername(x) !== undefined || w.userIdByEmail(x) !== undefined);
      if (userId) {
        if (active && w.user(userId)!.status !== 'active') run(ctx, 'user.reactivate', { user: userId });
        run(ctx, 'user.update', present({ user: userId, ...fields }));
      } else {
        run(ctx, 'user.create', present({ id, ...fields }));
      }
      link(ctx, 'user', sourcedId, id);
      const want = new Set(staff ? units : []);
      const held = w.grantsOf(id).filter((g) => g.role === 'academic_staff' && g.scopeType === 'unit');
      for (const unit of want) if (!held.some((g) => g.scopeId === unit)) run(ctx, 'role.grant', { user: id, role: 'academic_staff', scope: unit });
      const extra = held.filter((g) => !want.has(g.scopeId));
      if (extra.length > 0) {
        // Only the grants at org units some import made are OneRoster's to take back.
        const orgUnits = new Set<string>();
        for (const l of w.tables.onerosterLink.values()) if (l.kind === 'org') orgUnits.add(l.lecternId);
        for (const g of extra) if (orgUnits.has(g.scopeId)) run(ctx, 'role.revoke', { user: id, role: 'academic_staff', scope: g.scopeId });
      }
      if (!active) run(ctx, 'user.deactivate', { user: id });
      return { target };
    },
  }),

  /** enrollments.csv → a user's role in a section (the role already translated to Lectern's). */
  'oneroster.enrollment': defineComposite({
    action: 'section.enroll',
    args: { sourcedId: text(), remove: optional(bool()), class: optional(text()), user: optional(text()), role: optional(text(64)) },
    plan(ctx) {
      const { world: w, args } = ctx;
      const sourcedId = args.sourcedId;
      const prior = linkOf(w, 'enrollment', sourcedId);
      const [wasSection, wasUser] = prior ? prior.lecternId.split('/') : [];
      const was = wasSection && wasUser && w.sectionRole(wasUser, wasSection) !== undefined ? { section: wasSection, user: wasUser } : undefined;
      if (args.remove) {
        if (was) run(ctx, 'section.unenroll', was);
        unlink(ctx, 'enrollment', sourcedId);
        return { target: `section:${was?.section ?? sourcedId}` };
      }
      const section = resolve(w, 'class', 'class', required(args.class, 'class'), sectionExists(w));
      const user = resolve(w, 'user', 'user', required(args.user, 'user'), userExists(w));
      const role = required(args.role, 'role');
      // The common case (a re-import): the same enrollment, already linked. One plan, no steps.
      if (was && was.section === section && was.user === user) {
        run(ctx, 'section.enroll', { section, user, role });
        return { target: `section:${section}` };
      }
      if (was) run(ctx, 'section.unenroll', was);
      run(ctx, 'section.enroll', { section, user, role });
      link(ctx, 'enrollment', sourcedId, `${section}/${user}`);
      return { target: `section:${section}` };
    },
  }),
};
