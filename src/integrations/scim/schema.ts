/**
 * What Lectern's SCIM server supports, as data (RFC 7643): the attributes of each resource type,
 * from which the Schemas, ResourceTypes and ServiceProviderConfig documents are made and against
 * which filters, sorting and attribute selection are checked. Nothing here decides who may do what.
 */

export const URN = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterprise: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  lecternGroup: 'urn:lectern:params:scim:schemas:extension:2.0:Group',
  list: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  patch: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  bulkRequest: 'urn:ietf:params:scim:api:messages:2.0:BulkRequest',
  bulkResponse: 'urn:ietf:params:scim:api:messages:2.0:BulkResponse',
  spc: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

export type AttrType = 'string' | 'boolean' | 'dateTime' | 'reference' | 'complex';

export interface Attr {
  name: string;
  type: AttrType;
  description: string;
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned?: 'always' | 'default' | 'never' | 'request';
  uniqueness?: 'none' | 'server' | 'global';
  subAttributes?: Attr[];
  referenceTypes?: string[];
  canonicalValues?: string[];
}

const str = (name: string, description: string, more: Partial<Attr> = {}): Attr => ({ name, type: 'string', description, ...more });

const META: Attr = {
  name: 'meta',
  type: 'complex',
  description: 'Resource metadata; version changes with every change to the resource.',
  mutability: 'readOnly',
  subAttributes: [
    str('resourceType', 'User or Group.', { mutability: 'readOnly', caseExact: true }),
    { name: 'created', type: 'dateTime', description: 'When the resource was created.', mutability: 'readOnly' },
    { name: 'lastModified', type: 'dateTime', description: 'When the resource last changed.', mutability: 'readOnly' },
    str('location', 'The URI of the resource.', { mutability: 'readOnly', caseExact: true }),
    str('version', 'The weak entity tag of the resource.', { mutability: 'readOnly', caseExact: true }),
  ],
};

const COMMON: Attr[] = [
  str('id', 'Lectern\'s id for the resource; never changes.', { mutability: 'readOnly', returned: 'always', caseExact: true, uniqueness: 'server' }),
  str('externalId', 'The provisioning client\'s own id for the resource.', { caseExact: true }),
  META,
];

export const USER_ATTRS: Attr[] = [
  ...COMMON,
  str('userName', 'The sign-in name; unique in the institution across ids, usernames and emails.', { required: true, uniqueness: 'server' }),
  {
    name: 'name',
    type: 'complex',
    description: 'The user\'s name; both parts are required by Lectern.',
    required: true,
    subAttributes: [str('givenName', 'First name.', { required: true }), str('familyName', 'Last name.', { required: true })],
  },
  {
    name: 'emails',
    type: 'complex',
    multiValued: true,
    required: true,
    description: 'Lectern keeps one email per user: the primary one (or the first given).',
    subAttributes: [str('value', 'The address.'), str('type', 'work, home or other.', { canonicalValues: ['work', 'home', 'other'] }), { name: 'primary', type: 'boolean', description: 'Always true for the one kept.' }],
  },
  { name: 'active', type: 'boolean', description: 'false deactivates the user (their license seats are freed); true reactivates.' },
  {
    name: 'groups',
    type: 'complex',
    multiValued: true,
    mutability: 'readOnly',
    description: 'The provisioning groups the user belongs to (change them through Groups).',
    subAttributes: [str('value', 'The group\'s id.', { mutability: 'readOnly' }), { name: '$ref', type: 'reference', referenceTypes: ['Group'], description: 'The group\'s URI.', mutability: 'readOnly' }, str('display', 'The group\'s name.', { mutability: 'readOnly' })],
  },
];

export const ENTERPRISE_ATTRS: Attr[] = [str('employeeNumber', 'The employee or student number.'), str('department', 'The department\'s name.')];

export const GROUP_ATTRS: Attr[] = [
  ...COMMON,
  str('displayName', 'The group\'s name; unique in the institution.', { required: true, uniqueness: 'server' }),
  {
    name: 'members',
    type: 'complex',
    multiValued: true,
    description: 'The users holding the group\'s role at its unit; adding or removing one grants or revokes that role.',
    subAttributes: [str('value', 'The user\'s id.', { mutability: 'immutable' }), { name: '$ref', type: 'reference', referenceTypes: ['User'], description: 'The user\'s URI.', mutability: 'immutable' }, str('display', 'The user\'s name.', { mutability: 'readOnly' }), str('type', 'Always User.', { mutability: 'immutable', canonicalValues: ['User'] })],
  },
];

export const LECTERN_GROUP_ATTRS: Attr[] = [
  str('role', 'The Lectern staff role the group binds (admin, license_manager, scheduler, av_technician, academic_staff).', { required: true, mutability: 'immutable', caseExact: true, canonicalValues: ['admin', 'license_manager', 'scheduler', 'av_technician', 'academic_staff'] }),
  str('scope', 'The org unit at which the role is held.', { required: true, mutability: 'immutable', caseExact: true }),
];

export interface ResourceKind {
  name: 'User' | 'Group';
  endpoint: '/Users' | '/Groups';
  core: string;
  attrs: Attr[];
  extension: { urn: string; attrs: Attr[]; required: boolean };
}

export const USER_KIND: ResourceKind = { name: 'User', endpoint: '/Users', core: URN.user, attrs: USER_ATTRS, extension: { urn: URN.enterprise, attrs: ENTERPRISE_ATTRS, required: false } };
export const GROUP_KIND: ResourceKind = { name: 'Group', endpoint: '/Groups', core: URN.group, attrs: GROUP_ATTRS, extension: { urn: URN.lecternGroup, attrs: LECTERN_GROUP_ATTRS, required: false } };

export interface ResolvedAttr {
  /** Where the value sits: undefined for the core schema, else the extension's URN. */
  urn: string | undefined;
  attr: Attr;
  sub: Attr | undefined;
}

const find = (attrs: readonly Attr[], name: string) => attrs.find((a) => a.name.toLowerCase() === name.toLowerCase());

/**
 * Resolves an attribute path (`userName`, `name.givenName`, `urn:…:User:userName`,
 * `urn:…:enterprise:2.0:User:department`) against a resource kind, or undefined.
 */
export function resolvePath(kind: ResourceKind, path: { urn?: string | undefined; attr: string; sub?: string | undefined }): ResolvedAttr | undefined {
  let attrs: readonly Attr[];
  let urn: string | undefined;
  if (path.urn === undefined || path.urn.toLowerCase() === kind.core.toLowerCase()) attrs = kind.attrs;
  else if (path.urn.toLowerCase() === kind.extension.urn.toLowerCase()) {
    attrs = kind.extension.attrs;
    urn = kind.extension.urn;
  } else return undefined;
  const attr = find(attrs, path.attr);
  if (!attr) return undefined;
  if (path.sub === undefined) return { urn, attr, sub: undefined };
  const sub = attr.subAttributes ? find(attr.subAttributes, path.sub) : undefined;
  return sub ? { urn, attr, sub } : undefined;
}

/** Splits `urn:…:Attr.sub` into its URN, attribute and sub-attribute (no checking). */
export function splitPath(text: string): { urn?: string; attr: string; sub?: string } | undefined {
  let urn: string | undefined;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const i = text.lastIndexOf(':');
    urn = text.slice(0, i);
    rest = text.slice(i + 1);
  }
  const parts = rest.split('.');
  if (parts.length > 2 || parts.some((p) => !/^(\$ref|[A-Za-z][A-Za-z0-9_-]*)$/.test(p))) return undefined;
  return { ...(urn !== undefined ? { urn } : {}), attr: parts[0]!, ...(parts[1] !== undefined ? { sub: parts[1] } : {}) };
}

/** ServiceProviderConfig (RFC 7643 §5): exactly what this server supports. */
export function serviceProviderConfig(base: string) {
  return {
    schemas: [URN.spc],
    documentationUri: 'https://github.com/lectern/lectern/blob/main/docs/PROVISIONING.md',
    patch: { supported: true },
    bulk: { supported: true, maxOperations: 100, maxPayloadSize: 1_048_576 },
    filter: { supported: true, maxResults: 200 },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Provisioning token',
        description: 'A bearer token (lcs_…) that an admin of the institution root creates for SCIM; it acts as that admin, on the SCIM routes only.',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceTypes(base: string) {
  return [USER_KIND, GROUP_KIND].map((k) => ({
    schemas: [URN.resourceType],
    id: k.name,
    name: k.name,
    endpoint: k.endpoint,
    description: k.name === 'User' ? 'A person of the institution' : 'A staff role at an org unit, held by its members',
    schema: k.core,
    schemaExtensions: [{ schema: k.extension.urn, required: k.extension.required }],
    meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/${k.name}` },
  }));
}

function describe(a: Attr): Record<string, unknown> {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued ?? false,
    description: a.description,
    required: a.required ?? false,
    caseExact: a.caseExact ?? false,
    mutability: a.mutability ?? 'readWrite',
    returned: a.returned ?? 'default',
    uniqueness: a.uniqueness ?? 'none',
    ...(a.canonicalValues ? { canonicalValues: a.canonicalValues } : {}),
    ...(a.referenceTypes ? { referenceTypes: a.referenceTypes } : {}),
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(describe) } : {}),
  };
}

export function schemas(base: string) {
  const one = (id: string, name: string, description: string, attrs: Attr[]) => ({
    schemas: [URN.schema],
    id,
    name,
    description,
    attributes: attrs.filter((a) => a.name !== 'meta' && a.name !== 'id' && a.name !== 'externalId').map(describe),
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${id}` },
  });
  return [
    one(URN.user, 'User', 'User Account', USER_ATTRS),
    one(URN.enterprise, 'EnterpriseUser', 'Enterprise User', ENTERPRISE_ATTRS),
    one(URN.group, 'Group', 'Group', GROUP_ATTRS),
    one(URN.lecternGroup, 'LecternGroup', 'The Lectern role and org unit a group binds', LECTERN_GROUP_ATTRS),
  ];
}
