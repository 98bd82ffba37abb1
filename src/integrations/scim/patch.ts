/**
 * SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's JSON: add, replace and remove, with a path
 * (`active`, `name.givenName`, `emails[type eq "work"].value`, `members[value eq "x"]`, an
 * extension's `urn:…:department`) or without one (the value is an object of attributes). Operation
 * names are case-insensitive, as Entra ID sends them capitalised. What the result means for Lectern
 * is for the caller to read; this module only edits JSON.
 */
import { ScimError } from './errors.js';
import { compileFilter, parseFilter, type Filter } from './filter.js';
import { resolvePath, splitPath, type ResourceKind } from './schema.js';

export interface PatchOperation {
  op: string;
  path?: string;
  value?: unknown;
}

type Json = Record<string, unknown>;

const bad = (why: string, type: 'invalidSyntax' | 'invalidPath' | 'invalidValue' | 'noTarget' | 'mutability' = 'invalidSyntax') => new ScimError(400, why, type);

/** Reads the Operations of a PatchOp request. */
export function patchOperations(body: unknown): PatchOperation[] {
  const ops = (body as { Operations?: unknown } | null)?.Operations;
  if (!Array.isArray(ops) || ops.length === 0) throw bad('Operations: a PATCH request carries a non-empty list of Operations');
  return ops.map((o, i) => {
    if (!o || typeof o !== 'object') throw bad(`Operations[${i}]: must be an object`);
    const { op, path, value } = o as Record<string, unknown>;
    if (typeof op !== 'string' || !['add', 'replace', 'remove'].includes(op.toLowerCase())) throw bad(`Operations[${i}].op: must be add, replace or remove, not '${String(op)}'`);
    if (path !== undefined && typeof path !== 'string') throw bad(`Operations[${i}].path: must be text`, 'invalidPath');
    return { op: op.toLowerCase(), ...(path !== undefined && path !== '' ? { path } : {}), ...(value !== undefined ? { value } : {}) };
  });
}

interface Target {
  urn: string | undefined;
  attr: string;
  multi: boolean;
  filter: Filter | undefined;
  sub: string | undefined;
  readOnly: boolean;
  known: boolean;
}

/** Reads a PATCH path into the attribute it names, the value filter and the sub-attribute. */
function target(kind: ResourceKind, path: string): Target {
  let head = path;
  let filter: Filter | undefined;
  let sub: string | undefined;
  const open = path.indexOf('[');
  if (open >= 0) {
    const close = path.lastIndexOf(']');
    if (close < open) throw bad(`path '${path}': the value filter is not closed`, 'invalidPath');
    head = path.slice(0, open);
    const rest = path.slice(close + 1);
    if (rest !== '') {
      if (!/^\.[A-Za-z$][A-Za-z0-9_$-]*$/.test(rest)) throw bad(`path '${path}': '${rest}' is not a sub-attribute`, 'invalidPath');
      sub = rest.slice(1);
    }
    try {
      const f = parseFilter(`${head}[${path.slice(open + 1, close)}]`);
      if (f.kind !== 'valuePath') throw new Error();
      compileFilter(kind, f);
      filter = f.filter;
    } catch (e) {
      throw bad(`path '${path}': ${e instanceof ScimError ? e.message : 'the value filter is not valid'}`, 'invalidPath');
    }
  }
  const parts = splitPath(head);
  if (!parts) throw bad(`path '${path}' is not an attribute path`, 'invalidPath');
  if (parts.sub !== undefined) {
    if (sub !== undefined) throw bad(`path '${path}' names two sub-attributes`, 'invalidPath');
    sub = parts.sub;
  }
  const r = resolvePath(kind, { urn: parts.urn, attr: parts.attr });
  if (!r && parts.urn !== undefined && parts.urn.toLowerCase() !== kind.core.toLowerCase() && parts.urn.toLowerCase() !== kind.extension.urn.toLowerCase()) {
    throw bad(`path '${path}': '${parts.urn}' is not a schema of ${kind.name}`, 'invalidPath');
  }
  if (r && sub !== undefined && !r.attr.subAttributes?.some((s) => s.name.toLowerCase() === sub!.toLowerCase())) {
    throw bad(`path '${path}': ${r.attr.name} has no sub-attribute '${sub}'`, 'invalidPath');
  }
  if (filter && r && !r.attr.multiValued) throw bad(`path '${path}': ${r.attr.name} is not multi-valued`, 'invalidPath');
  const subName = r && sub !== undefined ? r.attr.subAttributes!.find((s) => s.name.toLowerCase() === sub!.toLowerCase())!.name : sub;
  return {
    urn: r?.urn,
    attr: r?.attr.name ?? parts.attr,
    multi: r?.attr.multiValued === true,
    filter,
    sub: subName,
    readOnly: r?.attr.mutability === 'readOnly' || (r?.attr.name === 'id'),
    known: r !== undefined,
  };
}

function holderOf(resource: Json, urn: string | undefined, create: boolean): Json | undefined {
  if (urn === undefined) return resource;
  let h = resource[urn] as Json | undefined;
  if (!h && create) resource[urn] = h = {};
  return h;
}

const asList = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** For `attr[x eq "v"]` with no match: the element a replace or add creates ({ x: "v" }). */
function seedOf(f: Filter | undefined): Json | undefined {
  if (f?.kind === 'cmp' && f.op === 'eq' && f.path.sub === undefined && f.path.urn === undefined) return { [f.path.attr]: f.value };
  return undefined;
}

function applyOne(kind: ResourceKind, resource: Json, o: PatchOperation): void {
  if (o.path === undefined) {
    if (o.op === 'remove') throw bad('a remove operation needs a path', 'noTarget');
    if (!o.value || typeof o.value !== 'object' || Array.isArray(o.value)) throw bad(`${o.op} without a path takes an object of attributes as its value`, 'invalidValue');
    for (const [k, v] of Object.entries(o.value as Json)) {
      // An extension's attributes come as an object under its URN.
      if (/^urn:/i.test(k) && k.toLowerCase() === kind.extension.urn.toLowerCase() && v && typeof v === 'object' && !Array.isArray(v)) {
        for (const [ek, ev] of Object.entries(v as Json)) applyOne(kind, resource, { op: o.op, path: `${kind.extension.urn}:${ek}`, value: ev });
      } else if (k.toLowerCase() === 'schemas' || k.toLowerCase() === 'meta' || (k.toLowerCase() === 'id' && v === resource.id)) {
        continue;
      } else if (v && typeof v === 'object' && !Array.isArray(v) && o.op === 'replace' && resolvePath(kind, { attr: k })?.attr.type === 'complex' && !resolvePath(kind, { attr: k })?.attr.multiValued) {
        // replace {name: {givenName}} replaces only the sub-attributes given.
        for (const [sk, sv] of Object.entries(v as Json)) applyOne(kind, resource, { op: o.op, path: `${k}.${sk}`, value: sv });
      } else {
        applyOne(kind, resource, { op: o.op, path: k, value: v });
      }
    }
    return;
  }
  const t = target(kind, o.path);
  if (t.readOnly) throw bad(`${t.attr} is read-only`, 'mutability');
  // Attributes Lectern does not keep (displayName, phoneNumbers, …) are accepted and ignored.
  if (!t.known) return;
  const holder = holderOf(resource, t.urn, o.op !== 'remove');
  if (!holder) return;
  if (o.op !== 'remove' && o.value === undefined) throw bad(`${o.op} ${o.path}: a value is required`, 'invalidValue');

  if (t.multi) {
    const items = asList(holder[t.attr]).map((i) => (i && typeof i === 'object' ? { ...(i as Json) } : i)) as Json[];
    const matcher = t.filter ? compileFilter(kind, { kind: 'valuePath', path: { ...(t.urn ? { urn: t.urn } : {}), attr: t.attr }, filter: t.filter }) : undefined;
    const matches = (item: Json) => !matcher || matcher({ ...(t.urn ? { [t.urn]: { [t.attr]: [item] } } : { [t.attr]: [item] }) });
    if (o.op === 'remove') {
      if (!t.filter && t.sub === undefined && o.value !== undefined) {
        // Entra ID: remove members with the ones to remove as the value.
        const gone = new Set(asList(o.value).map((v) => String((v as Json)?.value ?? v)));
        holder[t.attr] = items.filter((i) => !gone.has(String(i.value)));
      } else if (t.sub !== undefined) {
        for (const i of items) if (matches(i)) delete i[t.sub];
        holder[t.attr] = items;
      } else holder[t.attr] = items.filter((i) => !matches(i));
      return;
    }
    if (t.filter || t.sub !== undefined) {
      const hit = items.filter(matches);
      if (hit.length === 0) {
        const seed = seedOf(t.filter);
        if (!seed && t.filter) throw bad(`${o.path}: no value matches the filter`, 'noTarget');
        const el: Json = { ...(seed ?? {}) };
        if (t.sub !== undefined) el[t.sub] = o.value;
        else Object.assign(el, o.value as Json);
        items.push(el);
      } else {
        for (const i of hit) {
          if (t.sub !== undefined) i[t.sub] = o.value;
          else Object.assign(i, o.value as Json);
        }
      }
      holder[t.attr] = items;
      return;
    }
    const given = asList(o.value) as Json[];
    if (o.op === 'replace') holder[t.attr] = given;
    else {
      // add: new values join the list; one equal to a present value is not added twice.
      const key = (x: Json) => JSON.stringify(x?.value ?? x);
      const present = new Set(items.map(key));
      holder[t.attr] = [...items, ...given.filter((g) => !present.has(key(g)))];
    }
    return;
  }

  if (t.sub !== undefined) {
    const inner = { ...((holder[t.attr] as Json | undefined) ?? {}) };
    if (o.op === 'remove') delete inner[t.sub];
    else inner[t.sub] = o.value;
    holder[t.attr] = inner;
    return;
  }
  if (o.op === 'remove') delete holder[t.attr];
  else if (o.value && typeof o.value === 'object' && !Array.isArray(o.value) && o.op === 'add' && holder[t.attr] && typeof holder[t.attr] === 'object') {
    holder[t.attr] = { ...(holder[t.attr] as Json), ...(o.value as Json) };
  } else holder[t.attr] = o.value;
}

/** Applies the operations in order to a copy of `resource`; all or nothing. */
export function applyPatch(kind: ResourceKind, resource: Json, ops: readonly PatchOperation[]): Json {
  const copy = structuredClone(resource);
  for (const o of ops) applyOne(kind, copy, o);
  return copy;
}
