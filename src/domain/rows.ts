/**
 * The rows Lectern keeps, as the store persists them and the world indexes them.
 * Every row carries its institution id first: an institution is the unit of tenancy and sharding.
 * A change is a row put or deleted; the changelog records changes, the world applies them.
 */
import type { LicensingMode, StaffRole, UserStatus } from './catalog.js';

export interface InstitutionRow {
  institutionId: string;
  name: string;
  delegatedAdministration: boolean;
  studentLibrary: boolean;
  personalCaptureLicensing: LicensingMode;
}

export interface UnitRow {
  institutionId: string;
  id: string;
  /** null only for the root unit, whose id is the institution's id. */
  parentId: string | null;
  name: string;
}

export interface UserRow {
  institutionId: string;
  id: string;
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  identityProvider: string;
  status: UserStatus;
}

/**
 * A staff role held by a user. scopeType 'none' with role admin is "admin with no listed unit" (§4);
 * admin rows with scopeType 'unit' are the units where the admin is listed.
 */
export interface RoleGrantRow {
  institutionId: string;
  userId: string;
  role: StaffRole;
  scopeType: 'none' | 'platform' | 'unit';
  scopeId: string;
}

export interface TableRows {
  institution: InstitutionRow;
  unit: UnitRow;
  user: UserRow;
  roleGrant: RoleGrantRow;
}
export type TableName = keyof TableRows;

/** Key columns of each table, after the institution id. */
export const TABLE_KEYS = {
  institution: ['institutionId'],
  unit: ['institutionId', 'id'],
  user: ['institutionId', 'id'],
  roleGrant: ['institutionId', 'userId', 'role', 'scopeType', 'scopeId'],
} as const satisfies { [T in TableName]: readonly (keyof TableRows[T])[] };

export type Change = {
  [T in TableName]: { table: T; op: 'put' | 'del'; row: TableRows[T] };
}[TableName];

export function rowKey(change: Change): string {
  const keys = TABLE_KEYS[change.table] as readonly string[];
  const row = change.row as unknown as Record<string, unknown>;
  return change.table + '|' + keys.map((k) => String(row[k])).join('|');
}
