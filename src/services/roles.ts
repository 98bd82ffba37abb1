/**
 * What each role does, as the API and the console show it (docs/ROLES.md): the built-in roles and
 * access levels under the institution's names, then the custom roles it defined, with their
 * capabilities, scope kind, home unit and how many hold them.
 */
import { formatCapability } from '../domain/capability.js';
import { labelOf } from '../domain/labels.js';
import { builtInRoles, type RoleModel } from '../domain/roles.js';
import type { World } from '../world/world.js';

export interface RoleView extends RoleModel {
  /** The built-in name, when the institution renamed the role. */
  builtInLabel?: string;
  /** Custom roles: the unit they are defined at (granted only within it) and how many grants they have. */
  unit?: string;
  holders?: number;
}

export function rolesOf(w: World): RoleView[] {
  const labels = w.roleLabels();
  const out: RoleView[] = builtInRoles().map((r) => {
    const label = labelOf(r.renameKey ?? r.id, r.label, labels);
    return label === r.label ? r : { ...r, label, builtInLabel: r.label };
  });
  const custom = [...w.tables.customRole.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const r of custom) {
    out.push({
      id: r.id,
      label: r.name,
      kind: 'custom',
      scopeKind: r.scopeKind,
      description: r.description,
      capabilities: w.capabilitiesOf(r.id).map(formatCapability),
      limits: r.scopeKind === 'unit' ? `Granted at ${w.tree.name(r.unitId)} or a unit below it; each capability gives what an admin there may do with that action.` : `Granted at a section within ${w.tree.name(r.unitId)}; each capability gives, within the section, what an admin of its unit may do with that action.`,
      unit: r.unitId,
      holders: w.holdersOf(r.id).size,
    });
  }
  return out;
}

/** Who holds a custom role, and where. */
export function holdersOf(w: World, roleId: string): { user: string; scope: string }[] {
  return [...w.holdersOf(roleId)].map((g) => ({ user: g.userId, scope: g.scopeType === 'section' ? `section:${g.scopeId}` : g.scopeId })).sort((a, b) => (a.user + a.scope < b.user + b.scope ? -1 : 1));
}
