/**
 * Custom roles and institution role names (docs/ROLES.md): role.define, role.update, role.delete
 * and institution.renameRoles. Granting and revoking a custom role is role.grant / role.revoke
 * (ops/role.ts), which take a custom role's id where they take a staff role.
 */
import { Type } from 'typebox';
import { BUILT_IN_IDS, RENAME_KEYS } from '../../domain/roles.js';
import { type Capability, formatCapability, readCapability } from '../../domain/capability.js';
import { conflict, invalid, notFound } from '../../domain/outcome.js';
import type { Change, CustomRoleRow, RoleNameRow } from '../../domain/rows.js';
import type { World } from '../../world/world.js';
import { at, custom, defineOp, find, given, type Operation, put } from '../operation.js';
import { type ArgsOf, type Field, id, mapping, oneOf, optional, text } from '../validate.js';


const MAX_CAPABILITIES = 200;

/** A list of capabilities: `action` or `action key=value …`, or `{ action, narrow }`; no repeats. */
const capabilities = (): Field<Capability[]> => ({
  schema: Type.Array(Type.Union([Type.String(), Type.Object({ action: Type.String(), narrow: Type.Optional(Type.Record(Type.String(), Type.String())) })]), { maxItems: MAX_CAPABILITIES }),
  required: true,
  read(v, n) {
    if (!Array.isArray(v)) throw invalid(n, 'must be a list of capabilities (actions of the catalogue, e.g. media.view)', 'type');
    if (v.length > MAX_CAPABILITIES) throw invalid(n, `holds more than ${MAX_CAPABILITIES} capabilities`, 'tooLong');
    const out: Capability[] = [];
    const seen = new Set<string>();
    for (const [i, x] of v.entries()) {
      const c = readCapability(x);
      if (typeof c === 'string') throw invalid(n, `item ${i + 1}: ${c}`, 'format');
      const key = formatCapability(c);
      if (!seen.has(key)) out.push(c);
      seen.add(key);
    }
    return out;
  },
});

const SCOPE_KINDS = ['unit', 'section'] as const;

function roleRow(w: World, id: string, name: string, description: string, scopeKind: 'unit' | 'section', unitId: string, caps: readonly Capability[]): CustomRoleRow {
  return { institutionId: w.institutionId, id, name, description, scopeKind, unitId, capabilities: JSON.stringify(caps) };
}

/** Two roles with the same name would read the same in every reason and export. */
function nameTaken(w: World, name: string, except?: string): void {
  const lower = name.toLowerCase();
  for (const r of w.tables.customRole.values()) {
    if (r.id !== except && r.name.toLowerCase() === lower) throw conflict('nameTaken', `custom role ${r.id} is already named '${r.name}'`, 'name');
  }
}

function findRole(w: World, roleId: string): CustomRoleRow {
  const r = w.customRole(roleId);
  if (!r) throw notFound('role', 'custom role', roleId);
  return r;
}

const UPDATE = { role: id(), name: optional(text(80)), description: optional(text(500)), capabilities: optional(capabilities()) };
const DELETE = { role: id() };
const RENAME = { names: mapping(20_000) };

export const customRoleOps: Record<string, Operation> = {
  'role.define': defineOp({
    action: 'role.define',
    args: {
      id: id(),
      name: text(80),
      description: optional(text(500)),
      scope: optional(oneOf(SCOPE_KINDS)),
      unit: optional(id()),
      capabilities: capabilities(),
    },
    load({ world: w, args }) {
      if (BUILT_IN_IDS.includes(args.id)) throw invalid('id', `'${args.id}' is a built-in role's id; a custom role needs its own`, 'reserved');
      if (args.unit !== undefined) find(w, 'unit', args.unit);
      if (w.customRole(args.id)) throw conflict('exists', `custom role ${args.id} already exists (change it with role.update)`, 'id');
      nameTaken(w, args.name);
      return undefined;
    },
    on: at('unit', 'unit', (w) => w.rootId),
    plan({ world: w, args }) {
      const row = roleRow(w, args.id, args.name, args.description ?? '', args.scope ?? 'unit', args.unit ?? w.rootId, args.capabilities);
      return { changes: [{ table: 'customRole', op: 'put', row }], target: `role:${row.id}`, result: row };
    },
  }),
  'role.update': defineOp<typeof UPDATE, { r: CustomRoleRow }>({
    action: 'role.update',
    args: UPDATE,
    load({ world: w, args }) {
      const r = findRole(w, args.role);
      if (args.name !== undefined) nameTaken(w, args.name, r.id);
      return { r };
    },
    on: custom<ArgsOf<typeof UPDATE>, { r: CustomRoleRow }>(({ args, loaded: { r } }) => ({ resource: `unit:${r.unitId}`, context: given(args) })),
    plan({ world: w, args, loaded: { r } }) {
      const caps = args.capabilities ?? w.capabilitiesOf(r.id);
      const row = roleRow(w, r.id, args.name ?? r.name, args.description ?? r.description, r.scopeKind, r.unitId, caps);
      return { changes: put('customRole', row, r), target: `role:${r.id}`, result: row };
    },
  }),
  'role.delete': defineOp<typeof DELETE, { r: CustomRoleRow }>({
    action: 'role.delete',
    args: DELETE,
    load: ({ world: w, args }) => ({ r: findRole(w, args.role) }),
    on: custom<ArgsOf<typeof DELETE>, { r: CustomRoleRow }>(({ args, loaded: { r } }) => ({ resource: `unit:${r.unitId}`, context: given(args) })),
    plan({ world: w, loaded: { r } }) {
      // Its grants go with it (revoking takes power away, never gives it).
      const changes: Change[] = [...w.holdersOf(r.id)].map((row) => ({ table: 'customRoleGrant' as const, op: 'del' as const, row }));
      changes.push({ table: 'customRole', op: 'del', row: r });
      return { changes, target: `role:${r.id}` };
    },
  }),
  'institution.renameRoles': defineOp<typeof RENAME, { out: [string, string][] }>({
    action: 'institution.renameRoles',
    // { role id: display name }; an empty name puts the built-in name back.
    args: RENAME,
    load({ args }) {
      const names = JSON.parse(args.names) as Record<string, unknown>;
      const out: [string, string][] = [];
      for (const [role, label] of Object.entries(names)) {
        if (!RENAME_KEYS.includes(role)) throw invalid('names', `'${role}' is not a built-in role or access level (${RENAME_KEYS.join(', ')})`, 'enum');
        if (label === null || label === '') {
          out.push([role, '']);
          continue;
        }
        out.push([role, text(60).read(label, `names.${role}`)]);
      }
      return { out };
    },
    on: custom<ArgsOf<typeof RENAME>, { out: [string, string][] }>(({ world: w, args }) => ({ resource: `institution:${w.institutionId}`, context: given(args) })),
    plan({ world: w, loaded: { out } }) {
      const changes: Change[] = [];
      for (const [role, label] of out) {
        const cur = w.tables.roleName.get(role);
        if (label === '') {
          if (cur) changes.push({ table: 'roleName', op: 'del', row: cur });
          continue;
        }
        const row: RoleNameRow = { institutionId: w.institutionId, role, label };
        changes.push(...put('roleName', row, cur));
      }
      return { changes, target: `institution:${w.institutionId}`, result: Object.fromEntries(out) };
    },
  }),
};
