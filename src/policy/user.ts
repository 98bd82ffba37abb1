/**
 * User rules (SPEC §2–3): any admin adds users and sees them; changing an account needs every staff
 * role it holds to be within the admin's rights (reach). Only active staff sign in to the console.
 */
import { allow, because, deny } from '../domain/outcome.js';
import { isStaff, mayReachUser } from './role.js';
import type { RuleTable } from './types.js';
import type { UserRow } from '../domain/rows.js';
import type { World } from '../world/world.js';

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
  // The user typeahead (SPEC §11: every read asks policy): for callers who hold an action that
  // needs picking a person — admins (roles, libraries, collections), license managers, schedulers
  // (enrolling instructors), collection managers (adding members), instructors and teaching
  // assistants (sharing media, enrolling). Everyone else has no one to pick.
  'user.search': ({ actor, world }) => {
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    if (actor.isAnyAdmin) return allow(because`${actor.name} is an admin, who picks users for roles, libraries and collections`);
    if (actor.holds('license_manager')) return allow(because`${actor.name} is a license manager, who picks users to license`);
    if (actor.listed('scheduler').length > 0) return allow(because`${actor.name} is a scheduler, who picks instructors to enroll`);
    if (actor.principal.kind !== 'user' || actor.foreign) return deny(because`${actor.name} is not a user of ${world.institutionId}`);
    const me = actor.principal.userId;
    for (const c of world.collectionsOf(me)) {
      if (world.collectionMember(c, me)?.level === 'manager') return allow(because`${actor.name} manages collection ${c}, and adds its members`);
    }
    for (const [section, role] of world.enrollmentsOf(me)) {
      if (role === 'instructor' || role === 'teaching_assistant') return allow(because`${actor.name} teaches in section ${section}, and shares its media with people`);
    }
    return deny(because`${actor.name} holds nothing that needs picking a person (an admin, a license manager, a scheduler, a collection manager or an instructor does)`);
  },
  'console.signIn': ({ actor, world }) => {
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    if (actor.principal.kind !== 'user') return deny('only people sign in');
    if (!isStaff(world, actor.principal.userId)) {
      return deny(because`${actor.name} is a student (holds no staff role), and students cannot sign in to the console`);
    }
    return allow(because`${actor.name} is active staff`);
  },
};

const FIELD_WORDS = { id: 'id', username: 'username', email: 'email' } as const;

/**
 * SPEC §2 "One name, one user": a user's id, username and email must name nobody else, in any of
 * the three fields, whatever the case. Returns the first clash — the field of `row` it is in, the
 * user it collides with and how — or undefined. A user's own names may coincide (a username that
 * is the id, an email used as the username).
 */
export function nameConflict(w: World, row: Pick<UserRow, 'id' | 'username' | 'email'>): { code: string; field: 'id' | 'username' | 'email'; message: string } | undefined {
  for (const field of ['id', 'username', 'email'] as const) {
    const value = row[field];
    const owner = w.userNamed(value);
    if (owner === undefined || owner.userId === row.id) continue;
    const code = field === 'id' ? 'duplicateId' : field === 'username' ? 'duplicateUsername' : 'duplicateEmail';
    const how = owner.field === field ? `is ${owner.userId}'s ${FIELD_WORDS[field]}` : `is the ${FIELD_WORDS[owner.field]} of ${owner.userId}`;
    return { code, field, message: `${FIELD_WORDS[field]} '${value}' ${how} (ids, usernames and emails name one user each, whatever the case)` };
  }
  return undefined;
}
