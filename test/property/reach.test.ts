/**
 * Reach, as a property (SPEC §3 "Reach over an account"), through the services on every driver.
 *
 * An actor controls its own account and every account it could take over — those whose password
 * or email it could change (`user.update` allowed), and, acting as one of those, the accounts
 * that one could change in turn. In generated institutions, a random actor runs a random sequence
 * of operations, each as itself or as any account it controls at that moment (user and role
 * changes, enrolments, toggles, moves, shares, collection membership, DA on and off). Afterwards:
 *  (a) the set of decisions obtainable through the accounts it controls, over a fixed probe of
 *      every unit, course, section, media item, user and collection that existed before, is a
 *      subset of the set before the sequence: no sequence gives the actor anything new;
 *  (b) control is closed: every account reachable from a controlled account was already directly
 *      within the actor's reach (reach is transitive, so "acting as" adds nothing beyond it).
 * Deactivated accounts the actor could reactivate count with what they could do once active.
 * The reference model (test/model) holds the same reach rule, compared with policy in
 * decisions.test.ts. A counter-example prints the sequence, the actor and the new decision.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTION_LEVELS, STAFF_ROLES, TOGGLES } from '../../src/domain/catalog.js';
import type { Change, InstitutionRow, TableRows } from '../../src/domain/rows.js';
import { decide, type Principal } from '../../src/policy/index.js';
import { Lectern } from '../../src/services/lectern.js';
import type { Store } from '../../src/store/store.js';
import { World } from '../../src/world/world.js';
import { DRIVERS, freshId, openTestStore } from '../helpers.js';
import { runs, SEED } from './config.js';
import { institutionRows, type Shape } from './worlds.js';

const OPS = [
  'user.update', 'user.update', 'user.create', 'user.deactivate', 'user.reactivate', 'user.delete',
  'role.grant', 'role.grant', 'role.revoke', 'section.enroll', 'settings.set', 'course.update', 'unit.update',
  'media.share', 'collection.addMember', 'institution.configure',
] as const;

interface Step {
  as: number;
  op: (typeof OPS)[number];
  n: [number, number, number, number];
}

const step: fc.Arbitrary<Step> = fc.record({ as: fc.nat(), op: fc.constantFrom(...OPS), n: fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()) });

const shape: fc.Arbitrary<Shape> = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  users: fc.integer({ min: 6, max: 12 }),
  staff: fc.integer({ min: 3, max: 7 }),
  sections: fc.integer({ min: 1, max: 4 }),
  media: fc.integer({ min: 2, max: 6 }),
  perSection: fc.integer({ min: 1, max: 4 }),
  delegatedAdministration: fc.boolean(),
  studentLibrary: fc.boolean(),
});

export const reachCounts = { runs: 0, operations: 0, applied: 0, probes: 0, controlled: 0 };

function rehome(changes: Change[], id: string): Change[] {
  const from = (changes[0]!.row as InstitutionRow).institutionId;
  return changes.map((c) => {
    const row = { ...c.row, institutionId: id } as Record<string, unknown>;
    for (const k of ['id', 'parentId', 'unitId', 'scopeId']) if (row[k] === from) row[k] = id;
    return { ...c, row } as unknown as Change;
  });
}

const person = (w: World, userId: string): Principal => ({ kind: 'user', institutionId: w.institutionId, userId, systemAdmin: w.holds(userId, 'system_admin') });

/** Accounts `actor` controls: itself, and by closure every account a controlled one may change. */
function controlled(w: World, actor: string): { direct: Set<string>; closure: Set<string> } {
  const reach = (from: string) => [...w.users.keys()].filter((u) => u === from || decide(w, person(w, from), 'user.update', { type: 'user', id: u }, {}, { explain: false }).allow);
  // A deactivated account decides nothing, but the actor may reactivate one it reaches: judge it active.
  const direct = new Set(reach(actor));
  const closure = new Set(direct);
  const todo = [...direct];
  const active = activeCopy(w, [...w.users.keys()]);
  while (todo.length) {
    const u = todo.pop()!;
    for (const v of [...active.users.keys()]) {
      if (closure.has(v)) continue;
      if (decide(active, person(active, u), 'user.update', { type: 'user', id: v }, {}, { explain: false }).allow) {
        closure.add(v);
        todo.push(v);
      }
    }
  }
  return { direct, closure };
}

/** A copy of the world in which these users are active (what they could do once reactivated). */
function activeCopy(w: World, users: readonly string[]): World {
  const set = new Set(users);
  const rows = w.snapshot().map((c) => (c.table === 'user' && set.has((c.row as TableRows['user']).id) ? ({ ...c, row: { ...c.row, status: 'active' } } as Change) : c));
  return World.build(w.institutionId, w.revision, rows);
}

interface Probe {
  action: string;
  resource: string;
  context?: Record<string, unknown>;
}

/** Decisions over everything that exists now; the same list is asked again after the sequence. */
function probes(w: World): Probe[] {
  const out: Probe[] = [];
  const inst = `institution:${w.institutionId}`;
  for (const a of ['institution.configure', 'user.create', 'user.search', 'audit.view']) out.push({ action: a, resource: inst });
  for (const u of w.tree.units.keys()) {
    for (const a of ['unit.create', 'unit.update', 'unit.delete', 'unit.settings', 'course.create', 'term.create', 'library.create', 'monitor.view', 'captureLogs.view']) out.push({ action: a, resource: `unit:${u}` });
    out.push({ action: 'role.grant', resource: `unit:${u}`, context: { role: 'admin' } });
  }
  for (const c of w.tables.course.keys()) for (const a of ['course.update', 'course.delete', 'course.view']) out.push({ action: a, resource: `course:${c}` });
  for (const s of w.tables.section.keys()) {
    for (const a of ['section.update', 'section.delete', 'section.view', 'section.roster', 'section.settings', 'section.analytics', 'section.captureStart', 'qa.post', 'qa.moderate', 'class.create']) out.push({ action: a, resource: `section:${s}` });
    for (const role of ['instructor', 'student']) out.push({ action: 'section.enroll', resource: `section:${s}`, context: { role } });
  }
  for (const m of w.tables.media.keys()) {
    for (const a of ['media.view', 'media.edit', 'media.editDetails', 'media.delete', 'media.copy', 'media.share', 'media.editTranscripts']) out.push({ action: a, resource: `media:${m}` });
    out.push({ action: 'media.download', resource: `media:${m}`, context: { format: 'video' } });
  }
  for (const u of w.users.keys()) for (const a of ['user.view', 'user.update', 'user.delete']) out.push({ action: a, resource: `user:${u}` });
  for (const c of w.tables.collection.keys()) for (const a of ['collection.view', 'collection.addMember', 'collection.addMedia', 'collection.delete']) out.push({ action: a, resource: `collection:${c}` });
  return out;
}

const key = (p: Probe) => `${p.action} ${p.resource} ${JSON.stringify(p.context ?? {})}`;

/** What the accounts in `who` may do, together, over `list` (deactivated ones judged active). */
function obtainable(w: World, who: Set<string>, list: Probe[]): Map<string, string> {
  const active = activeCopy(w, [...who]);
  const out = new Map<string, string>();
  for (const p of list) {
    for (const u of who) {
      if (!active.user(u)) continue;
      reachCounts.probes++;
      if (decide(active, person(active, u), p.action, p.resource, p.context ?? {}, { explain: false }).allow) {
        out.set(key(p), u);
        break;
      }
    }
  }
  return out;
}

/**
 * Arguments for one step, drawn from the world's ids — mostly from what the acting account
 * controls or administers, so that most steps are ones it may take, and the rest from anywhere.
 */
function argsFor(w: World, s: Step, as: string, mine: readonly string[]): Record<string, unknown> {
  const [a, b, c, d] = s.n;
  const pick = (xs: string[], n: number) => (xs.length === 0 ? 'nope' : xs[n % xs.length]!);
  const all = [...w.users.keys()];
  const users = d % 4 === 0 ? all : [...mine];
  const allUnits = [...w.tree.units.keys()];
  const own = allUnits.filter((u) => decide(w, person(w, as), 'unit.create', { type: 'unit', id: u }, {}, { explain: false }).allow);
  const units = own.length > 0 && c % 3 !== 0 ? own : allUnits;
  const sections = [...w.tables.section.keys()];
  const courses = [...w.tables.course.keys()];
  const media = [...w.tables.media.keys()];
  const collections = [...w.tables.collection.keys()];
  const user = pick(users, a);
  switch (s.op) {
    case 'user.update': {
      // New names, or another user's (the namespace must refuse those).
      const other = w.user(pick(all, b));
      const email = c % 3 === 0 && other ? other.email : `u${b % 40}@x.edu`;
      return d % 2 === 0 ? { user, email } : { user, username: c % 2 === 0 && other ? other.email : `name${b % 40}` };
    }
    case 'user.create':
      return { id: `new${a % 30}`, email: `new${a % 30}@x.edu`, firstName: 'N', lastName: 'U' };
    case 'user.deactivate':
    case 'user.reactivate':
    case 'user.delete':
      return { user };
    case 'role.grant':
    case 'role.revoke': {
      const role = STAFF_ROLES[b % STAFF_ROLES.length]!;
      const scope = c % 4 === 0 ? undefined : c % 4 === 1 ? w.rootId : pick(units, d);
      return { user, role, ...(scope !== undefined ? { scope } : {}) };
    }
    case 'section.enroll':
      return { section: pick(sections, b), user, role: ['instructor', 'teaching_assistant', 'student', 'guest_presenter', 'student_presenter'][c % 5] };
    case 'settings.set': {
      const keys = Object.keys(TOGGLES);
      const k = keys[b % keys.length]!;
      return { scope: c % 2 === 0 ? pick(units, a) : `section:${pick(sections, a)}`, key: k, value: k === 'downloads' ? ['on', 'off', 'audioOnly'][d % 3] : d % 2 === 0, allowsOverride: d % 3 !== 0 };
    }
    case 'course.update':
      return { course: pick(courses, a), unit: pick(units, b) };
    case 'unit.update':
      return { unit: pick(units, a), parent: pick(units, b) };
    case 'media.share':
      return { media: pick(media, a), user: pick(all, b) };
    case 'collection.addMember':
      return { collection: pick(collections, a), user: pick(all, b), level: COLLECTION_LEVELS.filter((l) => l !== 'custom')[c % 5] };
    case 'institution.configure':
      return { delegatedAdministration: b % 2 === 0 };
  }
}

describe.each(DRIVERS)('reach over accounts (%s)', (driver) => {
  let store: Store;
  let lectern: Lectern;
  beforeAll(async () => {
    store = await openTestStore(driver);
    lectern = new Lectern(store);
  });
  afterAll(async () => {
    await store?.dropSchemaAndClose();
  });

  it('no sequence of operations, by the actor or as any account it may take over, gives it a decision it could not obtain before', { timeout: 3_600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(shape, fc.nat(), fc.array(step, { minLength: 6, maxLength: 14 }), async (s0, who, steps) => {
        reachCounts.runs++;
        const s = { ...s0, staff: Math.min(s0.staff, s0.users) };
        const id = freshId('reach');
        const rows = rehome(institutionRows('gen', s), id);
        await store.createInstitution(rows[0]!.row as InstitutionRow, rows, { actor: 'Lectern (system)', operation: 'institution.create', target: `institution:${id}`, changes: [] });
        const w0 = (await lectern.world(id))!;
        // Actors worth trying: admins below the root mostly, and anyone sometimes. Never system admins.
        const candidates = [...w0.users.keys()].filter((u) => !w0.holds(u, 'system_admin'));
        const admins = candidates.filter((u) => w0.holds(u, 'admin'));
        const pool = admins.length > 0 && who % 4 !== 0 ? admins : candidates;
        const actor = pool[who % pool.length]!;
        const list = probes(w0);
        const before = controlled(w0, actor);
        // (b) control is closed: acting as an account adds no account beyond direct reach.
        const beyond = [...before.closure].filter((u) => !before.direct.has(u));
        expect(beyond, `actor ${actor} reaches ${JSON.stringify([...before.direct])} but controls also ${JSON.stringify(beyond)}`).toEqual([]);
        const had = obtainable(w0, before.direct, list);
        const log: string[] = [];
        for (const st of steps) {
          const w = (await lectern.world(id))!;
          const mine = [...controlled(w, actor).direct].sort();
          reachCounts.controlled += mine.length;
          const as = mine[st.as % mine.length]!;
          const args = argsFor(w, st, as, mine);
          const o = await lectern.run(person(w, as), id, st.op, args);
          reachCounts.operations++;
          if (o.status === 'ok') reachCounts.applied++;
          log.push(`${as} ${st.op} ${JSON.stringify(args)} → ${o.status}`);
        }
        const w1 = (await lectern.world(id))!;
        const after = controlled(w1, actor);
        const beyond1 = [...after.closure].filter((u) => !after.direct.has(u));
        expect(beyond1, `after:\n${log.join('\n')}`).toEqual([]);
        const has = obtainable(w1, after.direct, list);
        const gained = [...has].filter(([k]) => !had.has(k)).map(([k, u]) => `${k} (as ${u})`);
        if (gained.length > 0) {
          console.log(`REACH counter-example: shape=${JSON.stringify(s)} actor=${actor}\n${log.join('\n')}\ngained: ${gained.slice(0, 5).join('; ')}`);
        }
        expect(gained, `actor ${actor} after:\n${log.join('\n')}`).toEqual([]);
      }),
      { seed: SEED, numRuns: runs(driver === 'pglite' ? 12 : 6), endOnFailure: true },
    );
    console.log(`reach (${driver}): ${JSON.stringify(reachCounts)}`);
  });
});
