/**
 * The org-unit tree with an O(1) "is within" test: each unit gets an Euler-tour interval
 * [enter, exit]; X is within Y exactly when Y's interval contains X's. Intervals are rebuilt
 * lazily after the tree changes (units change rarely; decisions ask constantly).
 */
import type { UnitRow } from '../domain/rows.js';

export class UnitTree {
  readonly units = new Map<string, UnitRow>();
  private children = new Map<string, string[]>();
  private enter = new Map<string, number>();
  private exit = new Map<string, number>();
  private depthOf = new Map<string, number>();
  private dirty = true;
  rootId: string | undefined;

  put(row: UnitRow): void {
    this.units.set(row.id, row);
    if (row.parentId === null) this.rootId = row.id;
    this.dirty = true;
  }

  delete(id: string): void {
    this.units.delete(id);
    if (this.rootId === id) this.rootId = undefined;
    this.dirty = true;
  }

  private rebuild(): void {
    this.children = new Map();
    for (const u of this.units.values()) {
      if (u.parentId === null) continue;
      let list = this.children.get(u.parentId);
      if (!list) this.children.set(u.parentId, (list = []));
      list.push(u.id);
    }
    for (const list of this.children.values()) list.sort();
    this.enter = new Map();
    this.exit = new Map();
    this.depthOf = new Map();
    let clock = 0;
    if (this.rootId !== undefined) {
      // Iterative DFS: trees may be deep.
      const stack: { id: string; depth: number; next: number }[] = [{ id: this.rootId, depth: 0, next: 0 }];
      this.enter.set(this.rootId, clock++);
      this.depthOf.set(this.rootId, 0);
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const kids = this.children.get(top.id) ?? [];
        if (top.next < kids.length) {
          const child = kids[top.next++]!;
          this.enter.set(child, clock++);
          this.depthOf.set(child, top.depth + 1);
          stack.push({ id: child, depth: top.depth + 1, next: 0 });
        } else {
          this.exit.set(top.id, clock++);
          stack.pop();
        }
      }
    }
    this.dirty = false;
  }

  /** True when unit x is y or a descendant of y. */
  within(x: string, y: string): boolean {
    if (this.dirty) this.rebuild();
    const ex = this.enter.get(x);
    const ey = this.enter.get(y);
    if (ex === undefined || ey === undefined) return false;
    return ey <= ex && this.exit.get(x)! <= this.exit.get(y)!;
  }

  childrenOf(id: string): readonly string[] {
    if (this.dirty) this.rebuild();
    return this.children.get(id) ?? [];
  }

  depth(id: string): number {
    if (this.dirty) this.rebuild();
    return this.depthOf.get(id) ?? -1;
  }

  /** Root first, the unit itself last. */
  path(id: string): string[] {
    const out: string[] = [];
    let cur = this.units.get(id);
    while (cur) {
      out.push(cur.id);
      cur = cur.parentId === null ? undefined : this.units.get(cur.parentId);
    }
    return out.reverse();
  }

  name(id: string): string {
    return this.units.get(id)?.name ?? id;
  }

  /** Units in tree order (pre-order), for listings. */
  ordered(): UnitRow[] {
    if (this.dirty) this.rebuild();
    return [...this.units.values()].sort((a, b) => (this.enter.get(a.id) ?? 0) - (this.enter.get(b.id) ?? 0));
  }
}
