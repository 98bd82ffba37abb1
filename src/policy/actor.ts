/**
 * Who is asking, and what their staff roles amount to in one institution (SPEC §3–4).
 * These are the rules of rights: where an admin's rights lie under delegated administration,
 * what "admin over a unit" means, and what makes one user "above" another.
 */
import { ROLE_LABEL, type StaffRole } from '../domain/catalog.js';
import type { RoleGrantRow } from '../domain/rows.js';
import type { World } from '../world/world.js';
import { labelOf } from '../domain/labels.js';

/** The authenticated caller. `system` is Lectern itself loading a world; it is never a person. */
export type Principal =
  | { kind: 'user'; institutionId: string; userId: string; systemAdmin: boolean }
  | { kind: 'system'; via?: string };

export const SYSTEM: Principal = { kind: 'system' };

/**
 * A grant's scope. `none` is a role held with no listed unit. For admin it comes in two kinds:
 * the default one (institution-level while delegated administration is off) and `listedOnly`,
 * an admin whose rights are only where they are listed — one created while DA was on, or one
 * listed at a unit. The DA-on transition turns every default holding into `listedOnly`, which is
 * how turning DA off again promotes nobody (SPEC §4).
 */
export type Scope = { type: 'none'; listedOnly?: boolean } | { type: 'platform' } | { type: 'unit'; id: string };

export const LISTED_ONLY = 'listedOnly';

export function scopeOf(g: Pick<RoleGrantRow, 'scopeType' | 'scopeId'>): Scope {
  if (g.scopeType === 'unit') return { type: 'unit', id: g.scopeId };
  if (g.scopeType === 'none') return g.scopeId === LISTED_ONLY ? { type: 'none', listedOnly: true } : { type: 'none' };
  return { type: 'platform' };
}

export function describeScope(w: World, s: Scope): string {
  if (s.type === 'platform') return 'the platform';
  if (s.type === 'none') return 'no listed unit';
  return s.id === w.rootId ? `the institution (${w.tree.name(s.id)})` : `unit ${w.tree.name(s.id)}`;
}

export function describeGrant(w: World, role: StaffRole, s: Scope): string {
  const label = labelOf(role, ROLE_LABEL[role], w.roleLabels());
  if (s.type !== 'none') return `${label} at ${describeScope(w, s)}`;
  if (role !== 'admin') return `${label} with no listed unit`;
  return s.listedOnly ? 'admin with rights only where listed' : 'admin with no listed unit (institution-level while delegated administration is off)';
}

/**
 * The units where a user has admin rights (SPEC §4): the listed units; with none listed, the root
 * while delegated administration is off — unless the admin is one whose rights are only where
 * listed (created while DA was on) — and nothing while it is on.
 */
export function adminUnits(w: World, userId: string): string[] {
  const cached = w.adminUnitsCache.get(userId);
  if (cached) return cached;
  const units = computeAdminUnits(w, userId);
  w.adminUnitsCache.set(userId, units);
  return units;
}

function computeAdminUnits(w: World, userId: string): string[] {
  const grants = w.grantsOf(userId);
  let holdsDefault = false;
  let listed: string[] | undefined;
  for (const g of grants) {
    if (g.role !== 'admin') continue;
    if (g.scopeType === 'unit') (listed ??= []).push(g.scopeId);
    else if (g.scopeType === 'none' && g.scopeId !== LISTED_ONLY) holdsDefault = true;
  }
  if (listed) return listed;
  return holdsDefault && !w.institution.delegatedAdministration ? [w.rootId] : [];
}

/** The deciding fact about one user in one institution, computed once per decision. */
export class Actor {
  private _adminUnits: string[] | undefined;

  constructor(
    readonly world: World,
    readonly principal: Principal,
  ) {}

  get id(): string {
    return this.principal.kind === 'user' ? this.principal.userId : '(Lectern)';
  }

  get name(): string {
    if (this.principal.kind === 'system') return this.principal.via ? `Lectern (${this.principal.via})` : 'Lectern (system)';
    return this.principal.institutionId === this.world.institutionId ? this.principal.userId : `${this.principal.institutionId}/${this.principal.userId}`;
  }

  /** A principal from another institution that is not a system admin has nothing here. */
  get foreign(): boolean {
    return this.principal.kind === 'user' && this.principal.institutionId !== this.world.institutionId;
  }

  get isSystem(): boolean {
    return this.principal.kind === 'system';
  }

  get isSystemAdmin(): boolean {
    return this.principal.kind === 'system' || this.principal.systemAdmin;
  }

  get active(): boolean {
    if (this.principal.kind === 'system') return true;
    if (this.foreign) return this.principal.systemAdmin;
    return this.world.user(this.principal.userId)?.status === 'active';
  }

  get adminUnits(): string[] {
    if (this._adminUnits) return this._adminUnits;
    if (this.isSystemAdmin) return (this._adminUnits = [this.world.rootId]);
    if (this.foreign || this.principal.kind !== 'user') return (this._adminUnits = []);
    return (this._adminUnits = adminUnits(this.world, this.principal.userId));
  }

  /** The admin unit that contains `unitId`, if any. */
  adminUnitOver(unitId: string): string | undefined {
    return this.adminUnits.find((a) => this.world.tree.within(unitId, a));
  }

  /** An admin unit that strictly contains `unitId` (to manage the unit itself). */
  adminUnitAbove(unitId: string): string | undefined {
    return this.adminUnits.find((a) => a !== unitId && this.world.tree.within(unitId, a));
  }

  get isInstitutionAdmin(): boolean {
    return this.adminUnits.includes(this.world.rootId);
  }

  get isAnyAdmin(): boolean {
    return this.adminUnits.length > 0;
  }

  holds(role: StaffRole): boolean {
    return this.principal.kind === 'user' && !this.foreign && this.world.holds(this.principal.userId, role);
  }

  listed(role: StaffRole): string[] {
    return this.principal.kind === 'user' && !this.foreign ? this.world.listedUnits(this.principal.userId, role) : [];
  }
}
