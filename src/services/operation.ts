/**
 * An operation is a declaration (docs/OPERATIONS.md): its action, its arguments, how it loads what
 * it touches, the resource and context it is checked on, and its plan of row changes. `evaluate`
 * runs every declaration the same way — read the arguments → load → authorize → plan — against a
 * world, synchronously and without changing it; Lectern then commits the plan and applies it. A
 * check on an operation's action runs the same steps (services/agree.ts), so the two cannot differ.
 */
import type { TObject } from 'typebox';
import type { Action, ResourceType } from '../domain/catalog.js';
import { type Decision, deniedBy, notFound, type ResourceRef } from '../domain/outcome.js';
import type { Change } from '../domain/rows.js';
import { Actor, decide, type Principal } from '../policy/index.js';
import type { World } from '../world/world.js';
import { type ArgsOf, type Fields, readArgs, readArgsOrPartial, schemaOf } from './validate.js';

export interface Plan {
  changes: Change[];
  /** What the operation acted on, for the audit log (`user:bob`). */
  target: string;
  result?: unknown;
}

/** What a step of an operation sees: the world, who acts, the arguments read, and what was loaded. */
export interface OpContext<A, L> {
  world: World;
  actor: Actor;
  principal: Principal;
  args: A;
  loaded: L;
}

export interface PlanContext<A, L> extends OpContext<A, L> {
  /** A further decision the plan needs (moving a course asks `course.create` where it goes). */
  authorize(action: Action, resource: string, context?: Record<string, unknown>): void;
}

/** The resource and context of the operation's check. */
export interface Target {
  /** When the action depends on the arguments (a setting at a section is `section.settings`). */
  action?: Action;
  resource: string;
  context: Record<string, unknown>;
}

/** Where the check is: a resource and its context from the arguments, and back again for a check. */
export interface On<A, L> {
  target(ctx: OpContext<A, L>): Target;
  /** The operation's arguments a check on `ref` with `context` stands for; undefined if none. */
  argsOf(ref: ResourceRef, context: Readonly<Record<string, unknown>>, world: World): Record<string, unknown> | undefined;
}

export interface Declaration<F extends Fields, L> {
  action: Action;
  args: F;
  /** Finds what the arguments name; a named thing that does not exist is `notFound` naming the field. */
  load?(ctx: OpContext<ArgsOf<F>, undefined>): L;
  on: On<ArgsOf<F>, NoInfer<L>>;
  /** The row changes; state rules refuse with `conflict`. Pure over the world. */
  plan(ctx: PlanContext<ArgsOf<F>, NoInfer<L>>): Plan;
}

export interface Evaluation {
  plan: Plan;
  /** The decision that authorized it (with reasons unless asked not to explain). */
  decision: Decision;
}

/** An operation as the pipeline runs it. */
export interface Operation {
  readonly action: Action;
  readonly fields: Fields;
  /** The arguments' TypeBox schema (routes, scenario `with:`, OpenAPI). */
  readonly schema: TObject;
  /** The arguments a check on `ref` with `context` stands for; undefined if none. */
  argsOf(ref: ResourceRef, context: Readonly<Record<string, unknown>>, world: World): Record<string, unknown> | undefined;
  /** Read → load → authorize → plan, against `world`, changing nothing. Throws `Refused`. */
  evaluate(world: World, principal: Principal, args: unknown, opts?: { explain?: boolean }): Evaluation;
  /**
   * The same steps for a check (services/agree.ts): the authorizing decision, allowed or denied,
   * without throwing for those two; undefined when the arguments leave out a required one or name
   * an unknown one (policy alone judges such a check). Other refusals still throw `Refused`.
   * Composites have none: a check never stands for one.
   */
  check?(world: World, principal: Principal, args: unknown, opts?: { explain?: boolean }): Decision | undefined;
}

export function defineOp<F extends Fields, L = undefined>(d: Declaration<F, L>): Operation {
  const schema = schemaOf(d.args);
  return {
    action: d.action,
    fields: d.args,
    schema,
    argsOf: d.on.argsOf,
    evaluate(world, principal, raw, opts = {}) {
      const e = steps(world, principal, readArgs(d.args, raw), opts);
      if ('plan' in e) return e;
      throw deniedBy(e);
    },
    check(world, principal, raw, opts = {}) {
      const args = readArgsOrPartial(d.args, raw);
      if (args === undefined) return undefined;
      const e = steps(world, principal, args, opts);
      return 'plan' in e ? e.decision : e;
    },
  };

  /** Load → authorize → plan; the denying decision itself when the operation's check denies. */
  function steps(world: World, principal: Principal, args: ArgsOf<F>, opts: { explain?: boolean }): Evaluation | Decision {
    const actor = new Actor(world, principal);
    const base = { world, actor, principal, args, loaded: undefined };
    const ctx = { ...base, loaded: d.load ? d.load(base) : (undefined as L) };
    const { action = d.action, resource, context } = d.on.target(ctx);
    const decision = decide(world, principal, action, resource, context, opts);
    if (!decision.allow) return decision;
    const authorize = (action: Action, res: string, c: Record<string, unknown> = {}) => {
      const more = decide(world, principal, action, res, c, opts);
      if (!more.allow) throw deniedBy(more);
    };
    return { plan: d.plan({ ...ctx, authorize }), decision };
  }
}

/** The arguments that were given, less one (the one the resource names). */
export function given(args: object, less?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) if (v !== undefined && k !== less) out[k] = v;
  return out;
}

/**
 * Checked on the thing an argument names (`section.enroll` on `section:<section>`), the other
 * arguments as context. With `fallback`, a missing argument means that thing (a unit's parent is
 * the root unless given).
 */
export function at<A extends object, L>(type: ResourceType, field: keyof A & string, fallback?: (w: World) => string): On<A, L> {
  return {
    target: ({ args, world }) => {
      const v = (args as Record<string, unknown>)[field];
      return { resource: `${type}:${v === undefined ? fallback?.(world) : String(v)}`, context: given(args, field) };
    },
    argsOf: (ref, context) => (ref.type === type ? { ...context, [field]: ref.id } : undefined),
  };
}

/** Checked on the institution, every argument as context (`user.create`, `collection.create`). */
export function inInstitution<A extends object, L>(): On<A, L> {
  return {
    target: ({ args, world }) => ({ resource: `institution:${world.institutionId}`, context: given(args) }),
    argsOf: (ref, context, world) => (ref.type === 'institution' && ref.id === world.institutionId ? { ...context } : undefined),
  };
}

/** Checked somewhere the plan works out; such an operation's checks are policy's alone. */
export function custom<A, L>(target: (ctx: OpContext<A, L>) => Target, argsOf?: On<A, L>['argsOf']): On<A, L> {
  return { target, argsOf: argsOf ?? (() => undefined) };
}

const FIND = {
  user: (w: World, k: string) => w.user(k),
  unit: (w: World, k: string) => w.tree.units.get(k),
  term: (w: World, k: string) => w.term(k),
  course: (w: World, k: string) => w.course(k),
  section: (w: World, k: string) => w.section(k),
  schedule: (w: World, k: string) => w.schedule(k),
  class: (w: World, k: string) => w.class(k),
  room: (w: World, k: string) => w.room(k),
  device: (w: World, k: string) => w.device(k),
  media: (w: World, k: string) => w.media(k),
  collection: (w: World, k: string) => w.collection(k),
  library: (w: World, k: string) => w.library(k),
  licensePack: (w: World, k: string) => w.licensePack(k),
};
type Find = typeof FIND;
type Found<K extends keyof Find> = NonNullable<ReturnType<Find[K]>>;
const WHAT: Partial<Record<keyof Find, string>> = { licensePack: 'license pack' };

/** The thing an argument names, or `notFound` naming the field (`field` defaults to the kind). */
export function find<K extends keyof Find>(w: World, kind: K, key: string, field: string = kind): Found<K> {
  const v = FIND[kind](w, key) as Found<K> | undefined;
  if (v === undefined) throw notFound(field, WHAT[kind] ?? kind, key);
  return v;
}

/** The same for an argument that may be left out. */
export function findOpt<K extends keyof Find>(w: World, kind: K, key: string | undefined, field: string = kind): Found<K> | undefined {
  return key === undefined ? undefined : find(w, kind, key, field);
}

/** A put when the row differs from the current one, nothing otherwise. */
export function put<T extends Change['table']>(table: T, row: Extract<Change, { table: T }>['row'], cur: unknown): Change[] {
  return JSON.stringify(row) === JSON.stringify(cur) ? [] : [{ table, op: 'put', row } as Change];
}
