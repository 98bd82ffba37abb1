/**
 * The shape every policy module shares: a rule is a small pure function of a query that returns
 * a decision with its reasons.
 */
import type { Action } from '../domain/catalog.js';
import type { Decision, ResourceRef } from '../domain/outcome.js';
import type { World } from '../world/world.js';
import type { Actor } from './actor.js';

export interface Query {
  world: World;
  actor: Actor;
  action: Action;
  resource: ResourceRef;
  context: Readonly<Record<string, unknown>>;
  /** What the resource names as the existence check found it (its row), if the world tracks its type. */
  found?: unknown;
}

export type Rule = (q: Query) => Decision;
export type RuleTable = Partial<Record<Action, Rule>>;
