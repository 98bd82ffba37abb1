/**
 * The one vocabulary of operation arguments. Each field is a TypeBox schema (what a route body, the
 * scenario runner's `with:` and a CSV row may hold) and the reading of a value into what the
 * operation uses, refusing bad input as `invalid` with the field and the reason in words.
 */
import { type TObject, type TSchema, Type } from 'typebox';
import { Value } from 'typebox/value';
import { invalid } from '../domain/outcome.js';
import { licensePackIdProblem } from '../policy/index.js';

export type Args = Readonly<Record<string, unknown>>;

export interface Field<T = unknown> {
  /** The value as a caller writes it. */
  readonly schema: TSchema;
  readonly required: boolean;
  /** The value as the operation uses it; throws `invalid` naming the field and the reason. */
  read(v: unknown, field: string): T;
}

/** A field that may be left out (or null): the operation then sees `undefined`. */
export function optional<T>(f: Field<T>): Field<T | undefined> {
  return { schema: f.schema, required: false, read: (v, field) => f.read(v, field) };
}

export type Fields = Readonly<Record<string, Field>>;
export type ArgsOf<F extends Fields> = { readonly [K in keyof F]: F[K] extends Field<infer T> ? T : never };

const ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Checks the read value against the schema too, so what the schema documents is what is taken. */
function field<T>(schema: TSchema, read: (v: unknown, field: string) => T, reason: string): Field<T> {
  return {
    schema,
    required: true,
    read(v, name) {
      const out = read(v, name);
      if (!Value.Check(schema, out)) throw invalid(name, `${reason}, not '${show(v)}'`, 'format');
      return out;
    },
  };
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/** Text as people write it: trimmed, not blank, no control characters, valid Unicode, bounded. */
function readText(v: unknown, name: string, max: number): string {
  if (typeof v === 'number' || typeof v === 'bigint') v = String(v);
  if (typeof v !== 'string') throw invalid(name, `must be text, not ${Array.isArray(v) ? 'a list' : typeof v}`, 'type');
  const t = v.trim();
  if (t === '') throw invalid(name, 'must not be blank', 'required');
  if (t.length > max) throw invalid(name, `is longer than ${max} characters`, 'tooLong');
  if (CONTROL.test(t)) throw invalid(name, 'contains control characters', 'format');
  if (LONE_SURROGATE.test(t)) throw invalid(name, 'is not valid Unicode text (a lone surrogate)', 'format');
  return t;
}

export const text = (max = 200): Field<string> =>
  field(Type.String({ minLength: 1, maxLength: max, pattern: '^[^\\u0000-\\u001f\\u007f]*$' }), (v, n) => readText(v, n, max), `must be text of at most ${max} characters`);

/** An id: letters, digits, `. _ @ -`, starting with a letter or digit, at most 128 characters. */
export const id = (): Field<string> =>
  field(Type.String({ pattern: ID.source, maxLength: 128 }), (v, n) => {
    const t = readText(v, n, 128);
    if (!ID.test(t)) throw invalid(n, `'${t}' is not a valid id (letters, digits, . _ @ - ; starting with a letter or digit)`, 'format');
    return t;
  }, 'must be an id');

export const email = (): Field<string> =>
  field(Type.String({ maxLength: 254, pattern: EMAIL.source }), (v, n) => {
    const t = readText(v, n, 254);
    if (!EMAIL.test(t)) throw invalid(n, `'${t}' is not an email address`, 'format');
    return t;
  }, 'must be an email address');

/** Booleans accept true/false and on/off alike (SPEC §7). */
export const bool = (): Field<boolean> => ({
  schema: Type.Union([Type.Boolean(), Type.Literal('on'), Type.Literal('off'), Type.Literal('true'), Type.Literal('false')]),
  required: true,
  read(v, n) {
    if (v === true || v === 'true' || v === 'on') return true;
    if (v === false || v === 'false' || v === 'off') return false;
    throw invalid(n, `must be on/off or true/false, not '${show(v)}'`, 'type');
  },
});

export function oneOf<const T extends string>(values: readonly T[]): Field<T> {
  return {
    schema: Type.Union(values.map((x) => Type.Literal(x))),
    required: true,
    read(v, n) {
      if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw invalid(n, `must be one of ${values.join(', ')}, not '${show(v)}'`, 'enum');
      return v as T;
    },
  };
}

/** A whole number in a range; text of digits (a CSV cell) is read as the number. */
export const wholeNumber = (min: number, max: number): Field<number> => ({
  schema: Type.Union([Type.Integer({ minimum: min, maximum: max }), Type.String({ pattern: '^\\s*\\d+\\s*$' })]),
  required: true,
  read(v, n) {
    const x = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
      throw invalid(n, `must be a whole number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}, not '${show(v)}'`, 'range');
    }
    return x;
  },
});

/** The seats of a license pack: written once for create and update. */
export const seats = () => wholeNumber(0, 10_000_000);

/** A calendar date, yyyy-mm-dd (a YAML date is taken as its day). */
export const date = (): Field<string> =>
  field(Type.String({ pattern: DATE.source }), (raw, n) => {
    const v = raw instanceof Date ? raw.toISOString().slice(0, 10) : readText(raw, n, 10);
    const d = new Date(`${v}T00:00:00Z`);
    if (!DATE.test(v) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) throw invalid(n, `'${v}' is not a calendar date (yyyy-mm-dd)`, 'format');
    return v;
  }, 'must be a calendar date (yyyy-mm-dd)');

/** A license pack's id, `ID yyyy-mm-dd-nnnnnn` (SPEC §5). */
export const packId = (): Field<string> =>
  field(Type.String({ minLength: 1, maxLength: 64 }), (v, n) => {
    const t = readText(v, n, 64);
    const problem = licensePackIdProblem(t);
    if (problem) throw invalid(n, problem, 'format');
    return t;
  }, 'must be a license pack id');

/** A list drawn from `values`, in the order `values` gives them, without repeats. */
export function listOf<const T extends string>(values: readonly T[]): Field<T[]> {
  return {
    schema: Type.Array(Type.Union(values.map((x) => Type.Literal(x)))),
    required: true,
    read(v, n) {
      if (!Array.isArray(v)) throw invalid(n, `must be a list of ${values.join(', ')}`, 'type');
      for (const p of v) if (!(values as readonly unknown[]).includes(p)) throw invalid(n, `'${show(p)}' is not one of ${values.join(', ')}`, 'enum');
      return values.filter((x) => v.includes(x));
    },
  };
}

/** A mapping of properties, kept as JSON text of at most `max` characters. */
export const mapping = (max: number): Field<string> => ({
  schema: Type.Record(Type.String(), Type.Unknown()),
  required: true,
  read(v, n) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(n, 'must be a mapping of properties', 'type');
    const json = JSON.stringify(v);
    if (json.length > max) throw invalid(n, `is larger than ${max.toLocaleString('en')} characters`, 'tooLong');
    return json;
  },
});

/** Any value, passed on as given to an operation that reads it (an import row's cells). */
export const passed = (): Field<unknown> => ({ schema: Type.Unknown(), required: true, read: (v) => v });

/** The TypeBox schema of an operation's arguments: what a route body or a `with:` may hold. */
export function schemaOf(fields: Fields): TObject {
  const props: Record<string, TSchema> = {};
  for (const [k, f] of Object.entries(fields)) props[k] = f.required ? f.schema : Type.Optional(f.schema);
  return Type.Object(props, { additionalProperties: false });
}

/**
 * Reads the arguments: every field the operation takes, refusing any other as unknown (own
 * properties only, so `__proto__` or `constructor` are never taken for arguments).
 */
export function readArgs<F extends Fields>(fields: F, raw: unknown): ArgsOf<F> {
  return readArgsOr(fields, raw, true)!;
}

/**
 * The same, but answers undefined where readArgs would refuse an unknown argument or a missing
 * required one: a check that names fewer (or other) arguments than its operation takes is judged
 * by policy alone (services/agree.ts), and building a refusal only to drop it is most of its cost.
 */
export function readArgsOrPartial<F extends Fields>(fields: F, raw: unknown): ArgsOf<F> | undefined {
  return readArgsOr(fields, raw, false);
}

function readArgsOr<F extends Fields>(fields: F, raw: unknown, refuse: boolean): ArgsOf<F> | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('with', 'must be a mapping of arguments', 'type');
  const given = raw as Record<string, unknown>;
  for (const k of Object.keys(given)) {
    if (Object.hasOwn(fields, k)) continue;
    if (!refuse) return undefined;
    throw invalid(k, `is not an argument of this operation (it takes ${Object.keys(fields).join(', ') || 'none'})`, 'unknownField');
  }
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(fields)) {
    const v = given[k];
    if (v === undefined || v === null || (v === '' && f.required)) {
      if (f.required) {
        if (!refuse) return undefined;
        throw invalid(k, 'is required', 'required');
      }
      out[k] = undefined;
    } else out[k] = f.read(v, k);
  }
  return out as ArgsOf<F>;
}

/**
 * Prose (a media description): may span lines (CRLF becomes LF; tabs kept), trimmed, bounded, no
 * other control characters; empty text clears it.
 */
export const prose = (max: number): Field<string> => ({
  schema: Type.String({ maxLength: max }),
  required: true,
  read(v, n) {
    if (typeof v !== 'string') throw invalid(n, `must be text, not ${Array.isArray(v) ? 'a list' : typeof v}`, 'type');
    const t = v.replace(/\r\n?/g, '\n').trim();
    if (t.length > max) throw invalid(n, `is longer than ${max.toLocaleString('en')} characters`, 'tooLong');
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(t)) throw invalid(n, 'contains control characters other than line breaks and tabs', 'format');
    if (LONE_SURROGATE.test(t)) throw invalid(n, 'is not valid Unicode text (a lone surrogate)', 'format');
    return t;
  },
});

/**
 * Free-text labels (media tags): a list of at most `maxItems` texts of at most `max` characters
 * each, each trimmed; repeats (ignoring case) are dropped, the first spelling and the order kept.
 * An empty list clears them.
 */
export const labels = (maxItems: number, max: number): Field<string[]> => ({
  schema: Type.Array(Type.String({ minLength: 1, maxLength: max }), { maxItems }),
  required: true,
  read(v, n) {
    if (!Array.isArray(v)) throw invalid(n, 'must be a list of text', 'type');
    if (v.length > maxItems) throw invalid(n, `has ${v.length} entries; at most ${maxItems} are allowed`, 'tooLong');
    const out: string[] = [];
    const seen = new Set<string>();
    for (const [i, x] of v.entries()) {
      const t = readText(x, `${n}[${i}]`, max);
      if (!seen.has(t.toLowerCase())) out.push(t);
      seen.add(t.toLowerCase());
    }
    return out;
  },
});
