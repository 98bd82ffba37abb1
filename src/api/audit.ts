/**
 * The audit log (GET /v1/audit) and the generic operation endpoint (POST /v1/operations), which
 * runs any operation by name with the same arguments as a scenario step.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isOperation } from '../services/lectern.js';
import { authorize, caller, HttpError, runOp } from './http.js';

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/audit',
    {
      schema: {
        summary: 'audit entries, newest first: operations (with their revision) and authentication events (revision null, with address and outcome); admins of the institution root',
        tags: ['audit'],
        querystring: Type.Object(
          {
            actor: Type.Optional(Type.String({ minLength: 1 })),
            target: Type.Optional(Type.String({ minLength: 1, description: 'a part of the target, e.g. user:bob' })),
            since: Type.Optional(Type.String({ format: 'date-time' })),
            until: Type.Optional(Type.String({ format: 'date-time' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const c = caller(req);
      authorize(c, 'audit.view', `institution:${c.institutionId}`);
      const { actor, target, since, until, limit } = req.query;
      const filter = {
        ...(actor ? { actor } : {}),
        ...(target ? { target } : {}),
        ...(since ? { since: new Date(since) } : {}),
        ...(until ? { until: new Date(until) } : {}),
        ...(limit ? { limit } : {}),
      };
      // Operations (with a revision) and authentication events (without: sign-ins, passwords,
      // tokens, ended sessions — with the address and outcome), newest first.
      const [ops, events] = await Promise.all([app.lectern.store.audit(c.institutionId, filter), app.lectern.store.authEvents(c.institutionId, filter)]);
      const items = [
        ...ops,
        ...events.map(({ institutionId, detail, ...e }) => ({ institutionId, revision: null, ...e, changes: [], ...(detail !== undefined ? { detail } : {}) })),
      ]
        .sort((a, b) => b.at.getTime() - a.at.getTime())
        .slice(0, limit ?? 100);
      return { items };
    },
  );

  app.post(
    '/operations',
    {
      schema: {
        summary: 'run any operation by name, like a scenario step: { do, with }',
        tags: ['operations'],
        body: Type.Object(
          { do: Type.String({ minLength: 1, description: 'e.g. role.grant' }), with: Type.Optional(Type.Record(Type.String(), Type.Unknown())) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      // Refused before anything is locked: only Lectern's own operations (not `__proto__`, `toString`…).
      if (!isOperation(req.body.do)) throw new HttpError(400, { code: 'unknownOperation', field: 'do', message: `do: '${req.body.do}' is not an operation Lectern knows` });
      const args = req.body.with ?? {};
      const institutionId = req.body.do === 'institution.create' && typeof args.id === 'string' ? args.id : undefined;
      return runOp(req, reply, req.body.do, args, institutionId ? { institutionId } : {});
    },
  );
};
