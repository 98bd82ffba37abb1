/**
 * Operations made of other operations: a SCIM PUT (update a user, set their external id, deactivate
 * them), an LTI launch (a course, a section, an enrollment), a OneRoster row. Each step is another
 * operation's declaration, read, loaded, authorized and planned as if it ran alone, against the
 * world as the steps before it left it; the composite adds only rows of its own and the decisions
 * it needs beyond its steps. So a composite can do nothing its steps could not do one by one, and
 * it commits all of them in one transaction or none.
 *
 * A composite is never what a check stands for (services/agree.ts): its steps' actions are.
 */
import type { TObject } from 'typebox';
import type { Action } from '../domain/catalog.js';
import { allow, deniedBy } from '../domain/outcome.js';
import type { Change } from '../domain/rows.js';
import { Actor, decide, type Principal } from '../policy/index.js';
import type { World } from '../world/world.js';
import type { Operation, Plan } from './operation.js';
import { type ArgsOf, type Fields, readArgs, schemaOf } from './validate.js';

export interface CompositeContext<A> {
  world: World;
  actor: Actor;
  principal: Principal;
  args: A;
  /** A further decision the composite needs; denied, it refuses the whole operation. */
  authorize(action: Action, resource: string, context?: Record<string, unknown>): void;
  /** Plans another operation as the next step and applies it for the steps after; its changes. */
  step(op: Operation, args: Record<string, unknown>): Change[];
  /** Rows only the composite knows (SCIM's external ids, an LTI context link), as the next step. */
  add(...changes: Change[]): void;
}

export interface CompositeDeclaration<F extends Fields> {
  /** The action it is audited as; checks go to its steps' own actions instead. */
  action: Action;
  args: F;
  plan(ctx: CompositeContext<ArgsOf<F>>): Omit<Plan, 'changes'>;
}

export function defineComposite<F extends Fields>(d: CompositeDeclaration<F>): Operation {
  const schema: TObject = schemaOf(d.args);
  return {
    action: d.action,
    fields: d.args,
    schema,
    argsOf: () => undefined,
    evaluate(world, principal, raw, opts = {}) {
      const args = readArgs(d.args, raw);
      const all: Change[] = [];
      const undo: Change[] = [];
      const apply = (changes: readonly Change[]) => {
        for (const c of changes) {
          const before = world.current(c);
          undo.push(before ? ({ table: c.table, op: 'put', row: before } as Change) : { ...c, op: 'del' });
          world.apply(c);
          all.push(c);
        }
      };
      const ctx: CompositeContext<ArgsOf<F>> = {
        world,
        actor: new Actor(world, principal),
        principal,
        args,
        authorize(action, resource, context = {}) {
          const dd = decide(world, principal, action, resource, context, opts);
          if (!dd.allow) throw deniedBy(dd);
        },
        step(op, stepArgs) {
          const { plan } = op.evaluate(world, principal, stepArgs, opts);
          apply(plan.changes);
          return plan.changes;
        },
        add(...changes) {
          apply(changes);
        },
      };
      // Every step's changes are undone before anyone else looks at the world (this is synchronous).
      try {
        const { target, result } = d.plan(ctx);
        return { plan: { changes: all, target, ...(result !== undefined ? { result } : {}) }, decision: allow('every step was authorized on its own') };
      } finally {
        for (let i = undo.length - 1; i >= 0; i--) world.apply(undo[i]!);
      }
    },
  };
}
