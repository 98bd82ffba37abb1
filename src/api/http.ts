/**
 * The HTTP shape of Lectern's answers: an operation's outcome becomes a status and a body, an error
 * always carries a stable `code`, a `message` and the `field` when one is at fault.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Decision, type Outcome, parseResource, type Refusal } from '../domain/outcome.js';
import { decide, type Principal, resourceExists } from '../policy/index.js';
import type { Auth, Identity } from '../services/auth.js';
import type { Lectern } from '../services/lectern.js';
import type { World } from '../world/world.js';

/** Who is calling and in which institution they act (set by the authentication hook). */
export interface Caller {
  identity: Identity;
  principal: Principal;
  /** The institution the request acts in: the caller's own, or the one a system admin names. */
  institutionId: string;
  world: World;
  /** The caller's own institution's world (the same as `world` unless a system admin named another). */
  home: World;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyInstance {
    lectern: Lectern;
    auth: Auth;
  }
}

export const STATUS_OF = { invalid: 400, denied: 403, notFound: 404, conflict: 409 } as const satisfies Record<Refusal['status'], number>;

export interface ErrorBody {
  code: string;
  message: string;
  field?: string;
  reasons?: string[];
  /** The refusal as a sentence for people (src/api/words.ts); the error handler adds it. */
  text?: string;
}

/** An error a route throws to answer with `status` and a body; the error handler sends it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }
}

export function fromRefusal(r: Omit<Refusal, 'status'> & { status?: Refusal['status'] }, status?: number): HttpError {
  const body: ErrorBody = { code: r.code, message: r.message };
  // An empty field is still the one at fault (e.g. a CSV header cell that is empty).
  if (r.field !== undefined) body.field = r.field;
  if (r.reasons) body.reasons = r.reasons;
  return new HttpError(status ?? STATUS_OF[r.status ?? 'invalid'], body);
}

export const denied = (reasons: string[]): HttpError => fromRefusal({ status: 'denied', code: 'denied', message: reasons[0] ?? 'denied', reasons });

/** The caller of an authenticated route (the hook guarantees it). */
export function caller(req: FastifyRequest): Caller {
  if (!req.caller) throw new HttpError(401, { code: 'unauthenticated', message: 'sign in or send a bearer token' });
  return req.caller;
}

/** Runs one operation as the caller and answers with its outcome: 200/201 with the revision, or the refusal. */
export async function runOp(
  req: FastifyRequest,
  reply: FastifyReply,
  op: string,
  args: Record<string, unknown>,
  opts: { created?: boolean; institutionId?: string } = {},
) {
  const c = caller(req);
  const o: Outcome = await req.server.lectern.run(c.principal, opts.institutionId ?? c.institutionId, op, args);
  if (o.status !== 'ok') throw fromRefusal(o);
  reply.status(opts.created && o.changed ? 201 : 200);
  return { revision: o.revision, changed: o.changed, ...(o.result !== undefined ? { result: o.result } : {}) };
}

/** Policy's decision for the caller, from the world in memory. */
export function decideAs(c: Caller, action: string, resource: string, context: Record<string, unknown> = {}): Decision {
  return decide(c.world, c.principal, action, resource, context);
}

/** Refuses with 403 unless policy allows the caller `action` on `resource`. */
export function authorize(c: Caller, action: string, resource: string, context: Record<string, unknown> = {}): void {
  const d = decideAs(c, action, resource, context);
  if (d.allow) return;
  // Policy denies checks on what does not exist (SPEC §11); the routes answer that as 404, as before.
  const ref = parseResource(resource);
  if (ref && !resourceExists(c.world, ref)) throw new HttpError(404, { code: 'notFound', message: `${ref.type} '${ref.id}' does not exist` });
  throw denied(d.reasons);
}

/** Evaluates several actions on one resource: `{ update: true, delete: false }`. */
export function abilities(c: Caller, resource: string, actions: Record<string, string>, context: Record<string, unknown> = {}): Record<string, boolean> {
  return Object.fromEntries(Object.entries(actions).map(([name, action]) => [name, decideAs(c, action, resource, context).allow]));
}
