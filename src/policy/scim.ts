/**
 * SCIM provisioning rules (docs/PROVISIONING.md): who may create, list and revoke provisioning
 * tokens and define provisioning groups. What a token then does is decided by the ordinary rules,
 * asked as the token's owner.
 */
import { allow, because, deny } from '../domain/outcome.js';
import type { RuleTable } from './types.js';

export const scimRules: RuleTable = {
  'scim.configure': ({ actor, world }) => {
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    return actor.isInstitutionAdmin
      ? allow(because`${actor.name} is admin of the institution root`)
      : deny(because`SCIM provisioning is set up only by an admin of the root (${world.tree.name(world.rootId)}); ${actor.name} is not one`);
  },
  'scim.view': ({ actor, world }) => {
    if (actor.isSystemAdmin) return allow(because`${actor.name} is a system admin`);
    return actor.isAnyAdmin
      ? allow(because`${actor.name} is an admin, and sees the provisioning tokens and groups`)
      : deny(because`provisioning tokens and groups are seen by admins; ${actor.name} has no admin rights in ${world.institutionId}`);
  },
};
