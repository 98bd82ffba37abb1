/**
 * The rows Lectern keeps, as the store persists them and the world indexes them.
 * Every row carries its institution id first: an institution is the unit of tenancy and sharding.
 * A change is a row put or deleted; the changelog records changes, the world applies them.
 */
import type { ClassKind, CollectionLevel, Feature, LibraryRole, LicensingMode, MediaOrigin, SectionRole, StaffRole, UserStatus } from './catalog.js';

export interface InstitutionRow {
  institutionId: string;
  name: string;
  delegatedAdministration: boolean;
  studentLibrary: boolean;
  personalCaptureLicensing: LicensingMode;
  /** Days the student activity record is kept (issue 20); 0 keeps it for ever. Absent means the default, 365. */
  activityRetentionDays?: number;
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

export interface TermRow {
  institutionId: string;
  id: string;
  unitId: string;
  name: string;
  /** yyyy-mm-dd, inclusive. */
  startDate: string;
  endDate: string;
}

export interface CourseRow {
  institutionId: string;
  id: string;
  unitId: string;
  name: string;
}

export interface SectionRow {
  institutionId: string;
  id: string;
  courseId: string;
  termId: string;
  name: string;
}

export interface EnrollmentRow {
  institutionId: string;
  sectionId: string;
  userId: string;
  role: SectionRole;
}

export interface ScheduleRow {
  institutionId: string;
  id: string;
  /** null: a schedule that targets no section; it stays with its unit. */
  sectionId: string | null;
  unitId: string;
  presenterId: string | null;
  roomId: string | null;
  name: string;
}

export interface ClassRow {
  institutionId: string;
  id: string;
  sectionId: string;
  kind: ClassKind;
  name: string;
}

export interface MediaRow {
  institutionId: string;
  id: string;
  ownerId: string;
  /** Who presented it (a guest presenter sees what they presented); null means the owner. */
  presenterId: string | null;
  origin: MediaOrigin;
  /** Set when embedded into an LMS homework assignment. */
  locked: boolean;
  title: string;
  /** The library the media lives in, if any (SPEC §9). */
  libraryId: string | null;
  /** Edit details (SPEC §7, issue 20): free text, '' when none. Absent on rows written before it existed. */
  description?: string;
  /** Edit details: a JSON list of tags ('[]' when none); see mediaTags(). */
  tags?: string;
}

/** A media row's tags as a list. */
export function mediaTags(m: Pick<MediaRow, 'tags'>): string[] {
  return m.tags ? (JSON.parse(m.tags) as string[]) : [];
}

export interface PublicationRow {
  institutionId: string;
  mediaId: string;
  classId: string;
  publishedBy: string;
}

export interface MediaShareRow {
  institutionId: string;
  mediaId: string;
  userId: string;
  sharedBy: string;
}

export interface SettingRow {
  institutionId: string;
  scopeType: 'unit' | 'section';
  scopeId: string;
  key: string;
  /** The canonical spelling: 'on' / 'off' for booleans, the enum value otherwise. */
  value: string;
  allowsOverride: boolean;
}

export interface RoomRow {
  institutionId: string;
  id: string;
  name: string;
}

export interface DeviceRow {
  institutionId: string;
  id: string;
  roomId: string | null;
  name: string;
  /** JSON text of device-level properties. */
  configuration: string;
}

export interface LicensePackRow {
  institutionId: string;
  /** `ID yyyy-mm-dd-xxxxxx` */
  id: string;
  /** Packs belong to the root and are shared with every unit below (SPEC §5). */
  unitId: string;
  seats: number;
}

export interface LicenseAssignmentRow {
  institutionId: string;
  packId: string;
  userId: string;
}

export interface CollectionRow {
  institutionId: string;
  id: string;
  name: string;
  createdBy: string;
}

export interface CollectionMemberRow {
  institutionId: string;
  collectionId: string;
  userId: string;
  level: CollectionLevel;
  /** For `custom`: the permissions, comma-separated in catalogue order; empty otherwise. */
  permissions: string;
}

export interface CollectionMediaRow {
  institutionId: string;
  collectionId: string;
  mediaId: string;
  addedBy: string;
}

export interface LibraryRow {
  institutionId: string;
  id: string;
  unitId: string;
  name: string;
}

export interface LibraryMemberRow {
  institutionId: string;
  libraryId: string;
  userId: string;
  role: LibraryRole;
}

export interface DefaultLibraryRow {
  institutionId: string;
  userId: string;
  libraryId: string;
}

export interface FeatureGrantRow {
  institutionId: string;
  userId: string;
  feature: Feature;
}

/** A SCIM provisioning token (docs/PROVISIONING.md): acts as its owner, on the SCIM routes only. */
export interface ScimTokenRow {
  institutionId: string;
  id: string;
  ownerId: string;
  name: string;
  /** sha256 of the secret; the secret itself is shown once and never kept. */
  tokenHash: string;
  createdAt: string;
}

/**
 * What SCIM keeps about a user beyond the user row: the provisioning client's own id for them and
 * two enterprise-extension attributes ('' when not set).
 */
export interface ScimUserRow {
  institutionId: string;
  userId: string;
  externalId: string;
  employeeNumber: string;
  department: string;
}

/** A SCIM group: binds one staff role at one org unit; its members are the users holding it. */
export interface ScimGroupRow {
  institutionId: string;
  id: string;
  displayName: string;
  role: StaffRole;
  unitId: string;
  externalId: string;
}

/**
 * A OneRoster sourcedId and the Lectern object it names (kind: org, academicSession, course, class,
 * user, enrollment; an enrollment's Lectern id is `section/user`).
 */
export interface OneRosterLinkRow {
  institutionId: string;
  kind: string;
  sourcedId: string;
  lecternId: string;
}

/** An LMS registered as an LTI 1.3 platform (issue 15). JSON text: deploymentIds (list), roleMapping (LTI role → section role). */
export interface LtiPlatformRow {
  institutionId: string;
  id: string;
  name: string;
  issuer: string;
  clientId: string;
  deploymentIds: string;
  authUrl: string;
  jwksUrl: string;
  tokenUrl: string;
  /** The `aud` of Lectern's client assertion when the platform wants other than the token URL (Brightspace); empty: the token URL. */
  tokenAudience: string;
  /** Where courses for new LMS contexts are created. */
  unitId: string;
  roleMapping: string;
  /** How a launching person is matched to a Lectern user: comma-separated of email, username, sourcedid. */
  userMatch: string;
  createUsers: boolean;
  /** A staff role for someone without academic staff: `grant` it at the course's unit, or enroll as `student`. */
  staffRule: string;
  /** Roster sync after an instructor launch at most this often (0: never on launch). */
  syncMinutes: number;
}

/** An LMS context (a course) and the section it became. */
export interface LtiContextRow {
  institutionId: string;
  platformId: string;
  contextId: string;
  courseId: string;
  sectionId: string;
  title: string;
}

/** A platform's user (`sub`) and the Lectern user it is. */
export interface LtiAccountRow {
  institutionId: string;
  platformId: string;
  sub: string;
  userId: string;
}

/** An enrollment the LMS made (a launch or a roster sync); only these does a sync remove. */
export interface LtiEnrollmentRow {
  institutionId: string;
  sectionId: string;
  userId: string;
  platformId: string;
}

/**
 * An institution's external identity provider for signing in (SSO: OIDC or SAML 2.0). `config` is
 * the JSON of its settings; `secret` the JSON of its write-only secrets (client secret, SP private
 * key), never shown by a read, an export or the audit log (see SECRET_COLUMNS).
 */
export interface IdentityProviderRow {
  institutionId: string;
  id: string;
  protocol: 'oidc' | 'saml';
  displayName: string;
  enabled: boolean;
  config: string;
  secret: string;
}

/**
 * A role an institution defines (docs/ROLES.md): granted at an org unit (scopeKind unit) or at a
 * section (scopeKind section), within its home unit. `capabilities` is the JSON of
 * `{ action, narrow? }[]`, each an action of the catalogue, optionally narrowed by context values.
 */
export interface CustomRoleRow {
  institutionId: string;
  id: string;
  name: string;
  description: string;
  scopeKind: 'unit' | 'section';
  unitId: string;
  capabilities: string;
}

/** A custom role held by a user at an org unit or a section. */
export interface CustomRoleGrantRow {
  institutionId: string;
  userId: string;
  roleId: string;
  scopeType: 'unit' | 'section';
  scopeId: string;
}

/** An institution's display name for a role or an access level (its id stays the API's). */
export interface RoleNameRow {
  institutionId: string;
  role: string;
  label: string;
}

export interface TableRows {
  institution: InstitutionRow;
  unit: UnitRow;
  user: UserRow;
  roleGrant: RoleGrantRow;
  term: TermRow;
  course: CourseRow;
  section: SectionRow;
  enrollment: EnrollmentRow;
  schedule: ScheduleRow;
  class: ClassRow;
  media: MediaRow;
  publication: PublicationRow;
  mediaShare: MediaShareRow;
  setting: SettingRow;
  room: RoomRow;
  device: DeviceRow;
  licensePack: LicensePackRow;
  licenseAssignment: LicenseAssignmentRow;
  collection: CollectionRow;
  collectionMember: CollectionMemberRow;
  collectionMedia: CollectionMediaRow;
  library: LibraryRow;
  libraryMember: LibraryMemberRow;
  defaultLibrary: DefaultLibraryRow;
  featureGrant: FeatureGrantRow;
  scimToken: ScimTokenRow;
  scimUser: ScimUserRow;
  scimGroup: ScimGroupRow;
  onerosterLink: OneRosterLinkRow;
  ltiPlatform: LtiPlatformRow;
  ltiContext: LtiContextRow;
  ltiAccount: LtiAccountRow;
  ltiEnrollment: LtiEnrollmentRow;
  identityProvider: IdentityProviderRow;
  customRole: CustomRoleRow;
  customRoleGrant: CustomRoleGrantRow;
  roleName: RoleNameRow;
}
export type TableName = keyof TableRows;

/** Key columns of each table, after the institution id. */
export const TABLE_KEYS = {
  institution: ['institutionId'],
  unit: ['institutionId', 'id'],
  user: ['institutionId', 'id'],
  roleGrant: ['institutionId', 'userId', 'role', 'scopeType', 'scopeId'],
  term: ['institutionId', 'id'],
  course: ['institutionId', 'id'],
  section: ['institutionId', 'id'],
  enrollment: ['institutionId', 'sectionId', 'userId'],
  schedule: ['institutionId', 'id'],
  class: ['institutionId', 'id'],
  media: ['institutionId', 'id'],
  publication: ['institutionId', 'mediaId', 'classId'],
  mediaShare: ['institutionId', 'mediaId', 'userId'],
  setting: ['institutionId', 'scopeType', 'scopeId', 'key'],
  room: ['institutionId', 'id'],
  device: ['institutionId', 'id'],
  licensePack: ['institutionId', 'id'],
  licenseAssignment: ['institutionId', 'packId', 'userId'],
  collection: ['institutionId', 'id'],
  collectionMember: ['institutionId', 'collectionId', 'userId'],
  collectionMedia: ['institutionId', 'collectionId', 'mediaId'],
  library: ['institutionId', 'id'],
  libraryMember: ['institutionId', 'libraryId', 'userId'],
  defaultLibrary: ['institutionId', 'userId'],
  featureGrant: ['institutionId', 'userId', 'feature'],
  scimToken: ['institutionId', 'id'],
  scimUser: ['institutionId', 'userId'],
  scimGroup: ['institutionId', 'id'],
  onerosterLink: ['institutionId', 'kind', 'sourcedId'],
  ltiPlatform: ['institutionId', 'id'],
  ltiContext: ['institutionId', 'platformId', 'contextId'],
  ltiAccount: ['institutionId', 'platformId', 'sub'],
  ltiEnrollment: ['institutionId', 'sectionId', 'userId'],
  identityProvider: ['institutionId', 'id'],
  customRole: ['institutionId', 'id'],
  customRoleGrant: ['institutionId', 'userId', 'roleId', 'scopeType', 'scopeId'],
  roleName: ['institutionId', 'role'],
} as const satisfies { [T in TableName]: readonly (keyof TableRows[T])[] };

export type Change = {
  [T in TableName]: { table: T; op: 'put' | 'del'; row: TableRows[T] };
}[TableName];

/** Columns that hold secrets: written, never read back (the audit log shows only that they changed). */
export const SECRET_COLUMNS: Partial<{ [T in TableName]: readonly (keyof TableRows[T])[] }> = {
  identityProvider: ['secret'],
};

/** A row as the audit log may show it: every secret column replaced by a marker. */
export function redactRow(table: string, row: unknown): unknown {
  const cols = SECRET_COLUMNS[table as TableName] as readonly string[] | undefined;
  if (!cols || row === null || typeof row !== 'object') return row;
  const out = { ...(row as Record<string, unknown>) };
  for (const c of cols) if (c in out) out[c] = out[c] ? '(secret, not shown)' : '';
  return out;
}

export function rowKey(change: Change): string {
  const keys = TABLE_KEYS[change.table] as readonly string[];
  const row = change.row as unknown as Record<string, unknown>;
  return change.table + '|' + keys.map((k) => String(row[k])).join('|');
}
