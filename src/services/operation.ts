/**
 * The shape of an operation: authorize through policy, validate, and plan the row changes.
 * Planning is synchronous over a current world inside the institution's write lock, so what was
 * checked is what gets written.
 */
import { deniedBy } from '../domain/outcome.js';
import type { Change } from '../domain/rows.js';
import { type Actor, decide, type Principal } from '../policy/index.js';
import type { World } from '../world/world.js';
import type { Args } from './validate.js';

export interface OpContext {
  world: World;
  actor: Actor;
  principal: Principal;
  args: Args;
}

export interface Plan {
  changes: Change[];
  /** What the operation acted on, for the audit log (`user:bob`). */
  target: string;
  result?: unknown;
}

export interface Operation {
  /** The arguments it takes (anything else is refused as invalid). */
  fields: readonly string[];
  plan(ctx: OpContext): Plan;
}

/** Refuses the operation unless policy allows `action` on `resource`. */
export function authorize(ctx: OpContext, action: string, resource: string, context: Record<string, unknown> = {}): void {
  const d = decide(ctx.world, ctx.principal, action, resource, context);
  if (!d.allow) throw deniedBy(d);
}
