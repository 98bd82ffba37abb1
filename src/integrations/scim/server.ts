/**
 * integrations/scim: Lectern's SCIM 2.0 server (RFC 7643, RFC 7644), as protocol only. It reads
 * users and groups from the world (asking `user.view` / `scim.view` as the token's owner), turns
 * requests into the `scim.*` operations and runs them through `Lectern.run` as that owner, and
 * turns refusals into SCIM errors carrying the reason. No rule lives here.
 *
 * A provisioning group binds one staff role at one org unit; its members are the users holding
 * that role there. The binding comes from the Lectern extension of the Group resource, or from a
 * displayName of the form `<role>@<unit>` (for clients such as Entra ID that send only names).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Outcome } from '../../domain/outcome.js';
import type { ScimGroupRow, UserRow } from '../../domain/rows.js';
import { decide, type Principal } from '../../policy/index.js';
import type { Lectern } from '../../services/lectern.js';
import { scimGroupsOf, scimGroupVersion, scimMembers, scimUserRow, scimUserVersion } from '../../services/ops/scim.js';
import { auditTimes } from '../../store/scim.js';
import type { World } from '../../world/world.js';
import { fromRefusal, ScimError } from './errors.js';
import { compileFilter, parseFilter } from './filter.js';
import { applyPatch, patchOperations } from './patch.js';
import { GROUP_KIND, resolvePath, splitPath, URN, USER_KIND, type ResourceKind } from './schema.js';

export const SCIM_TOKEN_PREFIX = 'lcs_';
const MAX_COUNT = 200;
const RETRIES = 5;

type Json = Record<string, unknown>;

export interface ScimCaller {
  institutionId: string;
  principal: Principal;
  /** The base URL of this institution's SCIM service, for meta.location. */
  base: string;
}

export interface ListQuery {
  filter?: string | undefined;
  startIndex?: string | number | undefined;
  count?: string | number | undefined;
  sortBy?: string | undefined;
  sortOrder?: string | undefined;
  attributes?: string | undefined;
  excludedAttributes?: string | undefined;
}

export interface Answer {
  status: number;
  body?: unknown;
  etag?: string;
  location?: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const etagOf = (version: string) => `W/"${version}"`;

/** The version an If-Match header asks for (`*` or absent: any). */
export function versionFromIfMatch(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '*' || header.trim() === '') return undefined;
  const m = /^\s*(?:W\/)?"([^"]*)"\s*$/.exec(header);
  return m ? m[1]! : header.trim();
}

const bad = (why: string, type: 'invalidSyntax' | 'invalidValue' = 'invalidSyntax') => new ScimError(400, why, type);

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** The email a SCIM user names: the primary one, else a work one, else the first. */
function emailOf(emails: unknown): string | undefined {
  if (!Array.isArray(emails) || emails.length === 0) return undefined;
  const list = emails.filter((e) => e && typeof e === 'object') as Json[];
  const primary = list.find((e) => e.primary === true || e.primary === 'true' || e.primary === 'True') ?? list.find((e) => e.type === 'work') ?? list[0];
  return text(primary?.value);
}

/** The arguments of scim.user.create / scim.user.replace that a User resource's JSON gives. */
function userArgs(body: Json): Json {
  if (Array.isArray(body.schemas) && !body.schemas.some((s) => typeof s === 'string' && s.toLowerCase() === URN.user.toLowerCase())) {
    throw bad(`schemas: a User resource names ${URN.user}`);
  }
  const name = (body.name && typeof body.name === 'object' ? body.name : {}) as Json;
  const ent = (Object.entries(body).find(([k]) => k.toLowerCase() === URN.enterprise.toLowerCase())?.[1] ?? {}) as Json;
  const args: Json = {
    userName: body.userName,
    givenName: name.givenName,
    familyName: name.familyName,
    email: emailOf(body.emails),
    active: body.active,
    externalId: body.externalId,
    employeeNumber: ent.employeeNumber,
    department: ent.department,
  };
  for (const k of Object.keys(args)) if (args[k] === undefined || args[k] === null || args[k] === '') delete args[k];
  return args;
}

export class ScimServer {
  constructor(readonly lectern: Lectern) {}

  /** The institution's token owner for a presented secret, or undefined. */
  async authenticate(institutionId: string, secret: string): Promise<Principal | undefined> {
    if (!secret.startsWith(SCIM_TOKEN_PREFIX)) return undefined;
    const w = await this.lectern.refresh(institutionId);
    if (!w) return undefined;
    const hash = sha256(secret);
    for (const t of w.tables.scimToken.values()) {
      if (t.tokenHash === hash) return w.user(t.ownerId)?.status === 'active' ? this.lectern.principal(institutionId, t.ownerId) : undefined;
    }
    return undefined;
  }

  /** Creates a provisioning token acting as the caller; the secret is answered once. */
  async createToken(principal: Principal, institutionId: string, name: unknown): Promise<Outcome> {
    const secret = SCIM_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const o = await this.lectern.run(principal, institutionId, 'scim.token.create', { id: `scim_${randomBytes(6).toString('hex')}`, name, tokenHash: sha256(secret) });
    return o.status === 'ok' ? { ...o, result: { ...(o.result as Json), token: secret } } : o;
  }

  private async world(c: ScimCaller): Promise<World> {
    const w = await this.lectern.refresh(c.institutionId);
    if (!w) throw new ScimError(404, `institution '${c.institutionId}' does not exist`);
    return w;
  }

  private may(w: World, c: ScimCaller, action: string, resource: string): boolean {
    return decide(w, c.principal, action, resource, {}, { explain: false }).allow;
  }

  private async run(c: ScimCaller, op: string, args: Json): Promise<Outcome> {
    return this.lectern.run(c.principal, c.institutionId, op, args);
  }

  // ---- Users -------------------------------------------------------------------------------

  private userJson(w: World, c: ScimCaller, u: UserRow, times: Map<string, { created: Date; lastModified: Date }>): Json {
    const meta = scimUserRow(w, u.id);
    const t = times.get(`user:${u.id}`);
    const groups = scimGroupsOf(w, u.id);
    const ent = meta && (meta.employeeNumber || meta.department) ? { ...(meta.employeeNumber ? { employeeNumber: meta.employeeNumber } : {}), ...(meta.department ? { department: meta.department } : {}) } : undefined;
    return {
      schemas: ent ? [URN.user, URN.enterprise] : [URN.user],
      id: u.id,
      ...(meta?.externalId ? { externalId: meta.externalId } : {}),
      userName: u.username,
      name: { givenName: u.firstName, familyName: u.lastName, formatted: `${u.firstName} ${u.lastName}` },
      displayName: `${u.firstName} ${u.lastName}`,
      emails: [{ value: u.email, type: 'work', primary: true }],
      active: u.status === 'active',
      ...(groups.length ? { groups: groups.map((g) => ({ value: g.id, $ref: `${c.base}/Groups/${g.id}`, display: g.displayName })) } : {}),
      ...(ent ? { [URN.enterprise]: ent } : {}),
      meta: {
        resourceType: 'User',
        ...(t ? { created: t.created.toISOString(), lastModified: t.lastModified.toISOString() } : {}),
        location: `${c.base}/Users/${u.id}`,
        version: etagOf(scimUserVersion(w, u.id)),
      },
    };
  }

  private visibleUser(w: World, c: ScimCaller, id: string): UserRow {
    const u = w.user(id);
    // A user the owner may not see is answered as missing, as a read elsewhere would be.
    if (!u || !this.may(w, c, 'user.view', `user:${id}`)) throw new ScimError(404, `user '${id}' does not exist`);
    return u;
  }

  async getUser(c: ScimCaller, id: string, q: ListQuery = {}): Promise<Answer> {
    const w = await this.world(c);
    const u = this.visibleUser(w, c, id);
    const json = this.userJson(w, c, u, await auditTimes(this.lectern.store, c.institutionId, [`user:${u.id}`]));
    return { status: 200, body: project(USER_KIND, json, q), etag: (json.meta as Json).version as string, location: `${c.base}/Users/${u.id}` };
  }

  async listUsers(c: ScimCaller, q: ListQuery): Promise<Answer> {
    const w = await this.world(c);
    // The lookup identity systems make before each create (`userName eq "…"`) need not render everyone.
    const only = q.filter ? parseFilter(q.filter) : undefined;
    const byName = only?.kind === 'cmp' && only.op === 'eq' && typeof only.value === 'string' && only.path.attr.toLowerCase() === 'username' && only.path.sub === undefined && (only.path.urn === undefined || only.path.urn.toLowerCase() === URN.user.toLowerCase()) ? only.value.toLowerCase() : undefined;
    const users = [...w.tables.user.values()].filter((u) => (byName === undefined || u.username.toLowerCase() === byName) && this.may(w, c, 'user.view', `user:${u.id}`));
    const times = await auditTimes(this.lectern.store, c.institutionId, users.map((u) => `user:${u.id}`));
    return { status: 200, body: list(USER_KIND, users.map((u) => this.userJson(w, c, u, times)), q) };
  }

  async createUser(c: ScimCaller, body: Json): Promise<Answer> {
    const o = await this.run(c, 'scim.user.create', userArgs(body));
    if (o.status !== 'ok') throw fromRefusal(o);
    const got = await this.getUser(c, (o.result as { id: string }).id);
    return { ...got, status: 201 };
  }

  async replaceUser(c: ScimCaller, id: string, body: Json, ifMatch: string | undefined): Promise<Answer> {
    if (body.id !== undefined && body.id !== id) throw new ScimError(400, `id: is read-only (the URL names '${id}')`, 'mutability');
    const w = await this.world(c);
    this.visibleUser(w, c, id);
    const args = userArgs(body);
    const o = await this.run(c, 'scim.user.replace', { user: id, ...args, ...(ifMatch !== undefined ? { version: ifMatch } : {}) });
    if (o.status !== 'ok') throw fromRefusal(o);
    return this.getUser(c, id);
  }

  /**
   * Applies a PatchOp to the user as read, and sets the result with the version read: if another
   * change came in between, it is read again and the patch applied again (no lost update), unless
   * the client's If-Match pinned the version, which then answers 412.
   */
  async patchUser(c: ScimCaller, id: string, body: unknown, ifMatch: string | undefined): Promise<Answer> {
    const ops = patchOperations(body);
    for (let attempt = 0; ; attempt++) {
      const w = await this.world(c);
      const u = this.visibleUser(w, c, id);
      const current = this.userJson(w, c, u, new Map());
      const version = scimUserVersion(w, u.id);
      if (ifMatch !== undefined && ifMatch !== version) throw new ScimError(412, `user ${id} changed since version ${ifMatch}; read it again`);
      const next = applyPatch(USER_KIND, current, ops);
      const o = await this.run(c, 'scim.user.replace', { user: id, ...userArgs(next), version });
      if (o.status === 'ok') return this.getUser(c, id);
      if (o.code === 'preconditionFailed' && ifMatch === undefined && attempt < RETRIES) continue;
      throw fromRefusal(o);
    }
  }

  async deleteUser(c: ScimCaller, id: string, ifMatch: string | undefined): Promise<Answer> {
    const w = await this.world(c);
    this.visibleUser(w, c, id);
    const o = await this.run(c, 'scim.user.delete', { user: id, ...(ifMatch !== undefined ? { version: ifMatch } : {}) });
    if (o.status !== 'ok') throw fromRefusal(o);
    return { status: 204 };
  }

  // ---- Groups ------------------------------------------------------------------------------

  private groupJson(w: World, c: ScimCaller, g: ScimGroupRow, times: Map<string, { created: Date; lastModified: Date }>): Json {
    const t = times.get(`group:${g.id}`);
    return {
      schemas: [URN.group, URN.lecternGroup],
      id: g.id,
      ...(g.externalId ? { externalId: g.externalId } : {}),
      displayName: g.displayName,
      members: scimMembers(w, g).map((m) => {
        const u = w.user(m)!;
        return { value: m, $ref: `${c.base}/Users/${m}`, display: `${u.firstName} ${u.lastName}`, type: 'User' };
      }),
      [URN.lecternGroup]: { role: g.role, scope: g.unitId },
      meta: {
        resourceType: 'Group',
        ...(t ? { created: t.created.toISOString(), lastModified: t.lastModified.toISOString() } : {}),
        location: `${c.base}/Groups/${g.id}`,
        version: etagOf(scimGroupVersion(w, g)),
      },
    };
  }

  private visibleGroup(w: World, c: ScimCaller, id: string): ScimGroupRow {
    const g = [...w.tables.scimGroup.values()].find((x) => x.id === id);
    if (!g || !this.may(w, c, 'scim.view', `institution:${c.institutionId}`)) throw new ScimError(404, `group '${id}' does not exist`);
    return g;
  }

  async getGroup(c: ScimCaller, id: string, q: ListQuery = {}): Promise<Answer> {
    const w = await this.world(c);
    const g = this.visibleGroup(w, c, id);
    const json = this.groupJson(w, c, g, await auditTimes(this.lectern.store, c.institutionId, [`group:${g.id}`]));
    return { status: 200, body: project(GROUP_KIND, json, q), etag: (json.meta as Json).version as string, location: `${c.base}/Groups/${g.id}` };
  }

  async listGroups(c: ScimCaller, q: ListQuery): Promise<Answer> {
    const w = await this.world(c);
    const groups = this.may(w, c, 'scim.view', `institution:${c.institutionId}`) ? [...w.tables.scimGroup.values()] : [];
    const times = await auditTimes(this.lectern.store, c.institutionId, groups.map((g) => `group:${g.id}`));
    return { status: 200, body: list(GROUP_KIND, groups.map((g) => this.groupJson(w, c, g, times)), q) };
  }

  async createGroup(c: ScimCaller, body: Json): Promise<Answer> {
    const displayName = text(body.displayName);
    if (!displayName) throw bad('displayName: is required', 'invalidValue');
    const ext = (Object.entries(body).find(([k]) => k.toLowerCase() === URN.lecternGroup.toLowerCase())?.[1] ?? {}) as Json;
    let role = text(ext.role);
    let scope = text(ext.scope);
    if (role === undefined && scope === undefined) {
      const m = /^([a-z_]+)@(\S+)$/.exec(displayName);
      if (!m) {
        throw bad(`displayName: '${displayName}' names no role; write it as <role>@<unit> (e.g. academic_staff@physics) or send ${URN.lecternGroup} with role and scope`, 'invalidValue');
      }
      [, role, scope] = m;
    }
    const o = await this.run(c, 'scim.group.create', {
      displayName,
      role,
      scope,
      ...(text(body.externalId) ? { externalId: text(body.externalId) } : {}),
      members: membersOf(body.members),
    });
    if (o.status !== 'ok') throw fromRefusal(o);
    const got = await this.getGroup(c, (o.result as { id: string }).id);
    return { ...got, status: 201 };
  }

  async replaceGroup(c: ScimCaller, id: string, body: Json, ifMatch: string | undefined): Promise<Answer> {
    const w = await this.world(c);
    const g = this.visibleGroup(w, c, id);
    const ext = (Object.entries(body).find(([k]) => k.toLowerCase() === URN.lecternGroup.toLowerCase())?.[1] ?? {}) as Json;
    if ((ext.role !== undefined && ext.role !== g.role) || (ext.scope !== undefined && ext.scope !== g.unitId)) {
      throw new ScimError(400, 'role and scope of a group are immutable; create another group', 'mutability');
    }
    const o = await this.run(c, 'scim.group.update', {
      group: id,
      displayName: body.displayName ?? g.displayName,
      externalId: text(body.externalId) ?? '',
      members: membersOf(body.members),
      ...(ifMatch !== undefined ? { version: ifMatch } : {}),
    });
    if (o.status !== 'ok') throw fromRefusal(o);
    return this.getGroup(c, id);
  }

  async patchGroup(c: ScimCaller, id: string, body: unknown, ifMatch: string | undefined, q: ListQuery = {}): Promise<Answer> {
    const ops = patchOperations(body);
    for (let attempt = 0; ; attempt++) {
      const w = await this.world(c);
      const g = this.visibleGroup(w, c, id);
      const version = scimGroupVersion(w, g);
      if (ifMatch !== undefined && ifMatch !== version) throw new ScimError(412, `group ${id} changed since version ${ifMatch}; read it again`);
      const current = this.groupJson(w, c, g, new Map());
      const next = applyPatch(GROUP_KIND, current, ops);
      const ext = (next[URN.lecternGroup] ?? {}) as Json;
      if (ext.role !== g.role || ext.scope !== g.unitId) throw new ScimError(400, 'role and scope of a group are immutable; create another group', 'mutability');
      const o = await this.run(c, 'scim.group.update', {
        group: id,
        displayName: next.displayName,
        externalId: text(next.externalId) ?? '',
        members: membersOf(next.members),
        version,
      });
      if (o.status === 'ok') {
        // Entra ID asks for no body (it sends excludedAttributes=members or expects 204).
        return q.excludedAttributes !== undefined || q.attributes !== undefined ? this.getGroup(c, id, q) : { status: 204 };
      }
      if (o.code === 'preconditionFailed' && ifMatch === undefined && attempt < RETRIES) continue;
      throw fromRefusal(o);
    }
  }

  async deleteGroup(c: ScimCaller, id: string, ifMatch: string | undefined): Promise<Answer> {
    const w = await this.world(c);
    this.visibleGroup(w, c, id);
    const o = await this.run(c, 'scim.group.delete', { group: id, ...(ifMatch !== undefined ? { version: ifMatch } : {}) });
    if (o.status !== 'ok') throw fromRefusal(o);
    return { status: 204 };
  }
}

const MAX_BULK = 100;

/**
 * Bulk (RFC 7644 §3.7): each operation is one Lectern operation, atomic on its own; a later
 * operation may name an earlier POST's new resource as `bulkId:<id>`. failOnErrors stops after
 * that many failures.
 */
export async function bulk(server: ScimServer, c: ScimCaller, body: unknown): Promise<Answer> {
  const b = (body ?? {}) as Json;
  if (!Array.isArray(b.Operations)) throw bad('Operations: a Bulk request carries a list of Operations');
  if (b.Operations.length > MAX_BULK) throw new ScimError(413, `a Bulk request carries at most ${MAX_BULK} operations`);
  const failOn = b.failOnErrors === undefined ? Infinity : int(b.failOnErrors as number, 'failOnErrors', 0);
  const ids = new Map<string, string>();
  const results: Json[] = [];
  let failures = 0;
  for (const [i, raw] of (b.Operations as Json[]).entries()) {
    if (failures >= failOn) break;
    const method = String(raw?.method ?? '').toUpperCase();
    const bulkId = text(raw?.bulkId);
    // Replace bulkId references with the ids the earlier operations created.
    const resolve = (v: unknown): unknown => JSON.parse(JSON.stringify(v ?? null).replace(/"bulkId:([^"]+)"/g, (m, k: string) => (ids.has(k) ? JSON.stringify(ids.get(k)) : m)));
    const path = String(raw?.path ?? '').replace(/bulkId:([^/]+)/g, (m, k: string) => ids.get(k) ?? m);
    const data = resolve(raw?.data) as Json;
    const ifMatch = versionFromIfMatch(text(raw?.version));
    const m = /^\/(Users|Groups)(?:\/([^/]+))?$/.exec(path);
    let answer: Answer;
    try {
      if (!m) throw bad(`Operations[${i}].path: '${path}' is not /Users, /Groups or one of theirs`, 'invalidValue');
      if (/bulkId:/.test(path) || /"bulkId:/.test(JSON.stringify(data))) throw new ScimError(409, `Operations[${i}]: names a bulkId no earlier operation created`, 'invalidValue');
      const users = m[1] === 'Users';
      const id = m[2];
      if (method === 'POST' && !id) answer = users ? await server.createUser(c, data) : await server.createGroup(c, data);
      else if (method === 'PUT' && id) answer = users ? await server.replaceUser(c, id, data, ifMatch) : await server.replaceGroup(c, id, data, ifMatch);
      else if (method === 'PATCH' && id) answer = users ? await server.patchUser(c, id, data, ifMatch) : await server.patchGroup(c, id, data, ifMatch);
      else if (method === 'DELETE' && id) answer = users ? await server.deleteUser(c, id, ifMatch) : await server.deleteGroup(c, id, ifMatch);
      else throw bad(`Operations[${i}]: ${method || 'no method'} ${path} is not an operation (POST to a collection; PUT, PATCH or DELETE to a resource)`, 'invalidValue');
    } catch (e) {
      if (!(e instanceof ScimError)) throw e;
      failures++;
      results.push({ method, ...(bulkId ? { bulkId } : {}), status: String(e.status), response: e.body });
      continue;
    }
    const created = (answer.body as Json | undefined)?.id;
    if (method === 'POST' && bulkId && typeof created === 'string') ids.set(bulkId, created);
    results.push({ method, ...(bulkId ? { bulkId } : {}), ...(answer.location ? { location: answer.location } : {}), ...(answer.etag ? { version: answer.etag } : {}), status: String(answer.status) });
  }
  return { status: 200, body: { schemas: [URN.bulkResponse], Operations: results } };
}

function membersOf(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad('members: must be a list of { value: <user id> }', 'invalidValue');
  return v.map((m, i) => {
    const id = text((m as Json | null)?.value);
    if (!id) throw bad(`members[${i}].value: is required (the user's id)`, 'invalidValue');
    return id;
  });
}

// ---- Lists, sorting and attribute selection ---------------------------------------------------

function int(v: string | number | undefined, field: string, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n)) throw bad(`${field}: must be a whole number, not '${String(v)}'`, 'invalidValue');
  return n;
}

function sortKey(kind: ResourceKind, sortBy: string): (r: Json) => string | number | undefined {
  const p = splitPath(sortBy);
  const r = p ? resolvePath(kind, p) : undefined;
  if (!p || !r) throw bad(`sortBy: '${sortBy}' is not an attribute of ${kind.name}`, 'invalidValue');
  return (res) => {
    const holder = (r.urn === undefined ? res : res[r.urn]) as Json | undefined;
    let v = holder?.[r.attr.name];
    if (Array.isArray(v)) v = (v.find((x) => (x as Json)?.primary === true) ?? v[0]) as unknown;
    if (v && typeof v === 'object') v = r.sub ? (v as Json)[r.sub.name] : (v as Json).value;
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v ? 1 : 0;
    const caseExact = (r.sub ?? r.attr).caseExact === true;
    return caseExact ? String(v) : String(v).toLowerCase();
  };
}

/** A ListResponse: filtered, sorted, paged (startIndex is 1-based) and projected. */
export function list(kind: ResourceKind, all: Json[], q: ListQuery): Json {
  let items = all;
  if (q.filter !== undefined && q.filter !== '') {
    const match = compileFilter(kind, parseFilter(q.filter));
    items = items.filter(match);
  }
  if (q.sortBy) {
    const key = sortKey(kind, q.sortBy);
    const order = (q.sortOrder ?? 'ascending').toLowerCase();
    if (order !== 'ascending' && order !== 'descending') throw bad(`sortOrder: must be ascending or descending, not '${q.sortOrder}'`, 'invalidValue');
    const dir = order === 'descending' ? -1 : 1;
    items = items
      .map((r) => ({ r, k: key(r) }))
      .sort((a, b) => (a.k === b.k ? 0 : a.k === undefined ? 1 : b.k === undefined ? -1 : a.k < b.k ? -dir : dir))
      .map((x) => x.r);
  } else items = [...items].sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));
  const start = Math.max(1, int(q.startIndex, 'startIndex', 1));
  const count = Math.min(MAX_COUNT, Math.max(0, int(q.count, 'count', 100)));
  const page = items.slice(start - 1, start - 1 + count);
  return { schemas: [URN.list], totalResults: items.length, startIndex: start, itemsPerPage: page.length, Resources: page.map((r) => project(kind, r, q)) };
}

/** attributes / excludedAttributes (RFC 7644 §3.9): id and schemas are always returned. */
export function project(kind: ResourceKind, res: Json, q: ListQuery): Json {
  const names = (s: string | undefined) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean).map((x) => splitPath(x)).filter((x) => x !== undefined);
  const want = names(q.attributes);
  const drop = names(q.excludedAttributes);
  if (want.length === 0 && drop.length === 0) return res;
  const where = (p: { urn?: string; attr: string; sub?: string }) => {
    const r = resolvePath(kind, p);
    return r ? { urn: r.urn, attr: r.attr.name, sub: r.sub?.name } : undefined;
  };
  if (want.length > 0) {
    const out: Json = { schemas: res.schemas, id: res.id };
    for (const p of want.map(where)) {
      if (!p) continue;
      const from = (p.urn ? res[p.urn] : res) as Json | undefined;
      const v = from?.[p.attr];
      if (v === undefined) continue;
      const to = p.urn ? ((out[p.urn] ??= {}) as Json) : out;
      if (p.sub === undefined) to[p.attr] = v;
      else if (Array.isArray(v)) to[p.attr] = v.map((x) => ({ [p.sub!]: (x as Json)[p.sub!] }));
      else if (v && typeof v === 'object') to[p.attr] = { ...((to[p.attr] as Json) ?? {}), [p.sub]: (v as Json)[p.sub] };
    }
    return out;
  }
  const out = structuredClone(res);
  for (const p of drop.map(where)) {
    if (!p || p.attr === 'id') continue;
    const from = (p.urn ? out[p.urn] : out) as Json | undefined;
    if (!from) continue;
    if (p.sub === undefined) delete from[p.attr];
    else if (Array.isArray(from[p.attr])) for (const x of from[p.attr] as Json[]) delete x[p.sub];
    else if (from[p.attr] && typeof from[p.attr] === 'object') delete (from[p.attr] as Json)[p.sub];
  }
  return out;
}
