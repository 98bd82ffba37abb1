/**
 * SCIM filters (RFC 7644 §3.4.2.2): a small recursive-descent parser into a tree, a printer back to
 * text, and an evaluator over a resource's JSON. Precedence: `not` and grouping bind tightest,
 * then `and`, then `or`. Operators and attribute names are case-insensitive. Anything the parser
 * does not understand, and any attribute the resource kind does not have, is refused with
 * `invalidFilter`.
 */
import { invalidFilter } from './errors.js';
import { resolvePath, splitPath, type Attr, type ResourceKind } from './schema.js';

export const COMPARE_OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];
export type Value = string | number | boolean | null;

export interface AttrPath {
  urn?: string;
  attr: string;
  sub?: string;
}

export type Filter =
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  | { kind: 'pr'; path: AttrPath }
  | { kind: 'cmp'; op: CompareOp; path: AttrPath; value: Value }
  | { kind: 'valuePath'; path: AttrPath; filter: Filter };

type Token = { t: 'word'; v: string; at: number } | { t: 'str'; v: string; at: number } | { t: 'num'; v: number; at: number } | { t: '(' | ')' | '[' | ']'; at: number };

const MAX_LENGTH = 4096;
const MAX_DEPTH = 50;

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      out.push({ t: c, at: i });
      i++;
    } else if (c === '"') {
      // A JSON string: find its end, honouring escapes, and let JSON read it.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw invalidFilter(`the string starting at character ${i + 1} is not closed`);
      let v: unknown;
      try {
        v = JSON.parse(text.slice(i, j + 1));
      } catch {
        throw invalidFilter(`the string starting at character ${i + 1} has a bad escape`);
      }
      out.push({ t: 'str', v: v as string, at: i });
      i = j + 1;
    } else if (/[-0-9]/.test(c) && /^-?[0-9]/.test(text.slice(i, i + 2))) {
      const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(text.slice(i))!;
      const end = i + m[0].length;
      if (end < text.length && /[A-Za-z_$.:]/.test(text[end]!)) throw invalidFilter(`'${text.slice(i, end + 1)}…' at character ${i + 1} is not a number`);
      out.push({ t: 'num', v: Number(m[0]), at: i });
      i = end;
    } else if (/[A-Za-z$]/.test(c)) {
      const m = /^[A-Za-z0-9_$.:-]+/.exec(text.slice(i))!;
      out.push({ t: 'word', v: m[0], at: i });
      i += m[0].length;
    } else {
      throw invalidFilter(`unexpected '${c}' at character ${i + 1}`);
    }
  }
  return out;
}

/** Parses a filter; throws a SCIM invalidFilter error naming what is wrong and where. */
export function parseFilter(text: string): Filter {
  if (text.length > MAX_LENGTH) throw invalidFilter(`longer than ${MAX_LENGTH} characters`);
  const toks = tokenize(text);
  let p = 0;
  let depth = 0;
  const peek = () => toks[p];
  const where = (tok: Token | undefined) => (tok ? `at character ${tok.at + 1}` : 'at the end');
  const isWord = (tok: Token | undefined, w: string): boolean => tok?.t === 'word' && tok.v.toLowerCase() === w;
  const expect = (t: '(' | ')' | '[' | ']') => {
    const tok = toks[p];
    if (tok?.t !== t) throw invalidFilter(`expected '${t}' ${where(tok)}`);
    p++;
  };

  const path = (): AttrPath => {
    const tok = toks[p];
    if (tok?.t !== 'word') throw invalidFilter(`expected an attribute ${where(tok)}`);
    const parsed = splitPath(tok.v);
    if (!parsed || ['and', 'or', 'not'].includes(tok.v.toLowerCase())) throw invalidFilter(`'${tok.v}' ${where(tok)} is not an attribute path`);
    p++;
    return parsed;
  };

  const value = (): Value => {
    const tok = toks[p++];
    if (tok?.t === 'str' || tok?.t === 'num') return tok.v;
    if (tok?.t === 'word') {
      const w = tok.v.toLowerCase();
      if (w === 'true') return true;
      if (w === 'false') return false;
      if (w === 'null') return null;
    }
    throw invalidFilter(`expected a value (a quoted string, a number, true, false or null) ${where(tok)}`);
  };

  const nested = (inner: () => Filter): Filter => {
    if (++depth > MAX_DEPTH) throw invalidFilter(`nested deeper than ${MAX_DEPTH} levels`);
    try {
      return inner();
    } finally {
      depth--;
    }
  };

  const attrExp = (inValuePath: boolean): Filter => {
    const at = path();
    if (peek()?.t === '[') {
      if (inValuePath) throw invalidFilter(`a value filter cannot hold another ${where(peek())}`);
      if (at.sub !== undefined) throw invalidFilter(`'${at.attr}.${at.sub}[…]': a value filter follows the attribute, not a sub-attribute`);
      p++;
      const f = nested(() => or(true));
      expect(']');
      return { kind: 'valuePath', path: at, filter: f };
    }
    const op = toks[p];
    if (op?.t !== 'word') throw invalidFilter(`expected an operator after '${at.attr}' ${where(op)}`);
    const name = op.v.toLowerCase();
    p++;
    if (name === 'pr') return { kind: 'pr', path: at };
    if (!(COMPARE_OPS as readonly string[]).includes(name)) throw invalidFilter(`'${op.v}' ${where(op)} is not an operator (eq, ne, co, sw, ew, gt, lt, ge, le, pr)`);
    return { kind: 'cmp', op: name as CompareOp, path: at, value: value() };
  };

  const unary = (inValuePath: boolean): Filter => {
    if (isWord(peek(), 'not')) {
      p++;
      expect('(');
      const f = nested(() => or(inValuePath));
      expect(')');
      return { kind: 'not', filter: f };
    }
    if (peek()?.t === '(') {
      p++;
      const f = nested(() => or(inValuePath));
      expect(')');
      return f;
    }
    return attrExp(inValuePath);
  };

  const and = (inValuePath: boolean): Filter => {
    let left = unary(inValuePath);
    while (isWord(peek(), 'and')) {
      p++;
      left = { kind: 'and', left, right: unary(inValuePath) };
    }
    return left;
  };

  function or(inValuePath: boolean): Filter {
    let left = and(inValuePath);
    while (isWord(peek(), 'or')) {
      p++;
      left = { kind: 'or', left, right: and(inValuePath) };
    }
    return left;
  }

  if (toks.length === 0) throw invalidFilter('is empty');
  const f = or(false);
  if (p < toks.length) throw invalidFilter(`unexpected ${describeToken(toks[p]!)} at character ${toks[p]!.at + 1}`);
  return f;
}

function describeToken(t: Token): string {
  return t.t === 'word' ? `'${t.v}'` : t.t === 'str' ? `"${t.v}"` : t.t === 'num' ? String(t.v) : `'${t.t}'`;
}

const pathText = (p: AttrPath) => `${p.urn !== undefined ? `${p.urn}:` : ''}${p.attr}${p.sub !== undefined ? `.${p.sub}` : ''}`;

/** Prints a filter back to text that parses to the same tree. */
export function printFilter(f: Filter): string {
  switch (f.kind) {
    case 'and':
    case 'or':
      return `(${printFilter(f.left)} ${f.kind} ${printFilter(f.right)})`;
    case 'not':
      return `not (${printFilter(f.filter)})`;
    case 'pr':
      return `${pathText(f.path)} pr`;
    case 'cmp':
      return `${pathText(f.path)} ${f.op} ${JSON.stringify(f.value)}`;
    case 'valuePath':
      return `${pathText(f.path)}[${printFilter(f.filter)}]`;
  }
}

/**
 * Checks a parsed filter against a resource kind: every attribute must exist, and each operator
 * must suit the attribute's type (ordering on strings and dates, not booleans). Returns a predicate.
 */
export function compileFilter(kind: ResourceKind, f: Filter): (resource: Record<string, unknown>) => boolean {
  const check = (g: Filter, parent?: Attr): void => {
    switch (g.kind) {
      case 'and':
      case 'or':
        check(g.left, parent);
        check(g.right, parent);
        return;
      case 'not':
        check(g.filter, parent);
        return;
      case 'valuePath': {
        const r = resolvePath(kind, g.path);
        if (!r || !r.attr.subAttributes) throw invalidFilter(`'${pathText(g.path)}' is not a complex attribute of ${kind.name}`);
        check(g.filter, r.attr);
        return;
      }
      case 'pr':
      case 'cmp': {
        const a = attrOf(kind, g.path, parent);
        if (g.kind === 'cmp') checkOperator(a, g.op, g.value, pathText(g.path));
        return;
      }
    }
  };
  check(f);
  return (resource) => evaluate(kind, f, resource, undefined);
}

function attrOf(kind: ResourceKind, path: AttrPath, parent: Attr | undefined): Attr {
  if (parent) {
    const sub = path.urn === undefined && path.sub === undefined ? parent.subAttributes?.find((s) => s.name.toLowerCase() === path.attr.toLowerCase()) : undefined;
    if (!sub) throw invalidFilter(`'${pathText(path)}' is not a sub-attribute of ${parent.name}`);
    return sub;
  }
  const r = resolvePath(kind, path);
  if (!r) throw invalidFilter(`'${pathText(path)}' is not an attribute of ${kind.name}`);
  if (r.sub) return r.sub;
  // A complex multi-valued attribute compared as a whole compares its `value`.
  const v = r.attr.subAttributes?.find((s) => s.name === 'value');
  if (r.attr.type === 'complex' && !v) throw invalidFilter(`'${pathText(path)}' is complex; name one of its sub-attributes`);
  return v ?? r.attr;
}

function checkOperator(a: Attr, op: CompareOp, value: Value, path: string): void {
  if (value === null) {
    if (op !== 'eq' && op !== 'ne') throw invalidFilter(`'${path} ${op} null': only eq and ne compare with null`);
    return;
  }
  if (a.type === 'boolean') {
    if (op !== 'eq' && op !== 'ne') throw invalidFilter(`'${path}' is true or false; only eq and ne apply`);
    if (typeof value !== 'boolean') throw invalidFilter(`'${path}' is true or false, not ${JSON.stringify(value)}`);
    return;
  }
  if (typeof value !== 'string') throw invalidFilter(`'${path}' is text; compare it with a quoted string, not ${JSON.stringify(value)}`);
  if (a.type === 'dateTime') {
    if (op === 'co' || op === 'sw' || op === 'ew') throw invalidFilter(`'${path}' is a date and time; use eq, ne, gt, ge, lt or le`);
    if (Number.isNaN(Date.parse(value))) throw invalidFilter(`'${value}' is not a date and time (e.g. 2026-11-30T12:00:00Z)`);
  }
}

/** The values an attribute path reaches in a resource (several for a multi-valued attribute). */
function valuesAt(kind: ResourceKind, path: AttrPath, resource: Record<string, unknown>): { values: unknown[]; attr: Attr } {
  const r = resolvePath(kind, path)!;
  const holder = r.urn === undefined ? resource : (resource[r.urn] as Record<string, unknown> | undefined);
  const top = holder ? holder[r.attr.name] : undefined;
  const items = top === undefined || top === null ? [] : Array.isArray(top) ? top : [top];
  if (r.sub) return { values: items.map((i) => (i as Record<string, unknown>)[r.sub!.name]).filter((v) => v !== undefined && v !== null), attr: r.sub };
  const value = r.attr.subAttributes?.find((s) => s.name === 'value');
  if (value) return { values: items.map((i) => (i as Record<string, unknown>).value).filter((v) => v !== undefined && v !== null), attr: value };
  return { values: items, attr: r.attr };
}

function compare(a: Attr, op: CompareOp, actual: unknown, expected: Value): boolean {
  if (expected === null) return false;
  if (typeof expected === 'boolean' || typeof actual === 'boolean') {
    const same = actual === expected;
    return op === 'eq' ? same : op === 'ne' ? !same : false;
  }
  if (a.type === 'dateTime') {
    const x = Date.parse(String(actual));
    const y = Date.parse(String(expected));
    return op === 'eq' ? x === y : op === 'ne' ? x !== y : op === 'gt' ? x > y : op === 'ge' ? x >= y : op === 'lt' ? x < y : op === 'le' ? x <= y : false;
  }
  const fold = (s: string) => (a.caseExact ? s : s.toLowerCase());
  const x = fold(String(actual));
  const y = fold(String(expected));
  switch (op) {
    case 'eq': return x === y;
    case 'ne': return x !== y;
    case 'co': return x.includes(y);
    case 'sw': return x.startsWith(y);
    case 'ew': return x.endsWith(y);
    case 'gt': return x > y;
    case 'ge': return x >= y;
    case 'lt': return x < y;
    case 'le': return x <= y;
  }
}

function evaluate(kind: ResourceKind, f: Filter, resource: Record<string, unknown>, parent: Attr | undefined): boolean {
  switch (f.kind) {
    case 'and':
      return evaluate(kind, f.left, resource, parent) && evaluate(kind, f.right, resource, parent);
    case 'or':
      return evaluate(kind, f.left, resource, parent) || evaluate(kind, f.right, resource, parent);
    case 'not':
      return !evaluate(kind, f.filter, resource, parent);
    case 'valuePath': {
      const r = resolvePath(kind, f.path)!;
      const holder = r.urn === undefined ? resource : (resource[r.urn] as Record<string, unknown> | undefined);
      const top = holder?.[r.attr.name];
      const items = top === undefined || top === null ? [] : Array.isArray(top) ? top : [top];
      return items.some((item) => evaluate(kind, f.filter, item as Record<string, unknown>, r.attr));
    }
    case 'pr':
    case 'cmp': {
      let values: unknown[];
      let attr: Attr;
      if (parent) {
        attr = parent.subAttributes!.find((s) => s.name.toLowerCase() === f.path.attr.toLowerCase())!;
        const v = resource[attr.name];
        values = v === undefined || v === null ? [] : [v];
      } else ({ values, attr } = valuesAt(kind, f.path, resource));
      values = values.filter((v) => v !== '');
      if (f.kind === 'pr') return values.length > 0;
      if (f.value === null) return f.op === 'eq' ? values.length === 0 : values.length > 0;
      // ne holds when no value equals; the others when some value matches.
      if (f.op === 'ne') return !values.some((v) => compare(attr, 'eq', v, f.value));
      return values.some((v) => compare(attr, f.op, v, f.value));
    }
  }
}
