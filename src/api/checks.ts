/**
 * Decisions over HTTP: POST /v1/check (one) and POST /v1/checks (a batch). A decision about a user
 * reveals what they may do, so the caller must be allowed `user.view` on that user (oneself always).
 * `atLeastRevision`: answered once this process has caught up to that revision (503 at once if it does not exist yet).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { Lectern } from '../services/lectern.js';
import type { World } from '../world/world.js';
import { type Caller, caller, decideAs, fromRefusal, HttpError } from './http.js';

const MAX_BATCH = 1000;

const Check = Type.Object(
  {
    user: Type.String({ minLength: 1, description: 'user id, username or email' }),
    action: Type.String({ minLength: 1, description: 'an action of SPEC §11, e.g. media.download' }),
    resource: Type.String({ minLength: 1, description: 'type:id, e.g. media:lec1' }),
    context: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
type CheckT = Static<typeof Check>;

const Decision = Type.Object({ allow: Type.Boolean(), reasons: Type.Array(Type.String()) });
const Rev = Type.Optional(Type.Integer({ minimum: 0, description: 'answer only once this revision is applied (503 at once if the store has not committed it)' }));

async function worldAt(lectern: Lectern, c: Caller, revision: number | undefined): Promise<World> {
  if (revision === undefined || revision <= c.world.revision) return c.world;
  const w = await lectern.atLeast(c.institutionId, revision);
  if (!w || w.revision < revision) {
    throw new HttpError(503, {
      code: 'revisionNotReached',
      field: 'atLeastRevision',
      message: `revision ${revision} is not applied yet (at ${w?.revision ?? 0}); retry shortly`,
    });
  }
  return w;
}

function answer(lectern: Lectern, c: Caller, world: World, check: CheckT, field: string) {
  const u = world.findUser(check.user);
  // The gate on the subject is asked without reasons; only a refusal is worded.
  const subject = `user:${u?.id ?? check.user}`;
  if (!u) return { allow: false, reasons: [`'${check.user}' is not a user of ${world.institutionId}`] };
  if (!lectern.check(c.world, c.principal, 'user.view', subject, {}, { explain: false }).allow) {
    const view = decideAs(c, 'user.view', subject);
    throw fromRefusal({ status: 'denied', code: 'denied', field, message: view.reasons[0] ?? 'denied', reasons: view.reasons });
  }
  return lectern.check(world, lectern.principal(world.institutionId, u.id), check.action, check.resource, check.context ?? {});
}

export const checkRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/check',
    {
      // Thousands a second: a log line per request would cost more than the decision (errors still log).
      logLevel: 'warn',
      schema: {
        summary: 'one decision, with its reasons',
        tags: ['decisions'],
        body: Type.Object({ ...Check.properties, atLeastRevision: Rev }, { additionalProperties: false }),
        response: { 200: Type.Object({ ...Decision.properties, revision: Type.Integer() }) },
      },
    },
    async (req) => {
      const c = caller(req);
      const body = req.body;
      const world = body.atLeastRevision === undefined ? c.world : await worldAt(app.lectern, c, body.atLeastRevision);
      const d = answer(app.lectern, c, world, body, 'user');
      return { allow: d.allow, reasons: d.reasons, revision: world.revision };
    },
  );

  app.post(
    '/checks',
    {
      logLevel: 'warn',
      schema: {
        summary: `up to ${MAX_BATCH} decisions at once, answered in order`,
        tags: ['decisions'],
        body: Type.Object({ checks: Type.Array(Check, { maxItems: MAX_BATCH }), atLeastRevision: Rev }, { additionalProperties: false }),
        response: { 200: Type.Object({ results: Type.Array(Decision), revision: Type.Integer() }) },
      },
    },
    async (req) => {
      const c = caller(req);
      const world = req.body.atLeastRevision === undefined ? c.world : await worldAt(app.lectern, c, req.body.atLeastRevision);
      return { results: req.body.checks.map((check, i) => answer(app.lectern, c, world, check, `checks.${i}.user`)), revision: world.revision };
    },
  );
};
