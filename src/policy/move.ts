/**
 * SPEC §7 "Moving does not escape a lock": moving a unit, a course or a section to another parent
 * is refused when it would change the effective value of a locked toggle for anything moved (the
 * unit and everything below it, the course's sections, the section), unless the actor may set that
 * toggle at both places — the old parent and the new one; where a lock governs a place, setting it
 * there means changing the lock, so the right to change the settings of the lock's unit.
 *
 * "Locked" is a lock above what moves, at the old place or at the new one: a lock set inside what
 * moves goes with it. The operations that move things (unit.update with a parent, course.update
 * with a unit) call `moveConflict` once and refuse with its words as a `conflict`.
 */
import { TOGGLES, type ToggleKey } from '../domain/catalog.js';
import { conflict, deniedBy, deny } from '../domain/outcome.js';
import type { SettingRow } from '../domain/rows.js';
import type { World } from '../world/world.js';
import type { Actor } from './actor.js';
import { decide } from './index.js';
import { describeLevel, type Level } from './settings.js';

export type Moved = { type: 'unit'; id: string } | { type: 'course'; id: string } | { type: 'section'; id: string };

interface Along {
  value: string;
  source: SettingRow | undefined;
  /** The lock among the levels above what moved, if one fixes the value. */
  lockAbove: SettingRow | undefined;
}

/** The effective value walking `above` (levels above what moved) then `inside` (within it). */
function along(w: World, above: readonly Level[], inside: readonly Level[], key: ToggleKey): Along {
  let lowest: SettingRow | undefined;
  for (const l of above) {
    const s = w.settingsAt(l.scopeType, l.scopeId)?.get(key);
    if (!s) continue;
    if (!s.allowsOverride) return { value: s.value, source: s, lockAbove: s };
    lowest = s;
  }
  for (const l of inside) {
    const s = w.settingsAt(l.scopeType, l.scopeId)?.get(key);
    if (!s) continue;
    if (!s.allowsOverride) return { value: s.value, source: s, lockAbove: undefined };
    lowest = s;
  }
  return { value: lowest?.value ?? TOGGLES[key].default, source: lowest, lockAbove: undefined };
}

const unitLevels = (ids: readonly string[]): Level[] => ids.map((id) => ({ scopeType: 'unit' as const, scopeId: id }));

/** Every level that moves, each with the levels inside what moved down to it (inclusive). */
function movedLevels(w: World, moved: Moved): { level: Level; inside: Level[] }[] {
  const out: { level: Level; inside: Level[] }[] = [];
  const sectionsOf = (courseIds: ReadonlySet<string>, insideAbove: Level[]) => {
    for (const s of w.tables.section.values()) {
      if (!courseIds.has(s.courseId)) continue;
      const level: Level = { scopeType: 'section', scopeId: s.id };
      out.push({ level, inside: [...insideAbove, level] });
    }
  };
  if (moved.type === 'section') {
    const level: Level = { scopeType: 'section', scopeId: moved.id };
    out.push({ level, inside: [level] });
  } else if (moved.type === 'course') {
    sectionsOf(new Set([moved.id]), []);
  } else {
    const stack: { id: string; inside: Level[] }[] = [{ id: moved.id, inside: unitLevels([moved.id]) }];
    const coursesByUnit = new Map<string, Set<string>>();
    for (const c of w.tables.course.values()) {
      let set = coursesByUnit.get(c.unitId);
      if (!set) coursesByUnit.set(c.unitId, (set = new Set()));
      set.add(c.id);
    }
    while (stack.length) {
      const { id, inside } = stack.pop()!;
      out.push({ level: { scopeType: 'unit', scopeId: id }, inside });
      const courses = coursesByUnit.get(id);
      if (courses) sectionsOf(courses, inside);
      for (const child of w.tree.childrenOf(id)) stack.push({ id: child, inside: [...inside, { scopeType: 'unit', scopeId: child }] });
    }
  }
  return out;
}

/** The unit a moved thing hangs from now (its parent unit, its unit, its course's unit). */
function parentUnit(w: World, moved: Moved): string | undefined {
  if (moved.type === 'unit') return w.tree.units.get(moved.id)?.parentId ?? undefined;
  if (moved.type === 'course') return w.course(moved.id)?.unitId;
  const s = w.section(moved.id);
  return s ? w.course(s.courseId)?.unitId : undefined;
}

/**
 * Could the actor change `key` at unit `unitId`? Where a lock governs it (the first level from the
 * root that sets it with allowsOverride off, the unit itself included), only by changing the lock,
 * so the right to set the unit's settings there; otherwise at the unit itself.
 */
function maySetAt(actor: Actor, unitId: string, key: ToggleKey): boolean {
  const w = actor.world;
  const path = w.tree.path(unitId);
  const lock = path.find((id) => w.settingsAt('unit', id)?.get(key)?.allowsOverride === false);
  return decide(w, actor.principal, 'unit.settings', { type: 'unit', id: lock ?? unitId }, {}, { explain: false }).allow;
}

const WORDS: Record<string, string> = { on: 'on', off: 'off', audioOnly: 'audio-only' };

function describe(w: World, a: Along): string {
  const v = WORDS[a.value] ?? a.value;
  if (!a.source) return `${v} (the default)`;
  return `${v} (${a.source.allowsOverride ? 'set' : 'locked'} at ${describeLevel(w, a.source)})`;
}

/**
 * Would moving `moved` under `to` (a unit for a unit or a course, a course for a section) change a
 * locked toggle for anything moved, for an actor who may not set it at both places? Returns the
 * reason to refuse with, naming the toggle and the lock, or undefined.
 */
export function moveConflict(actor: Actor, moved: Moved, to: string): string | undefined {
  const w = actor.world;
  const from = parentUnit(w, moved);
  const toUnit = moved.type === 'section' ? w.course(to)?.unitId : to;
  if (from === undefined || toUnit === undefined || from === toUnit) return undefined;
  const before = unitLevels(w.tree.path(from));
  const after = unitLevels(w.tree.path(toUnit));
  const levels = movedLevels(w, moved);
  for (const key of Object.keys(TOGGLES) as ToggleKey[]) {
    let mayBoth: boolean | undefined;
    for (const { level, inside } of levels) {
      const old = along(w, before, inside, key);
      const now = along(w, after, inside, key);
      if (old.value === now.value || (!old.lockAbove && !now.lockAbove)) continue;
      mayBoth ??= maySetAt(actor, from, key) && maySetAt(actor, toUnit, key);
      if (mayBoth) break;
      const what = moved.type === 'unit' ? `unit ${w.tree.name(moved.id)}` : `${moved.type} ${moved.id}`;
      const lock = (old.lockAbove ?? now.lockAbove)!;
      return (
        `moving ${what} from ${w.tree.name(from)} to ${w.tree.name(toUnit)} would change ${key} for ${describeLevel(w, level)} ` +
        `from ${describe(w, old)} to ${describe(w, now)}; it is locked at ${describeLevel(w, lock)}, and ${actor.name} may not set ${key} at both ${w.tree.name(from)} and ${w.tree.name(toUnit)}`
      );
    }
  }
  return undefined;
}

/**
 * A move must not hand the actor rights over what moves that they did not hold before: moving a
 * course (or a section) from a unit where the actor is only a scheduler into one they administer
 * would give them admin rights over its sections and media. Found by test/property/reach.test.ts.
 * (A unit is moved only by an admin of both places, so it cannot gain this way.)
 */
export function moveGain(actor: Actor, moved: Moved, to: string): string | undefined {
  if (moved.type === 'unit' || actor.isSystemAdmin) return undefined;
  const w = actor.world;
  const from = parentUnit(w, moved);
  const toUnit = moved.type === 'section' ? w.course(to)?.unitId : to;
  if (from === undefined || toUnit === undefined || from === toUnit) return undefined;
  if (actor.adminUnitOver(toUnit) === undefined || actor.adminUnitOver(from) !== undefined) return undefined;
  return `moving ${moved.type} ${moved.id} from ${w.tree.name(from)} to ${w.tree.name(toUnit)} would put it under ${actor.name}'s admin rights, which do not contain ${w.tree.name(from)}; an admin of ${w.tree.name(from)} moves it`;
}

/**
 * For operations: refuses a move that would give the actor rights they did not hold (denied, see
 * `moveGain`) or change a locked toggle (conflict `movedUnderLock` on `field`, see `moveConflict`).
 */
export function refuseMoveUnderLock(actor: Actor, moved: Moved, to: string | undefined, field: string): void {
  if (to === undefined) return;
  const gain = moveGain(actor, moved, to);
  if (gain !== undefined) throw deniedBy(deny(gain));
  const why = moveConflict(actor, moved, to);
  if (why !== undefined) throw conflict('movedUnderLock', why, field);
}
