/**
 * The world: the in-memory index of one institution that every decision reads.
 * Built by applying the store's rows as puts, then kept current by applying changelog entries in
 * revision order. It never touches the database and holds no rules: policy/ reads it.
 */
import type { StaffRole } from '../domain/catalog.js';
import type { Change, InstitutionRow, RoleGrantRow, UserRow } from '../domain/rows.js';
import { UnitTree } from './tree.js';

export class World {
  revision = 0;
  institution: InstitutionRow;
  readonly tree = new UnitTree();
  readonly users = new Map<string, UserRow>();
  private readonly byUsername = new Map<string, string>();
  private readonly byEmail = new Map<string, string>();
  private readonly grants = new Map<string, RoleGrantRow[]>();

  constructor(readonly institutionId: string) {
    this.institution = {
      institutionId,
      name: institutionId,
      delegatedAdministration: false,
      studentLibrary: true,
      personalCaptureLicensing: 'packs',
    };
  }

  static build(institutionId: string, revision: number, rows: readonly Change[]): World {
    const w = new World(institutionId);
    for (const c of rows) w.apply(c);
    w.revision = revision;
    return w;
  }

  /** Applies one committed revision's changes. Revisions must arrive in order. */
  applyRevision(revision: number, changes: readonly Change[]): void {
    if (revision <= this.revision) return;
    for (const c of changes) this.apply(c);
    this.revision = revision;
  }

  apply(change: Change): void {
    switch (change.table) {
      case 'institution':
        if (change.op === 'put') this.institution = { ...change.row };
        return;
      case 'unit':
        if (change.op === 'put') this.tree.put({ ...change.row });
        else this.tree.delete(change.row.id);
        return;
      case 'user': {
        const old = this.users.get(change.row.id);
        if (old) {
          this.byUsername.delete(old.username);
          this.byEmail.delete(old.email.toLowerCase());
        }
        if (change.op === 'put') {
          const row = { ...change.row };
          this.users.set(row.id, row);
          this.byUsername.set(row.username, row.id);
          this.byEmail.set(row.email.toLowerCase(), row.id);
        } else {
          this.users.delete(change.row.id);
          this.grants.delete(change.row.id);
        }
        return;
      }
      case 'roleGrant': {
        const g = change.row;
        const list = (this.grants.get(g.userId) ?? []).filter(
          (x) => !(x.role === g.role && x.scopeType === g.scopeType && x.scopeId === g.scopeId),
        );
        if (change.op === 'put') list.push({ ...g });
        if (list.length > 0) this.grants.set(g.userId, list);
        else this.grants.delete(g.userId);
        return;
      }
    }
  }

  // --- the read interface policy uses ---

  get rootId(): string {
    return this.tree.rootId ?? this.institutionId;
  }

  user(id: string): UserRow | undefined {
    return this.users.get(id);
  }

  /** Finds a user by id, username or email (case-insensitive). */
  findUser(key: string): UserRow | undefined {
    const id = this.users.has(key) ? key : (this.byUsername.get(key) ?? this.byEmail.get(key.toLowerCase()));
    return id === undefined ? undefined : this.users.get(id);
  }

  userIdByUsername(username: string): string | undefined {
    return this.byUsername.get(username);
  }

  userIdByEmail(email: string): string | undefined {
    return this.byEmail.get(email.toLowerCase());
  }

  grantsOf(userId: string): readonly RoleGrantRow[] {
    return this.grants.get(userId) ?? [];
  }

  holds(userId: string, role: StaffRole): boolean {
    return this.grantsOf(userId).some((g) => g.role === role);
  }

  /** Units where the user holds `role` with an explicit unit scope. */
  listedUnits(userId: string, role: StaffRole): string[] {
    return this.grantsOf(userId)
      .filter((g) => g.role === role && g.scopeType === 'unit')
      .map((g) => g.scopeId);
  }

  /** Every user holding at least one grant (the staff), in no particular order. */
  usersWithGrants(): IterableIterator<string> {
    return this.grants.keys();
  }

  /** All rows, as puts: what the store would load. Used to compare a world built two ways. */
  snapshot(): Change[] {
    const out: Change[] = [{ table: 'institution', op: 'put', row: this.institution }];
    for (const u of this.tree.ordered()) out.push({ table: 'unit', op: 'put', row: u });
    for (const u of [...this.users.values()].sort((a, b) => cmp(a.id, b.id))) out.push({ table: 'user', op: 'put', row: u });
    const grants = [...this.grants.values()].flat();
    grants.sort((a, b) => cmp(a.userId, b.userId) || cmp(a.role, b.role) || cmp(a.scopeType, b.scopeType) || cmp(a.scopeId, b.scopeId));
    for (const g of grants) out.push({ table: 'roleGrant', op: 'put', row: g });
    return out;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The row a change would replace, looked up by the change's key. */
export function currentRow(w: World, change: Change): unknown {
  const r = change.row;
  switch (change.table) {
    case 'institution':
      return w.institution;
    case 'unit':
      return w.tree.units.get((r as { id: string }).id);
    case 'user':
      return w.users.get((r as { id: string }).id);
    case 'roleGrant': {
      const g = r as RoleGrantRow;
      return w.grantsOf(g.userId).find((x) => x.role === g.role && x.scopeType === g.scopeType && x.scopeId === g.scopeId);
    }
  }
}
