/**
 * Personal Capture licensing operations (SPEC §5): packs, assign, autoassign, revoke, revokeall.
 * Every operation runs under the institution's write lock, so the free-seat count it reads is the
 * one it writes against: seats are never over-allocated, however many requests race.
 */
import { conflict, invalid, notFound } from '../../domain/outcome.js';
import type { Change, LicensePackRow, UserRow } from '../../domain/rows.js';
import { licensePackIdProblem } from '../../policy/index.js';
import type { World } from '../../world/world.js';
import { authorize, type OpContext, type Operation } from '../operation.js';
import { only, str } from '../validate.js';

/** The changes that free every seat a user holds (academic staff revoked, deactivated, deleted). */
export function seatRelease(w: World, userId: string): Change[] {
  return [...w.seatsOf(userId)].map((packId) => ({ table: 'licenseAssignment' as const, op: 'del' as const, row: { institutionId: w.institutionId, packId, userId } }));
}

export const freeSeats = (w: World, packId: string): number => (w.licensePack(packId)?.seats ?? 0) - w.seatHolders(packId).size;

/** The target user, named by id, username or email (as in a license CSV). */
function target(w: World, raw: string): UserRow {
  const u = w.findUser(raw);
  if (!u) throw notFound('user', 'user', raw);
  return u;
}

function packArg(ctx: OpContext, field = 'pack'): LicensePackRow {
  const id = str(ctx.args, field, { max: 64 });
  const problem = licensePackIdProblem(id);
  if (problem) throw invalid(field, problem, 'format');
  const p = ctx.world.licensePack(id);
  if (!p) throw notFound(field, 'license pack', id);
  return p;
}

/** The state rules every assignment meets: packs mode, an active academic-staff target. */
function assertAssignable(w: World, u: UserRow): void {
  if (w.institution.personalCaptureLicensing === 'site') {
    throw conflict('siteLicensing', `${w.institutionId} uses site licensing: every academic-staff user is already a presenter, so assignment is unnecessary`);
  }
  if (u.status !== 'active') throw conflict('deactivated', `${u.id} is deactivated and cannot hold a license`, 'user');
  if (!w.holds(u.id, 'academic_staff')) throw conflict('notAcademicStaff', `${u.id} is not academic staff; only academic staff hold Personal Capture licenses`, 'user');
}

function seat(w: World, packId: string, userId: string): Change {
  return { table: 'licenseAssignment', op: 'put', row: { institutionId: w.institutionId, packId, userId } };
}

export const licenseOps: Record<string, Operation> = {
  'licensePack.create': {
    fields: ['id', 'seats'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const id = str(args, 'id', { max: 64 });
      const problem = licensePackIdProblem(id);
      if (problem) throw invalid('id', problem, 'format');
      const seats = Number(args.seats);
      if (args.seats === undefined || args.seats === null || args.seats === '') throw invalid('seats', 'is required', 'required');
      if (!Number.isInteger(seats) || seats < 0 || seats > 10_000_000) throw invalid('seats', `must be a whole number from 0 to 10,000,000, not '${String(args.seats)}'`, 'range');
      authorize(ctx, 'licensePack.create', `institution:${w.institutionId}`);
      if (w.licensePack(id)) throw conflict('duplicateId', `license pack '${id}' already exists`, 'id');
      const row: LicensePackRow = { institutionId: w.institutionId, id, unitId: w.rootId, seats };
      return { changes: [{ table: 'licensePack', op: 'put', row }], target: `licensePack:${id}`, result: row };
    },
  },
  'licensePack.update': {
    fields: ['pack', 'seats'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const pack = packArg(ctx);
      const seats = Number(args.seats);
      if (!Number.isInteger(seats) || seats < 0 || seats > 10_000_000) throw invalid('seats', `must be a whole number from 0 to 10,000,000, not '${String(args.seats)}'`, 'range');
      authorize(ctx, 'licensePack.create', `institution:${w.institutionId}`);
      const used = w.seatHolders(pack.id).size;
      if (seats < used) throw conflict('seatsInUse', `${used} seats of ${pack.id} are assigned; revoke some before lowering it to ${seats}`, 'seats');
      const row = { ...pack, seats };
      return { changes: seats === pack.seats ? [] : [{ table: 'licensePack', op: 'put', row }], target: `licensePack:${pack.id}`, result: row };
    },
  },
  'license.assign': {
    fields: ['user', 'pack'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const u = target(w, str(args, 'user', { max: 254 }));
      const pack = packArg(ctx);
      authorize(ctx, 'license.assign', `institution:${w.institutionId}`, { user: u.id, pack: pack.id });
      assertAssignable(w, u);
      const result = { user: u.id, pack: pack.id };
      if (w.seatHolders(pack.id).has(u.id)) return { changes: [], target: `user:${u.id}`, result };
      if (freeSeats(w, pack.id) <= 0) throw conflict('noFreeSeat', `license pack ${pack.id} has no free seat (${pack.seats} of ${pack.seats} assigned)`, 'pack');
      return { changes: [seat(w, pack.id, u.id)], target: `user:${u.id}`, result };
    },
  },
  'license.autoassign': {
    fields: ['user', 'pack'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields); // a License ID on an autoassign row is ignored (SPEC §5)
      const u = target(w, str(args, 'user', { max: 254 }));
      authorize(ctx, 'license.assign', `institution:${w.institutionId}`, { user: u.id });
      assertAssignable(w, u);
      const held = [...w.seatsOf(u.id)].sort();
      if (held.length > 0) return { changes: [], target: `user:${u.id}`, result: { user: u.id, pack: held[0] } };
      const packs = [...w.tables.licensePack.keys()].sort();
      const free = packs.find((p) => freeSeats(w, p) > 0);
      if (!free) throw conflict('noFreeSeat', packs.length ? `every license pack is fully assigned (${packs.length} packs)` : 'there are no license packs', 'pack');
      return { changes: [seat(w, free, u.id)], target: `user:${u.id}`, result: { user: u.id, pack: free } };
    },
  },
  'license.revoke': {
    fields: ['user', 'pack'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const u = target(w, str(args, 'user', { max: 254 }));
      const pack = packArg(ctx);
      authorize(ctx, 'license.revoke', `institution:${w.institutionId}`, { user: u.id, pack: pack.id });
      if (!w.seatHolders(pack.id).has(u.id)) throw notFound('pack', `${u.id}'s seat in license pack`, pack.id);
      return { changes: [{ table: 'licenseAssignment', op: 'del', row: { institutionId: w.institutionId, packId: pack.id, userId: u.id } }], target: `user:${u.id}` };
    },
  },
  'license.revokeall': {
    fields: ['user', 'pack'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields); // a License ID on a revokeall row is ignored (SPEC §5)
      const u = target(w, str(args, 'user', { max: 254 }));
      authorize(ctx, 'license.revoke', `institution:${w.institutionId}`, { user: u.id });
      return { changes: seatRelease(w, u.id), target: `user:${u.id}`, result: { user: u.id, revoked: [...w.seatsOf(u.id)].sort() } };
    },
  },
};
