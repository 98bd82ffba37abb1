/**
 * The CSV kinds of SPEC §10 beside licenses: users, org units, terms, courses, sections,
 * enrollments, capture schedules and collection members (docs/IMPORTS.md lists their columns).
 *
 * Every kind has an optional `Action` column: create, update, delete, or empty for an upsert
 * (create when absent, update when present). A row becomes one `import.<kind>` operation, which
 * decides create or update against the world as the rows before it left it, and then runs the
 * ordinary operations (user.create, section.enroll, …): they authorize the actor, validate and plan,
 * so an import row is refused exactly as the same request through the API would be. Only the
 * columns present in the file (and not empty) are passed on, so an update never blanks a field.
 * Exports write the rows the actor may see, with an empty Action, so an export read back as an
 * import changes nothing: every row reports `unchanged`.
 */
import { USER_STATUSES } from '../../domain/catalog.js';
import { conflict, invalid, notFound } from '../../domain/outcome.js';
import type { Change } from '../../domain/rows.js';
import { decide, LISTED_ONLY, type Principal } from '../../policy/index.js';
import { ROLE_LABEL } from '../../domain/catalog.js';
import { labelOf } from '../../domain/labels.js';
import type { World } from '../../world/world.js';
import type { BatchRow } from '../lectern.js';
import { BASE_OPERATIONS } from '../operations.js';
import { custom, defineOp, type Operation, type Plan } from '../operation.js';
import { type Args, type Field, oneOf, optional, passed } from '../validate.js';
import type { ImportKind } from './csv.js';
import { licenseKind } from './licenses.js';

const MODES = ['create', 'update', 'delete'] as const;

/** Who runs a row, against which world: the sub-operations a row becomes run with the same. */
interface RowContext {
  world: World;
  principal: Principal;
}

interface Spec {
  name: string;
  columns: readonly string[];
  optional: readonly string[];
  key: readonly string[];
  /** Column → the argument of the `import.<kind>` operation it fills. */
  argOf: Record<string, string>;
  /** Argument of the underlying operations → column, to name the column in a row's reason. */
  columnOf: Record<string, string>;
  exists(w: World, a: Record<string, unknown>): boolean;
  create(ctx: RowContext, a: Record<string, unknown>): Plan;
  update(ctx: RowContext, a: Record<string, unknown>): Plan;
  remove(ctx: RowContext, a: Record<string, unknown>): Plan;
  exportRows(w: World, p: Principal): Iterable<string[]>;
}

/** Runs another operation's steps (read, load, authorize, plan) with the same world and principal. */
function call(ctx: RowContext, op: string, args: Args): Plan {
  const operation = BASE_OPERATIONS[op];
  if (!operation) throw new Error(`no operation ${op}`);
  return operation.evaluate(ctx.world, ctx.principal, args).plan;
}

/** The arguments that are present: an absent or empty cell passes nothing. */
function pick(a: Record<string, unknown>, names: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [from, to] of Object.entries(names)) if (a[from] !== undefined) out[to] = a[from];
  return out;
}

/**
 * Plans `first`, then `next` against the world as `first` would leave it; the world is put back
 * before returning, so the combined plan is applied (or dropped) as one.
 */
function then(ctx: RowContext, first: Plan, next: () => Plan | undefined): Plan {
  const w = ctx.world;
  const undo: Change[] = [];
  for (const c of first.changes) {
    const before = w.current(c);
    undo.push(before ? ({ table: c.table, op: 'put', row: before } as Change) : { ...c, op: 'del' });
    w.apply(c);
  }
  try {
    const second = next();
    return second ? { changes: [...first.changes, ...second.changes], target: first.target, result: second.result ?? first.result } : first;
  } finally {
    for (let i = undo.length - 1; i >= 0; i--) w.apply(undo[i]!);
  }
}

/** A column that names what the row is about cannot change on update (e.g. a section's course). */
function fixed(a: Record<string, unknown>, arg: string, current: string | null, what: string): void {
  const v = a[arg];
  if (v !== undefined && v !== (current ?? '')) {
    throw invalid(arg, `${what} is ${current === null ? 'not set' : `'${current}'`} and cannot be changed by an import, not to '${String(v)}' (delete the row and create it again)`, 'immutable');
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const byId = <T extends { id: string }>(rows: Iterable<T>): T[] => [...rows].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
const allowed = (w: World, p: Principal, action: string, resource: string, context?: Record<string, unknown>) => decide(w, p, action, resource, context).allow;

const users: Spec = {
  name: 'users',
  columns: ['Action', 'Id', 'Username', 'Email', 'First Name', 'Last Name', 'Identity Provider', 'Status'],
  optional: ['Action', 'Username', 'Email', 'First Name', 'Last Name', 'Identity Provider', 'Status'],
  key: ['Id'],
  argOf: { Id: 'id', Username: 'username', Email: 'email', 'First Name': 'firstName', 'Last Name': 'lastName', 'Identity Provider': 'identityProvider', Status: 'status' },
  columnOf: { id: 'Id', user: 'Id', username: 'Username', email: 'Email', firstName: 'First Name', lastName: 'Last Name', identityProvider: 'Identity Provider', status: 'Status' },
  exists: (w, a) => typeof a.id === 'string' && w.user(a.id) !== undefined,
  create: (ctx, a) => call(ctx, 'user.create', a),
  update(ctx, a) {
    const status = a.status === undefined ? undefined : oneOf(USER_STATUSES).read(a.status, 'status');
    const p = call(ctx, 'user.update', pick(a, { id: 'user', username: 'username', email: 'email', firstName: 'firstName', lastName: 'lastName', identityProvider: 'identityProvider' }));
    if (status === undefined) return p;
    // Status is not an update: deactivating frees license seats (SPEC §5), so it is its own operation.
    return then(ctx, p, () => call(ctx, status === 'active' ? 'user.reactivate' : 'user.deactivate', { user: a.id }));
  },
  remove: (ctx, a) => call(ctx, 'user.delete', { user: a.id }),
  *exportRows(w, p) {
    for (const u of byId(w.users.values())) {
      if (allowed(w, p, 'user.view', `user:${u.id}`)) yield ['', u.id, u.username, u.email, u.firstName, u.lastName, u.identityProvider, u.status];
    }
  },
};

const units: Spec = {
  name: 'units',
  columns: ['Action', 'Id', 'Parent', 'Name'],
  optional: ['Action', 'Parent', 'Name'],
  key: ['Id'],
  argOf: { Id: 'id', Parent: 'parent', Name: 'name' },
  columnOf: { id: 'Id', unit: 'Id', parent: 'Parent', name: 'Name' },
  exists: (w, a) => typeof a.id === 'string' && w.tree.units.has(a.id),
  create: (ctx, a) => call(ctx, 'unit.create', a),
  update: (ctx, a) => call(ctx, 'unit.update', pick(a, { id: 'unit', name: 'name', parent: 'parent' })),
  remove: (ctx, a) => call(ctx, 'unit.delete', { unit: a.id }),
  *exportRows(w, p) {
    // Parents before children, so that the file creates a tree in order. A unit is exported when
    // the actor may manage it (rename, move, delete): from above it, or the root as a system admin.
    const stack = [w.rootId];
    while (stack.length) {
      const id = stack.pop()!;
      const u = w.tree.units.get(id)!;
      if (allowed(w, p, 'unit.update', `unit:${id}`)) yield ['', id, u.parentId ?? '', u.name];
      stack.push(...[...w.tree.childrenOf(id)].reverse());
    }
  },
};

const terms: Spec = {
  name: 'terms',
  columns: ['Action', 'Id', 'Unit', 'Name', 'Start', 'End'],
  optional: ['Action', 'Unit', 'Name', 'Start', 'End'],
  key: ['Id'],
  argOf: { Id: 'id', Unit: 'unit', Name: 'name', Start: 'start', End: 'end' },
  columnOf: { id: 'Id', term: 'Id', unit: 'Unit', name: 'Name', start: 'Start', end: 'End' },
  exists: (w, a) => typeof a.id === 'string' && w.term(a.id) !== undefined,
  create: (ctx, a) => call(ctx, 'term.create', a),
  update(ctx, a) {
    const p = call(ctx, 'term.update', pick(a, { id: 'term', name: 'name', start: 'start', end: 'end' }));
    fixed(a, 'unit', ctx.world.term(a.id as string)!.unitId, `term ${String(a.id)}'s unit`);
    return p;
  },
  remove: (ctx, a) => call(ctx, 'term.delete', { term: a.id }),
  *exportRows(w, p) {
    for (const t of byId(w.tables.term.values())) if (allowed(w, p, 'term.update', `term:${t.id}`)) yield ['', t.id, t.unitId, t.name, t.startDate, t.endDate];
  },
};

const courses: Spec = {
  name: 'courses',
  columns: ['Action', 'Id', 'Unit', 'Name'],
  optional: ['Action', 'Unit', 'Name'],
  key: ['Id'],
  argOf: { Id: 'id', Unit: 'unit', Name: 'name' },
  columnOf: { id: 'Id', course: 'Id', unit: 'Unit', name: 'Name' },
  exists: (w, a) => typeof a.id === 'string' && w.course(a.id) !== undefined,
  create: (ctx, a) => call(ctx, 'course.create', a),
  update: (ctx, a) => call(ctx, 'course.update', pick(a, { id: 'course', name: 'name', unit: 'unit' })),
  remove: (ctx, a) => call(ctx, 'course.delete', { course: a.id }),
  *exportRows(w, p) {
    for (const c of byId(w.tables.course.values())) if (allowed(w, p, 'course.update', `course:${c.id}`)) yield ['', c.id, c.unitId, c.name];
  },
};

const sections: Spec = {
  name: 'sections',
  columns: ['Action', 'Id', 'Course', 'Term', 'Name'],
  optional: ['Action', 'Course', 'Term', 'Name'],
  key: ['Id'],
  argOf: { Id: 'id', Course: 'course', Term: 'term', Name: 'name' },
  columnOf: { id: 'Id', section: 'Id', course: 'Course', term: 'Term', name: 'Name' },
  exists: (w, a) => typeof a.id === 'string' && w.section(a.id) !== undefined,
  create: (ctx, a) => call(ctx, 'section.create', a),
  update(ctx, a) {
    const p = call(ctx, 'section.update', pick(a, { id: 'section', name: 'name', term: 'term' }));
    fixed(a, 'course', ctx.world.section(a.id as string)!.courseId, `section ${String(a.id)}'s course`);
    return p;
  },
  remove: (ctx, a) => call(ctx, 'section.delete', { section: a.id }),
  *exportRows(w, p) {
    for (const s of byId(w.tables.section.values())) if (allowed(w, p, 'section.update', `section:${s.id}`)) yield ['', s.id, s.courseId, s.termId, s.name];
  },
};

const enrollments: Spec = {
  name: 'enrollments',
  columns: ['Action', 'Section', 'User', 'Role'],
  optional: ['Action'],
  key: ['Section', 'User'],
  argOf: { Section: 'section', User: 'user', Role: 'role' },
  columnOf: { section: 'Section', user: 'User', role: 'Role' },
  exists: (w, a) => typeof a.section === 'string' && typeof a.user === 'string' && w.sectionRole(a.user, a.section) !== undefined,
  create(ctx, a) {
    const was = ctx.world.sectionRole(String(a.user), String(a.section));
    const p = call(ctx, 'section.enroll', a);
    if (was !== undefined) throw conflict('alreadyEnrolled', `${String(a.user)} is already enrolled in section ${String(a.section)} (as ${was}); leave Action empty or write update to change the role`, 'user');
    return p;
  },
  update(ctx, a) {
    const p = call(ctx, 'section.enroll', a);
    if (!this.exists(ctx.world, a)) throw notFound('user', `enrollment in section ${String(a.section)} of user`, String(a.user));
    return p;
  },
  remove: (ctx, a) => call(ctx, 'section.unenroll', { section: a.section, user: a.user }),
  *exportRows(w, p) {
    // The enrollments the actor could write: a scheduler sees the instructors of their units' sections.
    for (const s of byId(w.tables.section.values())) {
      const enrolled = [...w.enrolled(s.id)].sort((x, y) => (x[0] < y[0] ? -1 : 1));
      for (const [user, role] of enrolled) if (allowed(w, p, 'section.enroll', `section:${s.id}`, { user, role })) yield ['', s.id, user, role];
    }
  },
};

const schedules: Spec = {
  name: 'schedules',
  columns: ['Action', 'Id', 'Section', 'Unit', 'Presenter', 'Room', 'Name'],
  optional: ['Action', 'Section', 'Unit', 'Presenter', 'Room', 'Name'],
  key: ['Id'],
  argOf: { Id: 'id', Section: 'section', Unit: 'unit', Presenter: 'presenter', Room: 'room', Name: 'name' },
  columnOf: { id: 'Id', schedule: 'Id', section: 'Section', unit: 'Unit', presenter: 'Presenter', room: 'Room', name: 'Name' },
  exists: (w, a) => typeof a.id === 'string' && w.schedule(a.id) !== undefined,
  create: (ctx, a) => call(ctx, 'schedule.create', a),
  update(ctx, a) {
    const p = call(ctx, 'schedule.update', pick(a, { id: 'schedule', presenter: 'presenter', room: 'room', name: 'name' }));
    const cur = ctx.world.schedule(a.id as string)!;
    fixed(a, 'section', cur.sectionId, `schedule ${cur.id}'s section`);
    fixed(a, 'unit', cur.unitId, `schedule ${cur.id}'s unit`);
    return p;
  },
  remove: (ctx, a) => call(ctx, 'schedule.delete', { schedule: a.id }),
  *exportRows(w, p) {
    for (const s of byId(w.tables.schedule.values())) {
      if (allowed(w, p, 'schedule.update', `schedule:${s.id}`)) yield ['', s.id, s.sectionId ?? '', s.unitId, s.presenterId ?? '', s.roomId ?? '', s.name];
    }
  },
};

/** `add;post` (or `add,post`) → the list collection operations take. */
function permissionList(a: Record<string, unknown>): Record<string, unknown> {
  const raw = str(a.permissions);
  if (raw === undefined) return a;
  return { ...a, permissions: raw.split(/[;,]/).map((x) => x.trim()).filter(Boolean) };
}

const members: Spec = {
  name: 'members',
  columns: ['Action', 'Collection', 'User', 'Level', 'Permissions'],
  optional: ['Action', 'Permissions'],
  key: ['Collection', 'User'],
  argOf: { Collection: 'collection', User: 'user', Level: 'level', Permissions: 'permissions' },
  columnOf: { collection: 'Collection', user: 'User', level: 'Level', permissions: 'Permissions' },
  exists: (w, a) => typeof a.collection === 'string' && typeof a.user === 'string' && w.collectionMember(a.collection, a.user) !== undefined,
  create: (ctx, a) => call(ctx, 'collection.addMember', permissionList(a)),
  update: (ctx, a) => call(ctx, 'collection.updateMember', permissionList(a)),
  remove: (ctx, a) => call(ctx, 'collection.removeMember', { collection: a.collection, user: a.user }),
  *exportRows(w, p) {
    for (const c of byId(w.tables.collection.values())) {
      if (!allowed(w, p, 'collection.view', `collection:${c.id}`)) continue;
      const list = [...w.collectionMembers(c.id).values()].sort((x, y) => (x.userId < y.userId ? -1 : 1));
      for (const m of list) yield ['', c.id, m.userId, m.level, m.level === 'custom' ? m.permissions.split(',').filter(Boolean).join(';') : ''];
    }
  },
};

/**
 * Role grants (docs/ROLES.md): staff roles and custom roles, by id. Every row is role.grant (or
 * role.revoke on delete), so a row is refused exactly as the grant would be. `Role Name` is the
 * role's display name (the institution's), written by exports and ignored on import.
 */
const roleGrants: Spec = {
  name: 'roles',
  columns: ['Action', 'User', 'Role', 'Scope', 'Role Name'],
  optional: ['Action', 'Scope', 'Role Name'],
  key: ['User', 'Role', 'Scope'],
  argOf: { User: 'user', Role: 'role', Scope: 'scope' },
  columnOf: { user: 'User', role: 'Role', scope: 'Scope' },
  exists: (w, a) => typeof a.user === 'string' && (w.grantsOf(a.user).some((g) => g.role === a.role) || (w.customGrantsOf(a.user) ?? []).some((g) => g.roleId === a.role)),
  // A grant that is already held changes nothing, so create, update and upsert are all role.grant.
  create: (ctx, a) => call(ctx, 'role.grant', a),
  update: (ctx, a) => call(ctx, 'role.grant', a),
  remove: (ctx, a) => call(ctx, 'role.revoke', a),
  *exportRows(w, p) {
    const labels = w.roleLabels();
    for (const u of byId(w.users.values())) {
      for (const g of w.grantsOf(u.id)) {
        if (g.scopeType === 'none' && g.scopeId === LISTED_ONLY) continue; // the holding row of an admin listed at units
        const scope = g.scopeType === 'unit' ? g.scopeId : g.scopeType === 'platform' ? 'platform' : '';
        const ctx = { user: u.id, role: g.role, ...(scope ? { scope } : {}) };
        if (allowed(w, p, 'role.grant', `user:${u.id}`, ctx)) yield ['', u.id, g.role, scope, labelOf(g.role, ROLE_LABEL[g.role], labels)];
      }
      for (const g of w.customGrantsOf(u.id) ?? []) {
        const scope = g.scopeType === 'section' ? `section:${g.scopeId}` : g.scopeId;
        if (allowed(w, p, 'role.grant', `user:${u.id}`, { user: u.id, role: g.roleId, scope })) yield ['', u.id, g.roleId, scope, w.customRole(g.roleId)?.name ?? g.roleId];
      }
    }
  },
};

/**
 * Rooms (issue 20: the room export). Outside the hierarchy, so an export holds every room the actor
 * sees (staff see all); each row's change is the ordinary room operation.
 */
const rooms: Spec = {
  name: 'rooms',
  columns: ['Action', 'Id', 'Name'],
  optional: ['Action', 'Name'],
  key: ['Id'],
  argOf: { Id: 'id', Name: 'name' },
  columnOf: { id: 'Id', room: 'Id', name: 'Name' },
  exists: (w, a) => typeof a.id === 'string' && w.room(a.id) !== undefined,
  create: (ctx, a) => call(ctx, 'room.create', a),
  update: (ctx, a) => call(ctx, 'room.configure', pick(a, { id: 'room', name: 'name' })),
  remove: (ctx, a) => call(ctx, 'room.delete', { room: a.id }),
  *exportRows(w, p) {
    for (const r of byId(w.tables.room.values())) if (allowed(w, p, 'room.view', `room:${r.id}`)) yield ['', r.id, r.name];
  },
};

/** Capture devices and the room each is in (empty: in no room). */
const devices: Spec = {
  name: 'devices',
  columns: ['Action', 'Id', 'Room', 'Name'],
  optional: ['Action', 'Room', 'Name'],
  key: ['Id'],
  argOf: { Id: 'id', Room: 'room', Name: 'name' },
  columnOf: { id: 'Id', device: 'Id', room: 'Room', name: 'Name' },
  exists: (w, a) => typeof a.id === 'string' && w.device(a.id) !== undefined,
  create: (ctx, a) => call(ctx, 'device.register', a),
  update(ctx, a) {
    const cur = ctx.world.device(a.id as string)!;
    const named = a.name === undefined ? undefined : call(ctx, 'device.configure', { device: a.id, name: a.name });
    const moved = () => (a.room === undefined || a.room === (cur.roomId ?? '') ? undefined : call(ctx, 'device.assign', { device: a.id, room: a.room }));
    return named ? then(ctx, named, moved) : (moved() ?? { changes: [], target: `device:${cur.id}`, result: cur });
  },
  remove: (ctx, a) => call(ctx, 'device.delete', { device: a.id }),
  *exportRows(w, p) {
    for (const d of byId(w.tables.device.values())) if (allowed(w, p, 'device.view', `device:${d.id}`)) yield ['', d.id, d.roomId ?? '', d.name];
  },
};

const SPECS: readonly Spec[] = [users, units, terms, courses, sections, enrollments, schedules, members, roleGrants, rooms, devices];

/**
 * The operation one row of a kind becomes: create, update, delete or upsert, decided at plan time.
 * It is checked as `import.run` of its kind; the operations it becomes read the cells and check each
 * change as they would through the API.
 */
function rowOperation(spec: Spec): Operation {
  const cells: Record<string, Field> = {};
  for (const arg of Object.values(spec.argOf)) cells[arg] = optional(passed());
  return defineOp({
    action: 'import.run',
    args: { action: optional(oneOf(MODES)), ...cells },
    on: custom(({ world }) => ({ resource: `institution:${world.institutionId}`, context: { kind: spec.name } })),
    plan({ world, principal, args }) {
      const { action, ...given } = args;
      const a: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(given)) if (v !== undefined) a[k] = v;
      const ctx = { world, principal };
      const mode = action ?? (spec.exists(world, a) ? 'update' : 'create');
      if (mode === 'delete') return spec.remove(ctx, a);
      return mode === 'create' ? spec.create(ctx, a) : spec.update(ctx, a);
    },
  });
}

/** The row operations, which join Lectern's operations so Lectern.runRows plans them like any other. */
export const importOperations: Record<string, Operation> = Object.fromEntries(SPECS.map((spec) => [`import.${spec.name}`, rowOperation(spec)]));

function kindOf(spec: Spec): ImportKind {
  const op = `import.${spec.name}`;
  const argOf = Object.entries(spec.argOf);
  return {
    name: spec.name,
    columns: spec.columns,
    optional: spec.optional,
    key: spec.key,
    importAction: 'import.run',
    exportAction: 'export.run',
    columnOf: spec.columnOf,
    toRow(rec, line): BatchRow {
      const action = (rec.Action ?? '').toLowerCase();
      if (action !== '' && !(MODES as readonly string[]).includes(action)) {
        return { line, refusal: { status: 'invalid', code: 'enum', field: 'Action', message: `Action: must be create, update, delete or empty (create or update), not '${rec.Action ?? ''}'` } };
      }
      const args: Record<string, unknown> = action ? { action } : {};
      for (const [col, arg] of argOf) {
        const v = rec[col];
        if (v !== undefined && v !== '') args[arg] = v;
      }
      return { line, op, args };
    },
    exportRows: (w, p) => spec.exportRows(w, p),
  };
}

export const userKind = kindOf(users);
export const unitKind = kindOf(units);
export const termKind = kindOf(terms);
export const courseKind = kindOf(courses);
export const sectionKind = kindOf(sections);
export const enrollmentKind = kindOf(enrollments);
export const scheduleKind = kindOf(schedules);
export const memberKind = kindOf(members);
export const roleGrantKind = kindOf(roleGrants);
export const roomKind = kindOf(rooms);
export const deviceKind = kindOf(devices);

/** Every CSV kind by the name the CLI and the API use (`lectern import users FILE`, /v1/imports/users). */
export const KINDS: Readonly<Record<string, ImportKind>> = {
  users: userKind,
  units: unitKind,
  terms: termKind,
  courses: courseKind,
  sections: sectionKind,
  enrollments: enrollmentKind,
  schedules: scheduleKind,
  members: memberKind,
  licenses: licenseKind,
  roles: roleGrantKind,
  rooms: roomKind,
  devices: deviceKind,
};

export const KIND_NAMES = Object.keys(KINDS);

/** The kind of a name (`collection-members` is also accepted for members). */
export function kindNamed(name: string): ImportKind | undefined {
  const n = name.toLowerCase() === 'collection-members' ? 'members' : name.toLowerCase();
  // Own keys only: `__proto__`, `constructor` or `toString` are no kind.
  return Object.hasOwn(KINDS, n) ? KINDS[n] : undefined;
}
