/**
 * The impact preview (src/services/preview.ts) against brute force: on small generated
 * institutions, a random operation (a toggle or lock, clearing a setting, a role grant or
 * revocation, a unit move, delegated administration or the student library on/off, an
 * enrollment, a share, a collection membership, a deactivation, a publication, a deletion) is
 * previewed, then every person is asked every watched capability on every object in a private copy
 * of the world before and after the operation. The two lists of (person, capability, object, gain
 * or loss) must be the same, and so must every count; the previewed world must be untouched.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SECTION_ROLES, STAFF_ROLES, TOGGLES, type ToggleKey } from '../../src/domain/catalog.js';
import { effective, SYSTEM, type Principal } from '../../src/policy/index.js';
import { CAPABILITIES, objectIds, principalOf } from '../../src/policy/impact.js';
import { judge } from '../../src/services/agree.js';
import { operationNamed } from '../../src/services/lectern.js';
import { preview, type CapabilityImpact } from '../../src/services/preview.js';
import { World } from '../../src/world/world.js';
import { prng, runs } from './config.js';
import { institutionRows, type Shape } from './worlds.js';

const AT = '2026-10-15';

const shape: fc.Arbitrary<Shape> = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  users: fc.integer({ min: 8, max: 28 }),
  staff: fc.integer({ min: 3, max: 9 }),
  sections: fc.integer({ min: 2, max: 7 }),
  media: fc.integer({ min: 4, max: 18 }),
  perSection: fc.integer({ min: 2, max: 8 }),
  delegatedAdministration: fc.boolean(),
  studentLibrary: fc.boolean(),
});

type Op = { kind: string; name: string; args: Record<string, unknown> };

/** A random operation over the world's rows; most are allowed for Lectern itself, some refused. */
const KINDS = ['toggle', 'lock', 'toggle', 'lock', 'toggle', 'clear', 'grant', 'revoke', 'move', 'da', 'library', 'enroll', 'unenroll', 'share', 'member', 'deactivate', 'publish', 'deleteSection', 'rename'] as const;

function randomOp(w: World, seed: number, kind: (typeof KINDS)[number]): Op {
  const r = prng(seed);
  const ids = <T extends { id: string }>(m: Map<string, T>) => [...m.values()].map((x) => x.id);
  const units = [...w.tree.units.keys()];
  const users = ids(w.tables.user);
  const sections = ids(w.tables.section);
  const media = ids(w.tables.media);
  const classes = ids(w.tables.class);
  const keys = Object.keys(TOGGLES) as ToggleKey[];
  const key = r.pick(keys);
  const value = () => r.pick(TOGGLES[key].values);
  const scope = () => (r.chance(0.3) && sections.length > 0 ? `section:${r.pick(sections)}` : r.pick(units));
  switch (kind) {
    case 'toggle': {
      // A value other than the one in effect there, mostly high in the tree, so something can move.
      const at = r.chance(0.6) ? r.pick(units.filter((u) => w.tree.depth(u) <= 1)) : scope();
      const level = at.startsWith('section:') ? { scopeType: 'section' as const, scopeId: at.slice(8) } : { scopeType: 'unit' as const, scopeId: at };
      const now = effective(w, level, key).value;
      const other = TOGGLES[key].values.filter((v) => v !== now);
      return { kind, name: 'settings.set', args: { scope: at, key, value: r.pick(other) } };
    }
    case 'lock':
      return { kind, name: 'settings.set', args: { scope: r.pick(units), key, value: value(), allowsOverride: false } };
    case 'clear': {
      const set = [...w.tables.setting.values()];
      if (set.length === 0) return { kind, name: 'settings.set', args: { scope: scope(), key, value: value() } };
      const s = r.pick(set);
      return { kind, name: 'settings.clear', args: { scope: s.scopeType === 'section' ? `section:${s.scopeId}` : s.scopeId, key: s.key } };
    }
    case 'grant': {
      const role = r.pick(STAFF_ROLES.filter((x) => x !== 'system_admin' && x !== 'license_manager'));
      return { kind, name: 'role.grant', args: { user: r.pick(users), role, ...(r.chance(0.8) ? { scope: r.pick(units) } : {}) } };
    }
    case 'revoke': {
      const grants = [...w.tables.roleGrant.values()];
      const g = r.pick(grants);
      return { kind, name: 'role.revoke', args: { user: g.userId, role: g.role, ...(g.scopeType === 'unit' ? { scope: g.scopeId } : {}) } };
    }
    case 'move': {
      const movable = units.filter((u) => u !== w.rootId);
      return { kind, name: 'unit.update', args: { unit: r.pick(movable), parent: r.pick(units) } };
    }
    case 'rename':
      return { kind, name: 'unit.update', args: { unit: r.pick(units), name: 'Renamed' } };
    case 'da':
      return { kind, name: 'institution.configure', args: { delegatedAdministration: !w.institution.delegatedAdministration } };
    case 'library':
      return { kind, name: 'institution.configure', args: { studentLibrary: !w.institution.studentLibrary } };
    case 'enroll':
      return { kind, name: 'section.enroll', args: { section: r.pick(sections), user: r.pick(users), role: r.pick(SECTION_ROLES) } };
    case 'unenroll': {
      const e = r.pick([...w.tables.enrollment.values()]);
      return { kind, name: 'section.unenroll', args: { section: e.sectionId, user: e.userId } };
    }
    case 'share':
      return { kind, name: 'media.share', args: { media: r.pick(media), user: r.pick(users) } };
    case 'member': {
      const c = r.pick([...w.tables.collection.values()]);
      return { kind, name: 'collection.addMember', args: { collection: c.id, user: r.pick(users), level: r.pick(['reviewer', 'contributor', 'editor', 'manager']) } };
    }
    case 'deactivate':
      return { kind, name: 'user.deactivate', args: { user: r.pick(users) } };
    case 'publish': {
      const m = r.pick(media);
      return { kind, name: 'media.publish', args: { media: m, class: r.pick(classes), by: w.media(m)!.ownerId } };
    }
    default:
      return { kind, name: 'section.delete', args: { section: r.pick(sections) } };
  }
}

interface Brute {
  items: Set<string>;
  impact: CapabilityImpact[];
}

/** Every person, every watched capability, every object, in both worlds. */
function bruteForce(before: World, after: World): Brute {
  const items = new Set<string>();
  const users = new Set([...before.users.keys(), ...after.users.keys()]);
  const impact: CapabilityImpact[] = [];
  for (const c of CAPABILITIES) {
    const objects = new Set([...objectIds(before, c.type), ...objectIds(after, c.type)]);
    const acc = { gain: { users: new Set<string>(), objects: new Set<string>(), pairs: 0 }, loss: { users: new Set<string>(), objects: new Set<string>(), pairs: 0 } };
    for (const id of objects) {
      for (const u of users) {
        const ctx = c.timed ? { ...c.context, at: AT } : c.context;
        const ask = (w: World) => (w.user(u) ? judge(w, principalOf(w, u), c.action, { type: c.type, id }, ctx, { explain: false }).allow : false);
        const b = ask(before);
        const a = ask(after);
        if (a === b) continue;
        const change = a ? 'gain' : 'loss';
        items.add(`${u}|${c.id}|${c.type}:${id}|${change}`);
        acc[change].users.add(u);
        acc[change].objects.add(id);
        acc[change].pairs++;
      }
    }
    if (acc.gain.pairs + acc.loss.pairs === 0) continue;
    const tally = (t: typeof acc.gain) => ({ users: t.users.size, objects: t.objects.size, pairs: t.pairs });
    impact.push({ capability: c.id, action: c.action, type: c.type, gained: tally(acc.gain), lost: tally(acc.loss) });
  }
  return { items, impact };
}

let count = 0;
const seen: Record<string, { runs: number; refused: number; moved: number }> = {};

describe('impact preview agrees with brute force', () => {
  it(`on ${runs(105)} generated institutions and operations`, { timeout: 600_000 }, () => {
    fc.assert(
      fc.property(shape, fc.integer({ min: 1, max: 0x7fffffff }), fc.integer({ min: 0, max: 9 }), (s, opSeed, who) => {
        const staff = Math.min(s.staff, s.users);
        const id = `gen${s.seed % 1000}`;
        const world = World.build(id, 7, institutionRows(id, { ...s, staff }));
        // Every kind in turn, so each is tried about equally often.
        const op = randomOp(world, opSeed, KINDS[count++ % KINDS.length]!);
        const operation = operationNamed(op.name)!;
        // Mostly Lectern itself (allowed), sometimes a person of the institution (often refused).
        const users = [...world.users.keys()];
        const principal: Principal = who < 7 ? SYSTEM : principalOf(world, users[who % users.length]!);
        const snapshot = JSON.stringify(world.snapshot());
        const result = preview(world, principal, operation, op.args, { limit: 1_000_000, at: AT });
        // Never written: the same rows at the same revision.
        expect(world.revision).toBe(7);
        expect(JSON.stringify(world.snapshot())).toBe(snapshot);
        const stat = (seen[op.kind] ??= { runs: 0, refused: 0, moved: 0 });
        stat.runs++;

        // The reference: a private copy before, and another with the operation's plan applied.
        const before = World.build(id, 7, world.snapshot());
        const after = World.build(id, 7, world.snapshot());
        let plan;
        try {
          plan = operation.evaluate(before, principal, op.args).plan;
        } catch {
          plan = undefined;
        }
        if (!plan) {
          expect(result.status).toBe('refused');
          stat.refused++;
          return;
        }
        expect(result.status).toBe('ok');
        if (result.status !== 'ok') return;
        for (const c of plan.changes) after.apply(c);
        const brute = bruteForce(before, after);
        const fast = new Set(result.items.map((i) => `${i.user}|${i.capability}|${i.object}|${i.change}`));
        const missing = [...brute.items].filter((x) => !fast.has(x));
        const extra = [...fast].filter((x) => !brute.items.has(x));
        expect({ op, missing: missing.slice(0, 10), extra: extra.slice(0, 10) }).toEqual({ op, missing: [], extra: [] });
        expect(result.total).toBe(brute.items.size);
        expect(result.items.length).toBe(brute.items.size);
        expect(result.impact.map(({ gained, lost, ...c }) => ({ ...c, gained: { users: gained.users, objects: gained.objects, pairs: gained.pairs }, lost: { users: lost.users, objects: lost.objects, pairs: lost.pairs } }))).toEqual(brute.impact);
        if (brute.items.size > 0) stat.moved++;
      }),
      { numRuns: runs(105), seed: 20261130 },
    );
    // Not vacuous: the common kinds of change did move somebody's capabilities in some runs.
    const moved = (k: string) => seen[k]?.moved ?? 0;
    for (const ks of [['toggle', 'lock'], ['grant', 'revoke'], ['move'], ['enroll', 'unenroll'], ['library'], ['deactivate']]) {
      expect(ks.reduce((n, k) => n + moved(k), 0), `${ks.join('/')}: ${JSON.stringify(ks.map((k) => seen[k]))}`).toBeGreaterThan(0);
    }
    console.log('preview property runs by kind:', JSON.stringify(seen));
    const refused = Object.values(seen).reduce((n, x) => n + x.refused, 0);
    expect(refused).toBeGreaterThan(0);
  });

  it('pages the same list', () => {
    const id = 'genpage';
    const world = World.build(id, 3, institutionRows(id, { seed: 99, users: 30, staff: 6, sections: 5, media: 14, perSection: 8, delegatedAdministration: false, studentLibrary: true }));
    const op = operationNamed('institution.configure')!;
    const all = preview(world, SYSTEM, op, { studentLibrary: false }, { limit: 1000, at: AT });
    expect(all.status).toBe('ok');
    if (all.status !== 'ok') return;
    expect(all.total).toBeGreaterThan(4);
    const pages: string[] = [];
    const size = Math.max(3, Math.ceil(all.total / 6));
    for (let offset = 0; offset < all.total; offset += size) {
      const p = preview(world, SYSTEM, op, { studentLibrary: false }, { limit: size, offset, at: AT });
      if (p.status !== 'ok') throw new Error('refused');
      expect(p.total).toBe(all.total);
      pages.push(...p.items.map((i) => JSON.stringify(i)));
    }
    expect(pages).toEqual(all.items.map((i) => JSON.stringify(i)));
  });
});

