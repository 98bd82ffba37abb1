/**
 * No escalation, nothing lost: random actors run random operations through the services
 * (Lectern.run on a PGlite store) in small generated institutions, and after every operation:
 *  (a) an ok role.grant stays within the actor's own rights, and no operation by a non-system-admin
 *      gives anyone admin rights outside the actor's, a system_admin grant, or license_manager
 *      (unless the actor administers the root);
 *  (b) a refused operation changes nothing: revision, audit count and world snapshot unchanged;
 *  (c) every change is audited with the actor's name, the operation and before/after per change;
 *  (d) institution A, with the same ids as B, is untouched by B's operations, its decisions are
 *      unchanged, and A's principals (not system admins) get deny for everything in B;
 *  (e) the world kept by applying changes equals the world replayed from the changelog, revision
 *      by revision, and the world rebuilt from the store.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTION_LEVELS, STAFF_ROLES, TOGGLES } from '../../src/domain/catalog.js';
import type { Outcome } from '../../src/domain/outcome.js';
import { rowKey, type Change, type InstitutionRow } from '../../src/domain/rows.js';
import { decide, type Principal } from '../../src/policy/index.js';
import { Lectern } from '../../src/services/lectern.js';
import type { Store } from '../../src/store/store.js';
import { World } from '../../src/world/world.js';
import { freshId, openTestStore } from '../helpers.js';
import { MODEL_ACTIONS, referenceDecide, rowsOf, type Rows } from '../model/reference.js';
import { prng, runs, SEED } from './config.js';
import { institutionRows, queryGenerator, type Shape } from './worlds.js';

const OPS = [
  'role.grant', 'role.grant', 'role.grant', 'role.revoke', 'role.revoke', 'institution.configure', 'user.create', 'user.update',
  'user.deactivate', 'user.delete', 'unit.create', 'unit.update', 'unit.delete', 'section.enroll', 'section.unenroll',
  'settings.set', 'class.create', 'class.delete', 'media.create', 'media.publish', 'media.unpublish', 'media.edit',
  'media.delete', 'media.share', 'media.post', 'collection.create', 'collection.addMember', 'collection.removeMember',
  'collection.addMedia', 'licensePack.create', 'license.assign', 'license.revokeall',
] as const;

interface Step {
  actor: number;
  op: (typeof OPS)[number];
  n: [number, number, number, number];
  junk: number;
}

const step: fc.Arbitrary<Step> = fc.record({
  actor: fc.nat(),
  op: fc.constantFrom(...OPS),
  n: fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()),
  junk: fc.integer({ min: 0, max: 9 }),
});

const shape: fc.Arbitrary<Shape> = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  users: fc.integer({ min: 5, max: 12 }),
  staff: fc.integer({ min: 3, max: 6 }),
  sections: fc.integer({ min: 1, max: 4 }),
  media: fc.integer({ min: 2, max: 8 }),
  perSection: fc.integer({ min: 1, max: 4 }),
  delegatedAdministration: fc.boolean(),
  studentLibrary: fc.boolean(),
});

export const counts = { runs: 0, operations: 0, ok: 0, changed: 0, refused: 0, invariantChecks: 0, lost: 0 };
const statuses = new Map<string, number>();

let store: Store;
let lectern: Lectern;
beforeAll(async () => {
  store = await openTestStore('pglite');
  lectern = new Lectern(store);
});
afterAll(async () => {
  await store?.close();
});

/** The generated rows, re-homed in `id` (so two institutions share every other id). */
function rehome(changes: Change[], id: string): Change[] {
  const from = (changes[0]!.row as InstitutionRow).institutionId;
  return changes.map((c) => {
    const row = { ...c.row, institutionId: id } as Record<string, unknown>;
    for (const k of ['id', 'parentId', 'unitId', 'scopeId']) if (row[k] === from) row[k] = id;
    return { ...c, row } as unknown as Change;
  });
}

async function createFromRows(id: string, changes: Change[]): Promise<World> {
  const inst = changes[0]!.row as InstitutionRow;
  await store.createInstitution(inst, changes, { actor: 'Lectern (system)', operation: 'institution.create', target: `institution:${id}`, changes: [] });
  return (await lectern.world(id))!;
}

async function auditCount(id: string): Promise<number> {
  const r = await store.db.selectFrom('auditLog').where('institutionId', '=', id).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  return Number((r as { n: unknown } | undefined)?.n ?? 0);
}

const snap = (w: World) => JSON.stringify(w.snapshot());

function check(ok: boolean, what: string, detail: () => unknown): void {
  counts.invariantChecks++;
  if (!ok) {
    counts.lost++;
    throw new Error(`${what}: ${JSON.stringify(detail())}`);
  }
}

/** The reference view of who administers what, over plain rows (test/model). */
function adminUnits(rows: Rows, userId: string): string[] {
  const inst = rows.institution[0]!.institutionId;
  const ok = (unit: string) => referenceDecide(rows, { institutionId: inst, userId, systemAdmin: false }, 'unit.create', `unit:${unit}`);
  // Units where the user may create units are exactly those within their admin units.
  return rows.unit.map((u) => u.id).filter(ok);
}

/** Arguments for one step, drawn from the world's current ids (and some nonsense). */
function argsFor(w: World, s: Step): Record<string, unknown> {
  const [a, b, c, d] = s.n;
  const list = (m: Map<string, unknown>) => [...m.keys()];
  const pick = (xs: string[], n: number) => (xs.length === 0 ? 'nope' : xs[n % xs.length]!);
  const users = [...w.users.keys()];
  const units = [...w.tree.units.keys()];
  const sections = list(w.tables.section);
  const classes = list(w.tables.class);
  const media = list(w.tables.media);
  const collections = list(w.tables.collection);
  const packs = list(w.tables.licensePack);
  const user = pick(users, a);
  let args: Record<string, unknown>;
  switch (s.op) {
    case 'role.grant':
    case 'role.revoke': {
      const role = STAFF_ROLES[b % STAFF_ROLES.length]!;
      const scope = c % 4 === 0 ? undefined : c % 4 === 1 ? w.rootId : pick(units, d);
      args = { user, role, ...(scope !== undefined ? { scope } : {}) };
      break;
    }
    case 'institution.configure':
      args = b % 2 === 0 ? { delegatedAdministration: c % 2 === 0 } : { studentLibrary: c % 2 === 0 };
      break;
    case 'user.create':
      args = { id: `new${a % 50}`, email: `new${a % 50}@x.edu`, firstName: 'N', lastName: 'U' };
      break;
    case 'user.update':
      args = { user, firstName: `F${b % 9}` };
      break;
    case 'user.deactivate':
    case 'user.delete':
      args = { user };
      break;
    case 'unit.create':
      args = { id: `nu${a % 20}`, parent: pick(units, b), name: 'New unit' };
      break;
    case 'unit.update':
      args = { unit: pick(units, a), name: `Renamed ${b % 5}`, ...(c % 2 === 0 ? { parent: pick(units, d) } : {}) };
      break;
    case 'unit.delete':
      args = { unit: pick(units, a) };
      break;
    case 'section.enroll':
      args = { section: pick(sections, b), user, role: ['instructor', 'teaching_assistant', 'student', 'guest_presenter', 'student_presenter'][c % 5] };
      break;
    case 'section.unenroll':
      args = { section: pick(sections, b), user };
      break;
    case 'settings.set': {
      const keys = Object.keys(TOGGLES);
      const key = keys[b % keys.length]!;
      args = { scope: c % 2 === 0 ? pick(units, a) : `section:${pick(sections, a)}`, key, value: key === 'downloads' ? ['on', 'off', 'audioOnly'][d % 3] : d % 2 === 0, allowsOverride: d % 3 !== 0 };
      break;
    }
    case 'class.create':
      args = { id: `k${a % 20}`, section: pick(sections, b), ...(c % 3 === 0 ? { kind: 'system' } : {}) };
      break;
    case 'class.delete':
      args = { class: pick(classes, a) };
      break;
    case 'media.create':
      args = { id: `nm${a % 20}`, ...(b % 3 === 0 ? { owner: pick(users, c) } : {}), ...(d % 3 === 0 ? { origin: 'adhoc' } : {}) };
      break;
    case 'media.publish':
    case 'media.unpublish':
      args = { media: pick(media, a), class: pick(classes, b) };
      break;
    case 'media.edit':
    case 'media.delete':
      args = { media: pick(media, a) };
      break;
    case 'media.share':
      args = { media: pick(media, a), user: pick(users, b) };
      break;
    case 'media.post':
      args = { media: pick(media, a), to: ['publicLink', 'lmsEmbed', 'lmsHomework'][b % 3] };
      break;
    case 'collection.create':
      args = { id: `nc${a % 10}` };
      break;
    case 'collection.addMember':
      args = { collection: pick(collections, a), user: pick(users, b), level: COLLECTION_LEVELS.filter((l) => l !== 'custom')[c % 5] };
      break;
    case 'collection.removeMember':
      args = { collection: pick(collections, a), user: pick(users, b) };
      break;
    case 'collection.addMedia':
      args = { collection: pick(collections, a), media: pick(media, b) };
      break;
    case 'licensePack.create':
      args = { id: `ID 2026-0${1 + (a % 9)}-01-00000${b % 10}`, seats: 1 + (c % 3) };
      break;
    case 'license.assign':
      args = { user, pack: pick(packs, b) };
      break;
    case 'license.revokeall':
      args = { user };
      break;
  }
  // Some nonsense: an unknown id, a missing field, an unknown field.
  if (s.junk === 0) {
    const k = Object.keys(args)[0];
    if (k) args[k] = 'does-not-exist';
  } else if (s.junk === 1) {
    const k = Object.keys(args)[0];
    if (k) delete args[k];
  } else if (s.junk === 2) args.bogus = true;
  return args;
}

/** A fingerprint of many decisions in a world (to see that nothing of A moved). */
function fingerprint(w: World, rows: Rows, seed: number, n: number): string {
  const next = queryGenerator(rows, seed);
  let out = '';
  for (let i = 0; i < n; i++) {
    const q = next();
    out += decide(w, { kind: 'user', ...q.who }, q.action, q.resource, q.context, { explain: false }).allow ? '1' : '0';
  }
  return out;
}

describe('no escalation and nothing lost, through the services', () => {
  it('holds for random actors and operations in generated institutions', { timeout: 3_600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(shape, fc.array(step, { minLength: 8, maxLength: 24 }), async (s0, steps) => {
        counts.runs++;
        const s = { ...s0, staff: Math.min(s0.staff, s0.users) };
        const base: Change[] = [
          ...institutionRows('gen', s),
          { table: 'licensePack', op: 'put', row: { institutionId: 'gen', id: 'ID 2026-08-01-000001', unitId: 'gen', seats: 2 } },
        ];
        const A = freshId('propa');
        const B = freshId('propb');
        const worldA = await createFromRows(A, rehome(base, A));
        await createFromRows(B, rehome(base, B));
        const rowsA = rowsOf(worldA.snapshot());
        const snapA = snap(worldA);
        const fpA = fingerprint(worldA, rowsA, s.seed, 400);
        const replica = World.build(B, 0, []);
        for (const e of await store.changesSince(B, 0)) replica.applyRevision(e.revision, e.changes);

        for (const st of steps) {
          const w = (await lectern.world(B))!;
          const users = [...w.users.keys()];
          // Actors: B's users, and sometimes a user of A acting in B (never a system admin of B).
          const foreign = st.actor % 10 === 9;
          // Mostly staff (admins, system admins), who can do most; sometimes anyone.
          const staff = [...new Set([...w.usersWithGrants()])].sort();
          const pool = st.actor % 3 === 0 ? users : staff.length > 0 ? staff : users;
          const uid = pool[Math.floor(st.actor / 3) % pool.length] ?? 'u0';
          const principal: Principal = foreign ? { kind: 'user', institutionId: A, userId: uid, systemAdmin: false } : lectern.principal(B, uid);
          const isSys = principal.kind === 'user' && principal.systemAdmin;
          const args = argsFor(w, st);
          const before = snap(w);
          const preRows = rowsOf(w.snapshot());
          const preMap = new Map(w.snapshot().map((c) => [rowKey(c), c.row]));
          const preRev = (await store.currentRevision(B))!;
          const preAudit = await auditCount(B);
          const preAdmins = new Map(users.map((u) => [u, adminUnits(preRows, u)]));
          const actorUnits = adminUnits(preRows, uid);

          const out: Outcome = await lectern.run(principal, B, st.op, args);
          counts.operations++;
          statuses.set(`${st.op} ${out.status}`, (statuses.get(`${st.op} ${out.status}`) ?? 0) + 1);
          const detail = () => ({ op: st.op, args, principal, out });
          const postRev = (await store.currentRevision(B))!;
          const postAudit = await auditCount(B);

          // (d) a principal of another institution has nothing here.
          if (foreign) check(out.status !== 'ok', 'a foreign principal acted in B', detail);

          if (out.status !== 'ok' || !out.changed) {
            // (b) refused (or a no-op): nothing changes.
            if (out.status !== 'ok') counts.refused++;
            else counts.ok++;
            check(postRev === preRev, 'revision moved on a refused/no-op operation', detail);
            check(postAudit === preAudit, 'audit grew on a refused/no-op operation', detail);
            check(snap(w) === before, 'world changed on a refused/no-op operation', detail);
          } else {
            counts.ok++;
            counts.changed++;
            check(out.revision === preRev + 1 && postRev === preRev + 1, 'revision is not the next one', detail);
            check(postAudit === preAudit + 1, 'no single audit entry for a change', detail);
            // (c) the audit entry names the actor, the operation, and before/after of each change.
            const [entry] = await store.audit(B, { limit: 1 });
            const log = await store.changesSince(B, preRev);
            check(log.length === 1 && log[0]!.revision === postRev, 'changelog does not hold exactly this revision', () => ({ log, ...detail() }));
            const changes = log[0]!.changes;
            const name = principal.kind === 'user' ? principal.userId : '';
            check(entry !== undefined && entry.revision === postRev && entry.actor === name && entry.operation === st.op, 'audit entry does not name actor/operation/revision', () => ({ entry, ...detail() }));
            check(entry!.changes.length === changes.length && changes.length > 0, 'audit does not list every change', () => ({ entry, changes }));
            changes.forEach((c, i) => {
              const a = entry!.changes[i]!;
              check(a.key === rowKey(c), 'audit key differs from the change', () => ({ a, c }));
              check(isDeepStrictEqual(a.after, c.op === 'put' ? c.row : null), 'audit after differs from the change', () => ({ a, c }));
              check(isDeepStrictEqual(a.before ?? null, preMap.get(rowKey(c)) ?? null), 'audit before differs from the row before', () => ({ a, before: preMap.get(rowKey(c)) }));
            });

            // (a) no escalation.
            if (!isSys) {
              const postRows = rowsOf(w.snapshot());
              const preSys = preRows.roleGrant.filter((g) => g.role === 'system_admin').length;
              check(postRows.roleGrant.filter((g) => g.role === 'system_admin').length <= preSys, 'a non-system-admin granted system_admin', detail);
              const preLm = new Set(preRows.roleGrant.filter((g) => g.role === 'license_manager').map((g) => g.userId));
              const actorIsRootAdmin = actorUnits.includes(preRows.unit.find((u) => u.parentId === null)!.id);
              for (const g of postRows.roleGrant) {
                if (g.role === 'license_manager' && !preLm.has(g.userId)) check(actorIsRootAdmin, 'license_manager granted by a non-root admin', detail);
              }
              const within = (x: string, y: string) => isWithin(postRows, x, y);
              for (const u of postRows.user) {
                const had = new Set(preAdmins.get(u.id) ?? []);
                for (const unit of adminUnits(postRows, u.id)) {
                  if (had.has(unit)) continue;
                  check(actorUnits.some((a) => within(unit, a)), `gave ${u.id} admin rights at ${unit} outside the actor's (${actorUnits.join(',')})`, detail);
                }
              }
              if (st.op === 'role.grant') {
                const g = out.result as { role: string; scopeType: string; scopeId: string };
                check(g.role !== 'system_admin', 'granted system_admin', detail);
                if (g.scopeType === 'unit') check(actorUnits.some((a) => isWithin(preRows, g.scopeId, a)), 'granted at a unit outside the actor\'s rights', detail);
                if (g.role === 'license_manager' || (g.role === 'admin' && g.scopeType === 'none' && g.scopeId !== 'listedOnly')) {
                  check(actorIsRootAdmin, 'granted an institution-level role without root rights', detail);
                }
              }
            }
          }
          // (e) the kept world equals the changelog replayed, revision by revision.
          for (const e of await store.changesSince(B, replica.revision)) replica.applyRevision(e.revision, e.changes);
          check(replica.revision === w.revision && isDeepStrictEqual(normal(replica), normal(w)), 'world differs from the replayed changelog', detail);
        }

        // (e) the world rebuilt from the store equals the kept one; so does a full replay from 0.
        const kept = (await lectern.world(B))!;
        const rebuilt = (await new Lectern(store).world(B))!;
        check(rebuilt.revision === kept.revision && isDeepStrictEqual(normal(rebuilt), normal(kept)), 'world rebuilt from the store differs', () => ({ B }));
        const replay = new World(B);
        for (const e of await store.changesSince(B, 0)) replay.applyRevision(e.revision, e.changes);
        check(isDeepStrictEqual(normal(replay), normal(kept)), 'world replayed from revision 0 differs', () => ({ B }));

        // (d) A is untouched: rows, decisions; and A's principals get deny for everything in B.
        check(snap(worldA) === snapA, "B's operations changed A's world", () => ({ A, B }));
        check(fingerprint(worldA, rowsA, s.seed, 400) === fpA, "A's decisions changed after B's operations", () => ({ A, B }));
        const rB = prng(s.seed);
        const worldB2 = (await lectern.world(B))!;
        const rowsB = rowsOf(worldB2.snapshot());
        const nextB = queryGenerator(rowsB, s.seed);
        for (let i = 0; i < 200; i++) {
          const q = nextB();
          const who: Principal = { kind: 'user', institutionId: A, userId: rB.pick([...worldA.users.keys()]), systemAdmin: false };
          check(!decide(worldB2, who, q.action, q.resource, q.context, { explain: false }).allow, "A's principal allowed in B", () => ({ who, q }));
        }
      }),
      { seed: SEED, numRuns: runs(16), endOnFailure: true },
    );
    console.log(`escalation: ${JSON.stringify(counts)}; ${MODEL_ACTIONS.length} actions in the deny sweep; outcomes ${JSON.stringify([...statuses].sort())}`);
    expect(counts.lost).toBe(0);
  });
});

function isWithin(rows: Rows, x: string, y: string): boolean {
  for (let cur: string | null | undefined = x, i = 0; cur != null && i < 1000; i++) {
    if (cur === y) return true;
    cur = rows.unit.find((u) => u.id === cur)?.parentId;
  }
  return false;
}

/** Snapshot rows with their fields in one order (rows read from the store list columns in theirs). */
function normal(w: World): unknown {
  return w.snapshot().map((c) => ({ table: c.table, row: Object.fromEntries(Object.entries(c.row).sort(([a], [b]) => (a < b ? -1 : 1))) }));
}
