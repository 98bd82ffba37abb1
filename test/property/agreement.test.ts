/**
 * SPEC §11 "A check agrees with the operation", on both drivers: in generated institutions, a
 * generated sequence of operations by generated actors; before each one, the check with the same
 * arguments (the operation's resource as SPEC §11–12 write it, the other arguments as context) is
 * asked, then the operation is run. allow ⇔ ok, deny ⇔ denied/conflict/notFound/invalid — every
 * time, or the counter-example (actor, operation, arguments, both answers) is printed.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Change, InstitutionRow } from '../../src/domain/rows.js';
import { Lectern } from '../../src/services/lectern.js';
import type { Store } from '../../src/store/store.js';
import { DRIVERS, openTestStore } from '../helpers.js';
import { prng, runs, SEED } from './config.js';
import { institutionRows, type Shape } from './worlds.js';

/**
 * Where each operation is checked, as a caller writes it (SPEC §11): the argument that names the
 * resource, its type, or the institution. Written here from the SPEC, not taken from src/, so a
 * mapping in the operations that strayed from the SPEC would show as a disagreement.
 */
const WHERE: Record<string, { type: string; field?: string }> = {
  'section.enroll': { type: 'section', field: 'section' },
  'section.unenroll': { type: 'section', field: 'section' },
  'collection.addMember': { type: 'collection', field: 'collection' },
  'collection.updateMember': { type: 'collection', field: 'collection' },
  'collection.removeMember': { type: 'collection', field: 'collection' },
  'collection.addMedia': { type: 'collection', field: 'collection' },
  'collection.delete': { type: 'collection', field: 'collection' },
  'role.grant': { type: 'user', field: 'user' },
  'role.revoke': { type: 'user', field: 'user' },
  'user.update': { type: 'user', field: 'user' },
  'user.deactivate': { type: 'user', field: 'user' },
  'user.delete': { type: 'user', field: 'user' },
  'unit.update': { type: 'unit', field: 'unit' },
  'unit.delete': { type: 'unit', field: 'unit' },
  'media.share': { type: 'media', field: 'media' },
  'media.delete': { type: 'media', field: 'media' },
  'media.publish': { type: 'media', field: 'media' },
  'course.delete': { type: 'course', field: 'course' },
  'section.delete': { type: 'section', field: 'section' },
  'license.assign': { type: 'institution' },
  'user.create': { type: 'institution' },
  'unit.create': { type: 'unit', field: 'parent' },
};

const shape: fc.Arbitrary<Shape> = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  users: fc.integer({ min: 8, max: 30 }),
  staff: fc.integer({ min: 3, max: 10 }),
  sections: fc.integer({ min: 2, max: 6 }),
  media: fc.integer({ min: 4, max: 16 }),
  perSection: fc.integer({ min: 2, max: 6 }),
  delegatedAdministration: fc.boolean(),
  studentLibrary: fc.boolean(),
});

const STEPS = 40;

for (const driver of DRIVERS) {
  describe(`a check agrees with its operation (${driver})`, () => {
    let store: Store;
    let lectern: Lectern;
    beforeAll(async () => {
      store = await openTestStore(driver);
      lectern = new Lectern(store);
    });
    afterAll(async () => store?.close());

    let institution = 0;
    const tally = { checks: 0, allowed: 0 };

    it(`100% agreement over ${runs(6)} institutions × ${STEPS} operations`, { timeout: 600_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(shape, fc.integer({ min: 1, max: 0x7fffffff }), async (s, seed) => {
          const id = `agree${++institution}${driver === 'postgres' ? 'p' : ''}${Date.now() % 100000}`;
          const changes = rehome(institutionRows('gen', { ...s, staff: Math.min(s.staff, s.users) }), id);
          await store.createInstitution(changes[0]!.row as InstitutionRow, changes, { actor: 'Lectern (system)', operation: 'institution.create', target: `institution:${id}`, changes: [] });
          const r = prng(seed);
          for (let step = 0; step < STEPS; step++) {
            const world = (await lectern.world(id))!;
            const ids = {
              user: [...world.users.keys(), 'no-such'],
              section: [...world.tables.section.keys(), 'no-such'],
              collection: [...world.tables.collection.keys(), 'no-such'],
              media: [...world.tables.media.keys(), 'no-such'],
              unit: [...world.tree.units.keys(), 'no-such'],
              course: [...world.tables.course.keys()],
              pack: [...world.tables.licensePack.keys(), 'ID 2026-01-01-000009'],
              class: [...world.tables.class.keys()],
            };
            const op = r.pick(Object.keys(WHERE));
            const args = argsFor(op, ids, r);
            const actor = r.pick(ids.user.filter((u) => u !== 'no-such'));
            const principal = lectern.principal(id, actor);
            const where = WHERE[op]!;
            const resource = where.field ? `${where.type}:${String(args[where.field])}` : `${where.type}:${id}`;
            const context = Object.fromEntries(Object.entries(args).filter(([k]) => k !== where.field));
            const before = JSON.stringify(world.snapshot());
            const decision = lectern.check(world, principal, op, resource, context);
            expect(JSON.stringify(world.snapshot()), 'a check changes nothing').toBe(before);
            const outcome = await lectern.run(principal, id, op, args);
            tally.checks++;
            if (decision.allow) tally.allowed++;
            if (decision.allow !== (outcome.status === 'ok')) {
              const detail = { actor, op, args, check: { resource, context, allow: decision.allow, reasons: decision.reasons }, outcome };
              console.error('check and operation disagree:', JSON.stringify(detail, null, 2));
              return false;
            }
          }
          return true;
        }),
        { numRuns: runs(6), seed: SEED, endOnFailure: true },
      );
      console.log(`agreement (${driver}): ${tally.checks} checks, ${tally.allowed} allowed, 0 disagreements`);
      expect(tally.allowed).toBeGreaterThan(0);
      expect(tally.allowed).toBeLessThan(tally.checks);
    });
  });
}

type Ids = Record<'user' | 'section' | 'collection' | 'media' | 'unit' | 'course' | 'pack' | 'class', string[]>;

function argsFor(op: string, ids: Ids, r: ReturnType<typeof prng>): Record<string, unknown> {
  const pick = (xs: string[]) => (xs.length ? r.pick(xs) : 'no-such');
  const fresh = `n${r.int(1_000_000)}`;
  switch (op) {
    case 'section.enroll':
      return { section: pick(ids.section), user: pick(ids.user), role: r.pick(['instructor', 'teaching_assistant', 'student', 'guest_presenter', 'student_presenter']) };
    case 'section.unenroll':
      return { section: pick(ids.section), user: pick(ids.user) };
    case 'collection.addMember':
    case 'collection.updateMember':
      return { collection: pick(ids.collection), user: pick(ids.user), level: r.pick(['reviewer', 'collaborator', 'contributor', 'editor', 'manager']) };
    case 'collection.removeMember':
      return { collection: pick(ids.collection), user: pick(ids.user) };
    case 'collection.addMedia':
      return { collection: pick(ids.collection), media: pick(ids.media) };
    case 'collection.delete':
      return { collection: pick(ids.collection) };
    case 'role.grant':
    case 'role.revoke': {
      const role = r.pick(['admin', 'academic_staff', 'scheduler', 'av_technician', 'license_manager']);
      return { user: pick(ids.user), role, ...(role !== 'license_manager' && r.chance(0.7) ? { scope: pick(ids.unit) } : {}) };
    }
    case 'user.update':
      return { user: pick(ids.user), firstName: r.pick(['Ann', 'Bo', 'Cy']) };
    case 'user.deactivate':
    case 'user.delete':
      return { user: pick(ids.user) };
    case 'unit.update':
      return { unit: pick(ids.unit), ...(r.chance(0.5) ? { parent: pick(ids.unit) } : { name: 'Renamed' }) };
    case 'unit.delete':
      return { unit: pick(ids.unit) };
    case 'media.share':
      return { media: pick(ids.media), user: pick(ids.user) };
    case 'media.delete':
      return { media: pick(ids.media) };
    case 'media.publish':
      return { media: pick(ids.media), class: pick(ids.class) };
    case 'course.delete':
      return { course: pick(ids.course) };
    case 'section.delete':
      return { section: pick(ids.section) };
    case 'license.assign':
      return { user: pick(ids.user), pack: pick(ids.pack) };
    case 'user.create':
      return { id: fresh, email: `${fresh}@example.edu`, firstName: 'New', lastName: 'Person' };
    case 'unit.create':
      return { id: fresh, parent: pick(ids.unit) };
    default:
      throw new Error(`no arguments for ${op}`);
  }
}

/** The generated rows, moved into institution `id` (generated rows name their root after it). */
function rehome(changes: Change[], id: string): Change[] {
  const from = (changes[0]!.row as InstitutionRow).institutionId;
  return changes.map((c) => {
    const row: Record<string, unknown> = { ...c.row, institutionId: id };
    for (const k of ['id', 'parentId', 'unitId', 'scopeId']) if (row[k] === from) row[k] = id;
    return { ...c, row } as unknown as Change;
  });
}
