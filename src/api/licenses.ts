/**
 * Personal Capture licensing over HTTP (SPEC §5): license packs with totals and free seats, the
 * assignments (filtered by unit and pack), one user's licenses, assign / autoassign / revoke for
 * one user, bulk assign and bulk revoke-all for a list of users (one batch, an outcome per user),
 * and the license CSV (import with a dry run, export). Every rule is policy's; every write is an
 * operation through Lectern.run or Lectern.runRows.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isPresenter } from '../policy/index.js';
import { exportCsv, summarize } from '../services/imports/csv.js';
import { licenseKind } from '../services/imports/licenses.js';
import type { BatchRow } from '../services/lectern.js';
import { freeSeats } from '../services/ops/license.js';
import type { World } from '../world/world.js';
import { abilities, authorize, type Caller, caller, decideAs, HttpError, runOp } from './http.js';
import { runUpload, rowView, streamCsvBodies } from './upload.js';
import { inWords } from './words.js';

/** The largest CSV an import accepts. */
export const CSV_BODY_LIMIT = 50 * 1024 * 1024;
const MAX_BULK = 10_000;

const PackId = Type.String({ minLength: 1, maxLength: 64, description: 'ID yyyy-mm-dd-xxxxxx' });
const Seats = Type.Integer({ minimum: 0, maximum: 10_000_000 });
const UserRef = Type.String({ minLength: 1, maxLength: 254, description: 'user id, username or email' });
const Users = Type.Array(UserRef, { minItems: 1, maxItems: MAX_BULK });

/** The caller's world, caught up with what other server processes committed. */
async function current(req: import('fastify').FastifyRequest): Promise<{ c: Caller; w: World }> {
  const c = caller(req);
  const w = (await req.server.lectern.refresh(c.institutionId)) ?? c.world;
  return { c, w };
}

function packView(w: World, id: string) {
  const p = w.licensePack(id)!;
  const assigned = w.seatHolders(id).size;
  return { id: p.id, unit: p.unitId, seats: p.seats, assigned, free: freeSeats(w, id) };
}

function academicUnits(w: World, userId: string): string[] {
  return w.listedUnits(userId, 'academic_staff');
}

/** A row result as an outcome per user (bulk) or per line (import). */
export const licenseRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // The CSV import takes the file as it is (text/csv), streamed, up to 50 MB; only in this plugin.
  streamCsvBodies(app);

  app.get('/license-packs', { schema: { summary: 'license packs with their seats, assigned and free (license.view)', tags: ['licenses'] } }, async (req) => {
    const { c, w } = await current(req);
    authorize(c, 'license.view', `institution:${c.institutionId}`);
    const items = [...w.tables.licensePack.keys()].sort().map((id) => packView(w, id));
    const totals = items.reduce((t, p) => ({ seats: t.seats + p.seats, assigned: t.assigned + p.assigned, free: t.free + p.free }), { seats: 0, assigned: 0, free: 0 });
    return {
      revision: w.revision,
      licensing: w.institution.personalCaptureLicensing,
      totals,
      items,
      abilities: abilities(c, `institution:${c.institutionId}`, { create: 'licensePack.create', update: 'licensePack.update', assign: 'license.assign', import: 'license.import', export: 'license.export' }),
    };
  });

  app.post(
    '/license-packs',
    { schema: { summary: 'create a license pack (licensePack.create; system admins)', tags: ['licenses'], body: Type.Object({ id: PackId, seats: Seats }, { additionalProperties: false }) } },
    async (req, reply) => runOp(req, reply, 'licensePack.create', req.body, { created: true }),
  );

  app.patch(
    '/license-packs/:id',
    {
      schema: {
        summary: 'change a pack’s seat count (licensePack.update); never below the seats assigned',
        tags: ['licenses'],
        params: Type.Object({ id: PackId }),
        body: Type.Object({ seats: Seats }, { additionalProperties: false }),
      },
    },
    async (req, reply) => runOp(req, reply, 'licensePack.update', { pack: req.params.id, seats: req.body.seats }),
  );

  app.get(
    '/licenses',
    {
      schema: {
        summary: 'license assignments, filtered by unit (academic staff within it) and pack (license.view)',
        tags: ['licenses'],
        querystring: Type.Object(
          {
            unit: Type.Optional(Type.String({ minLength: 1, description: 'users whose academic_staff unit is within this one' })),
            pack: Type.Optional(PackId),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const { c, w } = await current(req);
      authorize(c, 'license.view', `institution:${c.institutionId}`);
      const { unit, pack, offset = 0, limit = 100 } = req.query;
      if (unit !== undefined && !w.tree.units.has(unit)) throw new HttpError(404, { code: 'notFound', field: 'unit', message: `unit '${unit}' does not exist` });
      if (pack !== undefined && !w.licensePack(pack)) throw new HttpError(404, { code: 'notFound', field: 'pack', message: `license pack '${pack}' does not exist` });
      const all: { user: string; username: string; email: string; firstName: string; lastName: string; pack: string; units: string[] }[] = [];
      for (const a of w.tables.licenseAssignment.values()) {
        if (pack !== undefined && a.packId !== pack) continue;
        const units = academicUnits(w, a.userId);
        if (unit !== undefined && !units.some((u) => w.tree.within(u, unit))) continue;
        const u = w.user(a.userId);
        all.push({ user: a.userId, username: u?.username ?? a.userId, email: u?.email ?? '', firstName: u?.firstName ?? '', lastName: u?.lastName ?? '', pack: a.packId, units });
      }
      all.sort((x, y) => x.username.localeCompare(y.username) || x.pack.localeCompare(y.pack));
      return {
        revision: w.revision,
        total: all.length,
        offset,
        limit,
        items: all.slice(offset, offset + limit).map((a) => ({
          ...a,
          abilities: { revoke: decideAs(c, 'license.revoke', `institution:${c.institutionId}`, { user: a.user, pack: a.pack }).allow },
        })),
      };
    },
  );

  app.get(
    '/users/:id/licenses',
    { schema: { summary: 'one user’s Personal Capture licenses: every pack, held or not (license.view; oneself always)', tags: ['licenses'], params: Type.Object({ id: Type.String({ minLength: 1 }) }) } },
    async (req) => {
      const { c, w } = await current(req);
      const u = w.findUser(req.params.id);
      authorize(c, 'license.view', `institution:${c.institutionId}`, { user: u?.id ?? req.params.id });
      if (!u) throw new HttpError(404, { code: 'notFound', field: 'id', message: `user '${req.params.id}' does not exist` });
      const held = w.seatsOf(u.id);
      const ctx = { user: u.id };
      return {
        revision: w.revision,
        user: u.id,
        licensing: w.institution.personalCaptureLicensing,
        academicStaff: academicUnits(w, u.id).length > 0,
        presenter: isPresenter(w, u.id),
        items: [...w.tables.licensePack.keys()].sort().map((id) => ({ ...packView(w, id), held: held.has(id) })),
        abilities: abilities(c, `institution:${c.institutionId}`, { assign: 'license.assign', revoke: 'license.revoke' }, ctx),
      };
    },
  );

  app.post(
    '/licenses',
    { schema: { summary: 'assign a seat of a pack to a user (license.assign)', tags: ['licenses'], body: Type.Object({ user: UserRef, pack: PackId }, { additionalProperties: false }) } },
    async (req, reply) => runOp(req, reply, 'license.assign', req.body, { created: true }),
  );

  app.post(
    '/licenses/autoassign',
    { schema: { summary: 'assign the first pack (by ID) with a free seat (license.autoassign)', tags: ['licenses'], body: Type.Object({ user: UserRef }, { additionalProperties: false }) } },
    async (req, reply) => runOp(req, reply, 'license.autoassign', req.body, { created: true }),
  );

  app.delete(
    '/licenses',
    { schema: { summary: 'revoke a user’s seat of a pack (license.revoke); ?user=&pack=', tags: ['licenses'], querystring: Type.Object({ user: UserRef, pack: PackId }, { additionalProperties: false }) } },
    async (req, reply) => runOp(req, reply, 'license.revoke', req.query),
  );

  /** Runs one operation per user as one batch; each user gets their own outcome. */
  const bulk = async (c: Caller, users: string[], op: string, extra: Record<string, unknown>) => {
    const rows: BatchRow[] = users.map((user, i) => ({ line: i + 1, op, args: { user, ...extra } }));
    const results = await app.lectern.runRows(c.principal, c.institutionId, rows, { label: `bulk.${op}` });
    const revision = (await app.lectern.world(c.institutionId))?.revision;
    return {
      revision,
      summary: summarize(results, false),
      results: results.map((r, i) => ({
        user: users[i]!,
        outcome: rowView(r).outcome,
        ...(r.status === 'ok' ? (r.result !== undefined ? { result: r.result } : {}) : { code: r.code, message: r.message, text: inWords(r), ...(r.field ? { field: r.field } : {}), ...(r.reasons ? { reasons: r.reasons } : {}) }),
      })),
    };
  };

  app.post(
    '/licenses/bulk-assign',
    {
      schema: {
        summary: 'assign a pack (or, without pack, autoassign) to each of a list of users; an outcome per user',
        tags: ['licenses'],
        body: Type.Object({ users: Users, pack: Type.Optional(PackId) }, { additionalProperties: false }),
      },
    },
    async (req) => {
      const c = caller(req);
      const { users, pack } = req.body;
      return pack === undefined ? bulk(c, users, 'license.autoassign', {}) : bulk(c, users, 'license.assign', { pack });
    },
  );

  app.post(
    '/licenses/bulk-revoke-all',
    { schema: { summary: 'revoke every seat of each of a list of users (license.revokeall); an outcome per user', tags: ['licenses'], body: Type.Object({ users: Users }, { additionalProperties: false }) } },
    async (req) => bulk(caller(req), req.body.users, 'license.revokeall', {}),
  );

  app.post(
    '/licenses/import',
    {
      schema: {
        summary: 'import a license CSV (Username,Action,License ID) sent as text/csv; every row applied or refused on its own',
        tags: ['licenses'],
        querystring: Type.Object(
          {
            dryRun: Type.Optional(Type.Boolean({ default: false, description: 'report what would happen, write nothing' })),
            format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json', description: 'csv: the result as line,outcome,reason' })),
            async: Type.Optional(Type.Boolean({ description: 'answer 202 with an import job to follow at its status URL (also Prefer: respond-async)' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => runUpload(app, req, reply, licenseKind, req.query),
  );

  app.get('/licenses/export', { schema: { summary: 'every license assignment as a license CSV, a template for import (license.export)', tags: ['licenses'] } }, async (req, reply) => {
    const { c, w } = await current(req);
    authorize(c, 'license.export', `institution:${c.institutionId}`);
    reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="licenses-${c.institutionId}.csv"`);
    return Readable.from(exportCsv(licenseKind, w, c.principal));
  });
};
