/**
 * Who is asking, and what their staff roles amount to in one institution (SPEC §3–4).
 * These are the rules of rights: where an admin's rights lie under delegated administration,
 * what "admin over a unit" means, and what makes one user "above" another.
 */
import { ROLE_LABEL, type StaffRole } from '../domain/catalog.js';
import type { RoleGrantRow } from '../domain/rows.js';
import type { World } from '../world/world.js';

/** The authenticated caller. `system` is Lectern itself loading a world; it is never a person. */
export type Principal =
  | { kind: 'user'; institutionId: string; userId: string; systemAdmin: boolean }
  | { kind: 'system' };

export const SYSTEM: Principal = { kind: 'system' };

/** A grant's scope, as written by callers. */
export type Scope = { type: 'none' } | { type: 'platform' } | { type: 'unit'; id: string };

export function scopeOf(g: Pick<RoleGrantRow, 'scopeType' | 'scopeId'>): Scope {
  return g.scopeType === 'unit' ? { type: 'unit', id: g.scopeId } : { type: g.scopeType };
}

export function describeScope(w: World, s: Scope): string {
  if (s.type === 'platform') return 'the platform';
  if (s.type === 'none') return 'no listed unit';
  return s.id === w.rootId ? `the institution (${w.tree.name(s.id)})` : `unit ${w.tree.name(s.id)}`;
}

export function describeGrant(w: World, role: StaffRole, s: Scope): string {
  return s.type === 'none' ? `${ROLE_LABEL[role]} with no listed unit` : `${ROLE_LABEL[role]} at ${describeScope(w, s)}`;
}

/**
 * The units where a user has admin rights (SPEC §4): the listed units; with none listed,
 * the root while delegated administration is off, and nothing while it is on.
 */
export function adminUnits(w: World, userId: string): string[] {
  const grants = w.grantsOf(userId);
  if (!grants.some((g) => g.role === 'admin')) return [];
  const listed = grants.filter((g) => g.role === 'admin' && g.scopeType === 'unit').map((g) => g.scopeId);
  if (listed.length > 0) return listed;
  return w.institution.delegatedAdministration ? [] : [w.rootId];
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
    if (this.principal.kind === 'system') return 'Lectern (loading a world)';
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
