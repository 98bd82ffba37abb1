/**
 * Model agreement: Lectern's fast rules (src/policy, over the indexed World) against the slow,
 * obvious reference of test/model/reference.ts (over plain rows), on many random decisions in
 * generated institutions. Every disagreement is printed with both answers and Lectern's reasons;
 * the suite passes only when every one is in the (tiny, reasoned) allow-list of known cases.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/index.js';
import { World } from '../../src/world/world.js';
import { referenceDecide, rowsOf, type Rows } from '../model/reference.js';
import { runs, SEED } from './config.js';
import { institutionRows, queryGenerator, type Query, type Shape } from './worlds.js';

/** Known, reported disagreements: each with a one-line reason. Keep it tiny. */
/** Disagreements understood and accepted, each with its reason. None today: the two found were fixed. */
export const KNOWN: { name: string; reason: string; matches: (rows: Rows, q: Query, lectern: boolean) => boolean }[] = [];

const PER_INSTITUTION = 10_000;
const INSTITUTIONS = runs(20);

const shape: fc.Arbitrary<Shape> = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  users: fc.integer({ min: 8, max: 50 }),
  staff: fc.integer({ min: 3, max: 14 }),
  sections: fc.integer({ min: 2, max: 12 }),
  media: fc.integer({ min: 4, max: 40 }),
  perSection: fc.integer({ min: 2, max: 10 }),
  delegatedAdministration: fc.boolean(),
  studentLibrary: fc.boolean(),
});

export const stats = { decisions: 0, allowed: 0, disagreements: 0, known: 0 };

describe('model agreement: src/policy decide() against test/model/reference.ts', () => {
  it(`agrees on ${INSTITUTIONS} institutions × ${PER_INSTITUTION} random decisions`, { timeout: 3_600_000 }, () => {
    const printed = new Map<string, number>();
    const unexplained: string[] = [];
    fc.assert(
      fc.property(shape, fc.integer({ min: 1, max: 0x7fffffff }), (s, qseed) => {
        const staff = Math.min(s.staff, s.users);
        const id = `gen${s.seed % 1000}`;
        const changes = institutionRows(id, { ...s, staff });
        const world = World.build(id, 1, changes);
        const rows = rowsOf(world.snapshot());
        const next = queryGenerator(rows, qseed);
        for (let i = 0; i < PER_INSTITUTION; i++) {
          const q = next();
          const principal = { kind: 'user' as const, ...q.who };
          const lectern = decide(world, principal, q.action, q.resource, q.context, { explain: false }).allow;
          const model = referenceDecide(rows, q.who, q.action, q.resource, q.context);
          stats.decisions++;
          if (lectern) stats.allowed++;
          if (lectern === model) continue;
          stats.disagreements++;
          const known = KNOWN.find((k) => k.matches(rows, q, lectern));
          if (known) {
            stats.known++;
            continue;
          }
          const cls = `${q.action} lectern=${lectern}`;
          const n = printed.get(cls) ?? 0;
          printed.set(cls, n + 1);
          if (n < 3) {
            const reasons = decide(world, principal, q.action, q.resource, q.context).reasons;
            const line = `DISAGREE [${cls}] shape=${JSON.stringify(s)} qseed=${qseed} who=${JSON.stringify(q.who)} ${q.action} ${q.resource} ${JSON.stringify(q.context)} lectern=${lectern} model=${model} reasons=${JSON.stringify(reasons)}`;
            console.log(line);
            unexplained.push(line);
          }
        }
      }),
      { seed: SEED, numRuns: INSTITUTIONS, endOnFailure: true },
    );
    console.log(`model agreement: ${stats.decisions} decisions compared (${stats.allowed} allowed), ${stats.disagreements} disagreements, ${stats.known} of them known; classes: ${JSON.stringify([...printed])}`);
    expect(unexplained).toEqual([]);
  });
});
