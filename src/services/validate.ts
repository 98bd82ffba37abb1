/**
 * Reading operation arguments: each helper names the field and the reason when input is bad.
 */
import { invalid } from '../domain/outcome.js';

export type Args = Readonly<Record<string, unknown>>;

const ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function str(args: Args, field: string, opts: { max?: number } = {}): string {
  const v = args[field];
  if (v === undefined || v === null || v === '') throw invalid(field, 'is required', 'required');
  return text(field, v, opts.max ?? 200);
}

export function optStr(args: Args, field: string, opts: { max?: number } = {}): string | undefined {
  const v = args[field];
  if (v === undefined || v === null) return undefined;
  if (v === '') throw invalid(field, 'must not be empty', 'required');
  return text(field, v, opts.max ?? 200);
}

function text(field: string, v: unknown, max: number): string {
  if (typeof v === 'number' || typeof v === 'bigint') v = String(v);
  if (typeof v !== 'string') throw invalid(field, `must be text, not ${Array.isArray(v) ? 'a list' : typeof v}`, 'type');
  const t = v.trim();
  if (t === '') throw invalid(field, 'must not be blank', 'required');
  if (t.length > max) throw invalid(field, `is longer than ${max} characters`, 'tooLong');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(t)) throw invalid(field, 'contains control characters', 'format');
  return t;
}

export function id(args: Args, field: string): string {
  const v = str(args, field, { max: 128 });
  if (!ID.test(v)) throw invalid(field, `'${v}' is not a valid id (letters, digits, . _ @ - ; starting with a letter or digit)`, 'format');
  return v;
}

export function optId(args: Args, field: string): string | undefined {
  return args[field] === undefined || args[field] === null ? undefined : id(args, field);
}

export function email(args: Args, field: string, required: boolean): string | undefined {
  const v = required ? str(args, field, { max: 254 }) : optStr(args, field, { max: 254 });
  if (v !== undefined && !EMAIL.test(v)) throw invalid(field, `'${v}' is not an email address`, 'format');
  return v;
}

/** Booleans accept true/false and on/off alike (SPEC §7). */
export function optBool(args: Args, field: string): boolean | undefined {
  const v = args[field];
  if (v === undefined || v === null) return undefined;
  if (v === true || v === 'true' || v === 'on') return true;
  if (v === false || v === 'false' || v === 'off') return false;
  throw invalid(field, `must be on/off or true/false, not '${String(v)}'`, 'type');
}

export function optEnum<T extends string>(args: Args, field: string, values: readonly T[]): T | undefined {
  const v = args[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw invalid(field, `must be one of ${values.join(', ')}, not '${String(v)}'`, 'enum');
  }
  return v as T;
}

/** Refuses arguments the operation does not take, so a typo is not silently ignored. */
export function only(args: Args, fields: readonly string[]): void {
  for (const k of Object.keys(args)) {
    if (!fields.includes(k)) throw invalid(k, `is not an argument of this operation (it takes ${fields.join(', ')})`, 'unknownField');
  }
}
