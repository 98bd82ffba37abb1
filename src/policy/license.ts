/**
 * Personal Capture licensing rules (SPEC §5). Packs are created by system admins. Assigning and
 * revoking seats takes a system admin, or a license manager who is also an admin over the unit
 * where the target is academic staff; a license manager alone views and exports. Only academic
 * staff hold seats, one per pack; under site licensing every academic-staff user is a presenter.
 */
import { allow, because, type Decision, deny } from '../domain/outcome.js';
import type { World } from '../world/world.js';
import type { Actor } from './actor.js';
import type { Query, RuleTable } from './types.js';

/** `ID yyyy-mm-dd-xxxxxx`, the date a real calendar date and xxxxxx six digits. */
export function licensePackIdProblem(id: string): string | undefined {
  const m = /^ID (\d{4})-(\d{2})-(\d{2})-(\d{6})$/.exec(id);
  if (!m) return `'${id}' is not a license ID of the form ID yyyy-mm-dd-xxxxxx`;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (d.getUTCFullYear() !== Number(m[1]) || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) {
    return `'${id}' has ${m[1]}-${m[2]}-${m[3]}, which is not a calendar date`;
  }
  return undefined;
}

/** Is the user a presenter: academic staff, licensed by the site or by a seat? */
export function isPresenter(w: World, userId: string): boolean {
  if (w.user(userId)?.status !== 'active' || !w.holds(userId, 'academic_staff')) return false;
  const mode = w.institution.personalCaptureLicensing;
  return mode === 'site' || (mode === 'packs' && w.seatsOf(userId).size > 0);
}

function manages(actor: Actor): Decision | undefined {
  if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
  return undefined;
}

/** Assign/revoke: system admin, or license manager + admin over a unit where the target is academic staff. */
export function mayLicense(actor: Actor, targetId: string | undefined): Decision {
  const sys = manages(actor);
  if (sys) return sys;
  const w = actor.world;
  if (!actor.holds('license_manager')) {
    return deny(because`assigning licenses takes a system admin, or a license manager who is also an admin; ${actor.name} is not a license manager`);
  }
  if (!actor.isAnyAdmin) return deny(because`${actor.name} is a license manager without admin rights, and a license manager alone only views and exports`);
  if (targetId === undefined) return allow(because`${actor.name} is a license manager and an admin`);
  const units = w.listedUnits(targetId, 'academic_staff');
  if (units.length === 0) {
    // The actor has the roles to license; the target lacks the role a license needs (SPEC §13: conflict).
    return { allow: false, conflict: 'notAcademicStaff', reasons: [because`${targetId} is not academic staff; only academic staff hold Personal Capture licenses`] };
  }
  for (const u of units) {
    const a = actor.adminUnitOver(u);
    if (a !== undefined) return allow(because`${actor.name} is a license manager and admin of ${w.tree.name(a)}, where ${targetId} is academic staff (${w.tree.name(u)})`);
  }
  return deny(because`${targetId} is academic staff at ${units.map((u) => w.tree.name(u)).join(', ')}, outside ${actor.name}'s admin rights (${actor.adminUnits.map((u) => w.tree.name(u)).join(', ') || 'none'})`);
}

function view(q: Query): Decision {
  const { actor } = q;
  const sys = manages(actor);
  if (sys) return sys;
  if (actor.holds('license_manager')) return allow(because`${actor.name} is a license manager and views every license assignment`);
  if (typeof q.context.user === 'string' && q.context.user === actor.id) return allow(because`${actor.name} may see their own licenses`);
  return deny(because`${actor.name} is not a license manager`);
}

function change(q: Query): Decision {
  return mayLicense(q.actor, typeof q.context.user === 'string' ? q.context.user : undefined);
}

export const licenseRules: RuleTable = {
  'license.view': view,
  'license.export': view,
  'license.assign': change,
  'license.revoke': change,
  'license.import': change,
  'licensePack.create': ({ actor }) =>
    actor.isSystemAdmin ? allow(because`${actor.name} is a system admin`) : deny(because`license packs are created by system admins; ${actor.name} is not one`),
  'licensePack.update': ({ actor }) =>
    actor.isSystemAdmin ? allow(because`${actor.name} is a system admin`) : deny(because`license packs are changed by system admins; ${actor.name} is not one`),
};
