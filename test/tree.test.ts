import { describe, expect, it } from 'vitest';
import { UnitTree } from '../src/world/tree.js';

/** A seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

function naiveWithin(parents: Map<string, string | null>, x: string, y: string): boolean {
  for (let cur: string | null | undefined = x; cur != null; cur = parents.get(cur)) if (cur === y) return true;
  return false;
}

describe('UnitTree', () => {
  it('answers "is within" exactly as walking up the parents does, on random trees, also after moves and deletes', () => {
    const rand = rng(42);
    for (let round = 0; round < 20; round++) {
      const tree = new UnitTree();
      const parents = new Map<string, string | null>([['root', null]]);
      tree.put({ institutionId: 'i', id: 'root', parentId: null, name: 'Root' });
      const ids = ['root'];
      for (let i = 0; i < 60; i++) {
        const id = `u${i}`;
        const parent = ids[Math.floor(rand() * ids.length)]!;
        tree.put({ institutionId: 'i', id, parentId: parent, name: id });
        parents.set(id, parent);
        ids.push(id);
      }
      // Move a leaf-ward unit somewhere that is not inside itself, and delete a leaf.
      const mover = ids[1 + Math.floor(rand() * (ids.length - 1))]!;
      const target = ids.find((t) => !naiveWithin(parents, t, mover))!;
      tree.put({ institutionId: 'i', id: mover, parentId: target, name: mover });
      parents.set(mover, target);
      const leaf = ids.find((t) => t !== 'root' && ![...parents.values()].includes(t))!;
      tree.delete(leaf);
      parents.delete(leaf);
      const live = ids.filter((x) => parents.has(x));
      let comparisons = 0;
      for (const x of live) {
        for (const y of live) {
          expect(tree.within(x, y), `${x} within ${y}`).toBe(naiveWithin(parents, x, y));
          comparisons++;
        }
      }
      expect(comparisons).toBe(live.length * live.length);
      expect(tree.within(leaf, 'root')).toBe(false);
    }
  });

  it('gives paths root first and children in id order', () => {
    const tree = new UnitTree();
    tree.put({ institutionId: 'i', id: 'r', parentId: null, name: 'R' });
    tree.put({ institutionId: 'i', id: 'b', parentId: 'r', name: 'B' });
    tree.put({ institutionId: 'i', id: 'a', parentId: 'r', name: 'A' });
    tree.put({ institutionId: 'i', id: 'c', parentId: 'a', name: 'C' });
    expect(tree.path('c')).toEqual(['r', 'a', 'c']);
    expect(tree.childrenOf('r')).toEqual(['a', 'b']);
    expect(tree.depth('c')).toBe(2);
    expect(tree.ordered().map((u) => u.id)).toEqual(['r', 'a', 'c', 'b']);
  });
});
