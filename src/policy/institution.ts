/**
 * Platform and institution rules (SPEC §1, §3): system admins run the platform and create
 * institutions; an admin of the root configures the institution.
 */
import { allow, because, deny } from '../domain/outcome.js';
import type { RuleTable } from './types.js';

export const institutionRules: RuleTable = {
  'platform.configure': ({ actor }) =>
    actor.isSystemAdmin ? allow(because`${actor.name} is a system admin`) : deny(because`only a system admin configures the platform; ${actor.name} is not one`),
  'institution.create': ({ actor }) =>
    actor.isSystemAdmin ? allow(because`${actor.name} is a system admin`) : deny(because`only a system admin creates institutions; ${actor.name} is not one`),
  'audit.view': ({ actor, world }) => {
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    return actor.isInstitutionAdmin
      ? allow(because`${actor.name} is admin of the institution root`)
      : deny(because`the audit log is read by admins of the root (${world.tree.name(world.rootId)}); ${actor.name} is not one`);
  },
  'institution.configure': ({ actor, world }) => {
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    return actor.isInstitutionAdmin
      ? allow(because`${actor.name} is admin of the institution root`)
      : deny(because`institution settings are changed only by an admin of the root (${world.tree.name(world.rootId)}); ${actor.name} is not one`);
  },
};
