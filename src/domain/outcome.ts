/**
 * What every operation answers (SPEC §13) and what every decision answers (SPEC §11).
 */

export const OUTCOME_STATUSES = ['ok', 'denied', 'invalid', 'conflict', 'notFound'] as const;
export type OutcomeStatus = (typeof OUTCOME_STATUSES)[number];

export interface Decision {
  allow: boolean;
  /** Why, in an administrator's words; the first reason is the deciding one. */
  reasons: string[];
  /**
   * Set on a denial that the state causes rather than the actor's rights (e.g. `locked`): the actor
   * would otherwise be allowed, so an operation answers conflict, not denied.
   */
  conflict?: string;
}

/**
 * Whether the decision being made should explain itself. Reasons are words for people; the hot
 * path (a service asking thousands of times a second) can do without them, so `decide` turns this
 * off when asked and the `because` tag then builds no strings.
 */
let explaining = true;

export function isExplaining(): boolean {
  return explaining;
}

/** Turns explanations on or off and answers the previous setting (to restore it afterwards). */
export function setExplaining(on: boolean): boolean {
  const before = explaining;
  explaining = on;
  return before;
}

/** The tag for a reason: builds the sentence only while explaining. */
export function because(strings: TemplateStringsArray, ...values: unknown[]): string {
  if (!explaining) return '';
  let s = strings[0]!;
  for (let i = 0; i < values.length; i++) s += String(values[i]) + strings[i + 1]!;
  return s;
}

const ALLOWED: Decision = Object.freeze({ allow: true, reasons: Object.freeze([]) as unknown as string[] });
const DENIED: Decision = Object.freeze({ allow: false, reasons: Object.freeze([]) as unknown as string[] });

/** A decision; while not explaining, one shared answer with no reasons (nothing to allocate). */
export const allow = (...reasons: string[]): Decision => (explaining ? { allow: true, reasons } : ALLOWED);
export const deny = (...reasons: string[]): Decision => (explaining ? { allow: false, reasons } : DENIED);

export interface Refusal {
  status: Exclude<OutcomeStatus, 'ok'>;
  /** A stable machine code, e.g. `duplicateEmail`. */
  code: string;
  message: string;
  /** The input field at fault, for invalid input and many conflicts. */
  field?: string;
  reasons?: string[];
}

export interface Success<T = unknown> {
  status: 'ok';
  revision: number;
  /** false when the operation found the state already as asked and wrote nothing. */
  changed: boolean;
  result?: T;
}

export type Outcome<T = unknown> = Success<T> | Refusal;

/** Thrown inside an operation to refuse it; the transaction rolls back and the refusal is returned. */
export class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

export const invalid = (field: string, message: string, code = 'invalid'): Refused =>
  new Refused({ status: 'invalid', code, field, message: `${field}: ${message}` });
export const conflict = (code: string, message: string, field?: string): Refused =>
  new Refused({ status: 'conflict', code, message, ...(field ? { field } : {}) });
export const notFound = (field: string, what: string, id: string): Refused =>
  new Refused({ status: 'notFound', code: 'notFound', field, message: `${what} '${id}' does not exist` });
/** The refusal a denying decision amounts to: conflict when the state causes it, else denied. */
export const refusalOf = (d: Decision): Refusal =>
  d.conflict
    ? { status: 'conflict', code: d.conflict, message: d.reasons[0] ?? 'conflict', reasons: d.reasons }
    : { status: 'denied', code: 'denied', message: d.reasons[0] ?? 'denied', reasons: d.reasons };
export const deniedBy = (d: Decision): Refused => new Refused(refusalOf(d));

/** A resource reference `type:id`, the one platform being `platform:main`. */
export interface ResourceRef {
  type: string;
  id: string;
}

export function parseResource(ref: string): ResourceRef | undefined {
  const i = ref.indexOf(':');
  if (i <= 0 || i === ref.length - 1) return undefined;
  return { type: ref.slice(0, i), id: ref.slice(i + 1) };
}
