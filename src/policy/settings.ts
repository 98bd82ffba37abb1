/**
 * Section feature toggles (SPEC §7): set at the root, any unit or a section, each with
 * allowsOverride. The effective value at a level: walk from the root down; the first level that
 * sets the key with allowsOverride off fixes it for everything below; otherwise the lowest level
 * that sets it wins; otherwise the built-in default. Computed on demand from the levels, so a
 * change at any level reaches every section below at once.
 */
import { TOGGLES, type ToggleKey } from '../domain/catalog.js';
import type { SettingRow } from '../domain/rows.js';
import type { World } from '../world/world.js';

export interface Level {
  scopeType: 'unit' | 'section';
  scopeId: string;
}

export interface Effective {
  value: string;
  /** Where the value comes from; undefined for the built-in default. */
  source: SettingRow | undefined;
  /** True when a level fixed it (allowsOverride off). */
  locked: boolean;
}

/** The levels that bear on a unit or a section, root first. */
export function levelsOf(w: World, level: Level): Level[] {
  if (level.scopeType === 'section') {
    const unit = w.sectionUnit(level.scopeId);
    const units = unit ? w.tree.path(unit) : [w.rootId];
    return [...units.map((id) => ({ scopeType: 'unit' as const, scopeId: id })), level];
  }
  return w.tree.path(level.scopeId).map((id) => ({ scopeType: 'unit' as const, scopeId: id }));
}

export function effective(w: World, level: Level, key: ToggleKey): Effective {
  let byLevel = w.effectiveCache.get(key) as Map<string, Effective> | undefined;
  if (!byLevel) w.effectiveCache.set(key, (byLevel = new Map()));
  const id = level.scopeType === 'section' ? level.scopeId : `unit:${level.scopeId}`;
  let e = byLevel.get(id);
  if (!e) byLevel.set(id, (e = compute(w, level, key)));
  return e;
}

function compute(w: World, level: Level, key: ToggleKey): Effective {
  let lowest: SettingRow | undefined;
  for (const l of levelsOf(w, level)) {
    const s = w.settingsAt(l.scopeType, l.scopeId)?.get(key);
    if (!s) continue;
    if (!s.allowsOverride) return { value: s.value, source: s, locked: true };
    lowest = s;
  }
  return lowest ? { value: lowest.value, source: lowest, locked: false } : { value: TOGGLES[key].default, source: undefined, locked: false };
}

/** The level strictly above `level` that locks `key`, if any. */
export function lockAbove(w: World, level: Level, key: ToggleKey): SettingRow | undefined {
  const levels = levelsOf(w, level);
  for (const l of levels.slice(0, -1)) {
    const s = w.settingsAt(l.scopeType, l.scopeId)?.get(key);
    if (s && !s.allowsOverride) return s;
  }
  return undefined;
}

export function describeLevel(w: World, l: Level): string {
  if (l.scopeType === 'section') return `section ${l.scopeId}`;
  return l.scopeId === w.rootId ? `the institution (${w.tree.name(l.scopeId)})` : `unit ${w.tree.name(l.scopeId)}`;
}

const VALUE_WORDS: Record<string, string> = { on: 'on', off: 'off', audioOnly: 'audio-only' };

/** "downloads are audio-only, locked at unit Engineering" */
export function describeEffective(w: World, key: ToggleKey, e: Effective): string {
  const v = VALUE_WORDS[e.value] ?? e.value;
  if (!e.source) return `${key} is ${v} (the default)`;
  return `${key} is ${v}, ${e.locked ? 'locked' : 'set'} at ${describeLevel(w, e.source)}`;
}
