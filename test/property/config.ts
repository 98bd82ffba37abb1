/**
 * How hard the property tests try. The normal suite runs a bounded number of runs with a fixed
 * seed; `npm run test:long` sets LECTERN_PROPERTY_SCALE (default there: 25) to multiply the runs.
 * LECTERN_PROPERTY_SEED replays another seed.
 */
export const SCALE = Math.max(1, Number(process.env.LECTERN_PROPERTY_SCALE ?? '1') || 1);
export const SEED = Number(process.env.LECTERN_PROPERTY_SEED ?? '20261123') || 20261123;
export const LONG = SCALE > 1;

export function runs(normal: number): number {
  return Math.round(normal * SCALE);
}

/** A small deterministic PRNG for the many draws inside one fast-check run (mulberry32). */
export function prng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
    chance: (p) => next() < p,
  };
}
