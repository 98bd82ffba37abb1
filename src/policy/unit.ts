/**
 * Org-unit rules (SPEC §1, §3): an admin creates units under any unit within their rights, and
 * manages (renames, moves, deletes) a unit only from above it — a child organisation's admin does
 * not delete their own organisation.
 */
import { allow, because, type Decision, deny } from '../domain/outcome.js';
import type { Actor } from './actor.js';
import type { RuleTable } from './types.js';

function over(actor: Actor, unitId: string, doing: string): Decision {
  const w = actor.world;
  const a = actor.adminUnitOver(unitId);
  if (a !== undefined) return allow(because`${actor.name} is admin of ${w.tree.name(a)}, which contains ${w.tree.name(unitId)}`);
  return deny(because`${actor.name} has no admin rights over ${w.tree.name(unitId)} to ${doing}`);
}

function above(actor: Actor, unitId: string, doing: string): Decision {
  const w = actor.world;
  if (unitId === w.rootId) {
    return actor.isSystemAdmin ? allow(because`${actor.name} is a system admin`) : deny(because`only a system admin ${doing} the institution's root unit`);
  }
  const a = actor.adminUnitAbove(unitId);
  if (a !== undefined) return allow(because`${actor.name} is admin of ${w.tree.name(a)}, above ${w.tree.name(unitId)}`);
  return deny(because`a unit is managed from above it; ${actor.name} is not admin of a unit containing ${w.tree.name(unitId)}`);
}

export const unitRules: RuleTable = {
  'unit.create': ({ actor, resource }) => over(actor, resource.id, 'create units in it'),
  'unit.update': ({ actor, resource, context }) => {
    const d = above(actor, resource.id, 'renames or moves');
    if (!d.allow || typeof context.parent !== 'string') return d;
    const p = over(actor, context.parent, 'move units into it');
    return p.allow ? allow(...d.reasons, ...p.reasons) : p;
  },
  'unit.delete': ({ actor, resource }) => above(actor, resource.id, 'deletes'),
};
