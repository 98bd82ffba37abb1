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
import type { Change, OneRosterLinkRow } from '../../domain/rows.js';
import { keyOf, type World } from '../../world/world.js';
import type { OpContext, Operation, Plan } from '../operation.js';
import { only, optBool, str, type Args } from '../validate.js';
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

/**
 * Plans several operations in a row against the world as the previous ones leave it, and answers
 * with all their changes as one plan; the world is put back before returning (or throwing).
 */
class Steps {
  readonly changes: Change[] = [];
  private readonly undo: Change[] = [];
  constructor(private readonly ctx: OpContext) {}

  run(op: string, args: Args): Plan {
    const plan = SUB_OPERATIONS[op]!.plan({ ...this.ctx, args });
    for (const c of plan.changes) this.put(c);
    return plan;
  }

  put(c: Change): void {
    const w = this.ctx.world;
    const before = w.current(c);
    this.undo.push(before ? ({ table: c.table, op: 'put', row: before } as Change) : { ...c, op: 'del' });
    w.apply(c);
    this.changes.push(c);
  }

  /** Records (or keeps) the link; nothing is written when it already says the same. */
  link(kind: LinkKind, sourcedId: string, lecternId: string): void {
    const cur = linkOf(this.ctx.world, kind, sourcedId);
    if (cur?.lecternId === lecternId) return;
    this.put({ table: 'onerosterLink', op: 'put', row: { institutionId: this.ctx.world.institutionId, kind, sourcedId, lecternId } });
  }

  unlink(kind: LinkKind, sourcedId: string): void {
    const cur = linkOf(this.ctx.world, kind, sourcedId);
    if (cur) this.put({ table: 'onerosterLink', op: 'del', row: cur });
  }

  restore(): void {
    const w = this.ctx.world;
    for (let i = this.undo.length - 1; i >= 0; i--) w.apply(this.undo[i]!);
  }
}

function steps(ctx: OpContext, target: string, body: (s: Steps) => void): Plan {
  const s = new Steps(ctx);
  try {
    body(s);
    return { changes: s.changes, target };
  } finally {
    s.restore();
  }
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

const opt = (args: Args, field: string): string | undefined => (typeof args[field] === 'string' && args[field] !== '' ? (args[field] as string) : undefined);
const present = <T extends Record<string, unknown>>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

const unitExists = (w: World) => (id: string) => w.tree.units.has(id);
const termExists = (w: World) => (id: string) => w.term(id) !== undefined;
const courseExists = (w: World) => (id: string) => w.course(id) !== undefined;
const sectionExists = (w: World) => (id: string) => w.section(id) !== undefined;
const userExists = (w: World) => (id: string) => w.user(id) !== undefined;

export const onerosterOps: Record<string, Operation> = {
  /** orgs.csv → an org unit under its parent org's unit (under the root when it has none). */
  'oneroster.org': {
    fields: ['sourcedId', 'remove', 'name', 'parent'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const sourcedId = str(args, 'sourcedId');
      const unitId = current(w, 'org', sourcedId, unitExists(w));
      return steps(ctx, `unit:${unitId ?? sourcedId}`, (s) => {
        if (optBool(args, 'remove')) {
          if (unitId) s.run('unit.delete', { unit: unitId });
          s.unlink('org', sourcedId);
          return;
        }
        const parentSid = opt(args, 'parent');
        if (parentSid === sourcedId) throw invalid('parent', 'an org cannot be its own parent', 'cycle');
        const parent = parentSid === undefined ? w.rootId : resolve(w, 'org', 'parent', parentSid, unitExists(w));
        const name = opt(args, 'name');
        if (unitId) s.run('unit.update', present({ unit: unitId, name, parent }));
        const id = unitId ?? newId(sourcedId, unitExists(w));
        if (!unitId) s.run('unit.create', present({ id, parent, name }));
        s.link('org', sourcedId, id);
      });
    },
  },

  /** academicSessions.csv → a term of the root unit. */
  'oneroster.academicSession': {
    fields: ['sourcedId', 'remove', 'name', 'start', 'end'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const sourcedId = str(args, 'sourcedId');
      const termId = current(w, 'academicSession', sourcedId, termExists(w));
      return steps(ctx, `term:${termId ?? sourcedId}`, (s) => {
        if (optBool(args, 'remove')) {
          if (termId) s.run('term.delete', { term: termId });
          s.unlink('academicSession', sourcedId);
          return;
        }
        const fields = { name: opt(args, 'name'), start: opt(args, 'start'), end: opt(args, 'end') };
        if (termId) s.run('term.update', present({ term: termId, ...fields }));
        const id = termId ?? newId(sourcedId, termExists(w));
        if (!termId) s.run('term.create', present({ id, ...fields }));
        s.link('academicSession', sourcedId, id);
      });
    },
  },

  /** courses.csv → a course of its org's unit. */
  'oneroster.course': {
    fields: ['sourcedId', 'remove', 'name', 'org'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const sourcedId = str(args, 'sourcedId');
      const courseId = current(w, 'course', sourcedId, courseExists(w));
      return steps(ctx, `course:${courseId ?? sourcedId}`, (s) => {
        if (optBool(args, 'remove')) {
          if (courseId) s.run('course.delete', { course: courseId });
          s.unlink('course', sourcedId);
          return;
        }
        const unit = resolve(w, 'org', 'org', str(args, 'org'), unitExists(w));
        const name = opt(args, 'name');
        if (courseId) s.run('course.update', present({ course: courseId, name, unit }));
        const id = courseId ?? newId(sourcedId, courseExists(w));
        if (!courseId) s.run('course.create', present({ id, unit, name }));
        s.link('course', sourcedId, id);
      });
    },
  },

  /** classes.csv → a section of its course in its (first) term. */
  'oneroster.class': {
    fields: ['sourcedId', 'remove', 'name', 'course', 'term'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const sourcedId = str(args, 'sourcedId');
      const sectionId = current(w, 'class', sourcedId, sectionExists(w));
      return steps(ctx, `section:${sectionId ?? sourcedId}`, (s) => {
        if (optBool(args, 'remove')) {
          if (sectionId) s.run('section.delete', { section: sectionId });
          s.unlink('class', sourcedId);
          return;
        }
        const course = resolve(w, 'course', 'course', str(args, 'course'), courseExists(w));
        const term = resolve(w, 'academicSession', 'term', str(args, 'term'), termExists(w));
        const name = opt(args, 'name');
        if (sectionId) {
          const was = w.section(sectionId)!.courseId;
          if (was !== course) throw invalid('course', `class ${sourcedId} is a section of course ${was} in Lectern, and a section cannot move to another course (delete the class and send it again)`, 'immutable');
          s.run('section.update', present({ section: sectionId, name, term }));
        }
        const id = sectionId ?? newId(sourcedId, sectionExists(w));
        if (!sectionId) s.run('section.create', present({ id, course, term, name }));
        s.link('class', sourcedId, id);
      });
    },
  },

  /**
   * users.csv → a user; `staff` (a teacher, administrator or aide) holds academic_staff at each of
   * their orgs' units, and loses it at org units they no longer belong to. `active: false`
   * deactivates (seats freed, SPEC §5).
   */
  'oneroster.user': {
    fields: ['sourcedId', 'remove', 'username', 'email', 'firstName', 'lastName', 'active', 'staff', 'orgs'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const sourcedId = str(args, 'sourcedId');
      const userId = current(w, 'user', sourcedId, userExists(w));
      return steps(ctx, `user:${userId ?? sourcedId}`, (s) => {
        if (optBool(args, 'remove')) {
          if (userId) s.run('user.delete', { user: userId });
          s.unlink('user', sourcedId);
          return;
        }
        const orgSids = Array.isArray(args.orgs) ? (args.orgs as unknown[]).map(String) : [];
        const units = orgSids.map((o) => resolve(w, 'org', 'orgs', o, unitExists(w)));
        const active = optBool(args, 'active') ?? true;
        const staff = optBool(args, 'staff') ?? false;
        const fields = { username: opt(args, 'username'), email: opt(args, 'email'), firstName: opt(args, 'firstName'), lastName: opt(args, 'lastName') };
        const id = userId ?? newId(sourcedId, (x) => userExists(w)(x) || w.userIdByUsername(x) !== undefined || w.userIdByEmail(x) !== undefined);
        if (userId) {
          if (active && w.user(userId)!.status !== 'active') s.run('user.reactivate', { user: userId });
          s.run('user.update', present({ user: userId, ...fields }));
        } else {
          s.run('user.create', present({ id, ...fields }));
        }
        s.link('user', sourcedId, id);
        const want = new Set(staff ? units : []);
        const held = w.grantsOf(id).filter((g) => g.role === 'academic_staff' && g.scopeType === 'unit');
        for (const unit of want) if (!held.some((g) => g.scopeId === unit)) s.run('role.grant', { user: id, role: 'academic_staff', scope: unit });
        const extra = held.filter((g) => !want.has(g.scopeId));
        if (extra.length > 0) {
          // Only the grants at org units some import made are OneRoster's to take back.
          const orgUnits = new Set<string>();
          for (const l of w.tables.onerosterLink.values()) if (l.kind === 'org') orgUnits.add(l.lecternId);
          for (const g of extra) if (orgUnits.has(g.scopeId)) s.run('role.revoke', { user: id, role: 'academic_staff', scope: g.scopeId });
        }
        if (!active) s.run('user.deactivate', { user: id });
      });
    },
  },

  /** enrollments.csv → a user's role in a section (the role already translated to Lectern's). */
  'oneroster.enrollment': {
    fields: ['sourcedId', 'remove', 'class', 'user', 'role'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const sourcedId = str(args, 'sourcedId');
      const link = linkOf(w, 'enrollment', sourcedId);
      const [wasSection, wasUser] = link ? link.lecternId.split('/') : [];
      const was = wasSection && wasUser && w.sectionRole(wasUser, wasSection) !== undefined ? { section: wasSection, user: wasUser } : undefined;
      if (optBool(args, 'remove')) {
        return steps(ctx, `section:${was?.section ?? sourcedId}`, (s) => {
          if (was) s.run('section.unenroll', was);
          s.unlink('enrollment', sourcedId);
        });
      }
      const section = resolve(w, 'class', 'class', str(args, 'class'), sectionExists(w));
      const user = resolve(w, 'user', 'user', str(args, 'user'), userExists(w));
      const role = str(args, 'role');
      // The common case (a re-import): the same enrollment, already linked. One plan, no steps.
      if (was && was.section === section && was.user === user) {
        return SUB_OPERATIONS['section.enroll']!.plan({ ...ctx, args: { section, user, role } });
      }
      if (!was) {
        // A new enrollment: the link does not bear on the enrollment, so one plan and the link beside it.
        const plan = SUB_OPERATIONS['section.enroll']!.plan({ ...ctx, args: { section, user, role } });
        const lecternId = `${section}/${user}`;
        if (link?.lecternId === lecternId) return plan;
        return { ...plan, changes: [...plan.changes, { table: 'onerosterLink', op: 'put', row: { institutionId: w.institutionId, kind: 'enrollment', sourcedId, lecternId } }] };
      }
      return steps(ctx, `section:${section}`, (s) => {
        s.run('section.unenroll', was);
        s.run('section.enroll', { section, user, role });
        s.link('enrollment', sourcedId, `${section}/${user}`);
      });
    },
  },
};
