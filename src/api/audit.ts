/**
 * The audit log (GET /v1/audit) and the generic operation endpoint (POST /v1/operations), which
 * runs any operation by name with the same arguments as a scenario step.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isOperation } from '../services/lectern.js';
import { type AuditItem, Names, sentence } from './audit-words.js';
import { authorize, caller, HttpError, runOp } from './http.js';

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/audit',
    {
      schema: {
        summary:
          'audit entries, newest first, each with a sentence naming who did what to whom: operations (with their revision) and authentication events (revision null, with address and outcome); paged backwards through all history with `before` (the `next` cursor of the previous page); admins of the institution root',
        tags: ['audit'],
        querystring: Type.Object(
          {
            actor: Type.Optional(Type.String({ minLength: 1 })),
            target: Type.Optional(Type.String({ minLength: 1, description: 'a part of the target, e.g. user:bob' })),
            exact: Type.Optional(Type.Boolean({ description: 'the target exactly (a picked user or object), not a part of it' })),
            since: Type.Optional(Type.String({ format: 'date-time' })),
            until: Type.Optional(Type.String({ format: 'date-time' })),
            before: Type.Optional(Type.String({ pattern: '^\\d+\\.\\d+$', description: 'the cursor `next` of the page before: older entries only' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const c = caller(req);
      authorize(c, 'audit.view', `institution:${c.institutionId}`);
      const { actor, target, exact, since, until, before, limit = 100 } = req.query;
      // The cursor: the time (ms) of the last entry shown and how many entries of that same
      // millisecond were shown, so a page boundary inside one millisecond loses nothing.
      const [cursorAt, cursorSkip] = before ? before.split('.').map(Number) as [number, number] : [undefined, 0];
      // The store keeps microseconds, a Date milliseconds: ask up to the next millisecond, then drop what is newer than the cursor.
      const upTo = cursorAt !== undefined ? new Date(Math.min(cursorAt + 1, until ? new Date(until).getTime() : Infinity)) : until ? new Date(until) : undefined;
      const filter = {
        ...(actor ? { actor } : {}),
        ...(target ? { target } : {}),
        ...(since ? { since: new Date(since) } : {}),
        ...(upTo ? { until: upTo } : {}),
        limit: limit + cursorSkip + 1,
      };
      // Operations (with a revision) and authentication events (without: sign-ins, passwords,
      // tokens, ended sessions — with the address and outcome), newest first.
      const [ops, events] = await Promise.all([app.lectern.store.audit(c.institutionId, filter), app.lectern.store.authEvents(c.institutionId, filter)]);
      let all: AuditItem[] = [
        ...ops,
        ...events.map(({ institutionId, detail, ...e }) => ({ institutionId, revision: null, ...e, changes: [], ...(detail !== undefined ? { detail } : {}) })),
      ].sort((a, b) => b.at.getTime() - a.at.getTime());
      if (exact && target) all = all.filter((e) => e.target === target);
      if (cursorAt !== undefined) {
        let skip = cursorSkip;
        all = all.filter((e) => e.at.getTime() < cursorAt || (e.at.getTime() === cursorAt && skip-- <= 0));
      }
      const page = all.slice(0, limit);
      const more = all.length > limit;
      const last = page[page.length - 1];
      let next: string | null = null;
      if (more && last) {
        const ms = last.at.getTime();
        const sameMs = page.filter((e) => e.at.getTime() === ms).length + (cursorAt === ms ? cursorSkip : 0);
        next = `${ms}.${sameMs}`;
      }
      const names = new Names(c.world);
      names.learn(page);
      return { items: page.map((e) => ({ ...e, sentence: sentence(names, e), actorName: names.person(e.actor), targetName: names.thing(e.target) })), next };
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
