/**
 * "May this principal do this unit-scoped action anywhere?" — for the console's navigation
 * (GET /v1/session's `anywhere`). Asking `decide` on every unit costs a decision per unit for the
 * many users it denies everywhere (academic staff), so this asks only where an allow can first
 * appear under the unit rules: the root and its children (institution-wide and system admins, who
 * may not rename the root itself), and each unit where the principal holds a role, with its
 * children (a delegated admin changes the units below the one they are listed at, and a scheduler
 * or admin manages within it). Every answer is still `decide`'s. test/console-session.test.ts
 * checks it against asking every unit, for every demo user and action.
 */
import type { World } from '../world/world.js';
import type { Principal } from './actor.js';
import { decide } from './index.js';

export function allowedSomewhere(w: World, p: Principal, action: string): boolean {
  const candidates = new Set<string>([w.rootId, ...w.tree.childrenOf(w.rootId)]);
  if (p.kind === 'user' && p.institutionId === w.institutionId) {
    for (const g of w.grantsOf(p.userId)) {
      if (g.scopeType !== 'unit' || !w.tree.units.has(g.scopeId)) continue;
      candidates.add(g.scopeId);
      for (const c of w.tree.childrenOf(g.scopeId)) candidates.add(c);
    }
  }
  for (const u of candidates) if (decide(w, p, action, `unit:${u}`, {}, { explain: false }).allow) return true;
  return false;
}
