/**
 * POST /v1/preview: "what would change?" (docs/PREVIEW.md). The body names an operation the way
 * POST /v1/operations does — `{ do, with }` — and the preview runs it as the caller on the world at
 * its current revision without writing it. Authorized like the operation itself: a preview of an
 * operation the caller could not run answers with that refusal (and nothing else), with 200, since
 * the preview itself worked. Unknown operations are a 400, as for POST /v1/operations.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { PREVIEW_DEFAULT_LIMIT, PREVIEW_MAX_LIMIT, notPreviewable, previewOperation } from '../services/preview.js';
import { caller, fromRefusal } from './http.js';

const Tally = Type.Object({
  users: Type.Integer({ description: 'distinct people' }),
  objects: Type.Integer({ description: 'distinct objects' }),
  pairs: Type.Integer({ description: '(person, object) pairs' }),
  sections: Type.Optional(Type.Integer({ description: 'for media: the distinct sections they are published in' })),
});

const Refusal = Type.Object({
  status: Type.String({ description: 'invalid, denied, notFound or conflict: what running the operation would answer' }),
  code: Type.String(),
  message: Type.String(),
  field: Type.Optional(Type.String()),
  reasons: Type.Optional(Type.Array(Type.String())),
});

const Answer = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('refused')]),
  revision: Type.Integer({ description: 'the revision the preview was computed at' }),
  refusal: Type.Optional(Refusal),
  changes: Type.Optional(Type.Integer({ description: 'rows the operation would write (0: it would change nothing)' })),
  target: Type.Optional(Type.String()),
  at: Type.Optional(Type.String({ description: 'the time downloads were asked at' })),
  impact: Type.Optional(
    Type.Array(
      Type.Object({
        capability: Type.String({ description: 'e.g. media.download:video' }),
        action: Type.String(),
        type: Type.String({ description: 'media, section or unit' }),
        gained: Tally,
        lost: Tally,
      }),
      { description: 'per capability that moves: who gains it and who loses it, counted' },
    ),
  ),
  items: Type.Optional(
    Type.Array(
      Type.Object({ user: Type.String(), capability: Type.String(), object: Type.String({ description: 'type:id' }), change: Type.Union([Type.Literal('gain'), Type.Literal('loss')]) }),
      { description: 'one page of the full list, from offset' },
    ),
  ),
  total: Type.Optional(Type.Integer({ description: 'items in the full list' })),
  offset: Type.Optional(Type.Integer()),
  limit: Type.Optional(Type.Integer()),
  notes: Type.Optional(Type.Array(Type.Object({ code: Type.String(), message: Type.String() }), { description: 'locks and overrides below a changed setting, a unit move, delegated administration' })),
  cost: Type.Optional(Type.Object({ objects: Type.Integer(), decisions: Type.Integer() })),
});

export const previewRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/preview',
    {
      schema: {
        summary: 'what would change: who gains and who loses which capability on which objects, if this operation ran (nothing is written)',
        tags: ['operations'],
        body: Type.Object(
          {
            do: Type.String({ minLength: 1, description: 'an operation, as for POST /v1/operations: settings.set, role.grant, unit.update, institution.configure, …' }),
            with: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'its arguments, as the write takes them' })),
            limit: Type.Optional(Type.Integer({ minimum: 0, maximum: PREVIEW_MAX_LIMIT, default: PREVIEW_DEFAULT_LIMIT, description: 'items listed' })),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'items skipped before the page' })),
            at: Type.Optional(Type.String({ minLength: 1, description: 'the time downloads are asked at (default now)' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Answer },
      },
    },
    async (req) => {
      const c = caller(req);
      const { do: name, with: args = {}, limit, offset, at } = req.body;
      const bad = notPreviewable(name);
      if (bad) throw fromRefusal(bad);
      return previewOperation(app.lectern, c.principal, c.institutionId, name, args, { limit, offset, at });
    },
  );
};
