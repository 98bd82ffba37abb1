/**
 * The student activity record over HTTP (issue 20; docs/ACTIVITY.md): the platform posts its view,
 * play and download events; usage reports per section (`section.analytics`) and per person
 * (`activity.report`); retention applied on demand (it is also applied after ingests, at most
 * hourly per institution and process).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Refused } from '../domain/outcome.js';
import { ActivityRefused, ingestActivity, MAX_EVENTS_PER_BATCH, periodOf, purgeActivity, sectionReport, userReport } from '../services/activity.js';
import { authorize, caller, fromRefusal, HttpError } from './http.js';

const CODE = { denied: 'denied', invalid: 'invalid', notFound: 'notFound' } as const;
const STATUS = { denied: 403, invalid: 400, notFound: 404 } as const;

function answer(e: unknown): never {
  if (e instanceof ActivityRefused) {
    throw new HttpError(STATUS[e.status], { code: CODE[e.status], message: e.message, ...(e.field ? { field: e.field } : {}), ...(e.reasons.length ? { reasons: e.reasons } : {}) });
  }
  if (e instanceof Refused) throw fromRefusal(e.refusal);
  throw e;
}

const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });
const PeriodQuery = Type.Object(
  { from: Type.Optional(Type.String({ maxLength: 40, description: 'date or time; default: 30 days before to' })), to: Type.Optional(Type.String({ maxLength: 40, description: 'date or time (exclusive); default: now' })) },
  { additionalProperties: false },
);
const Event = Type.Object(
  {
    at: Type.Union([Type.String({ maxLength: 40 }), Type.Number()], { description: 'when (ISO 8601, or milliseconds since 1970)' }),
    user: Type.String({ maxLength: 254 }),
    media: Type.String({ maxLength: 128 }),
    section: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Null()])),
    kind: Type.Union([Type.Literal('view'), Type.Literal('play'), Type.Literal('download')]),
    seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400, description: 'seconds watched (play)' })),
  },
  { additionalProperties: false },
);

const lastPurge = new Map<string, number>();

export const activityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/activity/events',
    {
      bodyLimit: 32 * 1024 * 1024,
      schema: {
        summary: `record the platform's view, play and download events, all or none (activity.ingest); at most ${MAX_EVENTS_PER_BATCH.toLocaleString('en')} a request`,
        tags: ['activity'],
        body: Type.Object({ events: Type.Array(Event, { maxItems: MAX_EVENTS_PER_BATCH }) }, { additionalProperties: false }),
      },
    },
    async (req) => {
      const c = caller(req);
      const out = await ingestActivity(req.server.lectern, c.principal, c.institutionId, req.body.events).catch(answer);
      const now = Date.now();
      if ((lastPurge.get(c.institutionId) ?? 0) < now - 3_600_000) {
        lastPurge.set(c.institutionId, now);
        await purgeActivity(req.server.lectern, c.institutionId).catch((e: unknown) => req.log.warn({ err: e }, 'activity retention failed'));
      }
      return out;
    },
  );

  app.get('/activity/sections/:id', { schema: { summary: 'a section’s usage per media item and per person (section.analytics)', tags: ['activity'], params: Id, querystring: PeriodQuery } }, async (req) => {
    const c = caller(req);
    try {
      return await sectionReport(req.server.lectern, c.principal, c.world, req.params.id, periodOf(req.query.from, req.query.to));
    } catch (e) {
      return answer(e);
    }
  });

  app.get('/activity/users/:id', { schema: { summary: 'a person’s usage per section, only the sections the caller sees analytics of (activity.report)', tags: ['activity'], params: Id, querystring: PeriodQuery } }, async (req) => {
    const c = caller(req);
    try {
      return await userReport(req.server.lectern, c.principal, c.world, req.params.id, periodOf(req.query.from, req.query.to));
    } catch (e) {
      return answer(e);
    }
  });

  app.post('/activity/purge', { schema: { summary: 'apply the institution’s activity retention now (institution.configure)', tags: ['activity'] } }, async (req) => {
    const c = caller(req);
    authorize(c, 'institution.configure', `institution:${c.institutionId}`);
    return purgeActivity(req.server.lectern, c.institutionId).catch(answer);
  });
};
