/**
 * Personal Capture licensing operations (SPEC §5): packs, assign, autoassign, revoke, revokeall.
 * Every operation runs under the institution's write lock, so the free-seat count it reads is the
 * one it writes against: seats are never over-allocated, however many requests race.
 */
import { conflict, notFound } from '../../domain/outcome.js';
import type { Change, LicensePackRow, UserRow } from '../../domain/rows.js';
import type { World } from '../../world/world.js';
import { at, custom, defineOp, find, inInstitution, type Operation } from '../operation.js';
import { type ArgsOf, optional, packId, seats, text } from '../validate.js';

/** The changes that free every seat a user holds (academic staff revoked, deactivated, deleted). */
export function seatRelease(w: World, userId: string): Change[] {
  return [...w.seatsOf(userId)].map((packId) => ({ table: 'licenseAssignment' as const, op: 'del' as const, row: { institutionId: w.institutionId, packId, userId } }));
}

export const freeSeats = (w: World, packId: string): number => (w.licensePack(packId)?.seats ?? 0) - w.seatHolders(packId).size;

/** The target user, named by id, username or email (as in a license CSV). */
function holder(w: World, raw: string): UserRow {
  const u = w.findUser(raw);
  if (!u) throw notFound('user', 'user', raw);
  return u;
}

/** The state rules every assignment meets: packs mode, an active academic-staff target. */
function assertAssignable(w: World, u: UserRow): void {
  if (w.institution.personalCaptureLicensing === 'site') {
    throw conflict('siteLicensing', `${w.institutionId} uses site licensing: every academic-staff user is already a presenter, so assignment is unnecessary`);
  }
  // Under `off` a seat would license nothing: refused as under `site`, for the opposite reason (issue 20).
  if (w.institution.personalCaptureLicensing === 'off') {
    throw conflict('licensingOff', `Personal Capture licensing is off in ${w.institutionId}: nobody records with it, so a seat would license nothing`);
  }
  if (u.status !== 'active') throw conflict('deactivated', `${u.id} is deactivated and cannot hold a license`, 'user');
  if (!w.holds(u.id, 'academic_staff')) throw conflict('notAcademicStaff', `${u.id} is not academic staff; only academic staff hold Personal Capture licenses`, 'user');
}

function seat(w: World, packId: string, userId: string): Change {
  return { table: 'licenseAssignment', op: 'put', row: { institutionId: w.institutionId, packId, userId } };
}

/** A license change names a user (by id, username or email) and, but for the *all ones, a pack. */
const ONE_SEAT = { user: text(254), pack: packId() };
const ANY_SEAT = { user: text(254), pack: optional(text(64)) }; // a License ID on an autoassign or revokeall row is ignored (SPEC §5)
const loadSeat = ({ world: w, args }: { world: World; args: ArgsOf<typeof ONE_SEAT> }) => ({ u: holder(w, args.user), pack: find(w, 'licensePack', args.pack, 'pack') });
const loadHolder = ({ world: w, args }: { world: World; args: { user: string } }) => ({ u: holder(w, args.user) });
/** Checked on the institution with the user's id (and the pack) as context. */
const onSeat = custom<{ user: string; pack?: string }, { u: UserRow }>(
  ({ world: w, args, loaded }) => ({ resource: `institution:${w.institutionId}`, context: { user: loaded.u.id, ...(args.pack !== undefined ? { pack: args.pack } : {}) } }),
  (ref, context, w) => (ref.type === 'institution' && ref.id === w.institutionId ? { ...context } : undefined),
);
const onHolder = custom<{ user: string }, { u: UserRow }>(({ world: w, loaded }) => ({ resource: `institution:${w.institutionId}`, context: { user: loaded.u.id } }));

export const licenseOps: Record<string, Operation> = {
  'licensePack.create': defineOp({
    action: 'licensePack.create',
    args: { id: packId(), seats: seats() },
    on: inInstitution(),
    plan({ world: w, args: { id, seats } }) {
      if (w.licensePack(id)) throw conflict('duplicateId', `license pack '${id}' already exists`, 'id');
      const row: LicensePackRow = { institutionId: w.institutionId, id, unitId: w.rootId, seats };
      return { changes: [{ table: 'licensePack', op: 'put', row }], target: `licensePack:${id}`, result: row };
    },
  }),
  'licensePack.update': defineOp({
    action: 'licensePack.update',
    args: { pack: packId(), seats: seats() },
    load: ({ world: w, args }) => find(w, 'licensePack', args.pack, 'pack'),
    on: at('licensePack', 'pack'),
    plan({ world: w, args: { seats }, loaded: pack }) {
      const used = w.seatHolders(pack.id).size;
      if (seats < used) throw conflict('seatsInUse', `${used} seats of ${pack.id} are assigned; revoke some before lowering it to ${seats}`, 'seats');
      const row = { ...pack, seats };
      return { changes: seats === pack.seats ? [] : [{ table: 'licensePack', op: 'put', row }], target: `licensePack:${pack.id}`, result: row };
    },
  }),
  'license.assign': defineOp({
    action: 'license.assign',
    args: ONE_SEAT,
    load: loadSeat,
    on: onSeat,
    plan({ world: w, loaded: { u, pack } }) {
      assertAssignable(w, u);
      const result = { user: u.id, pack: pack.id };
      if (w.seatHolders(pack.id).has(u.id)) return { changes: [], target: `user:${u.id}`, result };
      if (freeSeats(w, pack.id) <= 0) throw conflict('noFreeSeat', `license pack ${pack.id} has no free seat (${pack.seats} of ${pack.seats} assigned)`, 'pack');
      return { changes: [seat(w, pack.id, u.id)], target: `user:${u.id}`, result };
    },
  }),
  'license.autoassign': defineOp({
    action: 'license.assign',
    args: ANY_SEAT,
    load: loadHolder,
    on: onHolder,
    plan({ world: w, loaded: { u } }) {
      assertAssignable(w, u);
      const held = [...w.seatsOf(u.id)].sort();
      if (held.length > 0) return { changes: [], target: `user:${u.id}`, result: { user: u.id, pack: held[0] } };
      const packs = [...w.tables.licensePack.keys()].sort();
      const free = packs.find((p) => freeSeats(w, p) > 0);
      if (!free) throw conflict('noFreeSeat', packs.length ? `every license pack is fully assigned (${packs.length} packs)` : 'there are no license packs', 'pack');
      return { changes: [seat(w, free, u.id)], target: `user:${u.id}`, result: { user: u.id, pack: free } };
    },
  }),
  'license.revoke': defineOp({
    action: 'license.revoke',
    args: ONE_SEAT,
    load: loadSeat,
    on: onSeat,
    plan({ world: w, loaded: { u, pack } }) {
      if (!w.seatHolders(pack.id).has(u.id)) throw notFound('pack', `${u.id}'s seat in license pack`, pack.id);
      return { changes: [{ table: 'licenseAssignment', op: 'del', row: { institutionId: w.institutionId, packId: pack.id, userId: u.id } }], target: `user:${u.id}` };
    },
  }),
  'license.revokeall': defineOp({
    action: 'license.revoke',
    args: ANY_SEAT,
    load: loadHolder,
    on: onHolder,
    plan: ({ world: w, loaded: { u } }) => ({ changes: seatRelease(w, u.id), target: `user:${u.id}`, result: { user: u.id, revoked: [...w.seatsOf(u.id)].sort() } }),
  }),
};
