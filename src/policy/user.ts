/**
 * User rules (SPEC §2–3): any admin adds users and sees them; changing an account needs every staff
 * role it holds to be within the admin's rights (reach). Only active staff sign in to the console.
 */
import { allow, because, deny } from '../domain/outcome.js';
import { isStaff, mayReachUser } from './role.js';
import type { RuleTable } from './types.js';

export const userRules: RuleTable = {
  'user.view': ({ actor, resource }) => {
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    if (actor.id === resource.id) return allow(because`${actor.name} may see their own account`);
    if (actor.isAnyAdmin) return allow(because`${actor.name} is an admin, and users are outside the hierarchy`);
    if (actor.holds('license_manager')) return allow(because`${actor.name} is a license manager and sees who holds licenses`);
    if (actor.listed('scheduler').length > 0) return allow(because`${actor.name} is a scheduler and enrolls instructors`);
    return deny(because`${actor.name} is neither an admin, a license manager nor a scheduler with units`);
  },
  'user.create': ({ actor, world }) => {
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    if (actor.isAnyAdmin) return allow(because`${actor.name} is an admin, and any admin adds users`);
    return deny(because`${actor.name} has no admin rights in ${world.institutionId}`);
  },
  // Changing, deactivating, reactivating or deleting an account, and setting a temporary password
  // (authorized as user.update), take over what it can do: SPEC §3 "Reach over an account".
  'user.update': ({ actor, resource }) => mayReachUser(actor, resource.id),
  'user.deactivate': ({ actor, resource }) => mayReachUser(actor, resource.id),
  'user.delete': ({ actor, resource }) => mayReachUser(actor, resource.id),
  'console.signIn': ({ actor, world }) => {
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    if (actor.principal.kind !== 'user') return deny('only people sign in');
    if (!isStaff(world, actor.principal.userId)) {
      return deny(because`${actor.name} is a student (holds no staff role), and students cannot sign in to the console`);
    }
    return allow(because`${actor.name} is active staff`);
  },
};
