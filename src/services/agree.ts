/**
 * Every decision check enters here (SPEC §11 "A check agrees with the operation"). A check whose
 * action is an operation's runs that operation's own steps — read the arguments, load, authorize,
 * plan — against the world, writing nothing: allow when the operation would be applied, else deny
 * with the operation's reason. Any other check (media.view, media.download, …) is policy's alone.
 */
import { type Decision, deny, isExplaining, parseResource, Refused, type Refusal, refusalOf, type ResourceRef } from '../domain/outcome.js';
import { decide, type Principal } from '../policy/index.js';
import type { World } from '../world/world.js';
import type { Operation } from './operation.js';
import { BASE_OPERATIONS } from './operations.js';

/** The operations a check can stand for: those named by their own action. */
const BY_ACTION: ReadonlyMap<string, Operation> = new Map(Object.entries(BASE_OPERATIONS).filter(([name, op]) => op.action === name));

/** Missing or unknown arguments: the check asks about less (or other) than the operation takes. */
const PARTIAL = new Set(['required', 'unknownField']);

export function judge(
  world: World,
  principal: Principal,
  action: string,
  resource: string | ResourceRef,
  context: Readonly<Record<string, unknown>> = {},
  opts: { explain?: boolean } = {},
): Decision {
  const op = BY_ACTION.get(action);
  if (op === undefined) return decide(world, principal, action, resource, context, opts);
  const ref = typeof resource === 'string' ? parseResource(resource) : resource;
  const args = ref ? op.argsOf(ref, context, world) : undefined;
  if (!args) return decide(world, principal, action, resource, context, opts);
  try {
    // The operation's check answers allowed or denied without throwing; only its other refusals throw.
    const d = op.check ? op.check(world, principal, args, opts) : op.evaluate(world, principal, args, opts).decision;
    // Without every argument the operation needs, the check judges what it was given (docs/DECISIONS.md).
    if (d === undefined) return decide(world, principal, action, resource, context, opts);
    return d.allow ? d : refused(refusalOf(d), opts);
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    const r = e.refusal;
    if (r.status === 'invalid' && PARTIAL.has(r.code)) return decide(world, principal, action, resource, context, opts);
    return refused(r, opts);
  }
}

/** The denial a check answers for an operation's refusal: its reasons, and its code if a conflict. */
function refused(r: Refusal, opts: { explain?: boolean }): Decision {
  const explain = opts.explain !== false && isExplaining();
  const reasons = explain ? (r.reasons ?? [r.message]) : [];
  return r.status === 'conflict' ? { ...deny(...reasons), conflict: r.code } : deny(...reasons);
}

/** For callers that only want the answer. */
export const allows = (world: World, principal: Principal, action: string, resource: string, context?: Record<string, unknown>): boolean =>
  judge(world, principal, action, resource, context, { explain: false }).allow;

